"""The plain-SQL lower bound: the same staging-to-ADaM derivations with no orchestration.

One DuckDB connection runs, in order:

1. every input file into ``raw`` with DuckDB's own CSV reader (values trimmed, empty = NULL, the
   lineage columns the staging models read), and the run values (export id and date, cut-off)
   into ``audit.current_export``, where the compiled SQL reads them;
2. the row checks of SPEC section 4 as the same set-based SQL the ingest runs
   (``validation.quarantine_sql``), into ``quality.quarantine``;
3. the code-list seed, then every dbt model as ``CREATE TABLE ... AS`` its compiled SQL, in
   dependency order.

No Dagster, no dbt process, no tests or expectations, no hashing, no statistics, no publishing: what
is left is the SQL work itself, which a refresh cannot beat. The compiled SQL is taken from a dbt
target folder (the refresh's own, so the study parameters are the same).

    uv run python -m benchmarks.lower_bound --export EXPORT --target DBT_TARGET --database DIR/warehouse.duckdb
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from orchestration.loading.contract import CODELISTS_CSV, INPUT_FILES, SDTM_FILES, InputFile
from orchestration.loading.load import create_empty_raw_table
from orchestration.loading.row_rules import QUARANTINE_DDL, quarantine_sql
from orchestration.settings import StudyConfig

# The dbt models' catalog is the build file's name: the lower bound's file must be called the same.
CATALOG = "warehouse"
WHITESPACE = " \t\r\n\x0b\x0c"


def _load_raw(con: duckdb.DuckDBPyConnection, export: Path, spec: InputFile, export_id: str, scratch: Path) -> None:
    path = export / spec.path
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:  # Windows-1252, as EDC systems write: DuckDB reads UTF-8
        path = scratch / spec.path.replace("/", "__")
        path.write_bytes(data.decode("cp1252").encode("utf-8"))
    columns = ", ".join(f"nullif(trim(\"{c}\", '{WHITESPACE}'), '') as \"{c}\"" for c in spec.column_names)
    con.execute(
        f"create or replace table raw.{spec.raw_table} as "
        f"select {columns}, '{export_id}' as _export_id, '{spec.path}' as _file, "
        f"cast(row_number() over () + 1 as integer) as _line "
        f"from read_csv('{path}', all_varchar = true, header = true)"
    )


def models_in_order(manifest: dict) -> Iterator[dict]:
    """Seeds and models, each after everything it depends on (Kahn's algorithm, stable by name)."""
    nodes = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] in ("model", "seed")}
    waiting = {
        uid: {d for d in node.get("depends_on", {}).get("nodes", []) if d in nodes} for uid, node in nodes.items()
    }
    while waiting:
        ready = sorted(uid for uid, deps in waiting.items() if not deps)
        if not ready:
            raise RuntimeError(f"dependency cycle among {sorted(waiting)}")
        for uid in ready:
            del waiting[uid]
            for deps in waiting.values():
                deps.discard(uid)
            yield nodes[uid]


def compiled_sql(node: dict, target: Path) -> str:
    if node.get("compiled_code"):
        return node["compiled_code"]
    compiled = target / "compiled" / node["package_name"] / node["original_file_path"]
    return compiled.read_text(encoding="utf-8")


def run(export: Path, target: Path, database: Path) -> dict[str, float]:
    """Build the lower bound into ``database``; seconds per stage."""
    if database.stem != CATALOG:
        raise SystemExit(f"the database file must be called {CATALOG}.duckdb (the compiled SQL names that catalog)")
    database.parent.mkdir(parents=True, exist_ok=True)
    for stale in (database, database.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    manifest = json.loads((export / "manifest.json").read_text(encoding="utf-8"))
    export_id, export_date = manifest["export_id"], manifest["exported_at"][:10]
    dbt_manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    seconds: dict[str, float] = {}
    with duckdb.connect(str(database)) as con:
        started = time.perf_counter()
        con.execute("create schema raw")
        for spec in INPUT_FILES:
            _load_raw(con, export, spec, export_id, database.parent)
        for spec in SDTM_FILES:
            create_empty_raw_table(con, spec)  # the other layout's tables, empty as in a refresh
        cutoff = StudyConfig.load().parameters.get("data_cutoff") or export_date
        con.execute("create schema if not exists audit")
        con.execute(
            "create or replace table audit.current_export as select ? as export_id, ?::date as export_date, ?::date as data_cutoff",
            [export_id, export_date, str(cutoff)],
        )
        seconds["load"] = time.perf_counter() - started

        started = time.perf_counter()
        con.execute(QUARANTINE_DDL)
        for spec in INPUT_FILES:  # dm first: the other files' subject check reads its quarantine
            con.execute(quarantine_sql(spec, f"raw.{spec.raw_table}", export_id, f"date '{export_date}'"))
        seconds["row_checks"] = time.perf_counter() - started

        started = time.perf_counter()
        for node in models_in_order(dbt_manifest):
            schema, name = node["schema"], node["alias"]
            con.execute(f'create schema if not exists "{schema}"')
            if node["resource_type"] == "seed":
                con.execute(
                    f'create or replace table "{schema}"."{name}" as select * from read_csv(\'{CODELISTS_CSV}\')'
                )
            else:
                con.execute(f'create or replace table "{schema}"."{name}" as {compiled_sql(node, target)}')
        seconds["models"] = time.perf_counter() - started
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export", type=Path, required=True, help="export folder (EDC layout)")
    parser.add_argument("--target", type=Path, required=True, help="dbt target folder with manifest.json (a refresh's)")
    parser.add_argument("--database", type=Path, required=True, help=f"where to build (…/{CATALOG}.duckdb)")
    parser.add_argument("--json", type=Path, help="write the seconds per stage here")
    args = parser.parse_args(argv)
    seconds = run(args.export.resolve(), args.target.resolve(), args.database.resolve())
    if args.json:
        args.json.write_text(json.dumps(seconds))
    print("lower bound: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
