"""The safety reporting tables are written into schema reporting, replaced on each refresh."""

from __future__ import annotations

import duckdb
import pandas as pd

from orchestration.reporting.marts import write_reporting_table


def test_write_reporting_table_creates_the_schema_and_replaces_the_table():
    con = duckdb.connect()
    write_reporting_table(con, "ae_overview", pd.DataFrame({"ORDER_N": [1, 2], "PCT": [50.0, None]}))
    write_reporting_table(con, "ae_overview", pd.DataFrame({"ORDER_N": [3], "PCT": [10.0]}))
    assert con.execute("select ORDER_N, PCT from reporting.ae_overview").fetchall() == [(3, 10.0)]
