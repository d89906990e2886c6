"""Publishing: an immutable snapshot folder per successful refresh and an atomic `current` switch.

A snapshot folder holds a DuckDB file written in a storage format that DuckDB 1.x clients can read,
Parquet copies of the analysis tables and a `snapshot.json` describing where it came from. The
folder is complete before it gets its final name, and `current` is a symlink replaced in one
`rename`, so a reader sees either the previous snapshot or the new one, never a mix.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.settings import WarehousePaths

# The oldest on-disk format that still holds everything we write: readable by DuckDB >= 1.0.
SNAPSHOT_STORAGE_VERSION = "v1.0.0"
SNAPSHOT_SCHEMAS = ("raw", "staging", "intermediate", "adam", "reporting", "quality", "audit", "reference")
PARQUET_SCHEMAS = ("adam", "reporting", "quality")


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    folder: Path
    tables: dict[str, int]

    @property
    def database(self) -> Path:
        return self.folder / "warehouse.duckdb"


def new_snapshot_id(export_id: str) -> str:
    """Time-ordered and unique: `<UTC timestamp>_<export id>`."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", export_id)
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}_{safe}"


def connect_build(database: Path) -> duckdb.DuckDBPyConnection:
    """Open (or create) the build database. A new one is created in the snapshot's storage format,
    so that publishing copies the file instead of rewriting every table (about 20 s at 100,000
    patients). An existing file keeps the format it was created with."""
    return duckdb.connect(str(database), config={"storage_compatibility_version": SNAPSHOT_STORAGE_VERSION})


def _storage_version(con: duckdb.DuckDBPyConnection) -> str:
    (tags,) = con.execute("select tags from duckdb_databases() where database_name = current_database()").fetchall()[0]
    return str((tags or {}).get("storage_version", "")).rstrip("+")


def _copy_database(con: duckdb.DuckDBPyConnection, database: Path, tables: list[tuple[str, str]]) -> None:
    """The snapshot's DuckDB file: the build file itself when it is in the snapshot format
    (checkpointed, so the copy holds every write), else every table rewritten into a new file."""
    if _storage_version(con) == SNAPSHOT_STORAGE_VERSION:
        con.execute("checkpoint")
        (build,) = con.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchall()[0]
        shutil.copyfile(build, database)
        with duckdb.connect(str(database)) as copy:  # only the schemas analysts get
            kept = ", ".join(f"'{s}'" for s in SNAPSHOT_SCHEMAS)
            for (schema,) in copy.execute(
                f"select schema_name from duckdb_schemas() where database_name = current_database() "
                f"and not internal and schema_name not in ({kept}, 'main')"
            ).fetchall():
                copy.execute(f'drop schema "{schema}" cascade')
        return
    con.execute(f"attach '{database}' as snapshot (storage_version '{SNAPSHOT_STORAGE_VERSION}')")
    try:
        for schema in sorted({schema for schema, _ in tables}):
            con.execute(f'create schema snapshot."{schema}"')
        for schema, table in tables:
            con.execute(f'create table snapshot."{schema}"."{table}" as select * from "{schema}"."{table}"')
    finally:
        con.execute("detach snapshot")


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    listed = ", ".join(f"'{s}'" for s in SNAPSHOT_SCHEMAS)
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_catalog = current_database() and table_schema in ({listed}) "
        "order by table_schema, table_name"
    ).fetchall()


def publish(
    con: duckdb.DuckDBPyConnection,
    paths: WarehousePaths,
    snapshot_id: str,
    provenance: dict[str, object],
    attachments: Sequence[Path] = (),
    written_whole: Sequence[Path] = (),
) -> Snapshot:
    """Copy the build database and the attachments (the report, the `tlf/` folder, the submission
    package) into a new snapshot folder, then point `current` at it. The attachments are in the
    folder before it gets its final name; a folder is copied whole, less its build sidecar
    (`<folder>/<folder>.json`, which says which export built it).

    A folder of `written_whole` (the submission package: 2.2 GB at 100,000 patients) is linked,
    not copied: its writer never changes a file it has written, it writes the next build's folder
    beside it and renames it into place, so the snapshot's links keep this build's files as they
    are. Where the file system cannot link (another device), the files are copied."""
    now = datetime.now(UTC)
    final = paths.snapshots / snapshot_id
    partial = paths.snapshots / f".{snapshot_id}.partial"
    remove_partial_snapshots(paths)
    partial.mkdir(parents=True)
    database = partial / "warehouse.duckdb"
    tables = _tables(con)
    counts = {
        f"{schema}.{table}": con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
        for schema, table in tables
    }
    _copy_database(con, database, tables)
    for schema, table in tables:
        if schema in PARQUET_SCHEMAS:
            target = partial / "parquet" / schema / f"{table}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            write_parquet(con, schema, table, target)
    for attachment in attachments:  # files (the report) and folders (tlf/, submission/)
        if attachment.is_dir():
            sidecar = shutil.ignore_patterns(f"{attachment.name}.json")  # Dataset-JSON files are kept
            copy = _link_or_copy if attachment in written_whole else shutil.copy2
            shutil.copytree(attachment, partial / attachment.name, ignore=sidecar, copy_function=copy)
        else:
            shutil.copyfile(attachment, partial / attachment.name)
    manifest = dict(
        provenance,
        snapshot_id=snapshot_id,
        published_at=now.isoformat(),
        tables=counts,
        files=sorted(attachment.name for attachment in attachments),
    )
    (partial / "snapshot.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    _fsync_tree(partial)
    os.rename(partial, final)
    switch_current(paths, final)
    return Snapshot(snapshot_id, final, counts)


def unchanged_since_published(
    paths: WarehousePaths,
    export_dir: Path,
    data_cutoff: str | None = None,
    profile: str | None = None,
    config_file: Path | None = None,
) -> str | None:
    """The current snapshot's id when it was built from these very files, with the same study
    parameters (cut-off included) and the same code: a refresh would rebuild it identically."""
    from orchestration.loading.load import resolve_export
    from orchestration.loading.readers import ExportError
    from orchestration.version import code_version

    current = current_snapshot(paths)
    if current is None or not paths.current_database.exists():
        return None
    try:
        resolved = resolve_export(export_dir, profile, config_file, data_cutoff)
    except (ExportError, ValueError):
        return None  # the refresh will say what is wrong
    export = resolved.export
    if export.problems:
        return None
    parameters = json.loads(resolved.dbt_vars)
    try:
        with duckdb.connect(str(paths.current_database.resolve()), read_only=True) as con:
            row = con.execute(
                "select r.parameters, r.code_version, e.files from audit.runs r join audit.exports e using (export_id) "
                "where r.snapshot = ? and r.outcome = 'published'",
                [current.name],
            ).fetchone()
    except duckdb.Error:
        return None
    if row is None:
        return None
    published_parameters, published_code, published_files = row
    hashes = {item["path"]: item["sha256"] for item in json.loads(published_files)}
    same = (
        json.loads(published_parameters) == parameters
        and published_code == code_version()
        and hashes == {f.path: f.sha256 for f in export.files}
    )
    return current.name if same else None


def published_snapshots(paths: WarehousePaths) -> list[Path]:
    """Every complete snapshot folder, oldest first (snapshot ids start with their UTC time)."""
    if not paths.snapshots.is_dir():
        return []
    return sorted(p for p in paths.snapshots.iterdir() if p.is_dir() and not p.name.startswith("."))


class NoSnapshot(LookupError):
    """No snapshot to read: nothing is published yet, or no snapshot matches the id asked for."""


def snapshot_database(paths: WarehousePaths, snapshot: str | None = None) -> Path:
    """The current snapshot's DuckDB file, or an older one's (``snapshot``: its id or a unique prefix)."""
    if snapshot is None:
        if not paths.current_database.exists():
            raise NoSnapshot(
                f"nothing is published yet in {paths.home}: run `warehouse demo` or `warehouse refresh` first"
            )
        return paths.current_database.resolve()
    folders = published_snapshots(paths)
    matches = [folder for folder in folders if folder.name.startswith(snapshot)]
    if len(matches) != 1:
        known = ", ".join(folder.name for folder in folders) or "none"
        what = "matches no snapshot" if not matches else "matches several snapshots"
        raise NoSnapshot(f"--snapshot {snapshot} {what} (`warehouse snapshots` lists them; known: {known})")
    return matches[0] / "warehouse.duckdb"


def snapshot_listing(paths: WarehousePaths) -> str:
    """Every published snapshot with its export, cut-off and publication time; the current one marked."""
    current = current_snapshot(paths)
    folders = published_snapshots(paths)
    if not folders:
        return f"no snapshots in {paths.snapshots}"
    lines = [f"{'':2}{'snapshot':<52} {'export':<28} {'cut-off':<10}  published (UTC)"]
    for folder in folders:
        try:
            meta = json.loads((folder / "snapshot.json").read_text())
        except (OSError, ValueError):
            meta = {}
        mark = "* " if folder == current else "  "
        published = str(meta.get("published_at", ""))[:19].replace("T", " ")
        lines.append(
            f"{mark}{folder.name:<52} {str(meta.get('export_id', '?')):<28} {str(meta.get('data_cutoff', '')):<10}  {published}"
        )
    lines.append(f"\n* current; {len(folders)} kept (WAREHOUSE_KEEP_SNAPSHOTS={paths.keep_snapshots})")
    return "\n".join(lines)


def prune_snapshots(paths: WarehousePaths, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` snapshots; the current one is never deleted.

    A reader that has an old snapshot open keeps reading it: the files are unlinked, not
    overwritten, and the space is freed when the reader closes them.
    """
    current = current_snapshot(paths)
    snapshots = published_snapshots(paths)
    kept = set(snapshots[-max(keep, 1) :]) | ({current} if current else set())
    removed = []
    for folder in snapshots:
        if folder not in kept:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def write_parquet(con: duckdb.DuckDBPyConnection, schema: str, table: str, target: Path) -> None:
    """One table as Parquet, its DuckDB comments (ADaM labels) kept as Arrow field metadata
    (`label`) and the table comment as file metadata, which pandas, R arrow and SAS read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    comments = dict(
        con.execute(
            "select column_name, comment from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and table_name = ? and comment is not null",
            [schema, table],
        ).fetchall()
    )
    table_comments = con.execute(
        "select comment from duckdb_tables() where database_name = current_database() and schema_name = ? "
        "and table_name = ?",
        [schema, table],
    ).fetchall()
    table_comment = table_comments[0][0] if table_comments else None
    if not comments and not table_comment:
        con.execute(f'copy "{schema}"."{table}" to \'{target}\' (format parquet)')
        return
    data = con.sql(f'select * from "{schema}"."{table}"').to_arrow_table()
    fields = [
        field.with_metadata({"label": comments[field.name]}) if field.name in comments else field
        for field in data.schema
    ]
    metadata = {**(data.schema.metadata or {}), **({b"label": table_comment.encode()} if table_comment else {})}
    pq.write_table(data.cast(pa.schema(fields, metadata=metadata)), target)


def remove_partial_snapshots(paths: WarehousePaths) -> None:
    """Clear what an interrupted publish left behind (only one refresh runs at a time).

    A killed publish can leave a `.partial` folder (never renamed, so never current) and the
    `.current.<pid>` link it was about to rename over `current`; `current` itself is untouched.
    """
    for leftover in paths.snapshots.glob(".*.partial"):
        shutil.rmtree(leftover, ignore_errors=True)
    for link in paths.home.glob(".current.*"):
        if link.is_symlink():
            link.unlink(missing_ok=True)


def switch_current(paths: WarehousePaths, folder: Path) -> None:
    """Atomically repoint `current` (a relative symlink, so the home folder can move)."""
    link = paths.home / f".current.{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(os.path.relpath(folder, paths.home))
    os.replace(link, paths.current)


def current_snapshot(paths: WarehousePaths) -> Path | None:
    """The folder `current` points at, or None before the first successful refresh."""
    if not paths.current.is_symlink() and not paths.current.exists():
        return None
    return paths.current.resolve()


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
