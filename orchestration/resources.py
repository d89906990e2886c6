"""Dagster resources: the warehouse database and the dbt project, both rooted at WAREHOUSE_HOME."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.settings import WarehousePaths


class WarehouseResource(dg.ConfigurableResource):
    """The build database below WAREHOUSE_HOME. Only the refresh job ever opens it for writing."""

    home: str = ""  # empty: $WAREHOUSE_HOME, else .warehouse in the repository

    @property
    def paths(self) -> WarehousePaths:
        return WarehousePaths(Path(self.home).resolve()) if self.home else WarehousePaths.from_env()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.paths.ensure()
        # dbt reads the same absolute path from this variable (dbt_project/profiles.yml).
        os.environ["WAREHOUSE_HOME"] = str(self.paths.home)
        con = duckdb.connect(str(self.paths.database))
        try:
            yield con
        finally:
            con.close()
