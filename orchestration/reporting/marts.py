"""Reading the ADaM marts into pandas for `analysis/`, and writing `reporting` tables.

Only the columns a table needs are read: the marts are wide, and pandas pays for every column.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestration.loading.load import current_export

if TYPE_CHECKING:  # pandas and the statistics load slowly: only when a table is built
    import duckdb
    import pandas as pd

    from analysis.efficacy import Arms


def read_columns(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], order_by: str = ""
) -> pd.DataFrame:
    """Only the named columns of a table: the marts are wide, and pandas pays for every column read."""
    listed = ", ".join(f'"{column}"' for column in columns)
    return con.execute(f"select {listed} from {table}" + (f" order by {order_by}" if order_by else "")).df()


def present_columns(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str]) -> list[str]:
    """The columns of ``columns`` that ``table`` has: a study whose ADaM lacks one (another
    profile) gets its tables without it."""
    described = {row[0] for row in con.execute(f"describe {table}").fetchall()}
    return [column for column in columns if column in described]


def reporting_table(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    return con.execute(f"select * from reporting.{name}").df()


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


@dataclass(frozen=True)
class Study:
    """What the reporting tables need of this run's study configuration (audit.current_export)."""

    arms: Arms
    days_per_month: float


def read_study(con: duckdb.DuckDBPyConnection) -> Study:
    from analysis import efficacy  # statsmodels, scipy and lifelines load slowly: only when a table is built

    parameters = json.loads(current_export(con).dbt_vars)
    return Study(
        efficacy.Arms.from_config(list(parameters["arms"]), parameters["reference_arm"]),
        float(parameters["days_per_month"]),
    )


def adsl(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The ADSL columns the efficacy tables read (those the study has), one row per patient."""
    from analysis.efficacy import ADSL_COLUMNS

    return read_columns(con, "adam.adsl", present_columns(con, "adam.adsl", ADSL_COLUMNS), order_by="USUBJID")


def adrs(con: duckdb.DuckDBPyConnection, parameters: Sequence[str]) -> pd.DataFrame:
    """The patient-level response flags only: ADRS also holds every visit's response (1.4 million
    rows at 100,000 patients, seconds to hand to pandas whole)."""
    return con.execute(
        "select USUBJID, PARAMCD, AVALC from adam.adrs where list_contains(?, PARAMCD)", [list(parameters)]
    ).df()


def adtte(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("select USUBJID, PARAMCD, AVAL, CNSR from adam.adtte order by PARAMCD, USUBJID").df()


def baseline_sum(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The baseline target sum, as ADTR records it (SDIAM on the baseline scan; null if not evaluable)."""
    return con.execute(
        "select USUBJID, AVAL as BASE_SUM from adam.adtr where PARAMCD = 'SDIAM' and ABLFL = 'Y' order by USUBJID"
    ).df()
