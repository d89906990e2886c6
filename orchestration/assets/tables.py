"""Reading ADaM columns into pandas and writing `reporting` tables, shared by the reporting assets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


def read_columns(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], order_by: str = ""
) -> pd.DataFrame:
    """Only the named columns of a table: the marts are wide, and pandas pays for every column read."""
    listed = ", ".join(f'"{column}"' for column in columns)
    return con.execute(f"select {listed} from {table}" + (f" order by {order_by}" if order_by else "")).df()


def write_reporting_table(con: duckdb.DuckDBPyConnection, name: str, table: pd.DataFrame) -> None:
    """Replace reporting.<name> with the DataFrame, in one transaction."""
    con.execute("begin transaction")
    con.execute("create schema if not exists reporting")
    con.register("reporting_frame", table)
    try:
        con.execute(f"create or replace table reporting.{name} as select * from reporting_frame")
    finally:
        con.unregister("reporting_frame")
    con.execute("commit")


_SQL_TYPES = {"i": "BIGINT", "u": "UBIGINT", "f": "DOUBLE", "b": "BOOLEAN", "M": "TIMESTAMP", "m": "INTERVAL"}


def column_schema(table: pd.DataFrame):  # noqa: ANN201
    """The table's columns and their types, for the Columns tab of the asset in the Dagster UI."""
    import dagster as dg

    return dg.TableSchema(
        columns=[
            dg.TableColumn(str(name), _SQL_TYPES.get(dtype.kind, "VARCHAR")) for name, dtype in table.dtypes.items()
        ]
    )
