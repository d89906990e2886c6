"""Response rates: exact Clopper-Pearson intervals, Newcombe differences, Fisher exact tests.

scipy.stats and statsmodels are imported where a rate is computed: scipy.stats alone costs 0.6 s,
and the refresh reads this package's constants in a process that never computes a rate
(orchestration/worker.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    responders: int
    n: int
    rate: float
    lower: float
    upper: float


@dataclass(frozen=True)
class RateDifference:
    difference: float
    lower: float
    upper: float
    p_value: float


def clopper_pearson(responders: int, n: int, alpha: float = 0.05) -> Rate:
    """n, responders, proportion and its exact (Clopper-Pearson) confidence interval."""
    if n == 0:
        return Rate(responders, n, float("nan"), float("nan"), float("nan"))
    from statsmodels.stats.proportion import proportion_confint

    lower, upper = proportion_confint(responders, n, alpha=alpha, method="beta")
    return Rate(responders, n, responders / n, float(lower), float(upper))


def rate_difference(responders_a: int, n_a: int, responders_b: int, n_b: int, alpha: float = 0.05) -> RateDifference:
    """A minus B with the Newcombe hybrid score interval and the two-sided Fisher exact p-value."""
    from scipy.stats import fisher_exact
    from statsmodels.stats.proportion import confint_proportions_2indep

    lower, upper = confint_proportions_2indep(
        responders_a, n_a, responders_b, n_b, method="newcomb", compare="diff", alpha=alpha
    )
    _, p_value = fisher_exact([[responders_a, n_a - responders_a], [responders_b, n_b - responders_b]])
    return RateDifference(responders_a / n_a - responders_b / n_b, float(lower), float(upper), float(p_value))
