"""The efficacy reporting tables (SPEC sections 6 and 7) as Dagster assets in group `reporting`.

Each asset calls the plain function of `orchestration.reporting.tables` that reads the ADaM marts,
computes the table with `analysis.efficacy` and writes `reporting.<table>` (upper-case columns,
months, percentages 0-100); the asset describes the result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from orchestration.assets.tables import markdown, number, reporting_table_asset, table_result
from orchestration.reporting import tables
from orchestration.resources import WarehouseResource

if TYPE_CHECKING:
    import pandas as pd

    from analysis.efficacy import Adjustment

ADSL, ADRS, ADTTE, ADTR = (dg.AssetKey(["adam", name]) for name in ("adsl", "adrs", "adtte", "adtr"))
IPTW_WEIGHTS = dg.AssetKey(["reporting", "iptw_weights"])


@reporting_table_asset(
    "iptw_weights",
    tables.iptw_weights,
    deps=[ADSL, ADTR],
    description=(
        "Propensity score and stabilised inverse-probability-of-treatment weight per FAS patient "
        "(logistic regression on age, ECOG, Child-Pugh, BCLC, AFP >= 400, MVI, EHS and the baseline "
        "target sum; a missing value is its own category or a missing indicator). Feeds every IPTW result."
    ),
)
def iptw_weights(adjustment: Adjustment) -> dg.MaterializeResult:
    weights = adjustment.weights.WEIGHT
    return table_result(
        adjustment.weights,
        mean_weight=number(weights.mean()),
        min_weight=number(weights.min()),
        max_weight=number(weights.max()),
        model_note=adjustment.note or "converged",
    )


@reporting_table_asset(
    "balance",
    tables.balance,
    deps=[ADSL, ADTR, IPTW_WEIGHTS],
    description=(
        "Covariate balance: standardised mean difference (treated minus reference) of each propensity "
        "covariate before and after IPTW. BALANCED when |SMD after weighting| < 0.1."
    ),
)
def balance(table: pd.DataFrame) -> dg.MaterializeResult:
    unbalanced = table.loc[~table.BALANCED, "COVARIATE"].tolist()
    return table_result(
        table,
        balance=markdown(table),
        unbalanced=", ".join(unbalanced) or "none",
        max_abs_smd_iptw=number(table.SMD_IPTW.abs().max()),
    )


@dg.asset_check(
    asset=dg.AssetKey(["reporting", "balance"]),
    name="covariates_balanced",
    blocking=False,
    description="Every propensity covariate has |SMD| < 0.1 after IPTW (SPEC section 6 balance goal). A warning, not a gate.",
)
def balance_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from orchestration.reporting.marts import reporting_table

    with warehouse.connect() as con:
        table = reporting_table(con, "balance")
    unbalanced = table[~table.BALANCED]
    return dg.AssetCheckResult(
        passed=unbalanced.empty,
        severity=dg.AssetCheckSeverity.WARN,
        description="all |SMD| < 0.1 after weighting"
        if unbalanced.empty
        else f"{len(unbalanced)} covariate(s) with |SMD| >= 0.1 after weighting: {', '.join(unbalanced.COVARIATE)}",
        metadata={"unbalanced": markdown(unbalanced) if len(unbalanced) else "none"},
    )


@reporting_table_asset(
    "response_rates",
    tables.response_rates,
    deps=[ADSL, ADRS],
    description=(
        "Response rates per arm over the FAS: confirmed ORR (CRSP), disease control (CCB) and "
        "unconfirmed ORR (RSP), with exact Clopper-Pearson 95% CI."
    ),
)
def response_rates(table: pd.DataFrame) -> dg.MaterializeResult:
    return table_result(table, rates=markdown(table))


@reporting_table_asset(
    "response_differences",
    tables.response_differences,
    deps=[ADSL, ADRS, IPTW_WEIGHTS],
    description=(
        "Difference in response rates, treated minus reference arm, in percentage points: unadjusted "
        "(Newcombe hybrid score CI, Fisher exact p) and IPTW-weighted (robust sandwich CI, Wald p)."
    ),
)
def response_differences(table: pd.DataFrame) -> dg.MaterializeResult:
    return table_result(table, differences=markdown(table))


@reporting_table_asset(
    "tte_summary",
    tables.tte_summary,
    deps=[ADSL, ADTTE],
    description=(
        "PFS, OS and DOR per arm: patients, events, censored, Kaplan-Meier median (months) with "
        "log-log 95% CI (empty when not reached), quartiles, and median follow-up by reverse KM."
    ),
)
def tte_summary(table: pd.DataFrame) -> dg.MaterializeResult:
    medians = {f"median_{row.PARAMCD}_{row.TRT01P}": number(row.MEDIAN_MONTHS) for row in table.itertuples()}
    return table_result(
        table,
        summary=markdown(
            table,
            ["PARAMCD", "TRT01P", "N", "EVENTS", "MEDIAN_MONTHS", "LCL_MONTHS", "UCL_MONTHS", "FOLLOWUP_MEDIAN_MONTHS"],
        ),
        **medians,
    )


@reporting_table_asset(
    "tte_landmarks",
    tables.tte_landmarks,
    deps=[ADSL, ADTTE],
    description=(
        "Kaplan-Meier PFS, OS and DOR rates at 6, 12, 24 and 36 months per arm with log-log 95% CI "
        "and the number still at risk; empty beyond the longest follow-up."
    ),
)
def tte_landmarks(table: pd.DataFrame) -> dg.MaterializeResult:
    return table_result(table, landmarks=markdown(table))


@reporting_table_asset(
    "tte_comparisons",
    tables.tte_comparisons,
    deps=[ADSL, ADTTE, IPTW_WEIGHTS],
    description=(
        "Hazard ratio treated vs reference arm for PFS, OS and DOR from a Cox model (Efron ties): "
        "unadjusted (Wald 95% CI, log-rank p) and IPTW-weighted (robust sandwich CI and Wald p)."
    ),
)
def tte_comparisons(table: pd.DataFrame) -> dg.MaterializeResult:
    hazard_ratios = {f"hr_{row.PARAMCD}_{row.METHOD}": number(row.HR) for row in table.itertuples()}
    return table_result(
        table,
        comparisons=markdown(table, ["PARAMCD", "METHOD", "HR", "LCL", "UCL", "P_VALUE", "TEST"]),
        **hazard_ratios,
    )


@reporting_table_asset(
    "km_curves",
    tables.km_curves,
    deps=[ADSL, ADTTE],
    description=(
        "Kaplan-Meier curves for PFS, OS and DOR per arm: one row per distinct time (from 0) with the "
        "number at risk, events, censored, survival and its log-log 95% CI (a step function)."
    ),
)
def km_curves(table: pd.DataFrame) -> dg.MaterializeResult:
    return table_result(table)


@reporting_table_asset(
    "ttr_summary",
    tables.ttr_summary,
    deps=[ADSL, ADTTE],
    description="Time to response among confirmed responders per arm: n, median, quartiles and range, in months.",
)
def ttr_summary(table: pd.DataFrame) -> dg.MaterializeResult:
    return table_result(table, summary=markdown(table))


@reporting_table_asset(
    "baseline_characteristics",
    tables.baseline_characteristics,
    deps=[ADSL, ADTR],
    description=(
        "Baseline characteristics of the FAS by planned arm: n (%) per category, median (Q1-Q3) for "
        "continuous variables, and the absolute standardised mean difference between the arms."
    ),
)
def baseline_characteristics(table: pd.DataFrame) -> dg.MaterializeResult:
    arms = list(dict.fromkeys(table.TRT01P))  # every arm of the study, in display order
    wide = (
        table.assign(CATEGORY=table.CATEGORY.fillna(""))
        .pivot_table(
            index=["LABEL", "CATEGORY"], columns="TRT01P", values="DISPLAY", aggfunc="first", dropna=False, sort=False
        )
        .reset_index()
    )
    return table_result(
        table,
        smd=markdown(table.drop_duplicates("VARIABLE")[["LABEL", "SMD"]]),
        table=markdown(wide.dropna(how="all", subset=arms)),
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
