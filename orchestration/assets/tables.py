"""Reading ADaM columns into pandas and writing `reporting` tables, shared by the reporting assets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


def read_columns(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], order_by: str = "") -> pd.DataFrame:
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
