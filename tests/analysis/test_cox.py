"""cox_hazard_ratio against R survival 3.5.3 (issue 14): Efron ties, robust variance with tied times pooled.

The reference values were computed once with R (`coxph(Surv(time, status) ~ x, ties = "efron",
robust = TRUE[, weights = w])`) and are pinned here; the tests do not need R.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from analysis.survival import HazardRatio, cox_hazard_ratio, efron_score_residuals

# R survival's `aml` (Embury et al.), 23 rows in data order: time (weeks), status, x = 1 for Nonmaintained.
AML = pd.DataFrame(
    {
        "T": [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161, 5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45],
        "E": [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1],
        "TREATED": [0] * 11 + [1] * 12,
    }
)
# Case weights cycling 0.8, 1.3, 1.1 over the rows in data order (the weighted case).
AML_WEIGHTS = pd.Series([(0.8, 1.3, 1.1)[i % 3] for i in range(len(AML))])
Z = 1.959963984540054


def _coef_and_se(result: HazardRatio) -> tuple[float, float]:
    coef = math.log(result.hazard_ratio)
    return coef, (math.log(result.upper) - coef) / Z


def test_aml_unweighted_matches_r():
    result = cox_hazard_ratio(AML["T"], AML["E"], AML["TREATED"])
    coef, se = _coef_and_se(result)
    # R: coef 0.915532575, se(coef) 0.5119342752 (model-based; the unadjusted comparison).
    assert coef == pytest.approx(0.9155326, abs=5e-8)
    assert se == pytest.approx(0.5119343, abs=5e-8)


def test_aml_robust_variance_pools_tied_event_times_as_r():
    # Weights of 1 take the robust branch: R coef 0.9155326, robust se 0.4645092, z 1.970968,
    # p 0.04872759. lifelines' robust=True gives se 0.4743529 here (tied times not pooled).
    result = cox_hazard_ratio(AML["T"], AML["E"], AML["TREATED"], pd.Series(np.ones(len(AML))))
    coef, se = _coef_and_se(result)
    assert coef == pytest.approx(0.9155326, abs=5e-8)
    assert se == pytest.approx(0.4645092, abs=5e-8)
    assert coef / se == pytest.approx(1.970968, abs=5e-7)
    assert result.p_value == pytest.approx(0.04872759, abs=5e-9)


def test_aml_case_weights_match_r():
    # R: coef 0.9155227, robust se 0.4772891, p 0.05508917.
    result = cox_hazard_ratio(AML["T"], AML["E"], AML["TREATED"], AML_WEIGHTS)
    coef, se = _coef_and_se(result)
    assert coef == pytest.approx(0.9155227, abs=5e-8)
    assert se == pytest.approx(0.4772891, abs=5e-8)
    assert result.p_value == pytest.approx(0.05508917, abs=5e-9)


def test_score_residuals_sum_to_the_score_at_the_estimate():
    # At the maximum of the Efron partial likelihood the weighted score residuals sum to zero;
    # a tenth away from it they do not.
    residuals = efron_score_residuals(AML["T"], AML["E"], AML["TREATED"], AML_WEIGHTS.to_numpy(), 0.91552266)
    assert abs(np.sum(AML_WEIGHTS * residuals)) < 1e-7
    moved = efron_score_residuals(AML["T"], AML["E"], AML["TREATED"], AML_WEIGHTS.to_numpy(), 1.01552266)
    assert abs(np.sum(AML_WEIGHTS * moved)) > 0.1


def random_trial(seed: int, n: int, distinct_times: int | None, event_rate: float) -> pd.DataFrame:
    """Unsorted rows; `distinct_times` whole days make ties within and across arms and event/censor ties."""
    rng = np.random.default_rng(seed)
    treated = rng.binomial(1, 0.45, n)
    days = rng.exponential(200 * np.exp(0.4 * treated), n)
    days = np.minimum(np.ceil(days * distinct_times / days.max()), distinct_times) if distinct_times else days
    return pd.DataFrame(
        {"T": days, "E": rng.binomial(1, event_rate, n), "TREATED": treated, "W": rng.uniform(0.4, 3.5, n)}
    )


TRIALS = {
    "heavy ties": random_trial(1, 300, 12, 0.7),
    "some ties": random_trial(2, 250, 80, 0.5),
    "no ties": random_trial(3, 150, None, 0.6),
    "few events": random_trial(4, 120, 40, 0.04),
    "all events": random_trial(5, 200, 25, 1.0),
}
# R survival 3.5.3 on each trial (written to CSV with 17 digits): unweighted coef and se(coef),
# then with weights = W and robust = TRUE: coef, robust se, p.
R_REFERENCE = {
    "heavy ties": (-0.259149667566, 0.147651444925, -0.258350153182, 0.155965432954, 0.0976291504456),
    "some ties": (-0.336871284405, 0.179141453464, -0.42726926848, 0.196757001054, 0.0298890068334),
    "no ties": (-0.618265080097, 0.219402115899, -0.582563991784, 0.237309886198, 0.0140937078993),
    "few events": (1.3103802648, 1.16194560857, 1.13313214946, 0.972447693363, 0.243923023966),
    "all events": (-0.617020997882, 0.146269391134, -0.693118622107, 0.168276911992, 3.80657327433e-05),
}


@pytest.mark.parametrize("name", TRIALS)
def test_hazard_ratio_equals_r(name: str):
    frame = TRIALS[name]
    assert frame.groupby("TREATED").E.sum().min() > 0
    coef, se, weighted_coef, robust_se, robust_p = R_REFERENCE[name]
    unweighted = _coef_and_se(cox_hazard_ratio(frame["T"], frame["E"], frame["TREATED"]))
    assert unweighted == pytest.approx((coef, se), rel=1e-8)
    result = cox_hazard_ratio(frame["T"], frame["E"], frame["TREATED"], frame["W"])
    assert _coef_and_se(result) == pytest.approx((weighted_coef, robust_se), rel=1e-8)
    assert result.p_value == pytest.approx(robust_p, rel=1e-7)


def test_without_ties_the_robust_variance_is_lifelines_one():
    # Pooling only matters for tied times: on distinct times lifelines' robust=True is R's.
    frame = TRIALS["no ties"]
    row = (
        CoxPHFitter()
        .fit(frame, duration_col="T", event_col="E", weights_col="W", robust=True, fit_options={"precision": 1e-12})
        .summary.loc["TREATED"]
    )
    result = cox_hazard_ratio(frame["T"], frame["E"], frame["TREATED"], frame["W"])
    assert (result.lower, result.upper) == pytest.approx(
        (row["exp(coef) lower 95%"], row["exp(coef) upper 95%"]), rel=1e-9
    )
