"""Queries on a snapshot and their results as text for `warehouse sql` and `warehouse queries`:
NULL shown one way, numbers at full precision.

Plain Python over DuckDB's rows (no pandas), so that a query answers in a fraction of a second.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

NULL = "NULL"


def cell(value: Any) -> str:
    """One value as text: NULL for a missing value whatever its type; floats as the shortest text
    that reads back to the same number (no rounding to 6 decimals); dates in ISO 8601."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def write_table(out: TextIO, columns: Sequence[str], rows: Sequence[Sequence[Any]], max_rows: int = 200) -> None:
    """An aligned text table (numbers right-aligned), at most ``max_rows`` rows and a count of the rest."""
    if not columns:
        out.write("(no result)\n")
        return
    shown = rows[:max_rows] if max_rows >= 0 else rows
    text = [[cell(v) for v in row] for row in shown]
    right = [any(_numeric(row[i]) for row in shown) for i in range(len(columns))]
    widths = [max([len(name)] + [len(row[i]) for row in text]) for i, name in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right)).rstrip()

    out.write(line(list(columns)) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in text:
        out.write(line(row) + "\n")
    if len(rows) > len(shown):
        out.write(f"... {len(rows) - len(shown)} more rows ({len(rows)} in all; --max-rows or --format csv for all)\n")
    elif not rows:
        out.write("(no rows)\n")


def write_csv(out: TextIO, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """CSV for a spreadsheet: NULL is an empty field, numbers and dates as in the table."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else cell(v) for v in row])


class QueryError(Exception):
    """DuckDB refused the query: the first line of its message (the rest is a long hint)."""


def run_query(database: Path, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """One query on a snapshot's database, opened read-only: column names and rows (none for a
    statement without a result)."""
    import duckdb

    try:
        with duckdb.connect(str(database), read_only=True) as con:
            cursor = con.execute(query)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            rows = cursor.fetchall() if columns else []
    except duckdb.Error as error:
        raise QueryError(str(error).splitlines()[0]) from error
    return columns, rows


def write_result(
    out: TextIO, columns: Sequence[str], rows: Sequence[Sequence[Any]], output_format: str, max_rows: int
) -> None:
    """``csv`` (every row) or an aligned ``table`` (at most ``max_rows``)."""
    if output_format == "csv":
        write_csv(out, columns, rows)
    else:
        write_table(out, columns, rows, max_rows)
