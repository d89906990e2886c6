"""Adjusted comparison for a non-randomised trial (SPEC section 6): propensity score, stabilised
inverse-probability-of-treatment weights (IPTW), standardised mean differences and weighted effects.

Covariates (SPEC section 6): age, ECOG, Child-Pugh, BCLC, AFP >= 400, MVI, EHS, baseline target sum.
Missing values are handled explicitly, never by dropping the patient (every FAS patient gets a
weight):
- categorical covariates (ECOG, Child-Pugh, BCLC, AFP >= 400, MVI, EHS): a missing value is its own
  level `Missing`, which enters the model and the balance table as an indicator when it occurs;
- continuous covariates (age, baseline target sum): a missing value is replaced by the median of
  the FAS and an indicator `<covariate> missing` enters the model and the balance table (the
  missing-indicator method). A patient without a baseline scan or without target lesions has no
  baseline target sum.

The propensity score is P(first arm | covariates) from a logistic regression (statsmodels Logit).
Stabilised weights are P(arm) / P(arm | covariates), so they average about 1 in each arm and the
weighted sample keeps the size of the FAS.

SMD (Austin and Stuart 2015, Stat Med 34:3661): (mean_treated - mean_reference) /
sqrt((var_treated + var_reference) / 2), with weighted means and variances after weighting
(statsmodels DescrStatsW, frequency-style weights, ddof 0); for an indicator the variance is p(1-p).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

MISSING = "Missing"

# (column in the covariate frame, label in the balance table, kind)
COVARIATES: tuple[tuple[str, str, str], ...] = (
    ("AGE", "Age, years", "continuous"),
    ("ECOGBL", "ECOG", "categorical"),
    ("CHILDPGH", "Child-Pugh", "categorical"),
    ("BCLC", "BCLC", "categorical"),
    ("AFP400FL", "AFP >= 400 ng/mL", "flag"),
    ("MVIFL", "Macrovascular invasion", "flag"),
    ("EHSFL", "Extrahepatic spread", "flag"),
    ("BASE_SUM", "Baseline target sum, mm", "continuous"),
)


def covariate_frame(adsl: pd.DataFrame, baseline_sum: pd.DataFrame) -> pd.DataFrame:
    """One row per FAS patient: USUBJID, TRT01P and the raw covariates (ADSL + baseline target sum).

    `baseline_sum` has USUBJID and BASE_SUM (ADTR: SDIAM at baseline); patients absent from it
    have no baseline target sum.
    """
    fas = adsl[adsl["FASFL"] == "Y"]
    # A study whose ADSL lacks a covariate (another profile) is adjusted for the others.
    columns = ["USUBJID", "TRT01P", *(name for name, _, _ in COVARIATES if name != "BASE_SUM" and name in fas)]
    frame = fas[columns].merge(baseline_sum[["USUBJID", "BASE_SUM"]], on="USUBJID", how="left")
    return frame.sort_values("USUBJID").reset_index(drop=True)


def as_text(values: pd.Series) -> pd.Series:
    """Categories as text, `Missing` for a missing value; whole numbers without a decimal point
    (DuckDB hands an integer column with nulls to pandas as floats)."""
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    return values.astype("string").fillna(MISSING)


def design_matrix(covariates: pd.DataFrame) -> pd.DataFrame:
    """Indicator and numeric columns, named as the balance table shows them (see module docstring).

    Categorical covariates give one indicator per observed level; the model drops the first level
    of each (`model_matrix`), the balance table shows them all.
    """
    columns: dict[str, pd.Series] = {}
    for name, label, kind in COVARIATES:
        if name not in covariates or covariates[name].isna().all():
            continue  # nothing to adjust for
        values = covariates[name]
        if kind == "continuous":
            numeric = pd.to_numeric(values, errors="coerce").astype(float)
            missing = numeric.isna()
            columns[label] = numeric.fillna(numeric.median() if missing.mean() < 1 else 0.0)
            if missing.any():
                columns[f"{label} missing"] = missing.astype(float)
        else:
            text = as_text(values)
            if kind == "flag":
                columns[label] = (text == "Y").astype(float)
                if (text == MISSING).any():
                    columns[f"{label} missing"] = (text == MISSING).astype(float)
                continue
            for level in sorted(text.unique(), key=lambda v: (v == MISSING, v)):
                columns[f"{label} {level}"] = (text == level).astype(float)
    return pd.DataFrame(columns, index=covariates.index)


def model_matrix(design: pd.DataFrame) -> pd.DataFrame:
    """The design without one level per categorical covariate and without constant columns, plus a constant."""
    keep = []
    for _name, label, kind in COVARIATES:
        if kind == "categorical":
            levels = [c for c in design.columns if c.startswith(f"{label} ")]
            keep += levels[1:]
        else:
            keep += [c for c in design.columns if c == label or c == f"{label} missing"]
    matrix = design[keep]
    matrix = matrix.loc[:, matrix.nunique() > 1]
    return matrix.assign(const=1.0)[["const", *matrix.columns]]


@dataclass(frozen=True)
class PropensityFit:
    scores: pd.Series  # P(treated | covariates)
    weights: pd.Series  # stabilised IPTW
    converged: bool
    note: str  # what went wrong, if anything, for the metadata


def propensity_weights(treated: pd.Series, design: pd.DataFrame) -> PropensityFit:
    """Propensity score by logistic regression (statsmodels) and stabilised IPT weights.

    Separation (a covariate pattern found in one arm only) does not stop the fit: the scores go
    to 0 or 1, the stabilised weights stay bounded, the note says so and the balance table shows
    what weighting could not fix. A model that cannot be fitted at all gives no weights (null):
    the adjusted results are then empty rather than silently unadjusted.
    """
    # The model's own module: `statsmodels.api` imports all of statsmodels (0.3 s per refresh).
    from statsmodels.discrete.discrete_model import Logit

    treated = treated.astype(float)
    matrix = model_matrix(design)
    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = Logit(treated, matrix).fit(disp=0, maxiter=200)
        except np.linalg.LinAlgError as error:
            # Newton needs an invertible Hessian; a rare level seen in one arm only (quasi-separation)
            # or collinear covariates break it. BFGS still gives the fitted probabilities.
            problems.append(f"Newton fit failed ({error}), fitted by BFGS")
            try:
                result = Logit(treated, matrix).fit(disp=0, maxiter=2000, method="bfgs")
            except Exception as second:  # noqa: BLE001 - no usable fit at all
                nothing = pd.Series(np.nan, index=treated.index)
                return PropensityFit(nothing, nothing, False, f"propensity model failed ({second})")
        scores = pd.Series(np.asarray(result.predict(matrix), dtype=float), index=treated.index)
    converged = bool(result.mle_retvals.get("converged", True))
    problems += sorted({str(w.message).split(",")[0] for w in caught})
    if not converged:
        problems.insert(0, "the propensity model did not converge")
    marginal = treated.mean()
    weights = np.where(treated == 1, marginal / scores, (1 - marginal) / (1 - scores))
    return PropensityFit(scores, pd.Series(weights, index=treated.index), converged, "; ".join(problems))


def standardised_mean_difference(values: pd.Series, treated: pd.Series, weights: pd.Series | None = None) -> float:
    """Treated minus reference, over the pooled SD (Austin and Stuart 2015); weighted when weights are given."""
    from statsmodels.stats.weightstats import DescrStatsW

    values = values.astype(float)
    treated = treated.astype(bool)
    weights = pd.Series(1.0, index=values.index) if weights is None else weights.astype(float)
    a = DescrStatsW(values[treated].to_numpy(), weights=weights[treated].to_numpy(), ddof=0)
    b = DescrStatsW(values[~treated].to_numpy(), weights=weights[~treated].to_numpy(), ddof=0)
    pooled = np.sqrt((a.var + b.var) / 2)
    if np.isnan(pooled):
        return float("nan")
    if pooled == 0:
        return 0.0 if a.mean == b.mean else float("inf")
    return float((a.mean - b.mean) / pooled)


def balance_table(design: pd.DataFrame, treated: pd.Series, weights: pd.Series, threshold: float = 0.1) -> pd.DataFrame:
    """COVARIATE, SMD_UNADJUSTED, SMD_IPTW, BALANCED (|SMD_IPTW| < threshold) for every design column."""
    rows = []
    for column in design.columns:
        before = standardised_mean_difference(design[column], treated)
        after = standardised_mean_difference(design[column], treated, weights)
        rows.append((column, before, after, bool(abs(after) < threshold)))
    return pd.DataFrame(rows, columns=["COVARIATE", "SMD_UNADJUSTED", "SMD_IPTW", "BALANCED"])


@dataclass(frozen=True)
class WeightedDifference:
    difference: float
    lower: float
    upper: float
    p_value: float


def weighted_rate_difference(
    responded: pd.Series, treated: pd.Series, weights: pd.Series, alpha: float = 0.05
) -> WeightedDifference:
    """IPTW difference of proportions, treated minus reference, with a robust (sandwich) Wald CI.

    A linear probability model fitted by weighted least squares (statsmodels WLS): the treatment
    coefficient is exactly the weighted difference of the two proportions; its variance is the
    HC0 sandwich, the robust variance of the weighted estimating equations (the propensity score
    is treated as known, which is conservative for IPTW). Normal-theory CI and p-value.
    """
    from statsmodels.regression.linear_model import WLS
    from statsmodels.tools.tools import add_constant

    y = responded.astype(float).to_numpy()
    x = treated.astype(float).to_numpy()
    if len(np.unique(x)) < 2 or weights.isna().any():
        return WeightedDifference(*(float("nan"),) * 4)
    result = WLS(y, add_constant(x), weights=weights.astype(float).to_numpy()).fit(cov_type="HC0")
    lower, upper = result.conf_int(alpha=alpha)[1]
    return WeightedDifference(float(result.params[1]), float(lower), float(upper), float(result.pvalues[1]))
