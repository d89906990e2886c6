"""Dagster resources: the warehouse database and the dbt project, both rooted at WAREHOUSE_HOME."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from orchestration.publishing.snapshot import connect_build, remove_partial_snapshots
from orchestration.settings import WarehousePaths

_CURSORS = threading.Lock()


class RefreshBusy(Exception):
    """Another refresh holds the warehouse: this one stops before touching anything."""


class WarehouseResource(dg.ConfigurableResource):
    """The build database below WAREHOUSE_HOME. Only the refresh job ever opens it for writing.

    A run holds an exclusive lock on WAREHOUSE_HOME/refresh.lock from its first step to its last,
    so a refresh started from the command line and one started by the schedule or the sensor can
    never interleave (Dagster's run queue already runs one at a time; the lock covers the CLI).
    """

    home: str = ""  # empty: $WAREHOUSE_HOME, else .warehouse in the repository
    # One DuckDB connection for the steps of a run in this process (opening the build file costs
    # tens of milliseconds, and a refresh has about a hundred steps and checks that read it).
    # Outside a run (a test calling an asset directly) each `connect()` opens and closes the file.
    _state: dict[str, Any] = PrivateAttr(default_factory=dict)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Generator[WarehouseResource, None, None]:
        paths = self.paths.ensure()
        with (paths.home / "refresh.lock").open("a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                raise RefreshBusy(
                    f"another refresh is running on {paths.home} ({holder}); try again when it has finished"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            # Holding the lock, nothing else can be publishing: clear what a killed refresh left.
            remove_partial_snapshots(paths)
            self._state["in_run"] = True
            try:
                yield self
            finally:
                self._state["in_run"] = False
                self.release()
                handle.seek(0)
                handle.truncate()
                fcntl.flock(handle, fcntl.LOCK_UN)

    @property
    def paths(self) -> WarehousePaths:
        return WarehousePaths(Path(self.home).resolve()) if self.home else WarehousePaths.from_env()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.paths.ensure()
        # dbt reads the same absolute path from this variable (dbt_project/profiles.yml).
        os.environ["WAREHOUSE_HOME"] = str(self.paths.home)
        with _CURSORS:  # steps of a run may ask from their threads (orchestration/concurrent_steps.py)
            if self._state.get("con") is None:
                self._state["con"] = connect_build(self.paths.database)
            cursor = self._state["con"].cursor()  # its own transaction state, the same open database
            self._state["open"] = self._state.get("open", 0) + 1
        try:
            yield cursor
        finally:
            cursor.close()
            with _CURSORS:
                self._state["open"] -= 1
                if not self._state.get("in_run") and not self._state["open"]:
                    self.release()

    def release(self) -> None:
        """Close the build database, before another process (dbt) opens it and when the run ends."""
        con = self._state.pop("con", None)
        if con is not None:
            con.close()
