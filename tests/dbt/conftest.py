"""One dbt build of the hand-made export (tests/dbt/test_dbt_project.py) per test run, shared by
every dbt test module that reads it; a module that changes rows works on its own copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """WAREHOUSE_HOME after `dbt seed` and `dbt build` (models and data tests) of the hand-made export."""
    from tests.dbt.test_dbt_project import QUARANTINE, ROWS, create_raw_tables, failures, run_dbt

    home = tmp_path_factory.mktemp("warehouse_home")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("WAREHOUSE_HOME", str(home))  # dbt's profile reads it
        create_raw_tables(home / "warehouse.duckdb", ROWS, QUARANTINE)
        # Unit tests run once, in test_unit_tests_pass.
        for command in (["seed"], ["build", "--exclude", "resource_type:seed", "--exclude-resource-type", "unit_test"]):
            result = run_dbt(home, *command)
            assert result.success, failures(result)
    return home


def use_home(home: Path, request: pytest.FixtureRequest) -> Path:
    """Point dbt's profile at `home` until the requesting module ends."""
    monkeypatch = pytest.MonkeyPatch()
    request.addfinalizer(monkeypatch.undo)
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def warehouse_copy(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory, request) -> Path:
    """A copy of the built warehouse that the module may change."""
    home = tmp_path_factory.mktemp("warehouse_copy")
    # with its write-ahead log: dbt, run in this process, may not have checkpointed yet
    for database_file in built_warehouse.glob("warehouse.duckdb*"):
        shutil.copy(database_file, home / database_file.name)
    return use_home(home, request)
