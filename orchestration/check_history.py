"""`quality.check_results`: every check of every run with its outcome, for the data manager.

Dagster's event log already holds each check evaluation (ingest quarantine limits, Great
Expectations suites, dbt data tests). This module copies a run's evaluations into the build
database, one row per check: passed, failed, or not evaluated (planned, but an upstream step failed
first). The publish asset writes them just before the copy, so a snapshot carries the results that
let it through; for a run that fails, the CLI (and the run-failure sensor for scheduled runs)
writes them after the run, once the refresh lock is released.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

CHECK_RESULTS_DDL = """
create schema if not exists quality;
create table if not exists quality.check_results (
    run_id varchar not null,
    export_id varchar,
    asset_key varchar not null,
    check_name varchar not null,
    outcome varchar not null,          -- passed | failed | not evaluated
    passed boolean,                    -- null when not evaluated
    severity varchar,                  -- ERROR (blocking) or WARN
    blocking boolean,
    description varchar,
    failing_rows varchar,              -- which rows failed, in words (lines, values), when known
    evaluated_at timestamptz
);
"""

# Metadata entries that say which rows failed, by the check that writes them.
FAILING_ROWS_METADATA = ("failing_rows", "failures", "dagster_dbt/failed_row_count")


def _text(value: Any) -> str:
    raw = getattr(value, "value", value)
    return str(raw.get("md") if isinstance(raw, dict) and "md" in raw else raw)


def _failing_rows(metadata: dict[str, Any], passed: bool) -> str | None:
    if passed:
        return None
    for name in FAILING_ROWS_METADATA:
        if name in metadata:
            text = _text(metadata[name])
            if name == "dagster_dbt/failed_row_count":
                unique_id = _text(metadata["unique_id"]) if "unique_id" in metadata else "the dbt test"
                return f"{text} failing rows returned by {unique_id}"
            return text
    return None


def check_rows(
    instance: dg.DagsterInstance, run_id: str, blocking: dict[tuple[str, str], bool] | None = None
) -> list[tuple]:
    """One row per planned check of the run, from Dagster's event log (public instance API)."""
    blocking = blocking or {}
    planned = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED, limit=100_000
    ).records
    evaluated = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000
    ).records
    rows: dict[tuple[str, str], tuple] = {}
    for record in planned:
        data = record.event_log_entry.dagster_event.event_specific_data
        key = (data.asset_key.to_user_string(), data.check_name)
        rows[key] = (
            *key,
            "not evaluated",
            None,
            None,
            blocking.get(key),
            "an upstream step failed before this check ran",
            None,
            None,
        )
    for record in evaluated:
        entry = record.event_log_entry
        data = entry.dagster_event.event_specific_data
        key = (data.asset_key.to_user_string(), data.check_name)
        metadata = dict(data.metadata or {})
        rows[key] = (
            *key,
            "passed" if data.passed else "failed",
            bool(data.passed),
            data.severity.value if data.severity is not None else None,
            # dbt tests of severity error stop `dbt build`, so they block as much as declared ones.
            bool(blocking.get(key)) or data.severity == dg.AssetCheckSeverity.ERROR,
            data.description,
            _failing_rows(metadata, data.passed),
            datetime.fromtimestamp(entry.timestamp, tz=UTC),
        )
    return [rows[key] for key in sorted(rows)]


def blocking_checks(definitions: dg.Definitions) -> dict[tuple[str, str], bool]:
    """(asset, check) -> declared blocking, from the check specs of the code location."""
    result: dict[tuple[str, str], bool] = {}
    for definition in [*(definitions.assets or []), *(definitions.asset_checks or [])]:
        for spec in getattr(definition, "check_specs", None) or []:
            result[(spec.asset_key.to_user_string(), spec.name)] = bool(spec.blocking)
    return result


FAILING_ROWS_SHOWN = 10


def dbt_failing_rows(con: duckdb.DuckDBPyConnection, target: Path | None) -> dict[str, str]:
    """dbt test unique_id -> the first rows its query returns, re-run on the build database.

    dbt keeps each test's compiled query in run_results.json; a failed test's rows are those it
    selects. not_null selects only the null column, so it is widened to the whole row.
    """
    results_file = target / "run_results.json" if target else None
    if results_file is None or not results_file.is_file():
        return {}
    found: dict[str, str] = {}
    for result in json.loads(results_file.read_text()).get("results", []):
        if result.get("status") not in ("fail", "warn") or not result.get("compiled_code"):
            continue
        sql = result["compiled_code"]
        if ".not_null_" in result["unique_id"]:
            sql = re.sub(r"^\s*select\s+.+?\s+from\s", "select * from ", sql, count=1, flags=re.S | re.I)
        try:
            if RULE_COLUMN in _columns(con, sql):
                found[result["unique_id"]] = "; ".join(
                    f"{rule}: {rows}" for rule, rows in rule_failures(con, sql).items()
                )
                continue
            cursor = con.execute(f"select * from ({sql}) limit {FAILING_ROWS_SHOWN}")
            names = [c[0] for c in cursor.description]
            rows = cursor.fetchall()
        except duckdb.Error:
            continue
        total = result.get("failures")
        found[result["unique_id"]] = _describe(names, rows, total)
    return found


# The column a test that checks several rules at once (dbt test column_rules) names each
# failing row's rule in.
RULE_COLUMN = "failed_rule"
ROW_KEYS = ("USUBJID", "SUBJID", "PARAMCD", "ADT", "AVISIT")


def _columns(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    return [c[0] for c in con.execute(f"select * from ({sql}) limit 0").description]


def _describe(names: list[str], rows: list[tuple], total: int | None) -> str:
    """`N failing rows: USUBJID=..., PARAMCD=...; ...`, keyed by the row's identifying columns."""
    keys = [n for n in ROW_KEYS if n in names] or [n for n in names if n != RULE_COLUMN][:6]
    shown = "; ".join(", ".join(f"{k}={row[names.index(k)]}" for k in keys) for row in rows)
    return f"{total} failing rows" + (f": {shown}" if shown else "") + (" …" if total and total > len(rows) else "")


def rule_failures(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, str]:
    """Rule -> its failing rows in words, for a test whose rows carry the rule they break."""
    counts = con.execute(f"select {RULE_COLUMN}, count(*) from ({sql}) group by all order by 1").fetchall()
    found = {}
    for rule, total in counts:
        cursor = con.execute(f"select * from ({sql}) where {RULE_COLUMN} = ? limit {FAILING_ROWS_SHOWN}", [rule])
        found[rule] = _describe([c[0] for c in cursor.description], cursor.fetchall(), total)
    return found


def _with_dbt_rows(row: tuple, failing: dict[str, str]) -> tuple:
    """Replace a dbt test's failing row count (`N failing rows returned by <unique_id>`) by its rows."""
    *head, failing_rows, evaluated_at = row
    unique_id = failing_rows.rsplit(" ", 1)[-1] if failing_rows else None
    return (*head, failing[unique_id], evaluated_at) if unique_id in failing else row


def record_check_results(
    con: duckdb.DuckDBPyConnection,
    instance: dg.DagsterInstance,
    run_id: str,
    export_id: str | None,
    blocking: dict[tuple[str, str], bool] | None = None,
    dbt_target: Path | None = None,
) -> int:
    """Replace the run's rows in quality.check_results; returns how many were written."""
    rows = check_rows(instance, run_id, blocking)
    failing = dbt_failing_rows(con, dbt_target)
    rows = [_with_dbt_rows(row, failing) for row in rows]
    con.execute(CHECK_RESULTS_DDL)
    con.execute("delete from quality.check_results where run_id = ?", [run_id])
    if rows:  # one insert of all rows (executemany runs a statement per row: seconds per refresh)
        import pyarrow as pa

        columns = [c[0] for c in con.execute("describe quality.check_results").fetchall()]
        values = [[run_id, export_id, *row] for row in rows]
        run_checks = pa.table({name: [row[i] for row in values] for i, name in enumerate(columns)})  # noqa: F841
        con.execute("insert into quality.check_results by name select * from run_checks")
    return len(rows)
