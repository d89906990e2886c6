"""Dagster's SQLite storage with its engines kept open for the life of the process.

Dagster's SQLite storage creates a SQLAlchemy engine, opens a connection, commits, closes it and
disposes the engine for every event it writes, and a refresh writes about a thousand events (a
planned and an evaluation event per asset check, plus the step events): about 3,000 engines and
SQLite connections per 78-patient refresh, most of what is left of the event log's cost once
orchestration/event_log.py has taken the fsync out of each commit. Before each asset-check event it
also asks SQLite whether the index has the asset-check tables, through an engine of its own: 0.5 s
of a 78-patient refresh, for an answer that cannot change once it is yes.

`PooledSqliteStorage` is the same storage (same files and tables in the same `history/` and
`schedules/` folders below DAGSTER_HOME, so the Dagster UI reads what it always read) whose engines
keep their connections in a pool. `prepare_environment` (orchestration/refresh.py) names it in
`dagster.yaml`, so the CLI, the UI and the daemon all use it. SQLite's file locks still order the
writers of several processes, as before.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

# Run files whose engine stays open: the running refresh's and a few the UI is reading.
OPEN_RUN_FILES = 8


def _pooled_engine(conn_string: str, **connect_args: Any) -> Engine:
    # SQLAlchemy's default pool for a SQLite file keeps a few connections open for any thread.
    return create_engine(conn_string, connect_args=connect_args)


class _PooledConnect:
    """`connect()` through one engine per storage object instead of a new engine per call."""

    _conn_string: str
    _engine: Engine | None = None

    @contextmanager
    def connect(self) -> Iterator[Any]:
        if self._engine is None:
            self._engine = _pooled_engine(self._conn_string)
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        super().dispose()  # type: ignore[misc]


class PooledSqliteRunStorage(_PooledConnect, SqliteRunStorage):
    """Runs, as Dagster stores them."""


class PooledSqliteScheduleStorage(_PooledConnect, SqliteScheduleStorage):
    """Schedule and sensor ticks, as Dagster stores them."""


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """The event log (one SQLite file per run plus the cross-run index) with one engine per file:
    the index's for the life of the process, the most recently used run files' up to OPEN_RUN_FILES."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables: set[str] = set()  # tables (and asset_keys columns) known to exist in the index
        super().__init__(base_dir, inst_data)

    def _engine_for(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = _pooled_engine(self.conn_string_for_shard(shard), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        self._engines[shard] = engine  # most recently used last
        while len(self._engines) > OPEN_RUN_FILES + 1:  # + the index
            oldest = next(key for key in self._engines if key != INDEX_SHARD_NAME)
            self._engines.pop(oldest).dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Any]:
        with self._db_lock:
            engine = self._engine_for(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        """Whether the index database has the table, asked once per table until it has it (tables
        are only ever added, by `dagster instance migrate`)."""
        if table_name in self._tables:
            return True
        found = super().has_table(table_name)  # its own engine: callers may hold the index's connection
        if found:
            self._tables.add(table_name)
        return found

    def _has_asset_key_col_on_connection(self, conn: Any, column_name: str) -> bool:
        if f"asset_keys.{column_name}" in self._tables:
            return True
        found = super()._has_asset_key_col_on_connection(conn, column_name)
        if found:
            self._tables.add(f"asset_keys.{column_name}")
        return found

    def _drop_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def delete_events(self, run_id: str) -> None:
        super().delete_events(run_id)
        self._drop_engines()

    def wipe(self) -> None:
        self._tables.clear()
        self._drop_engines()  # the run files are deleted: no pooled connection may outlive them
        super().wipe()
        self._drop_engines()

    def dispose(self) -> None:
        self._drop_engines()
        super().dispose()


class PooledSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage (same folders below `base_dir`) with pooled engines."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self.base_dir = base_dir
        self._run_storage = PooledSqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = PooledSqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> PooledSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
