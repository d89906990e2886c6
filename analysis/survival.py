"""Kaplan-Meier estimates with log-log confidence intervals (lifelines), read as R survival reads them.

Medians, quartiles and their confidence limits follow R's `quantile.survfit` (survival 3.5): the
curve (or a band) must fall to the probability or below; a flat stretch exactly at it gives the
midpoint to the next step (or to the last time when the curve ends there); a band that is undefined
where the curve reaches 0 (log-log) gives no limit.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # lifelines (and the scipy it imports) costs seconds: imported where a curve is fitted
    from lifelines import KaplanMeierFitter


@dataclass(frozen=True)
class KaplanMeierSummary:
    n: int
    events: int
    censored: int
    median: float  # nan when not reached
    median_lower: float
    median_upper: float


def fit_kaplan_meier(durations: pd.Series, events: pd.Series, alpha: float = 0.05) -> KaplanMeierFitter:
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter(alpha=alpha).fit(durations.astype(float), event_observed=events.astype(bool))


# R quantile.survfit's default tolerance, sqrt(.Machine$double.eps): a step this close to p is "at" p.
QUANTILE_TOLERANCE = math.sqrt(np.finfo(float).eps)


def _find_quantile(times: np.ndarray, cdf: np.ndarray, p: float) -> float:
    """R survival's `findq` for one probability: where a horizontal line at p meets the curve 1 - S.

    `times` starts at 0 with `cdf` 0 there and ends at the last observed time; `cdf` may hold nan
    (a band undefined where S is 0).
    """
    tolerance = QUANTILE_TOLERANCE
    if np.all(np.isnan(cdf)) or np.nanmax(cdf) < p:
        return float("nan")
    last_time = float(times[-1])
    # Only the first time of each level (the censored times add nothing): R drops duplicated values,
    # counting every undefined one after the first as a duplicate.
    levels = pd.Series(cdf)
    keep = ~levels.duplicated().to_numpy()
    times, cdf = times[keep], cdf[keep]
    defined = np.flatnonzero(~np.isnan(cdf))

    # A band need not fall monotonically: approx() sorts the points by level first.
    defined = defined[np.argsort(cdf[defined], kind="stable")]

    def first_reaching(shift: float) -> int | None:
        # approx(cdf + shift, index, p, method = "constant", f = 1): the point of the lowest level at
        # or above p; none when p lies outside the defined levels.
        values = cdf[defined] + shift
        if p < values[0] or p > values[-1]:
            return None
        return int(defined[np.searchsorted(values, p, side="left")])

    at, after = first_reaching(tolerance), first_reaching(-tolerance)
    # `at` and `after` differ only when a step lies within the tolerance of p: a flat stretch exactly
    # at p, whose midpoint to the next step is the quantile (the usual median rule).
    quantile = (times[at] + times[after]) / 2 if at is not None and after is not None else float("nan")
    if at is not None and not np.isnan(cdf[-1]) and abs(p - cdf[-1]) < tolerance:
        quantile = (times[at] + last_time) / 2  # the curve ends flat at p: midpoint to the last time
    return float(quantile)


def survival_quantile(fitter: KaplanMeierFitter, p: float) -> tuple[float, float, float]:
    """The time where S(t) falls to 1 - p, with the limits where the log-log band does (nan: not reached).

    As R `quantile(survfit(..., conf.type = "log-log"), probs = p)`: the lower limit is where the
    lower band falls to 1 - p, the upper limit where the upper band does.
    """
    table = fitter.event_table
    survival = fitter.survival_function_.iloc[:, 0].reindex(table.index).to_numpy(dtype=float)
    interval = fitter.confidence_interval_survival_function_.reindex(table.index)
    # R's log-log band (survfit_confint): S itself where S = 1 (no variance yet), undefined where S = 0.
    bands = [
        np.where(survival >= 1, 1.0, np.where(survival <= 0, np.nan, interval.iloc[:, column].to_numpy(float)))
        for column in (0, 1)
    ]
    # R starts the curve at time 0 with S = 1, before its first time (lifelines' table may repeat 0).
    times = np.concatenate(([0.0], table.index.to_numpy(dtype=float)))
    curves = [np.concatenate(([0.0], 1 - values)) for values in (survival, *bands)]
    median, lower, upper = (_find_quantile(times, cdf, p) for cdf in curves)
    return median, lower, upper


def kaplan_meier_summary(durations: pd.Series, events: pd.Series, alpha: float = 0.05) -> KaplanMeierSummary:
    """N, events, censored and the median with its Brookmeyer-Crowley (log-log) interval, as R reads them."""
    fitter = fit_kaplan_meier(durations, events, alpha)
    median, lower, upper = survival_quantile(fitter, 0.5)
    n_events = int(events.astype(bool).sum())
    return KaplanMeierSummary(
        n=len(durations),
        events=n_events,
        censored=len(durations) - n_events,
        median=median,
        median_lower=lower,
        median_upper=upper,
    )


# --- Reporting tables (SPEC section 6, "Time to event"; SPEC section 7 columns) -------------------

LANDMARK_MONTHS = (6, 12, 24, 36)


def reverse_km_median_followup(durations: pd.Series, events: pd.Series) -> float:
    """Median follow-up by reverse Kaplan-Meier (Schemper and Smith 1996): censoring is the event."""
    if len(durations) == 0:
        return float("nan")
    fitter = fit_kaplan_meier(durations, ~events.astype(bool))
    return survival_quantile(fitter, 0.5)[0]


def landmarks(
    fitter: KaplanMeierFitter, durations: pd.Series, times: tuple[float, ...] = LANDMARK_MONTHS
) -> pd.DataFrame:
    """S(t) with its log-log CI and the number still at risk at t (time >= t) for each landmark.

    Beyond the longest follow-up S(t) is not estimable (as SAS LIFETEST): left empty, not carried.
    """
    last = float(durations.max()) if len(durations) else float("-inf")
    interval = fitter.confidence_interval_survival_function_
    rows = []
    for t in times:
        at_risk = int((durations >= t).sum())
        if t > last:
            rows.append((t, float("nan"), float("nan"), float("nan"), at_risk))
            continue
        position = interval.index.searchsorted(t, side="right") - 1  # the step in force at t
        rows.append(
            (
                t,
                float(fitter.survival_function_at_times([t]).iloc[0]),
                float(interval.iloc[position, 0]),
                float(interval.iloc[position, 1]),
                at_risk,
            )
        )
    return pd.DataFrame(rows, columns=["MONTHS", "SURVIVAL", "LCL", "UCL", "N_AT_RISK"])


def km_curve(fitter: KaplanMeierFitter) -> pd.DataFrame:
    """The step function: one row per distinct time (time 0 included) with risk set, events, S and CI."""
    table = fitter.event_table
    interval = fitter.confidence_interval_survival_function_
    return pd.DataFrame(
        {
            "TIME_MONTHS": table.index.to_numpy(dtype=float),
            "N_AT_RISK": table["at_risk"].to_numpy(dtype=int),
            "EVENTS": table["observed"].to_numpy(dtype=int),
            "CENSORED": table["censored"].to_numpy(dtype=int),
            "SURVIVAL": fitter.survival_function_.iloc[:, 0].reindex(table.index).to_numpy(dtype=float),
            "LCL": interval.iloc[:, 0].reindex(table.index).to_numpy(dtype=float),
            "UCL": interval.iloc[:, 1].reindex(table.index).to_numpy(dtype=float),
        }
    )


@dataclass(frozen=True)
class HazardRatio:
    hazard_ratio: float
    lower: float
    upper: float
    p_value: float  # Wald (robust Wald when weighted)
    log_rank_p: float  # unweighted only


NO_HAZARD_RATIO = HazardRatio(*(float("nan"),) * 5)


def log_rank_p(durations: pd.Series, events: pd.Series, treated: pd.Series) -> float:
    """Two-sided unstratified log-rank p-value (lifelines)."""
    from lifelines.statistics import logrank_test

    treated = treated.astype(bool)
    events = events.astype(bool)
    if events.sum() == 0 or treated.all() or not treated.any():
        return float("nan")
    result = logrank_test(durations[treated], durations[~treated], events[treated], events[~treated])
    return float(result.p_value)


def efron_score_residuals(
    durations: np.ndarray, events: np.ndarray, x: np.ndarray, weights: np.ndarray, beta: float
) -> np.ndarray:
    """Per-row score residuals of a one-covariate Cox model with Efron ties, as R `residuals(fit, "score")`.

    Rows dying at the same time are pooled as the Efron likelihood pools them: the k-th of d tied
    deaths (k = 0..d-1) sees the risk set less k/d of the dying, and a dying row takes part in
    that step with weight 1 - k/d (R survival's coxscore2; SAS PHREG COVS(AGGREGATE)). lifelines
    instead gives each tied row its own risk set, which moves the robust variance on tied data.
    Sums and risk sets are running totals over the distinct times: linear in the number of rows.
    """
    durations, events = np.asarray(durations, dtype=float), np.asarray(events, dtype=bool)
    x, weights = np.asarray(x, dtype=float), np.asarray(weights, dtype=float)
    relative_risk = np.exp(beta * x)
    risk = weights * relative_risk
    times, position = np.unique(durations, return_inverse=True)
    n_times = len(times)

    def per_time(values: np.ndarray) -> np.ndarray:
        return np.bincount(position, weights=values, minlength=n_times)

    def risk_set(values: np.ndarray) -> np.ndarray:  # rows with time >= t
        return per_time(values)[::-1].cumsum()[::-1]

    denominator, numerator = risk_set(risk), risk_set(risk * x)
    deaths = per_time(events.astype(float)).astype(int)
    dying_denominator, dying_numerator = per_time(risk * events), per_time(risk * x * events)
    mean_weight = np.divide(per_time(weights * events), deaths, out=np.zeros(n_times), where=deaths > 0)
    # One entry per death: its time and its place k among the deaths tied at that time.
    death_time = np.repeat(np.arange(n_times), deaths)
    k = np.arange(len(death_time)) - np.repeat(np.cumsum(deaths) - deaths, deaths)
    fraction = k / deaths[death_time]
    step_denominator = denominator[death_time] - fraction * dying_denominator[death_time]
    step_mean = (numerator[death_time] - fraction * dying_numerator[death_time]) / step_denominator
    step_hazard = mean_weight[death_time] / step_denominator

    def per_death_time(values: np.ndarray) -> np.ndarray:
        return np.bincount(death_time, weights=values, minlength=n_times)

    hazard, hazard_mean = per_death_time(step_hazard), per_death_time(step_hazard * step_mean)
    dying_hazard = per_death_time((1 - fraction) * step_hazard)
    dying_hazard_mean = per_death_time((1 - fraction) * step_hazard * step_mean)
    mean_at_death = np.divide(per_death_time(step_mean), deaths, out=np.zeros(n_times), where=deaths > 0)
    # Hazard steps strictly before the row's time, then the step at its time (dying rows down-weighted).
    before = np.concatenate(([0.0], hazard.cumsum()[:-1]))[position]
    before_mean = np.concatenate(([0.0], hazard_mean.cumsum()[:-1]))[position]
    own = np.where(events, dying_hazard[position], hazard[position])
    own_mean = np.where(events, dying_hazard_mean[position], hazard_mean[position])
    observed = events * (x - mean_at_death[position])
    return observed - relative_risk * (x * (before + own) - (before_mean + own_mean))


def _robust_variance(
    durations: np.ndarray, events: np.ndarray, treated: np.ndarray, weights: np.ndarray, beta: float, variance: float
) -> float:
    """The sandwich variance of R `coxph(robust = TRUE)`: V (sum of squared weighted score residuals) V."""
    residuals = efron_score_residuals(durations, events, treated, weights, beta)
    return float(variance**2 * np.sum((weights * residuals) ** 2))


def cox_hazard_ratio(
    durations: pd.Series, events: pd.Series, treated: pd.Series, weights: pd.Series | None = None, alpha: float = 0.05
) -> HazardRatio:
    """Hazard ratio treated vs reference from a Cox model (lifelines: Efron ties, Wald CI).

    With weights, the fit uses them as inverse-probability weights and a robust (sandwich)
    variance with tied event times pooled as R `coxph(ties = "efron", robust = TRUE)` pools them,
    so the CI and the Wald p-value are R's robust ones.
    """
    from lifelines import CoxPHFitter
    from lifelines.exceptions import StatisticalWarning
    from scipy import stats

    frame = pd.DataFrame(
        {
            "T": durations.astype(float).to_numpy(),
            "E": events.astype(int).to_numpy(),
            "TREATED": treated.astype(int).to_numpy(),
        }
    )
    # No contrast to estimate: an arm without patients or without a single event.
    if frame.E.sum() == 0 or frame.TREATED.nunique() < 2 or frame.groupby("TREATED").E.sum().min() == 0:
        return NO_HAZARD_RATIO
    kwargs: dict = {}
    if weights is not None and weights.isna().any():
        return NO_HAZARD_RATIO  # no propensity weights: no adjusted estimate rather than an unadjusted one
    if weights is not None:
        frame["W"] = weights.astype(float).to_numpy()
        kwargs = {"weights_col": "W"}
    with warnings.catch_warnings():
        # lifelines warns that the model variance of a weighted fit is biased: the robust one replaces it below.
        warnings.simplefilter("ignore", StatisticalWarning)
        # Durations are whole days, so a few thousand distinct times at most: lifelines' batch mode (one
        # step per distinct time) is several times faster there than the per-row mode it picks at 100,000.
        model = CoxPHFitter(alpha=alpha).fit(frame, duration_col="T", event_col="E", batch_mode=True, **kwargs)
        # lifelines stops when the next Newton step would be small and does not take it, up to 1e-6 from
        # the estimate (aml: 0.9155315, R 0.9155326). Take that step with the exact Efron score, then
        # read the information there (a one-iteration refit from that point): R's estimate to 1e-10.
        beta, variance = float(model.params_["TREATED"]), float(model.variance_matrix_.loc["TREATED", "TREATED"])
        w = frame["W"].to_numpy() if weights is not None else np.ones(len(frame))
        score = float(np.sum(w * efron_score_residuals(frame["T"], frame["E"], frame["TREATED"], w, beta)))
        start = np.array([(beta + variance * score) * frame["TREATED"].std()])  # lifelines' scaled covariate
        model = CoxPHFitter(alpha=alpha).fit(
            frame, duration_col="T", event_col="E", batch_mode=True, initial_point=start, **kwargs
        )
    beta, variance = float(model.params_["TREATED"]), float(model.variance_matrix_.loc["TREATED", "TREATED"])
    if weights is None:
        se = float(model.standard_errors_["TREATED"])
    else:
        durations, events, treated, w = (frame[c].to_numpy() for c in ("T", "E", "TREATED", "W"))
        se = math.sqrt(_robust_variance(durations, events, treated, w, beta, variance))
    # Wald interval and p-value as lifelines' summary computes them.
    z = stats.norm.ppf(1 - alpha / 2)
    hazard_ratio = float(np.exp(beta))
    p_value = float(stats.chi2.sf((beta / se) ** 2, 1))
    p_rank = log_rank_p(frame["T"], frame["E"], frame["TREATED"]) if weights is None else float("nan")
    return HazardRatio(
        hazard_ratio, hazard_ratio * float(np.exp(-z * se)), hazard_ratio * float(np.exp(z * se)), p_value, p_rank
    )
