"""The `reporting.*` table assets, written the same way: a decorator that makes the asset (key,
group, kinds, deps, description), calls the reporting stage's plain function that builds and
writes the table, and lets the decorated function describe the result. Plus the metadata helpers
the reporting assets share (column schema, small markdown tables)."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import dagster as dg

from orchestration.resources import WarehouseResource

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

Built = TypeVar("Built")


def reporting_table_asset(
    name: str,
    build: Callable[[duckdb.DuckDBPyConnection], Built],
    *,
    deps: Sequence[dg.AssetKey],
    description: str,
    kinds: Collection[str] = ("python", "duckdb"),
) -> Callable[[Callable[[Built], dg.MaterializeResult]], dg.AssetsDefinition]:
    """`@reporting_table_asset("balance", tables.balance, ...)` over `def balance(table) -> MaterializeResult`:
    the asset reporting/<name> runs ``build`` on the warehouse and the decorated function describes what it built."""

    def decorate(describe: Callable[[Built], dg.MaterializeResult]) -> dg.AssetsDefinition:
        @dg.asset(
            key=dg.AssetKey(["reporting", name]),
            deps=deps,
            group_name="reporting",
            kinds=set(kinds),
            description=description,
        )
        def table_asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
            with warehouse.connect() as con:
                built = build(con)
            return describe(built)

        return table_asset

    return decorate


_SQL_TYPES = {"i": "BIGINT", "u": "UBIGINT", "f": "DOUBLE", "b": "BOOLEAN", "M": "TIMESTAMP", "m": "INTERVAL"}


def column_schema(table: pd.DataFrame) -> dg.TableSchema:
    """The table's columns and their types, for the Columns tab of the asset in the Dagster UI."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(str(name), _SQL_TYPES.get(dtype.kind, "VARCHAR")) for name, dtype in table.dtypes.items()
        ]
    )


def table_result(frame: pd.DataFrame, **metadata: Any) -> dg.MaterializeResult:
    """Row count and column schema of a reporting table, and what else the asset says of it."""
    return dg.MaterializeResult(
        metadata={"dagster/row_count": len(frame), "dagster/column_schema": column_schema(frame), **metadata}
    )


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 0.01 else f"{value:.2f}"
    return str(value)


def markdown(frame: pd.DataFrame, columns: list[str] | None = None) -> dg.MetadataValue:
    """A small markdown table for the asset's page in the Dagster UI."""
    frame = frame[columns] if columns else frame
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return dg.MetadataValue.md("\n".join(lines))


def number(value: float) -> float | None:
    """A figure for the asset's metadata: rounded, and None (not NaN) when there is none."""
    return None if value is None or math.isnan(value) else round(float(value), 4)
