"""What changed, read back for people: the text of `warehouse changes`, the work list of
`warehouse queries`, and the counts the Dagster assets show.

Plain SQL over a read-only connection to a snapshot (or the build database); no pandas, so the
commands answer quickly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from analysis.endpoint_variables import OUTCOME_VARIABLES

QUERY_STATUSES = ("NEW", "OPEN", "RESOLVED", "REOPENED")
WORK_LIST_STATUSES = ("NEW", "OPEN", "REOPENED")  # what a data manager still has to work through
QUERY_COLUMNS = (
    "STATUS",
    "SUBJID",
    "DOMAIN",
    "RULE",
    "RECORD_KEY",
    "MESSAGE",
    "QUERY_DATE",
    "FIRST_SEEN_EXPORT",
    "RESOLVED_EXPORT",
    "REOPENED_EXPORT",
    "DAYS_OPEN",
    "QUERY_ID",
)
SHOWN_ENDPOINT_CHANGES = 40


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


@dataclass(frozen=True)
class Comparison:
    """One export compared with the published export before it."""

    export_id: str
    previous_export_id: str


def comparisons(con: duckdb.DuckDBPyConnection, export_id: str, since: str | None = None) -> list[Comparison]:
    """The comparisons leading to ``export_id``, newest first: the last one only, or every one back
    to ``since`` (walking PREVIOUS_EXPORT_ID). Raises ValueError when ``since`` is not on the way."""
    pairs: dict[str, str] = {}
    for table in ("record_changes", "endpoint_changes"):
        if _exists(con, "quality", table):
            pairs.update(con.execute(f"select distinct EXPORT_ID, PREVIOUS_EXPORT_ID from quality.{table}").fetchall())
    chain, current, seen = [], export_id, set()
    while current in pairs and current not in seen:
        seen.add(current)
        chain.append(Comparison(current, pairs[current]))
        if since is None or pairs[current] == since:
            break
        current = pairs[current]
    if since is not None and (not chain or chain[-1].previous_export_id != since):
        known = ", ".join(sorted({p.previous_export_id for p in chain})) or "none"
        raise ValueError(f"export {since} is not one this snapshot was compared with (earlier exports: {known})")
    return chain


def record_counts(con: duckdb.DuckDBPyConnection, pair: Comparison) -> list[tuple[str, int, int, int]]:
    """(file, records added, changed, deleted) for one comparison."""
    if not _exists(con, "quality", "record_changes"):
        return []
    return con.execute(
        "select FILE, count(distinct RECORD_KEY) filter (where CHANGE = 'added'), "
        "count(distinct RECORD_KEY) filter (where CHANGE = 'changed'), "
        "count(distinct RECORD_KEY) filter (where CHANGE = 'deleted') "
        "from quality.record_changes where EXPORT_ID = ? and PREVIOUS_EXPORT_ID = ? group by FILE order by FILE",
        [pair.export_id, pair.previous_export_id],
    ).fetchall()


def endpoint_rows(con: duckdb.DuckDBPyConnection, pair: Comparison) -> list[tuple]:
    """(USUBJID, DATASET, PARAMCD, VARIABLE, OLD_VALUE, NEW_VALUE, RECORD_CHANGES) for one comparison,
    changed responses, events and grades first."""
    if not _exists(con, "quality", "endpoint_changes"):
        return []
    return con.execute(
        "select USUBJID, DATASET, PARAMCD, VARIABLE, OLD_VALUE, NEW_VALUE, RECORD_CHANGES "
        "from quality.endpoint_changes where EXPORT_ID = ? and PREVIOUS_EXPORT_ID = ? "
        f"order by VARIABLE not in ({', '.join(repr(v) for v in OUTCOME_VARIABLES)}), USUBJID, DATASET, PARAMCD, VARIABLE",
        [pair.export_id, pair.previous_export_id],
    ).fetchall()


def query_counts(con: duckdb.DuckDBPyConnection, export_id: str) -> list[tuple[str, int, int, int, int]]:
    """(rule, new, open, resolved by this export, reopened) for every rule with any of them."""
    if not _exists(con, "quality", "data_queries"):
        return []
    return con.execute(
        "select RULE, count(*) filter (where STATUS = 'NEW'), count(*) filter (where STATUS = 'OPEN'), "
        "count(*) filter (where STATUS = 'RESOLVED' and RESOLVED_EXPORT = $export), "
        "count(*) filter (where STATUS = 'REOPENED') "
        "from quality.data_queries group by RULE "
        "having count(*) filter (where STATUS <> 'RESOLVED' or RESOLVED_EXPORT = $export) > 0 order by RULE",
        {"export": export_id},
    ).fetchall()


def query_list(
    con: duckdb.DuckDBPyConnection, statuses: Sequence[str] = WORK_LIST_STATUSES, resolved_by: str | None = None
) -> tuple[list[str], list[tuple]]:
    """The data manager's work list: queries of these statuses, by patient and rule.

    ``resolved_by``: only the RESOLVED ones resolved by this export (the others are history)."""
    unknown = [s for s in statuses if s not in QUERY_STATUSES]
    if unknown:
        raise ValueError(f"unknown query status {', '.join(unknown)}; use {', '.join(QUERY_STATUSES)}")
    if not _exists(con, "quality", "data_queries"):
        return list(QUERY_COLUMNS), []
    listed = ", ".join(f"'{s}'" for s in statuses)
    resolved = "and (STATUS <> 'RESOLVED' or RESOLVED_EXPORT = $export)" if resolved_by else ""
    rows = con.execute(
        f"select {', '.join(QUERY_COLUMNS)} from quality.data_queries where STATUS in ({listed}) {resolved} "
        "order by SUBJID, RULE, RECORD_KEY",
        {"export": resolved_by} if resolved_by else {},
    ).fetchall()
    return list(QUERY_COLUMNS), rows


def changes_text(con: duckdb.DuckDBPyConnection, export_id: str, since: str | None = None) -> str:
    """`warehouse changes`: records per file, endpoint changes old -> new, queries new and resolved."""
    chain = comparisons(con, export_id, since)
    if not chain:
        return f"Export {export_id} has no earlier published export to compare with: no changes recorded."
    parts = []
    for pair in chain:
        parts.append(f"Export {pair.export_id}, compared with {pair.previous_export_id}")
        counts = record_counts(con, pair)
        parts.append("\nInput records (added / changed / deleted):")
        if counts:
            width = max(len(f) for f, *_ in counts)
            parts += [f"  {f:<{width}}  {a:>6} / {c:>6} / {d:>6}" for f, a, c, d in counts]
        else:
            parts.append("  none")
        endpoints = endpoint_rows(con, pair)
        patients = len({row[0] for row in endpoints})
        parts.append(f"\nEndpoints: {len(endpoints)} values changed for {patients} patients")
        for usubjid, dataset, paramcd, variable, old, new, records in endpoints[:SHOWN_ENDPOINT_CHANGES]:
            what = f"{dataset} {paramcd + ' ' if paramcd else ''}{variable}"
            because = f"  [{records}]" if records else ""
            parts.append(
                f"  {usubjid}  {what}: {old if old is not None else '-'} -> {new if new is not None else '-'}{because}"
            )
        if len(endpoints) > SHOWN_ENDPOINT_CHANGES:
            parts.append(f"  ... and {len(endpoints) - SHOWN_ENDPOINT_CHANGES} more (quality.endpoint_changes)")
        parts.append("")
    queries = query_counts(con, export_id)
    totals = [sum(int(row[i]) for row in queries) for i in range(1, 5)]
    parts.append(
        f"Data queries in {export_id}: {totals[0]} new, {totals[1]} open, {totals[2]} resolved, {totals[3]} reopened"
    )
    for rule, new, still, resolved, reopened in queries:
        parts.append(f"  {rule:<30} new {new:>4}  open {still:>4}  resolved {resolved:>4}  reopened {reopened:>4}")
    return "\n".join(parts)
