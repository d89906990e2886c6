"""The Dagster code location: asset graph, checks, schedule and landing sensor."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration.automation import landing_run_requests, new_export_sensor, nightly_refresh
from orchestration.concurrent_steps import RUNS_ALONE
from orchestration.definitions import defs
from orchestration.settings import WarehousePaths
from tests.builders import write_export

SNAPSHOT = Path(__file__).with_name("asset_graph.txt")


def graph_lines() -> list[str]:
    repository = defs.get_repository_def()
    graph = repository.asset_graph
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if not node.is_materializable:
            continue
        lines.append(f"asset {key.to_user_string()} [{node.group_name}]")
    for check_key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        lines.append(f"check {check_key.asset_key.to_user_string()}:{check_key.name}")
    return lines


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)


def test_asset_graph_matches_snapshot():
    """Catches accidental renames. After an intended change: UPDATE_SNAPSHOT=1 pytest this test."""
    import os

    current = "\n".join(graph_lines()) + "\n"
    if os.environ.get("UPDATE_SNAPSHOT") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(current)
    assert current == SNAPSHOT.read_text()


def test_layers_are_grouped_and_keyed_by_schema():
    lines = graph_lines()
    assert "asset audit/current_export [ingest]" in lines
    assert "asset raw/edc_dm [ingest]" in lines
    assert "asset staging/stg_edc__dm [staging]" in lines
    assert "asset adam/adsl [adam]" in lines
    assert "asset quality/row_reconciliation [quality]" in lines
    assert "asset published/snapshot [publish]" in lines


def test_every_asset_and_check_says_what_it_is_in_words():
    """A data manager reads descriptions in the UI: the model's own words, never raw SQL; every check one."""
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable:
            assert node.description and "Raw SQL" not in node.description, key.to_user_string()
    for check_key in graph.asset_check_keys:
        description = graph.get_check_spec(check_key).description
        assert description and not description.startswith("dbt test "), check_key
    exposure_checks = {
        k.name: graph.get_check_spec(k).description
        for k in graph.asset_check_keys
        if k.asset_key.path == ["intermediate", "int_exposure"]
    }
    assert (
        exposure_checks["relationships_int_exposure_USUBJID__USUBJID__ref_int_subjects_"]
        == "Every USUBJID of int_exposure exists as USUBJID in int_subjects."
    )


def test_every_raw_file_has_blocking_checks():
    graph = defs.get_repository_def().asset_graph
    raw = [k for k in graph.get_all_asset_keys() if k.path[0] == "raw"]
    # 8 EDC/imaging files + 7 SDTM datasets: both layouts are always in the graph.
    assert len(raw) == 15
    checks = {(c.asset_key, c.name) for c in graph.asset_check_keys}
    for key in raw:
        assert (key, "quarantine_within_limit") in checks
        assert (key, "great_expectations") in checks
    assert (dg.AssetKey(["adam", "adsl"]), "great_expectations") in checks
    # dbt tests are checks too
    assert (dg.AssetKey(["adam", "adsl"]), "column_rules_adsl") in checks


def test_publish_depends_on_the_marts_and_quality():
    graph = defs.get_repository_def().asset_graph
    parents = graph.get(dg.AssetKey(["published", "snapshot"])).parent_keys
    assert dg.AssetKey(["adam", "adsl"]) in parents
    assert dg.AssetKey(["quality", "row_reconciliation"]) in parents


def test_refresh_job_runs_in_one_process_with_dbt_and_the_snapshot_alone():
    job = defs.resolve_job_def("refresh")
    assert job.executor_def.name == "concurrent_steps"
    alone = {node.name for node in job.graph.nodes if node.definition.tags.get(RUNS_ALONE) == "true"}
    assert alone == {"dbt_models", "published__snapshot"}


def test_nightly_schedule():
    assert nightly_refresh.cron_schedule == "0 2 * * *"
    context = dg.build_schedule_context(scheduled_execution_time=None)
    result = nightly_refresh.evaluate_tick(context)
    assert len(result.run_requests) == 1
    assert result.run_requests[0].job_name in (None, "refresh")


def test_sensor_waits_for_the_manifest(tmp_path, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path))
    paths = WarehousePaths(tmp_path).ensure()
    folder = write_export(paths.landing / "export-1", manifest=False)
    context = dg.build_sensor_context()
    assert new_export_sensor(context).run_requests == []

    write_export(folder)  # the sender writes manifest.json last
    requests = new_export_sensor(context).run_requests
    assert len(requests) == 1
    config = requests[0].run_config["ops"]["audit__current_export"]["config"]
    assert config["export_dir"] == str(folder)
    # the same export gives the same run key: Dagster starts it once
    assert landing_run_requests(paths)[0].run_key == requests[0].run_key


def test_sensor_sees_each_new_export(tmp_path):
    paths = WarehousePaths(tmp_path).ensure()
    write_export(paths.landing / "export-1", export_id="E1")
    write_export(paths.landing / "export-2", export_id="E2")
    keys = {request.run_key for request in landing_run_requests(paths)}
    assert len(keys) == 2


@pytest.mark.parametrize("job_name", ["refresh"])
def test_job_selects_every_asset(job_name):
    job = defs.resolve_job_def(job_name)
    selected = job.asset_layer.selected_asset_keys if hasattr(job.asset_layer, "selected_asset_keys") else None
    graph = defs.get_repository_def().asset_graph
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    if selected is not None:
        assert materializable <= set(selected)
