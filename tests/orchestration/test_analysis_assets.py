"""The reporting assets on a small warehouse: they read the ADaM marts and write `reporting.*`."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.assets.analysis import ANALYSIS_ASSETS, ANALYSIS_CHECKS
from orchestration.loading.load import ensure_schemas
from orchestration.resources import WarehouseResource
from orchestration.settings import StudyConfig
from tests.analysis.test_efficacy import make_adrs, make_adsl, make_adtte

# The shared interface between helpers (SPEC section 7 and the issue): these columns, in this order.
COLUMNS = {
    "response_rates": ["PARAMCD", "TRT01P", "N", "RESPONDERS", "RATE_PCT", "LCL_PCT", "UCL_PCT"],
    "response_differences": ["PARAMCD", "METHOD", "DIFF_PCT", "LCL_PCT", "UCL_PCT", "P_VALUE"],
    "tte_summary": [
        "PARAMCD",
        "TRT01P",
        "N",
        "EVENTS",
        "CENSORED",
        "MEDIAN_MONTHS",
        "LCL_MONTHS",
        "UCL_MONTHS",
        "Q1_MONTHS",
        "Q3_MONTHS",
        "FOLLOWUP_MEDIAN_MONTHS",
    ],
    "tte_landmarks": ["PARAMCD", "TRT01P", "MONTHS", "SURVIVAL", "LCL", "UCL", "N_AT_RISK"],
    "tte_comparisons": ["PARAMCD", "METHOD", "HR", "LCL", "UCL", "P_VALUE"],
    "km_curves": ["PARAMCD", "TRT01P", "TIME_MONTHS", "N_AT_RISK", "EVENTS", "CENSORED", "SURVIVAL", "LCL", "UCL"],
    "ttr_summary": ["TRT01P", "N", "MEDIAN_MONTHS", "Q1_MONTHS", "Q3_MONTHS", "MIN_MONTHS", "MAX_MONTHS"],
    "baseline_characteristics": [
        "VARIABLE",
        "LABEL",
        "CATEGORY",
        "TRT01P",
        "N_ARM",
        "COUNT",
        "PCT",
        "MEDIAN",
        "Q1",
        "Q3",
        "DISPLAY",
        "SMD",
    ],
    "balance": ["COVARIATE", "SMD_UNADJUSTED", "SMD_IPTW", "BALANCED"],
}


@pytest.fixture
def warehouse(warehouse_home) -> WarehouseResource:
    adsl = make_adsl(24)
    adrs = make_adrs(adsl, {"CRSP": set(range(0, 48, 3)), "CCB": set(range(0, 48, 2)), "RSP": set(range(0, 48, 3))})
    adtte = make_adtte(adsl)
    adtr = pd.DataFrame(
        {"USUBJID": adsl.USUBJID, "PARAMCD": "SDIAM", "ABLFL": "Y", "AVAL": np.linspace(20, 140, len(adsl))}
    )
    vars_json = StudyConfig.load().dbt_vars("E1", "2025-06-30", "2025-06-30")
    with duckdb.connect(str(warehouse_home.database)) as con:
        ensure_schemas(con)
        con.execute(
            "insert into audit.current_export values ('run', 'E1', '/tmp/e1', ?, ?, 'lensirt', ?)",
            [dt.date(2025, 6, 30), dt.date(2025, 6, 30), vars_json],
        )
        con.execute("create schema adam")
        for name, frame in {"adsl": adsl, "adrs": adrs, "adtte": adtte, "adtr": adtr}.items():
            con.register("frame", frame)
            con.execute(f"create table adam.{name} as select * from frame")
            con.unregister("frame")
    return WarehouseResource(home=str(warehouse_home.home))


def test_reporting_assets_write_the_shared_columns(warehouse):
    result = dg.materialize([*ANALYSIS_ASSETS], resources={"warehouse": warehouse})
    assert result.success
    with duckdb.connect(str(warehouse.paths.database), read_only=True) as con:
        for table, columns in COLUMNS.items():
            actual = [row[0] for row in con.execute(f"describe reporting.{table}").fetchall()]
            assert actual[: len(columns)] == columns, table
        assert con.execute("select count(*) from reporting.iptw_weights").fetchone()[0] == 48
        # Percentages 0-100, differences LEN+SIRT minus LEN, HR LEN+SIRT vs LEN.
        rates = con.execute("select TRT01P, RATE_PCT from reporting.response_rates where PARAMCD = 'CRSP'").fetchall()
        assert [arm for arm, _ in rates] == ["LEN+SIRT", "LEN"]
        difference = con.execute(
            "select DIFF_PCT from reporting.response_differences where PARAMCD = 'CRSP' and METHOD = 'unadjusted'"
        ).fetchone()[0]
        assert difference == pytest.approx(rates[0][1] - rates[1][1])
    rates_event = result.asset_materializations_for_node("reporting__response_rates")[0]
    assert rates_event.metadata["dagster/row_count"].value == 6
    assert "| PARAMCD | TRT01P |" in rates_event.metadata["rates"].value


def test_balance_check_warns_and_names_the_unbalanced_covariates(warehouse):
    result = dg.materialize([*ANALYSIS_ASSETS, *ANALYSIS_CHECKS], resources={"warehouse": warehouse})
    assert result.success  # a warning, never a gate
    (evaluation,) = result.get_asset_check_evaluations()
    with duckdb.connect(str(warehouse.paths.database), read_only=True) as con:
        unbalanced = [
            row[0] for row in con.execute("select COVARIATE from reporting.balance where not BALANCED").fetchall()
        ]
    assert evaluation.passed == (not unbalanced)
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    for covariate in unbalanced:
        assert covariate in evaluation.description
