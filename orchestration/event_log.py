"""Dagster's SQLite run and event storage without an fsync per event.

Dagster's SQLite event log opens a connection, commits and closes it for every event, and a run of
the refresh job writes about a thousand events (one planned and one evaluation event per asset
check, plus the step events). With SQLite's default `synchronous = FULL` each commit waits for the
disk: 4-9 ms here, most of a 78-patient refresh's fixed cost. With `synchronous = OFF` a commit
takes 0.2 ms. SQLite documents what that gives up: a crash of the refresh process loses nothing
committed, an operating-system crash or power cut during a refresh can corrupt the run history
that the Dagster UI shows. The warehouse itself (DuckDB, its audit and check-result tables, the
published snapshots) is not stored there and keeps its own durability.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

_FOLDERS: set[str] = set()


def _relax(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection) or not _FOLDERS:
        return
    # pragma database_list: (seq, name, file); an in-memory database has no file.
    rows = dbapi_connection.execute("pragma database_list").fetchall()
    if any(row[2] and row[2].startswith(tuple(_FOLDERS)) for row in rows):
        dbapi_connection.execute("pragma synchronous = off")


def skip_fsync_below(dagster_home: Path) -> None:
    """Every SQLite database that Dagster opens below `dagster_home` in this process commits
    without waiting for the disk (SQLAlchemy's public connect event, on every engine)."""
    from sqlalchemy import event  # imported here: `warehouse sql` and `generate` never need it
    from sqlalchemy.engine import Engine

    _FOLDERS.add(str(Path(dagster_home).resolve()) + "/")
    if not event.contains(Engine, "connect", _relax):
        event.listen(Engine, "connect", _relax)
