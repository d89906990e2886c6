"""The efficacy reporting tables (SPEC sections 6 and 7) as Dagster assets in group `reporting`.

Each asset reads the ADaM marts from the warehouse, calls a plain function of `analysis.efficacy`
and writes one `reporting.<table>` (upper-case columns, months, percentages 0-100). Arms, the
reference arm and days_per_month are this run's study configuration (audit.current_export).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import dagster as dg
import duckdb
import pandas as pd

from orchestration.assets.tables import column_schema, read_columns, write_reporting_table
from orchestration.loading.load import current_export
from orchestration.resources import WarehouseResource

ADSL, ADRS, ADTTE, ADTR = (dg.AssetKey(["adam", name]) for name in ("adsl", "adrs", "adtte", "adtr"))
IPTW_WEIGHTS = dg.AssetKey(["reporting", "iptw_weights"])

if TYPE_CHECKING:
    from analysis.efficacy import Arms


@dataclass(frozen=True)
class Study:
    arms: Arms
    days_per_month: float


def _study(con: duckdb.DuckDBPyConnection) -> Study:
    from analysis import efficacy  # statsmodels, scipy and lifelines load slowly: only when an asset runs

    parameters = json.loads(current_export(con).dbt_vars)
    return Study(
        efficacy.Arms.from_config(list(parameters["arms"]), parameters["reference_arm"]),
        float(parameters["days_per_month"]),
    )


def _read(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def _adsl(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    from analysis.efficacy import ADSL_COLUMNS

    present = {row[0] for row in con.execute("describe adam.adsl").fetchall()}
    return read_columns(con, "adam.adsl", [c for c in ADSL_COLUMNS if c in present], order_by="USUBJID")


def _adrs(con: duckdb.DuckDBPyConnection, parameters: tuple[str, ...]) -> pd.DataFrame:
    # The patient-level response flags only: ADRS also holds every visit's response (1.4 million rows
    # at 100,000 patients, seconds to hand to pandas whole).
    return con.execute(
        "select USUBJID, PARAMCD, AVALC from adam.adrs where list_contains(?, PARAMCD)", [list(parameters)]
    ).df()


def _baseline_sum(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    # The baseline target sum, as ADTR records it (SDIAM on the baseline scan; null if not evaluable).
    return _read(
        con, "select USUBJID, AVAL as BASE_SUM from adam.adtr where PARAMCD = 'SDIAM' and ABLFL = 'Y' order by USUBJID"
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


def _result(frame: pd.DataFrame, **metadata: object) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={"dagster/row_count": len(frame), "dagster/column_schema": column_schema(frame), **metadata}
    )


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 4)


@dg.asset(
    key=IPTW_WEIGHTS,
    deps=[ADSL, ADTR],
    group_name="reporting",
    kinds={"python", "duckdb"},
    description=(
        "Propensity score and stabilised inverse-probability-of-treatment weight per FAS patient "
        "(logistic regression on age, ECOG, Child-Pugh, BCLC, AFP >= 400, MVI, EHS and the baseline "
        "target sum; a missing value is its own category or a missing indicator). Feeds every IPTW result."
    ),
)
def iptw_weights(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis import efficacy

    with warehouse.connect() as con:
        study = _study(con)
        adjustment = efficacy.iptw(_adsl(con), _baseline_sum(con), study.arms)
        write_reporting_table(con, "iptw_weights", adjustment.weights)
    weights = adjustment.weights.WEIGHT
    return _result(
        adjustment.weights,
        mean_weight=_number(weights.mean()),
        min_weight=_number(weights.min()),
        max_weight=_number(weights.max()),
        model_note=adjustment.note or "converged",
    )


@dg.asset(
    key=dg.AssetKey(["reporting", "balance"]),
    deps=[ADSL, ADTR, IPTW_WEIGHTS],
    group_name="reporting",
    kinds={"python", "duckdb"},
    description=(
        "Covariate balance: standardised mean difference (treated minus reference) of each propensity "
        "covariate before and after IPTW. BALANCED when |SMD after weighting| < 0.1."
    ),
)
def balance(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis import efficacy

    with warehouse.connect() as con:
        study = _study(con)
        weights = _read(con, "select * from reporting.iptw_weights")
        table = efficacy.balance(_adsl(con), _baseline_sum(con), weights, study.arms)
        write_reporting_table(con, "balance", table)
    unbalanced = table.loc[~table.BALANCED, "COVARIATE"].tolist()
    return _result(
        table,
        balance=markdown(table),
        unbalanced=", ".join(unbalanced) or "none",
        max_abs_smd_iptw=_number(table.SMD_IPTW.abs().max()),
    )


@dg.asset_check(
    asset=dg.AssetKey(["reporting", "balance"]),
    name="covariates_balanced",
    blocking=False,
    description="Every propensity covariate has |SMD| < 0.1 after IPTW (SPEC section 6 balance goal). A warning, not a gate.",
)
def balance_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        table = _read(con, "select * from reporting.balance")
    unbalanced = table[~table.BALANCED]
    return dg.AssetCheckResult(
        passed=unbalanced.empty,
        severity=dg.AssetCheckSeverity.WARN,
        description="all |SMD| < 0.1 after weighting"
        if unbalanced.empty
        else f"{len(unbalanced)} covariate(s) with |SMD| >= 0.1 after weighting: {', '.join(unbalanced.COVARIATE)}",
        metadata={"unbalanced": markdown(unbalanced) if len(unbalanced) else "none"},
    )


@dg.asset(
    key=dg.AssetKey(["reporting", "response_rates"]),
    deps=[ADSL, ADRS],
    group_name="reporting",
    kinds={"python", "duckdb"},
    description=(
        "Response rates per arm over the FAS: confirmed ORR (CRSP), disease control (CCB) and "
        "unconfirmed ORR (RSP), with exact Clopper-Pearson 95% CI."
    ),
)
def response_rates(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis import efficacy

    with warehouse.connect() as con:
        study = _study(con)
        table = efficacy.response_rates(_adrs(con, efficacy.RESPONSE_PARAMETERS), _adsl(con), study.arms)
        write_reporting_table(con, "response_rates", table)
    return _result(table, rates=markdown(table))


@dg.asset(
    key=dg.AssetKey(["reporting", "response_differences"]),
    deps=[ADSL, ADRS, IPTW_WEIGHTS],
    group_name="reporting",
    kinds={"python", "duckdb"},
    description=(
        "Difference in response rates, treated minus reference arm, in percentage points: unadjusted "
        "(Newcombe hybrid score CI, Fisher exact p) and IPTW-weighted (robust sandwich CI, Wald p)."
    ),
)
def response_differences(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis import efficacy

    with warehouse.connect() as con:
        study = _study(con)
        table = efficacy.response_differences(
            _adrs(con, efficacy.RESPONSE_PARAMETERS),
            _adsl(con),
            _read(con, "select * from reporting.iptw_weights"),
            study.arms,
        )
        write_reporting_table(con, "response_differences", table)
    return _result(table, differences=markdown(table))


def _adtte(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _read(con, "select USUBJID, PARAMCD, AVAL, CNSR from adam.adtte order by PARAMCD, USUBJID")


@dg.asset(
    key=dg.AssetKey(["reporting", "tte_summary"]),
    deps=[ADSL, ADTTE],
    group_name="reporting",
    kinds={"python", "duckdb"},
    description=(
        "PFS, OS and DOR per arm: patients, events, censored, Kaplan-Meier median (months) with "
        "log-log 95% CI (empty when not reached), quartiles, and median follow-up by reverse KM."
    ),
)
def tte_summary(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis import efficacy

    with warehouse.connect() as con:
        study = _study(con)
        table = efficacy.tte_summary(_adtte(con), _adsl(con), study.arms, study.days_per_month)
        write_reporting_table(con, "tte_summary", table)
    medians = {f"median_{row.PARAMCD}_{row.TRT01P}": _number(row.MEDIAN_MONTHS) for row in table.itertuples()}
    return _result(
        table,
        summary=markdown(
            table,
            ["PARAMCD", "TRT01P", "N", "EVENTS", "MEDIAN_MONTHS", "LCL_MONTHS", "UCL_MONTHS", "FOLLOWUP_MEDIAN_MONTHS"],
        ),
        **medians,
    )


@dg.asset(
    key=dg.AssetKey(["reporting", "tte_landmarks"]),
    deps=[ADSL, ADTTE],
    group_name="reporting",
    kinds={"python", "duckdb"},
    description=(
        "Kaplan-Meier PFS, OS and DOR rates at 6, 12, 24 and 36 months per arm with log-log 95% CI "
        "and the number still at risk; empty beyond the longest follow-up."
    ),
)
def tte_landmarks(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis import efficacy

    with warehouse.connect() as con:
        study = _study(con)
        table = efficacy.tte_landmarks(_adtte(con), _adsl(con), study.arms, study.days_per_month)
        write_reporting_table(con, "tte_landmarks", table)
    return _result(table, landmarks=markdown(table))


@dg.asset(
    key=dg.AssetKey(["reporting", "tte_comparisons"]),
    deps=[ADSL, ADTTE, IPTW_WEIGHTS],
    group_name="reporting",
    kinds={"python", "duckdb"},
    description=(
        "Hazard ratio treated vs reference arm for PFS, OS and DOR from a Cox model (Efron ties): "
        "unadjusted (Wald 95% CI, log-rank p) and IPTW-weighted (robust sandwich CI and Wald p)."
    ),
)
def tte_comparisons(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis import efficacy

    with warehouse.connect() as con:
        study = _study(con)
        table = efficacy.tte_comparisons(
            _adtte(con),
            _adsl(con),
            _read(con, "select * from reporting.iptw_weights"),
            study.arms,
            study.days_per_month,
        )
        write_reporting_table(con, "tte_comparisons", table)
    hazard_ratios = {f"hr_{row.PARAMCD}_{row.METHOD}": _number(row.HR) for row in table.itertuples()}
    return _result(
        table,
        comparisons=markdown(table, ["PARAMCD", "METHOD", "HR", "LCL", "UCL", "P_VALUE", "TEST"]),
        **hazard_ratios,
    )


@dg.asset(
    key=dg.AssetKey(["reporting", "km_curves"]),
    deps=[ADSL, ADTTE],
    group_name="reporting",
    kinds={"python", "duckdb"},
    description=(
        "Kaplan-Meier curves for PFS, OS and DOR per arm: one row per distinct time (from 0) with the "
        "number at risk, events, censored, survival and its log-log 95% CI (a step function)."
    ),
)
def km_curves(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis import efficacy

    with warehouse.connect() as con:
        study = _study(con)
        table = efficacy.km_curves(_adtte(con), _adsl(con), study.arms, study.days_per_month)
        write_reporting_table(con, "km_curves", table)
    return _result(table)


@dg.asset(
    key=dg.AssetKey(["reporting", "ttr_summary"]),
    deps=[ADSL, ADTTE],
    group_name="reporting",
    kinds={"python", "duckdb"},
    description="Time to response among confirmed responders per arm: n, median, quartiles and range, in months.",
)
def ttr_summary(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis import efficacy

    with warehouse.connect() as con:
        study = _study(con)
        table = efficacy.ttr_summary(_adtte(con), _adsl(con), study.arms, study.days_per_month)
        write_reporting_table(con, "ttr_summary", table)
    return _result(table, summary=markdown(table))


@dg.asset(
    key=dg.AssetKey(["reporting", "baseline_characteristics"]),
    deps=[ADSL, ADTR],
    group_name="reporting",
    kinds={"python", "duckdb"},
    description=(
        "Baseline characteristics of the FAS by planned arm: n (%) per category, median (Q1-Q3) for "
        "continuous variables, and the absolute standardised mean difference between the arms."
    ),
)
def baseline_characteristics(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis import efficacy

    with warehouse.connect() as con:
        study = _study(con)
        table = efficacy.baseline_characteristics(_adsl(con), _baseline_sum(con), study.arms)
        write_reporting_table(con, "baseline_characteristics", table)
    wide = (
        table.assign(CATEGORY=table.CATEGORY.fillna(""))
        .pivot_table(
            index=["LABEL", "CATEGORY"], columns="TRT01P", values="DISPLAY", aggfunc="first", dropna=False, sort=False
        )
        .reset_index()
    )
    return _result(
        table,
        smd=markdown(table.drop_duplicates("VARIABLE")[["LABEL", "SMD"]]),
        table=markdown(wide.dropna(how="all", subset=list(study.arms.order))),
    )


ANALYSIS_ASSETS = [
    iptw_weights,
    balance,
    response_rates,
    response_differences,
    tte_summary,
    tte_landmarks,
    tte_comparisons,
    km_curves,
    ttr_summary,
    baseline_characteristics,
]
ANALYSIS_CHECKS = [balance_check]
REPORTING_TABLES = [asset.key for asset in ANALYSIS_ASSETS]
