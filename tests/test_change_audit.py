"""End to end: an export, then its follow-up a month later, then the follow-up again (issue 17).

Three refreshes in one warehouse; every assertion reads what the follow-up generator says it
changed, never a hard-coded patient.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from orchestration.loading.contract import DBT_PROJECT_DIR
from orchestration.refresh import run_refresh
from orchestration.synthetic.follow_up import write_follow_up

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def audited(demo_warehouse_copy, tmp_path_factory):
    """The demo export published (a copy of the session's demo warehouse), then its 30-day
    follow-up published, then the follow-up refreshed again. The warehouse replays only the dbt
    runs it recorded itself, so which refresh replays does not depend on the other tests."""
    paths, first, published_first = demo_warehouse_copy
    follow_up = write_follow_up(first.path, tmp_path_factory.mktemp("exports") / "follow_up", days=30)
    outcomes = [published_first]
    after_first = paths.current_database.resolve()  # snapshots are immutable: this one stays as it is
    with own_recordings_only():
        outcomes.append(run_refresh(paths, follow_up.path, progress=False))
        after_follow_up = paths.current_database.resolve()
        outcomes.append(run_refresh(paths, follow_up.path, progress=False))
    return paths, first, follow_up, outcomes, after_first, after_follow_up


@contextmanager
def own_recordings_only() -> Iterator[None]:
    """No dbt run recorded by another warehouse of this checkout is replayed (orchestration/dbt_replay.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WAREHOUSE_DBT_RECORDINGS", "none")
        yield


def query(database: Path, sql: str, parameters=None):
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, parameters).fetchall()


def test_all_three_refreshes_publish(audited):
    _, _, _, outcomes, _, _ = audited
    assert [o.published for o in outcomes] == [True, True, True], [o.problems for o in outcomes]


def test_the_first_export_has_no_changes(audited):
    _, _, _, _, after_first, _ = audited
    assert query(after_first, "select count(*) from quality.record_changes") == [(0,)]
    assert query(after_first, "select count(*) from quality.endpoint_changes") == [(0,)]


def test_a_corrected_ae_grade_is_a_change_of_aetoxgr_with_old_and_new(audited):
    _, first, follow_up, _, _, database = audited
    subject, number, old, new = follow_up.corrected_grade
    assert query(
        database,
        "select EXPORT_ID, PREVIOUS_EXPORT_ID, CHANGE, OLD_VALUE, NEW_VALUE from quality.record_changes "
        "where FILE = 'edc/ae.csv' and RECORD_KEY = ? and COLUMN_NAME = 'AETOXGR'",
        [f"{subject} | {number}"],
    ) == [(follow_up.export_id, first.export_id, "changed", old, new)]


def test_added_and_deleted_records_are_counted_per_file(audited):
    _, _, follow_up, _, _, database = audited
    counts = dict(
        (
            (file, change),
            records,
        )
        for file, change, records in query(
            database,
            "select FILE, CHANGE, count(distinct RECORD_KEY) from quality.record_changes group by all",
        )
    )
    assert counts[("imaging/timepoints.csv", "added")] == len(follow_up.new_scans)
    assert counts[("edc/ae.csv", "added")] == len(follow_up.new_adverse_events)
    path, _ = follow_up.deleted_duplicate
    assert counts[(path, "deleted")] == 1


def test_a_new_scan_changes_the_patients_cbor_and_the_endpoint_row_says_why(audited):
    _, first, follow_up, _, _, database = audited
    subject = follow_up.complete_response
    rows = query(
        database,
        "select PREVIOUS_EXPORT_ID, OLD_VALUE, NEW_VALUE, RECORD_CHANGES from quality.endpoint_changes "
        "where SUBJID = ? and DATASET = 'ADRS' and PARAMCD = 'CBOR' and VARIABLE = 'AVALC'",
        [subject],
    )
    assert len(rows) == 1
    previous, old, new, records = rows[0]
    assert (previous, old, new) == (first.export_id, "PR", "CR")
    assert "imaging/timepoints.csv: 1 added" in records and "imaging/lesions.csv" in records


def test_a_late_death_turns_os_into_an_event(audited):
    _, _, follow_up, _, _, database = audited
    subject, died = follow_up.late_death
    rows = dict(
        (variable, (old, new))
        for variable, old, new in query(
            database,
            "select VARIABLE, OLD_VALUE, NEW_VALUE from quality.endpoint_changes "
            "where SUBJID = ? and DATASET = 'ADTTE' and PARAMCD = 'OS'",
            [subject],
        )
    )
    assert rows["CNSR"][1] == "0" and rows["CNSR"][0] != "0"
    assert rows["ADT"][1] == died


def test_a_fixed_inconsistency_turns_its_query_resolved(audited):
    _, first, follow_up, _, after_first, database = audited
    subject = follow_up.corrected_dose[0]
    sql = "select STATUS, FIRST_SEEN_EXPORT, RESOLVED_EXPORT from quality.data_queries where SUBJID = ? and RULE = 'LEN_START_DOSE'"
    assert query(after_first, sql, [subject]) == [("NEW", first.export_id, None)]
    assert query(database, sql, [subject]) == [("RESOLVED", first.export_id, follow_up.export_id)]
    # queries the follow-up still raises are OPEN, none of them lost
    statuses = dict(query(database, "select STATUS, count(*) from quality.data_queries group by all"))
    assert statuses.get("OPEN", 0) > 0
    assert sum(statuses.values()) >= query(after_first, "select count(*) from quality.data_queries")[0][0]


def test_the_same_export_again_gives_no_changes_and_keeps_the_history(audited):
    paths, _, follow_up, _, _, after_follow_up = audited
    database = paths.current_database.resolve()
    assert database != after_follow_up
    assert query(database, "select count(*) from quality.record_changes where EXPORT_ID = PREVIOUS_EXPORT_ID") == [(0,)]
    same = "select * from quality.{} order by all"
    for table in ("record_changes", "endpoint_changes"):
        assert query(database, same.format(table)) == query(after_follow_up, same.format(table))
    statuses = "select QUERY_ID, STATUS, RESOLVED_EXPORT from quality.data_queries order by QUERY_ID"
    assert query(database, statuses) == query(after_follow_up, statuses)


def test_warehouse_changes_and_queries_print_the_same(audited):
    _, first, follow_up, _, _, _ = audited
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["changes"]) == 0
    text = out.getvalue()
    assert f"compared with {first.export_id}" in text
    assert follow_up.complete_response in text and "ADRS CBOR AVALC: PR -> CR" in text
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["queries", "--status", "RESOLVED", "--format", "csv"]) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("STATUS,SUBJID,DOMAIN,RULE")
    assert any(line.startswith(f"RESOLVED,{follow_up.corrected_dose[0]},EXPOSURE,LEN_START_DOSE") for line in lines)
    with redirect_stdout(io.StringIO()):
        assert main(["changes", "--since", first.export_id]) == 0
        assert main(["changes", "--since", "NO-SUCH-EXPORT"]) == 2


def test_the_report_has_a_since_the_previous_export_section(audited):
    paths, first, follow_up, _, _, _ = audited
    html = (paths.current / "report.html").read_text()
    assert "Since the previous export" in html
    assert f"compared with the previously published export {first.export_id}" in html


def test_new_queries_warn_without_blocking(audited):
    _, _, _, _, after_first, _ = audited
    # the first export raises every query for the first time: the check warns, the snapshot is published
    assert query(
        after_first,
        "select outcome, severity, blocking from quality.check_results where check_name = 'no_new_queries'",
    ) == [("failed", "WARN", False)]


def test_the_repeat_refresh_replays_dbts_run_and_builds_the_same_tables(audited):
    """The third refresh (same export, same project, same tables) replays the second's dbt run
    (orchestration/dbt_replay.py): every model and test result reported, the same rows built."""
    paths, _, _, outcomes, _, after_follow_up = audited
    runs = sorted(paths.dbt_target.iterdir(), key=lambda p: p.stat().st_mtime)
    second, third = (json.loads((run / "run_results.json").read_text()) for run in runs[-2:])
    assert "replayed" not in second["args"] and "replayed" in third["args"]
    assert sorted((r["unique_id"], r["status"]) for r in third["results"]) == sorted(
        (r["unique_id"], r["status"]) for r in second["results"]
    )
    tables = query(
        after_follow_up,
        "select schema_name, table_name from duckdb_tables() where schema_name in ('staging', 'intermediate', 'adam')",
    )
    assert len(tables) > 40
    with duckdb.connect(str(paths.current_database), read_only=True) as con:
        con.execute(f"attach '{after_follow_up}' as dbt_built (read_only)")
        for schema, table in tables:
            here, there = f'"{schema}"."{table}"', f'dbt_built."{schema}"."{table}"'
            differing = con.execute(
                f"select count(*) from ((from {here} except all from {there}) union all (from {there} except all from {here}))"
            ).fetchone()
            assert differing == (0,), f"{schema}.{table}"
    assert outcomes[2].published


@pytest.fixture(scope="module")
def next_export_twice(audited, tmp_path_factory):
    """The next export (another 30 days) refreshed in two copies of the audited warehouse: one
    replays the dbt run recorded by the last refreshes, the other has no recording and runs dbt."""
    from tests.conftest import DemoWarehouse, copy_demo_warehouse, warehouse_environment

    paths, first, follow_up, outcomes, _, _ = audited
    following = write_follow_up(follow_up.path, tmp_path_factory.mktemp("exports") / "following", days=30)
    built = {}
    for how in ("replayed", "dbt"):
        copy = copy_demo_warehouse(DemoWarehouse(paths, first, outcomes[-1]), tmp_path_factory.mktemp(how) / "home")
        if how == "dbt":
            shutil.rmtree(copy.paths.dbt_recorded)
        with warehouse_environment(copy.paths.home), own_recordings_only():
            outcome = run_refresh(copy.paths, following.path, progress=False)
        assert outcome.published, outcome.problems
        run = max(copy.paths.dbt_target.iterdir(), key=lambda p: p.stat().st_mtime)
        built[how] = (copy.paths.database, json.loads((run / "run_results.json").read_text()))
    return built


def test_a_new_export_replays_the_recorded_run_and_builds_what_dbt_builds(next_export_twice):
    """The run values (export id and date, cut-off) are read by the SQL when it runs, so a new
    export replays; its tables, the data queries' history included, are those dbt builds."""
    (replayed, replay_results), (built_by_dbt, dbt_results) = next_export_twice["replayed"], next_export_twice["dbt"]
    assert "replayed" in replay_results["args"] and "replayed" not in dbt_results["args"]
    assert sorted((r["unique_id"], r["status"]) for r in replay_results["results"]) == sorted(
        (r["unique_id"], r["status"]) for r in dbt_results["results"]
    )
    models = [
        (node["schema"], node["alias"])
        for node in json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())["nodes"].values()
        if node["resource_type"] in ("model", "seed") and node["config"].get("enabled", True)
    ]
    assert ("quality", "data_queries") in models and len(models) > 50
    with duckdb.connect(str(replayed), read_only=True) as con:
        con.execute(f"attach '{built_by_dbt}' as dbt_built (read_only)")
        present = set(
            con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = 'warehouse'"
            ).fetchall()
        )
        for schema, table in models:
            assert (schema, table) in present
            here, there = f'"{schema}"."{table}"', f'dbt_built."{schema}"."{table}"'
            differing = con.execute(
                f"select count(*) from ((from {here} except all from {there}) "
                f"union all (from {there} except all from {here}))"
            ).fetchone()
            assert differing == (0,), f"{schema}.{table}"
