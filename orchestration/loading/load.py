"""Loading one export into the ``raw`` schema and recording it in ``audit`` and ``quality``.

Plain functions over a DuckDB connection; ``verdict.py`` and the Dagster assets in ``assets/ingest.py``
call them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.loading.contract import SUBJECT_FILES, InputFile, file_path, layout_files, subject_file
from orchestration.loading.readers import Export, ExportError, LoadedFile, open_export, read_csv, read_xport
from orchestration.loading.row_rules import QUARANTINE_DDL, name_subjects, run_row_checks
from orchestration.settings import StudyConfig

AUDIT_DDL = """
create schema if not exists audit;
create table if not exists audit.exports (
    export_id varchar primary key,
    export_dir varchar not null,
    exported_at timestamptz not null,
    manifest_written_by varchar not null,
    files json not null,
    loaded_at timestamptz not null
);
create table if not exists audit.runs (
    run_id varchar primary key,
    export_id varchar not null,
    data_cutoff date not null,
    profile varchar not null,
    parameters json not null,
    code_version varchar not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    outcome varchar not null,
    snapshot varchar
);
-- Added after the first release: databases made before it gain the column here. A run whose
-- manifest could not be read is recorded too, without a cut-off.
alter table audit.runs add column if not exists reason varchar;
alter table audit.runs alter column data_cutoff drop not null;
create table if not exists audit.current_export (
    run_id varchar,
    export_id varchar,
    export_dir varchar,
    export_date date,
    data_cutoff date,
    profile varchar,
    dbt_vars json
);
"""


@dataclass(frozen=True)
class CurrentExport:
    """The export the warehouse is building from, as registered by the first asset of a run."""

    run_id: str
    export_id: str
    export_dir: str
    export_date: date
    data_cutoff: date
    profile: str
    dbt_vars: str


FILE_PROBLEMS_DDL = """
create schema if not exists quality;
create table if not exists quality.file_problems (
    export_id varchar not null,
    run_id varchar not null,
    file varchar not null,
    problem varchar not null,
    recorded_at timestamptz not null
);
"""


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(AUDIT_DDL)
    con.execute(QUARANTINE_DDL)
    con.execute(FILE_PROBLEMS_DDL)


@dataclass(frozen=True)
class ResolvedExport:
    """An export folder read against the study configuration a refresh would use."""

    export: Export
    study: StudyConfig
    layout: str  # the input layout (var input_source): which files the export must hold
    data_cutoff: date
    dbt_vars: str


def resolve_export(
    directory: Path, profile: str | None = None, config_file: Path | None = None, data_cutoff: str | None = None
) -> ResolvedExport:
    """Open an export with the study's layout and work out the refresh's cut-off and dbt vars.

    The cut-off is the one asked for, else the study's, else the export date. The refresh's first
    asset and the unchanged-export check both use this, so they agree on what a refresh would build.
    """
    study = StudyConfig.load(profile, config_file)
    layout = str(study.parameters.get("input_source") or "edc")
    export = open_export(directory, [file_path(spec, study.parameters) for spec in layout_files(layout)])
    if data_cutoff:
        cutoff = date.fromisoformat(data_cutoff)
    elif study.parameters.get("data_cutoff"):
        cutoff = date.fromisoformat(str(study.parameters["data_cutoff"]))
    else:
        cutoff = export.export_date
    dbt_vars = study.dbt_vars(export.export_id, export.export_date.isoformat(), cutoff.isoformat())
    return ResolvedExport(export, study, layout, cutoff, dbt_vars)


def register_export(
    con: duckdb.DuckDBPyConnection,
    export: Export,
    run_id: str,
    data_cutoff: date,
    profile: str,
    dbt_vars: str,
    code_version: str,
) -> CurrentExport:
    """Record the export and the run in ``audit`` and make the export the current one."""
    ensure_schemas(con)
    now = datetime.now(UTC)
    con.execute("delete from audit.exports where export_id = ?", [export.export_id])
    con.execute(
        "insert into audit.exports values (?, ?, ?, ?, ?, ?)",
        [
            export.export_id,
            str(export.directory),
            export.exported_at,
            export.manifest_written_by,
            export.as_json(),
            now,
        ],
    )
    # This run holds the refresh lock, so a run still marked running was killed mid-way.
    con.execute(
        "update audit.runs set outcome = 'interrupted', finished_at = ? where outcome = 'running' and run_id <> ?",
        [now, run_id],
    )
    con.execute("delete from audit.runs where run_id = ?", [run_id])
    con.execute(
        "insert into audit.runs (run_id, export_id, data_cutoff, profile, parameters, code_version, started_at, "
        "outcome) values (?, ?, ?, ?, ?, ?, ?, 'running')",
        [run_id, export.export_id, data_cutoff, profile, dbt_vars, code_version, now],
    )
    con.execute("delete from quality.file_problems where export_id = ?", [export.export_id])
    current = CurrentExport(
        run_id, export.export_id, str(export.directory), export.export_date, data_cutoff, profile, dbt_vars
    )
    con.execute("delete from audit.current_export")
    con.execute(
        "insert into audit.current_export values (?, ?, ?, ?, ?, ?, ?)",
        [
            current.run_id,
            current.export_id,
            current.export_dir,
            current.export_date,
            current.data_cutoff,
            current.profile,
            current.dbt_vars,
        ],
    )
    return current


def current_export(con: duckdb.DuckDBPyConnection) -> CurrentExport:
    """The export registered by the run's first asset; a clear error if there is none yet."""
    try:
        row = con.execute("select * from audit.current_export").fetchone()
    except duckdb.CatalogException:
        row = None
    if row is None:
        raise ExportError("no export is registered yet: materialise audit/current_export first")
    return CurrentExport(*row)


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    outcome: str,
    snapshot: str | None = None,
    reason: str | None = None,
    export_id: str | None = None,
) -> None:
    """Record how a run ended, with the reason in words when it did not publish.

    A run that stopped before registering its export (its manifest could not be read) gets its row
    here, so that every run is in ``audit.runs``.
    """
    now = datetime.now(UTC)
    known = con.execute("select 1 from audit.runs where run_id = ?", [run_id]).fetchone()
    if known is None:
        con.execute(
            "insert into audit.runs (run_id, export_id, data_cutoff, profile, parameters, code_version, "
            "started_at, outcome) values (?, ?, null, '', '{}', '', ?, ?)",
            [run_id, export_id or "", now, outcome],
        )
    con.execute(
        "update audit.runs set finished_at = ?, outcome = ?, snapshot = coalesce(?, snapshot), "
        "reason = coalesce(?, reason) where run_id = ?",
        [now, outcome, snapshot, reason, run_id],
    )


def record_file_problem(con: duckdb.DuckDBPyConnection, current: CurrentExport, path: str, problem: str) -> None:
    """A file that could not be loaded (it stays out of raw; the refresh will not publish)."""
    con.execute("delete from quality.file_problems where export_id = ? and file = ?", [current.export_id, path])
    con.execute(
        "insert into quality.file_problems values (?, ?, ?, ?, ?)",
        [current.export_id, current.run_id, path, problem, datetime.now(UTC)],
    )


def file_problems(con: duckdb.DuckDBPyConnection, export_id: str) -> dict[str, str]:
    """File -> why it could not be loaded, for one export (empty when every file loaded)."""
    return dict(
        con.execute(
            "select file, problem from quality.file_problems where export_id = ? order by file", [export_id]
        ).fetchall()
    )


@dataclass(frozen=True)
class IngestResult:
    """What a data manager wants to know about one loaded file."""

    path: str
    rows: int
    staged_rows: int
    quarantined_rows: int
    problems_by_rule: dict[str, int]
    encoding: str
    extra_columns: tuple[str, ...]
    # quarantined for a problem of their own: rows of a patient whose dm row is quarantined are
    # left out of staging but do not count against the file's limit (dm's row already blocks)
    own_problem_rows: int

    @property
    def quarantined_share(self) -> float:
        return self.own_problem_rows / self.rows if self.rows else 0.0


def registered_files(con: duckdb.DuckDBPyConnection, export_id: str) -> dict[str, dict]:
    row = con.execute("select files from audit.exports where export_id = ?", [export_id]).fetchone()
    if row is None:
        raise ExportError(f"export {export_id} is not registered: materialise audit/current_export first")
    return {item["path"]: item for item in json.loads(row[0])}


def subject_file_problem(con: duckdb.DuckDBPyConnection, current: CurrentExport, spec: InputFile) -> str | None:
    """Why the patient file a file's row rules need could not be loaded; None when it loaded (or
    when ``spec`` is the patient file itself)."""
    if spec in SUBJECT_FILES:
        return None
    return file_problems(con, current.export_id).get(file_path(subject_file(spec), study_parameters(current)))


def study_parameters(current: CurrentExport) -> dict:
    """The study configuration the run was registered with (the dbt vars)."""
    return json.loads(current.dbt_vars) if current.dbt_vars else {}


def input_layout(current: CurrentExport) -> str:
    """`edc` or `sdtm`: the input layout (var input_source) of the current run."""
    return str(study_parameters(current).get("input_source") or "edc")


def create_empty_raw_table(con: duckdb.DuckDBPyConnection, spec: InputFile) -> None:
    """The raw table of a file the current layout does not have: empty, with its columns.

    Keeps the asset graph static (every raw table always exists) while only the files of the
    profile's input layout are read: an EDC run leaves raw.sdtm_* empty and the reverse.
    """
    ensure_schemas(con)
    columns = ", ".join(f'"{c}" varchar' for c in spec.column_names)
    con.execute(
        f"create or replace table raw.{spec.raw_table} ({columns}, _export_id varchar, _file varchar, _line integer)"
    )


def read_export_file(con: duckdb.DuckDBPyConnection, current: CurrentExport, spec: InputFile) -> LoadedFile:
    """Read and parse one file of the registered export; every file-level problem raises ExportError."""
    path = file_path(spec, study_parameters(current))
    registered = registered_files(con, current.export_id)[path]
    if registered.get("problem"):
        raise ExportError(registered["problem"])
    data = (Path(current.export_dir) / path).read_bytes()
    if hashlib.sha256(data).hexdigest() != registered["sha256"]:
        raise ExportError(f"{path}: the file changed since the export was registered (SHA-256 differs); export refused")
    loaded = read_xport(spec, data, path) if path.lower().endswith(".xpt") else read_csv(spec, data, path)
    del data  # its rows are in loaded.table: the file is not held twice from here on
    manifest_rows = int(registered["rows"])
    if manifest_rows >= 0 and manifest_rows != loaded.table.num_rows:
        raise ExportError(
            f"{path}: {loaded.table.num_rows} data rows, but manifest.json says {manifest_rows}; "
            "the file is incomplete or changed, export refused"
        )
    return loaded


def load_file(con: duckdb.DuckDBPyConnection, current: CurrentExport, spec: InputFile) -> IngestResult:
    """Load one file into ``raw.<source>_<domain>`` and quarantine its bad rows."""
    path = file_path(spec, study_parameters(current))
    loaded = read_export_file(con, current, spec)
    rows = loaded.table.num_rows
    ensure_schemas(con)
    columns = ", ".join(f'"{c}"' for c in spec.column_names)
    con.register("_incoming", loaded.table)
    try:
        con.execute(
            f"create or replace table raw.{spec.raw_table} as "
            f"select {columns}, ?::varchar as _export_id, ?::varchar as _file, _line from _incoming order by _line",
            [current.export_id, path],
        )
    finally:
        con.unregister("_incoming")
    # The rows are in raw now: the row checks run without the Arrow copy.
    encoding, extra_columns, short_lines = loaded.encoding, loaded.extra_columns, loaded.short_lines
    del loaded
    run_row_checks(con, spec, current.export_id, current.export_date.isoformat(), path)
    if short_lines:
        width = len(spec.column_names) + len(extra_columns)
        con.executemany(
            "insert into quality.quarantine (export_id, file, line, column_name, value, rule, message) "
            "values (?, ?, ?, null, null, 'field_count', ?)",
            [
                [current.export_id, path, line, f"line has {found} fields, the header has {width}"]
                for line, found in short_lines
            ],
        )
    name_subjects(con, spec, current.export_id, path)
    by_rule = dict(
        con.execute(
            "select rule, count(*) from quality.quarantine where export_id = ? and file = ? "
            "group by rule order by rule",
            [current.export_id, path],
        ).fetchall()
    )
    quarantined, own = con.execute(
        "select count(distinct line), count(distinct line) filter (where rule <> 'subject_quarantined') "
        "from quality.quarantine where export_id = ? and file = ?",
        [current.export_id, path],
    ).fetchall()[0]
    return IngestResult(path, rows, rows - quarantined, quarantined, by_rule, encoding, extra_columns, own)
