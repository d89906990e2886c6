"""Kaplan-Meier estimates with log-log confidence intervals (as SAS LIFETEST and lifelines)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times


@dataclass(frozen=True)
class KaplanMeierSummary:
    n: int
    events: int
    censored: int
    median: float  # nan when not reached
    median_lower: float
    median_upper: float


def fit_kaplan_meier(durations: pd.Series, events: pd.Series, alpha: float = 0.05) -> KaplanMeierFitter:
    return KaplanMeierFitter(alpha=alpha).fit(durations.astype(float), event_observed=events.astype(bool))


def _finite(value: float) -> float:
    return float(value) if np.isfinite(value) else float("nan")


def kaplan_meier_summary(durations: pd.Series, events: pd.Series, alpha: float = 0.05) -> KaplanMeierSummary:
    """N, events, censored and the median with its Brookmeyer-Crowley (log-log) interval."""
    fitter = fit_kaplan_meier(durations, events, alpha)
    interval = median_survival_times(fitter.confidence_interval_)
    lower, upper = interval.iloc[0, 0], interval.iloc[0, 1]
    n_events = int(events.astype(bool).sum())
    return KaplanMeierSummary(
        n=len(durations), events=n_events, censored=len(durations) - n_events,
        median=_finite(fitter.median_survival_time_), median_lower=_finite(lower), median_upper=_finite(upper),
    )


def survival_at(fitter: KaplanMeierFitter, times: list[float]) -> list[float]:
    return [float(v) for v in fitter.survival_function_at_times(times).to_numpy()]
