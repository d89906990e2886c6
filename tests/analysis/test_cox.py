"""cox_hazard_ratio against lifelines' own fit: the vectorised robust variance must not move any result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from analysis.survival import cox_hazard_ratio


def lifelines_reference(frame: pd.DataFrame, weighted: bool) -> tuple[float, float, float, float]:
    """HR, CI and Wald p as lifelines reports them (robust=True with weights: its O(n^2) loop)."""
    kwargs = {"weights_col": "W", "robust": True} if weighted else {}
    columns = ["T", "E", "TREATED", "W"] if weighted else ["T", "E", "TREATED"]
    row = CoxPHFitter().fit(frame[columns], duration_col="T", event_col="E", **kwargs).summary.loc["TREATED"]
    return row["exp(coef)"], row["exp(coef) lower 95%"], row["exp(coef) upper 95%"], row["p"]


def random_trial(seed: int, n: int, distinct_times: int | None, event_rate: float) -> pd.DataFrame:
    """Unsorted rows; `distinct_times` whole days make ties within and across arms and event/censor ties."""
    rng = np.random.default_rng(seed)
    treated = rng.binomial(1, 0.45, n)
    days = rng.exponential(200 * np.exp(0.4 * treated), n)
    days = np.minimum(np.ceil(days * distinct_times / days.max()), distinct_times) if distinct_times else days
    return pd.DataFrame({"T": days, "E": rng.binomial(1, event_rate, n), "TREATED": treated,
                         "W": rng.uniform(0.4, 3.5, n)})


TRIALS = {
    "heavy ties": random_trial(1, 300, 12, 0.7),
    "some ties": random_trial(2, 250, 80, 0.5),
    "no ties": random_trial(3, 150, None, 0.6),
    "few events": random_trial(4, 120, 40, 0.04),
    "all events": random_trial(5, 200, 25, 1.0),
}


@pytest.mark.parametrize("name", TRIALS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "iptw"])
def test_hazard_ratio_equals_lifelines(name: str, weighted: bool):
    frame = TRIALS[name]
    assert frame.groupby("TREATED").E.sum().min() > 0
    result = cox_hazard_ratio(frame["T"], frame["E"], frame["TREATED"], frame["W"] if weighted else None)
    expected = lifelines_reference(frame, weighted)
    assert (result.hazard_ratio, result.lower, result.upper, result.p_value) == pytest.approx(expected, rel=1e-9)


def test_weights_of_one_give_lifelines_robust_variance_on_ties():
    frame = TRIALS["heavy ties"].assign(W=1.0)
    result = cox_hazard_ratio(frame["T"], frame["E"], frame["TREATED"], frame["W"])
    assert (result.lower, result.upper) == pytest.approx(lifelines_reference(frame, True)[1:3], rel=1e-9)
