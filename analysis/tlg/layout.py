"""The tidy shape every table of the catalogue shares, its cell formats and its wide display form.

A table is one row per cell: which row (ROW_ORDER, SECTION, ROW_LABEL, INDENT), which column
(COLUMN_ORDER, COLUMN_LABEL: an arm, `Total` or an extra column such as `SMD`; BIGN: that column's N),
the statistic (STATISTIC), its number (VALUE, the count or the estimate) and what is printed
(DISPLAY). Analysts query the numbers; every output format prints DISPLAY.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

TOTAL = "Total"
TABLE_COLUMNS = [
    "ROW_ORDER",
    "SECTION",
    "ROW_LABEL",
    "INDENT",
    "COLUMN_ORDER",
    "COLUMN_LABEL",
    "BIGN",
    "STATISTIC",
    "VALUE",
    "DISPLAY",
]


def finite(value: object) -> bool:
    try:
        return value is not None and math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def number(value: object, decimals: int = 1, missing: str = "NE") -> str:
    return f"{float(value):.{decimals}f}" if finite(value) else missing  # type: ignore[arg-type]


def count_pct(count: int, n: int) -> str:
    """`12 (30.8%)`; `0` when the count is zero (as tern prints it)."""
    if count == 0 or not n:
        return "0"
    return f"{count} ({100 * count / n:.1f}%)"


def interval(lower: object, upper: object, decimals: int = 1, missing: str = "NE") -> str:
    return f"({number(lower, decimals, missing)}, {number(upper, decimals, missing)})"


def p_value(value: object) -> str:
    if not finite(value):
        return "NE"
    return "<0.0001" if float(value) < 0.0001 else f"{float(value):.4f}"  # type: ignore[arg-type]


@dataclass(frozen=True)
class Column:
    name: str
    n: int | None  # the column's N (None for an extra column such as SMD)


@dataclass
class TableBuilder:
    """Collects a table row by row; `frame()` gives the tidy table."""

    columns: Sequence[Column]
    rows: list[tuple] = field(default_factory=list)
    _row: int = 0

    def add(
        self,
        section: str,
        label: str,
        cells: Mapping[str, tuple[str, object, str]],
        indent: int = 1,
    ) -> None:
        """One display row; `cells` maps a column name to (statistic, value, display). A column
        without a cell is printed empty; a row without cells is a label (a sub-heading)."""
        self._row += 1
        if not cells:
            cells = {self.columns[0].name: ("label", None, "")}
        for order, column in enumerate(self.columns, start=1):
            if column.name not in cells:
                continue
            statistic, value, display = cells[column.name]
            value = float(value) if finite(value) else math.nan  # type: ignore[arg-type]
            self.rows.append(
                (self._row, section, label, indent, order, column.name, column.n, statistic, value, display)
            )

    def frame(self) -> pd.DataFrame:
        table = pd.DataFrame(self.rows, columns=TABLE_COLUMNS)
        return table.astype({"ROW_ORDER": int, "INDENT": int, "COLUMN_ORDER": int, "BIGN": "Int64", "VALUE": float})


@dataclass(frozen=True)
class Display:
    """A table as it is printed: header cells, and rows of (cells, indent, is a section heading)."""

    header: list[str]
    rows: list[tuple[list[str], int, bool]]


def column_header(name: str, n: object) -> str:
    return f"{name}\n(N={int(float(n))})" if finite(n) else name  # type: ignore[arg-type]


def display(table: pd.DataFrame, stub: str = "") -> Display:
    """The wide, printed form: a section heading row where SECTION changes (unless the row's label is
    the section itself), one row per ROW_ORDER, one column per COLUMN_LABEL in COLUMN_ORDER."""
    columns = table.drop_duplicates("COLUMN_ORDER").sort_values("COLUMN_ORDER")
    header = [stub, *(column_header(c.COLUMN_LABEL, c.BIGN) for c in columns.itertuples())]
    order = columns.COLUMN_LABEL.tolist()
    rows: list[tuple[list[str], int, bool]] = []
    previous = None
    for _, cells in table.groupby("ROW_ORDER", sort=True):
        first = cells.iloc[0]
        section = first.SECTION if isinstance(first.SECTION, str) else ""
        if section and section != previous and section != first.ROW_LABEL:
            rows.append(([section, *("" for _ in order)], 0, True))
        previous = section
        by_column = dict(zip(cells.COLUMN_LABEL, cells.DISPLAY, strict=True))
        printed = [str(by_column.get(c, "")) for c in order]
        # A label without numbers at the outer level (a system organ class in AET04) is a heading too.
        heading = int(first.INDENT) == 0 and not any(printed)
        rows.append(([str(first.ROW_LABEL), *printed], int(first.INDENT), heading))
    return Display(header, rows)
