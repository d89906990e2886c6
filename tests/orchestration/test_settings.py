"""Study configuration: dbt_project.yml defaults, then a profile, then a file; pure dbt vars."""

from __future__ import annotations

import json

import pytest

from orchestration.loading.contract import DBT_PROJECT_DIR
from orchestration.settings import (
    StudyConfig,
    WarehousePaths,
    dbt_invocation,
    dbt_project_vars,
    shared_dbt_recordings,
)


def test_defaults_come_from_dbt_project_vars():
    config = StudyConfig.load()
    assert config.profile == "lensirt"
    assert config.parameters == dbt_project_vars()
    assert config.parameters["confirm_min_days"] == 28
    assert config.parameters["days_per_month"] == 30.4375


def test_config_file_overrides_the_profile(tmp_path):
    override = tmp_path / "study.yml"
    override.write_text("parameters:\n  confirm_min_days: 35\n  pd_min_abs_mm: 5\n")
    config = StudyConfig.load(config_file=override)
    assert config.parameters["confirm_min_days"] == 35
    assert config.parameters["pd_min_abs_mm"] == 5
    assert config.parameters["sd_min_days"] == 35  # untouched default


def test_unknown_parameter_is_refused(tmp_path):
    override = tmp_path / "study.yml"
    override.write_text("confirm_min_day: 35\n")
    with pytest.raises(ValueError, match="unknown study parameter.*confirm_min_day"):
        StudyConfig.load(config_file=override)


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown study profile 'nope'.*lensirt"):
        StudyConfig.load("nope")


def test_dbt_vars_carry_the_run_values():
    values = json.loads(StudyConfig.load().dbt_vars("E1", "2025-06-30", "2025-05-31"))
    assert values["export_id"] == "E1"
    assert values["export_date"] == "2025-06-30"
    assert values["data_cutoff"] == "2025-05-31"
    assert values["visit_interval_days"] == 42


def test_dbt_reads_the_run_values_from_the_registered_export_and_gets_the_study_as_vars():
    study = StudyConfig.load()
    cli_vars, env = dbt_invocation(study.dbt_vars("E1", "2025-06-30", "2025-05-31"))
    assert env == {"WAREHOUSE_RUN_VALUES": "audit.current_export"}
    assert env == dbt_invocation(study.dbt_vars("E2", "2025-07-31", "2025-07-31"))[1]
    # the same --vars for every export of the study: dbt's partial parse stays valid
    assert cli_vars == dbt_invocation(study.dbt_vars("E2", "2025-07-31", "2025-07-31"))[0]
    study_only = {k: v for k, v in study.parameters.items() if k not in ("export_id", "export_date", "data_cutoff")}
    assert json.loads(cli_vars) == study_only


def test_warehouse_home_is_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    paths = WarehousePaths.from_env({"WAREHOUSE_HOME": "relative/home"})
    assert paths.home == tmp_path / "relative" / "home"
    assert paths.database == paths.home / "warehouse.duckdb"


def test_the_warehouses_of_a_checkout_share_their_dbt_recordings_beside_its_dbt_files(tmp_path):
    assert shared_dbt_recordings({}) == DBT_PROJECT_DIR / "target" / "recorded"  # ignored by git
    assert shared_dbt_recordings({"WAREHOUSE_DBT_RECORDINGS": str(tmp_path / "x")}) == tmp_path / "x"
    assert shared_dbt_recordings({"WAREHOUSE_DBT_RECORDINGS": "none"}) is None
