"""Shared test setup: the dbt manifest dagster-dbt needs, and an isolated WAREHOUSE_HOME."""

from __future__ import annotations

import pytest

from orchestration.refresh import ensure_dbt_manifest


def pytest_configure(config: pytest.Config) -> None:
    # orchestration.definitions reads dbt_project/target/manifest.json at import time.
    ensure_dbt_manifest()


@pytest.fixture
def warehouse_home(tmp_path, monkeypatch):
    """A fresh WAREHOUSE_HOME (and DAGSTER_HOME inside it) for one test."""
    from orchestration.settings import WarehousePaths

    home = tmp_path / "warehouse"
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    return WarehousePaths(home).ensure()
