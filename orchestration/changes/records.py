"""The record-level change audit: every input row added, deleted or changed since the previous
published export, compared by each file's key (SPEC section 3).

The previous export's rows are read from the current snapshot (``current/warehouse.duckdb``: its
``raw`` tables and its ``quality.quarantine``), the new export's from the build database, so a
failed refresh in between changes nothing: the comparison is always with what analysts last saw.
Quarantined rows take part, and a row's quarantine rules are compared like a column
(``COLUMN_NAME`` = ``QUARANTINE``): a row that leaves quarantine is a change.

A key that appears more than once (a duplicate, itself a data error) is told apart by its
occurrence in file order: the second ``101-002 | 1`` is ``101-002 | 1 (copy 2)``, so deleting a
duplicate shows as one deleted record.

The history lives in ``quality.record_changes`` of the build database and is published with every
snapshot; rows are only ever added for a new (export, previous export) pair, or replaced when the
same pair is compared again. Comparing an export with itself writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.loading.contract import ALL_INPUT_FILES, InputFile

QUARANTINE_COLUMN = "QUARANTINE"
PREVIOUS = "previous_snapshot"

RECORD_CHANGES_DDL = """
create schema if not exists quality;
create table if not exists quality.record_changes (
    EXPORT_ID varchar not null,
    PREVIOUS_EXPORT_ID varchar not null,
    FILE varchar not null,
    SUBJID varchar,
    RECORD_KEY varchar not null,
    CHANGE varchar not null,
    COLUMN_NAME varchar,
    OLD_VALUE varchar,
    NEW_VALUE varchar,
    OLD_LINE integer,
    NEW_LINE integer
);
comment on table quality.record_changes is 'Input records added, deleted or changed since the previous published export, by file key';
"""


@dataclass(frozen=True)
class RecordChanges:
    """What one comparison found."""

    export_id: str
    previous_export_id: str | None  # None: nothing published before (or the same export again)
    counts: dict[str, dict[str, int]]  # file -> {added, deleted, changed} (records, not columns)
    reason: str = ""  # why nothing was compared, in words

    @property
    def compared(self) -> bool:
        return self.previous_export_id is not None

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())


def published_export_id(snapshot_folder: Path | None) -> str | None:
    """The export id the current snapshot was built from (its ``snapshot.json``)."""
    if snapshot_folder is None:
        return None
    try:
        return json.loads((snapshot_folder / "snapshot.json").read_text())["export_id"]
    except (OSError, ValueError, KeyError):
        return None


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(RECORD_CHANGES_DDL)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _side_sql(catalog: str, spec: InputFile, export_parameter: str) -> str:
    """One side of the comparison: each row with its key, occurrence, values and quarantine rules."""
    key = " || ' | ' || ".join(f"coalesce({_quoted(c)}, '')" for c in spec.key)
    columns = ", ".join(f"r.{_quoted(c)}" for c in spec.column_names if c not in spec.key)
    return f"""
        select
            {key} as base_key,
            row_number() over (partition by {", ".join(f"r.{_quoted(c)}" for c in spec.key)} order by r._line) as occurrence,
            r.{_quoted(spec.subject_column)} as subject,
            r._line as line,
            {columns}{"," if columns else ""}
            q.rules as {QUARANTINE_COLUMN}
        from {catalog}raw.{spec.raw_table} as r
        left join (
            select file, line, string_agg(distinct rule, ', ' order by rule) as rules
            from {catalog}quality.quarantine where export_id = {export_parameter}
            group by file, line
        ) as q on q.file = r._file and q.line = r._line
    """


def _file_sql(spec: InputFile) -> str:
    """Added, deleted and changed records of one file, as rows of quality.record_changes."""
    compared = [c for c in spec.column_names if c not in spec.key] + [QUARANTINE_COLUMN]
    pairs = ", ".join(
        f"{{'column_name': '{c}', 'old_value': o.{_quoted(c)}, 'new_value': n.{_quoted(c)}}}" for c in compared
    )
    differs = " or ".join(f"o.{_quoted(c)} is distinct from n.{_quoted(c)}" for c in compared)
    record_key = "base_key || case when occurrence > 1 then ' (copy ' || occurrence || ')' else '' end"
    return f"""
    with new_rows as (select *, {record_key} as record_key from ({_side_sql("", spec, "$export_id")})),
    old_rows as (select *, {record_key} as record_key from ({_side_sql(PREVIOUS + ".", spec, "$previous_export_id")}))
    select $export_id, $previous_export_id, $file, n.subject, n.record_key, 'added', null, null, null, null, n.line
    from new_rows as n anti join old_rows as o using (record_key)
    union all
    select $export_id, $previous_export_id, $file, o.subject, o.record_key, 'deleted', null, null, null, o.line, null
    from old_rows as o anti join new_rows as n using (record_key)
    union all
    select $export_id, $previous_export_id, $file, subject, record_key, 'changed',
        pair.column_name, pair.old_value, pair.new_value, old_line, new_line
    from (
        select n.subject, n.record_key, o.line as old_line, n.line as new_line, unnest([{pairs}]) as pair
        from new_rows as n join old_rows as o using (record_key)
        where {differs}
    )
    where pair.old_value is distinct from pair.new_value
    """


def already_published(con: duckdb.DuckDBPyConnection, table: str, counted: str, export_id: str, what: str) -> str:
    """Why a re-run of the published export compares nothing, and where its own comparison is kept
    (``counted``: the column whose distinct values the comparison changed, e.g. RECORD_KEY)."""
    earlier = con.execute(
        f"select PREVIOUS_EXPORT_ID, count(distinct {counted}) "
        f"from quality.{table} where EXPORT_ID = ? and PREVIOUS_EXPORT_ID <> ? "
        "group by all order by PREVIOUS_EXPORT_ID desc limit 1",
        [export_id, export_id],
    ).fetchone()
    reason = f"export {export_id} is the one already published: nothing new to compare"
    if earlier is None:
        return reason
    return f"{reason}; its comparison with {earlier[0]} ({earlier[1]:,} {what} changed) stays in quality.{table}"


def record_changes(
    con: duckdb.DuckDBPyConnection,
    export_id: str,
    snapshot_database: Path | None,
    previous_export_id: str | None,
    file_paths: dict[str, str] | None = None,
) -> RecordChanges:
    """Compare the export loaded in ``raw`` with the one in the published snapshot, file by file.

    ``file_paths`` maps a raw table to the path the export holds it under (the SDTM file names
    depend on the study profile); by default each file's contract path.
    """
    ensure_table(con)
    if snapshot_database is None or previous_export_id is None or not snapshot_database.exists():
        return RecordChanges(export_id, None, {}, "no export published before: nothing to compare with")
    if previous_export_id == export_id:
        return RecordChanges(
            export_id, None, {}, already_published(con, "record_changes", "RECORD_KEY", export_id, "records")
        )
    file_paths = file_paths or {}
    con.execute(f"attach '{snapshot_database}' as {PREVIOUS} (read_only)")
    try:
        previous_tables = {
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where database_name = ? and schema_name = 'raw'", [PREVIOUS]
            ).fetchall()
        }
        con.execute("begin transaction")
        try:
            con.execute(
                "delete from quality.record_changes where EXPORT_ID = ? and PREVIOUS_EXPORT_ID = ?",
                [export_id, previous_export_id],
            )
            for spec in ALL_INPUT_FILES:
                if spec.raw_table not in previous_tables:
                    continue  # a snapshot older than this file's place in the contract
                path = file_paths.get(spec.raw_table, spec.path)
                con.execute(
                    f"insert into quality.record_changes {_file_sql(spec)}",
                    {"export_id": export_id, "previous_export_id": previous_export_id, "file": path},
                )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        counts: dict[str, dict[str, int]] = {}
        for file, change, records in con.execute(
            "select FILE, CHANGE, count(distinct RECORD_KEY) from quality.record_changes "
            "where EXPORT_ID = ? and PREVIOUS_EXPORT_ID = ? group by all order by all",
            [export_id, previous_export_id],
        ).fetchall():
            counts.setdefault(file, {"added": 0, "deleted": 0, "changed": 0})[change] = records
    finally:
        con.execute(f"detach {PREVIOUS}")
    return RecordChanges(export_id, previous_export_id, counts)
