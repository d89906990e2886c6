"""The efficacy reporting tables (SPEC sections 6 and 7): ADaM frames in, `reporting` frames out.

Arms come from the study configuration (`arms`, `reference_arm`): every comparison is the first
arm that is not the reference minus (or versus) the reference arm. Times are in months
(days / `days_per_month`), percentages 0-100. Plain functions: no Dagster, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from analysis import propensity, rates, survival

RESPONSE_PARAMETERS = ("CRSP", "CCB", "RSP")
TTE_PARAMETERS = ("PFS", "OS", "DOR")
# Descriptive quantiles as SAS PROC MEANS/UNIVARIATE (QNTLDEF=5): the median of an even n averages.
QUANTILE_METHOD: Final = "averaged_inverted_cdf"


@dataclass(frozen=True)
class Arms:
    """The arms in display order and the pair compared (treated vs reference)."""

    order: tuple[str, ...]
    reference: str

    @classmethod
    def from_config(cls, arms: list[str], reference_arm: str) -> Arms:
        if reference_arm not in arms:
            raise ValueError(f"study configuration: reference_arm '{reference_arm}' is not one of arms {arms}")
        if len(arms) < 2:
            raise ValueError(f"study configuration: arms {arms} needs at least two arms to compare")
        return cls(tuple(arms), reference_arm)

    @property
    def treated(self) -> str:
        return next(arm for arm in self.order if arm != self.reference)

    @property
    def comparison(self) -> str:
        return f"{self.treated} vs {self.reference}"


def _fas(adsl: pd.DataFrame) -> pd.DataFrame:
    return adsl[adsl["FASFL"] == "Y"]


# --- Response rates ------------------------------------------------------------------------------


def response_rates(adrs: pd.DataFrame, adsl: pd.DataFrame, arms: Arms) -> pd.DataFrame:
    """Responders / FAS patients per arm with the exact Clopper-Pearson 95 % CI.

    A FAS patient without the ADRS parameter counts as a non-responder (ADRS has one row per FAS
    patient and parameter; this only guards the denominator).
    """
    fas = _fas(adsl)[["USUBJID", "TRT01P"]]
    rows = []
    for paramcd in RESPONSE_PARAMETERS:
        responders = set(adrs.loc[(adrs.PARAMCD == paramcd) & (adrs.AVALC == "Y"), "USUBJID"])
        for arm in arms.order:
            patients = fas.loc[fas.TRT01P == arm, "USUBJID"]
            rate = rates.clopper_pearson(int(patients.isin(responders).sum()), len(patients))
            rows.append((paramcd, arm, rate.n, rate.responders, rate.rate * 100, rate.lower * 100, rate.upper * 100))
    return pd.DataFrame(rows, columns=["PARAMCD", "TRT01P", "N", "RESPONDERS", "RATE_PCT", "LCL_PCT", "UCL_PCT"])


def response_differences(adrs: pd.DataFrame, adsl: pd.DataFrame, weights: pd.DataFrame, arms: Arms) -> pd.DataFrame:
    """Treated minus reference: unadjusted (Newcombe CI, Fisher p) and IPTW (robust Wald)."""
    fas = _fas(adsl)[["USUBJID", "TRT01P"]].merge(weights[["USUBJID", "WEIGHT"]], on="USUBJID", how="left")
    fas = fas[fas.TRT01P.isin([arms.treated, arms.reference])]
    treated = fas.TRT01P == arms.treated
    rows = []
    for paramcd in RESPONSE_PARAMETERS:
        responded = fas.USUBJID.isin(adrs.loc[(adrs.PARAMCD == paramcd) & (adrs.AVALC == "Y"), "USUBJID"])
        a, b = responded[treated], responded[~treated]
        if len(a) and len(b):
            plain = rates.rate_difference(int(a.sum()), len(a), int(b.sum()), len(b))
            rows.append(
                (
                    paramcd,
                    "unadjusted",
                    plain.difference * 100,
                    plain.lower * 100,
                    plain.upper * 100,
                    plain.p_value,
                    "Fisher exact",
                    arms.comparison,
                )
            )
        else:
            rows.append((paramcd, "unadjusted", *(np.nan,) * 4, "Fisher exact", arms.comparison))
        adjusted = propensity.weighted_rate_difference(responded, treated, fas.WEIGHT)
        rows.append(
            (
                paramcd,
                "iptw",
                adjusted.difference * 100,
                adjusted.lower * 100,
                adjusted.upper * 100,
                adjusted.p_value,
                "robust Wald",
                arms.comparison,
            )
        )
    return pd.DataFrame(
        rows, columns=["PARAMCD", "METHOD", "DIFF_PCT", "LCL_PCT", "UCL_PCT", "P_VALUE", "TEST", "COMPARISON"]
    )


# --- Time to event -------------------------------------------------------------------------------


def _tte(adtte: pd.DataFrame, adsl: pd.DataFrame, paramcd: str, days_per_month: float) -> pd.DataFrame:
    """One parameter's FAS records with months and the event flag (CNSR 0)."""
    fas = _fas(adsl)[["USUBJID", "TRT01P"]]
    records = adtte.loc[adtte.PARAMCD == paramcd, ["USUBJID", "AVAL", "CNSR"]].merge(fas, on="USUBJID")
    return records.assign(MONTHS=records.AVAL.astype(float) / days_per_month, EVENT=records.CNSR == 0)


def _arm_fits(adtte, adsl, arms: Arms, days_per_month: float, parameters=TTE_PARAMETERS):  # noqa: ANN001, ANN202
    for paramcd in parameters:
        records = _tte(adtte, adsl, paramcd, days_per_month)
        for arm in arms.order:
            subset = records[records.TRT01P == arm]
            fitter = survival.fit_kaplan_meier(subset.MONTHS, subset.EVENT) if len(subset) else None
            yield paramcd, arm, subset, fitter


def tte_summary(adtte: pd.DataFrame, adsl: pd.DataFrame, arms: Arms, days_per_month: float) -> pd.DataFrame:
    """Per parameter and arm: N, events, censored, KM median with log-log CI, quartiles (their log-log CI
    last), reverse-KM follow-up."""
    rows = []
    for paramcd, arm, subset, fitter in _arm_fits(adtte, adsl, arms, days_per_month):
        if fitter is None:
            rows.append((paramcd, arm, 0, 0, 0, *(np.nan,) * 10))
            continue
        km = survival.kaplan_meier_summary(subset.MONTHS, subset.EVENT)
        q1, q1_lower, q1_upper = survival.survival_quantile(fitter, 0.25)
        q3, q3_lower, q3_upper = survival.survival_quantile(fitter, 0.75)
        followup = survival.reverse_km_median_followup(subset.MONTHS, subset.EVENT)
        rows.append(
            (
                paramcd,
                arm,
                km.n,
                km.events,
                km.censored,
                km.median,
                km.median_lower,
                km.median_upper,
                q1,
                q3,
                followup,
                q1_lower,
                q1_upper,
                q3_lower,
                q3_upper,
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
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
            "Q1_LCL_MONTHS",
            "Q1_UCL_MONTHS",
            "Q3_LCL_MONTHS",
            "Q3_UCL_MONTHS",
        ],
    )


def tte_landmarks(adtte: pd.DataFrame, adsl: pd.DataFrame, arms: Arms, days_per_month: float) -> pd.DataFrame:
    """KM survival with log-log CI and numbers at risk at 6, 12, 24 and 36 months."""
    frames = []
    for paramcd, arm, subset, fitter in _arm_fits(adtte, adsl, arms, days_per_month):
        if fitter is None:
            table = pd.DataFrame(
                {"MONTHS": survival.LANDMARK_MONTHS, "SURVIVAL": np.nan, "LCL": np.nan, "UCL": np.nan, "N_AT_RISK": 0}
            )
        else:
            table = survival.landmarks(fitter, subset.MONTHS)
        frames.append(table.assign(PARAMCD=paramcd, TRT01P=arm))
    columns = ["PARAMCD", "TRT01P", "MONTHS", "SURVIVAL", "LCL", "UCL", "N_AT_RISK"]
    return pd.concat(frames, ignore_index=True)[columns].astype({"MONTHS": int, "N_AT_RISK": int})


def km_curves(adtte: pd.DataFrame, adsl: pd.DataFrame, arms: Arms, days_per_month: float) -> pd.DataFrame:
    """The KM step functions, one row per distinct time (time 0 included) per parameter and arm."""
    frames = [
        survival.km_curve(fitter).assign(PARAMCD=paramcd, TRT01P=arm)
        for paramcd, arm, _, fitter in _arm_fits(adtte, adsl, arms, days_per_month)
        if fitter is not None
    ]
    columns = ["PARAMCD", "TRT01P", "TIME_MONTHS", "N_AT_RISK", "EVENTS", "CENSORED", "SURVIVAL", "LCL", "UCL"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def tte_comparisons(
    adtte: pd.DataFrame, adsl: pd.DataFrame, weights: pd.DataFrame, arms: Arms, days_per_month: float
) -> pd.DataFrame:
    """Cox HR treated vs reference (Efron): unadjusted with the log-rank p, IPTW with robust variance."""
    rows = []
    for paramcd in TTE_PARAMETERS:
        records = _tte(adtte, adsl, paramcd, days_per_month)
        records = records[records.TRT01P.isin([arms.treated, arms.reference])]
        records = records.merge(weights[["USUBJID", "WEIGHT"]], on="USUBJID", how="left")
        treated = records.TRT01P == arms.treated
        plain = survival.cox_hazard_ratio(records.MONTHS, records.EVENT, treated)
        rows.append(
            (
                paramcd,
                "unadjusted",
                plain.hazard_ratio,
                plain.lower,
                plain.upper,
                plain.log_rank_p,
                "log-rank",
                plain.p_value,
                arms.comparison,
            )
        )
        adjusted = survival.cox_hazard_ratio(records.MONTHS, records.EVENT, treated, records.WEIGHT)
        rows.append(
            (
                paramcd,
                "iptw",
                adjusted.hazard_ratio,
                adjusted.lower,
                adjusted.upper,
                adjusted.p_value,
                "robust Wald",
                adjusted.p_value,
                arms.comparison,
            )
        )
    return pd.DataFrame(
        rows, columns=["PARAMCD", "METHOD", "HR", "LCL", "UCL", "P_VALUE", "TEST", "WALD_P_VALUE", "COMPARISON"]
    )


def _quantiles(values: pd.Series) -> tuple[float, float, float]:
    if values.empty:
        return (np.nan,) * 3
    q1, median, q3 = np.percentile(values.to_numpy(dtype=float), [25, 50, 75], method=QUANTILE_METHOD)
    return float(median), float(q1), float(q3)


def ttr_summary(adtte: pd.DataFrame, adsl: pd.DataFrame, arms: Arms, days_per_month: float) -> pd.DataFrame:
    """Time to response among confirmed responders (ADTTE TTR, every record an event): n, median, quartiles, range."""
    records = _tte(adtte, adsl, "TTR", days_per_month)
    rows = []
    for arm in arms.order:
        months = records.loc[records.TRT01P == arm, "MONTHS"]
        median, q1, q3 = _quantiles(months)
        rows.append(
            (
                arm,
                len(months),
                median,
                q1,
                q3,
                float(months.min()) if len(months) else np.nan,
                float(months.max()) if len(months) else np.nan,
            )
        )
    return pd.DataFrame(
        rows, columns=["TRT01P", "N", "MEDIAN_MONTHS", "Q1_MONTHS", "Q3_MONTHS", "MIN_MONTHS", "MAX_MONTHS"]
    )


# --- Propensity score and baseline ---------------------------------------------------------------


@dataclass(frozen=True)
class Adjustment:
    weights: pd.DataFrame  # USUBJID, TRT01P, PSCORE, WEIGHT (one row per FAS patient of the two arms)
    note: str  # empty, or why the propensity model is not to be trusted


def _compared_covariates(adsl: pd.DataFrame, baseline_sum: pd.DataFrame, arms: Arms) -> pd.DataFrame:
    covariates = propensity.covariate_frame(adsl, baseline_sum)
    return covariates[covariates.TRT01P.isin([arms.treated, arms.reference])].reset_index(drop=True)


def iptw(adsl: pd.DataFrame, baseline_sum: pd.DataFrame, arms: Arms) -> Adjustment:
    """Propensity scores and stabilised weights per FAS patient (see analysis.propensity)."""
    covariates = _compared_covariates(adsl, baseline_sum, arms)
    fit = propensity.propensity_weights(covariates.TRT01P == arms.treated, propensity.design_matrix(covariates))
    weights = covariates[["USUBJID", "TRT01P"]].assign(PSCORE=fit.scores.to_numpy(), WEIGHT=fit.weights.to_numpy())
    return Adjustment(weights, fit.note)


def balance(adsl: pd.DataFrame, baseline_sum: pd.DataFrame, weights: pd.DataFrame, arms: Arms) -> pd.DataFrame:
    """SMD of every propensity-model covariate (each level, each missing indicator) before and after IPTW."""
    covariates = _compared_covariates(adsl, baseline_sum, arms)
    patient_weights = covariates[["USUBJID"]].merge(weights[["USUBJID", "WEIGHT"]], on="USUBJID", how="left").WEIGHT
    return propensity.balance_table(
        propensity.design_matrix(covariates), covariates.TRT01P == arms.treated, patient_weights
    )


# (column, label, kind); BASE_SUM comes from ADTR, the rest from ADSL. Continuous variables are
# displayed with one decimal, except those in WHOLE_NUMBERS.
WHOLE_NUMBERS = ("AGE", "PRTACEN")
BASELINE_VARIABLES: tuple[tuple[str, str, str], ...] = (
    ("AGE", "Age, years", "continuous"),
    ("SEX", "Sex", "categorical"),
    ("WEIGHTBL", "Weight, kg", "continuous"),
    ("ECOGBL", "ECOG performance status", "categorical"),
    ("CHILDPGH", "Child-Pugh", "categorical"),
    ("BCLC", "BCLC stage", "categorical"),
    ("ETIOLOGY", "Aetiology", "categorical"),
    ("AFPBL", "AFP, ng/mL", "continuous"),
    ("AFP400FL", "AFP >= 400 ng/mL", "categorical"),
    ("PRTACEN", "Prior TACE procedures", "continuous"),
    ("MVIFL", "Macrovascular invasion", "categorical"),
    ("EHSFL", "Extrahepatic spread", "categorical"),
    ("BASE_SUM", "Baseline target sum, mm", "continuous"),
)

# What the efficacy tables read of ADSL; the assets select only these (those a study has): all 46
# columns of 100,000 patients took 0.7 s to hand to pandas, for each of ten tables.
ADSL_COLUMNS: tuple[str, ...] = (
    "USUBJID",
    "TRT01P",
    "FASFL",
    *(column for column, _, _ in BASELINE_VARIABLES if column != "BASE_SUM"),
)


def _number(value: float, decimals: int) -> str:
    return "NE" if pd.isna(value) else f"{value:.{decimals}f}"


def categorical_smd(values: pd.Series, treated: pd.Series) -> float:
    """|SMD| of a categorical variable (Yang and Dalton 2012, as R tableone): the Mahalanobis distance
    of the level proportions; for two levels it is |p1 - p0| / sqrt((p1(1-p1) + p0(1-p0)) / 2)."""
    levels = sorted(values.unique())
    if len(levels) < 2:
        return 0.0
    dummies = np.column_stack([(values == level).to_numpy(dtype=float) for level in levels[1:]])
    a, b = dummies[treated.to_numpy()], dummies[~treated.to_numpy()]
    difference = a.mean(axis=0) - b.mean(axis=0)

    def covariance(x: np.ndarray) -> np.ndarray:
        p = x.mean(axis=0)
        return np.diag(p) - np.outer(p, p)

    pooled = (covariance(a) + covariance(b)) / 2
    return float(np.sqrt(difference @ np.linalg.pinv(pooled) @ difference))


def baseline_characteristics(adsl: pd.DataFrame, baseline_sum: pd.DataFrame, arms: Arms) -> pd.DataFrame:
    """Baseline table by planned arm (FAS): n (%) per category, median (Q1-Q3) for continuous
    variables, and the |SMD| treated vs reference per variable (continuous: Austin and Stuart;
    categorical: Yang and Dalton). A missing value is the category `Missing` (counted in N_ARM);
    for a continuous variable COUNT is the number of patients with a value."""
    fas = _fas(adsl).merge(baseline_sum[["USUBJID", "BASE_SUM"]], on="USUBJID", how="left")
    compared = fas[fas.TRT01P.isin([arms.treated, arms.reference])]
    treated = (compared.TRT01P == arms.treated).reset_index(drop=True)
    rows: list[tuple[object, ...]] = []  # one per variable, category and arm: the columns below
    for column, label, kind in BASELINE_VARIABLES:
        if column not in fas:
            continue  # a study whose ADSL does not collect it
        if kind == "continuous":
            values = pd.to_numeric(compared[column], errors="coerce").reset_index(drop=True)
            known = values.notna()
            smd = abs(propensity.standardised_mean_difference(values[known], treated[known])) if known.any() else np.nan
            for arm in arms.order:
                arm_values = pd.to_numeric(fas.loc[fas.TRT01P == arm, column], errors="coerce")
                median, q1, q3 = _quantiles(arm_values.dropna())
                decimals = 0 if column in WHOLE_NUMBERS else 1
                display = f"{_number(median, decimals)} ({_number(q1, decimals)}-{_number(q3, decimals)})"
                rows.append(
                    (
                        column,
                        label,
                        None,
                        arm,
                        len(arm_values),
                        int(arm_values.notna().sum()),
                        None,
                        median,
                        q1,
                        q3,
                        display,
                        smd,
                    )
                )
        else:
            text = propensity.as_text(fas[column])
            compared_text = text[compared.index].reset_index(drop=True)
            smd = categorical_smd(compared_text, treated)
            for level in sorted(text.unique(), key=lambda v: (v == propensity.MISSING, v)):
                for arm in arms.order:
                    in_arm = fas.TRT01P == arm
                    count, n_arm = int((text[in_arm] == level).sum()), int(in_arm.sum())
                    pct = 100 * count / n_arm if n_arm else np.nan
                    display = f"{count} ({pct:.1f}%)" if n_arm else "0"
                    rows.append((column, label, level, arm, n_arm, count, pct, None, None, None, display, smd))
    return pd.DataFrame(
        rows,
        columns=[
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
    )
