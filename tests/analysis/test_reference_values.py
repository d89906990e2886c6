"""The statistics pinned to published reference values (SPEC section 6)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.propensity import propensity_weights, standardised_mean_difference, weighted_rate_difference
from analysis.rates import clopper_pearson, rate_difference
from analysis.survival import (
    cox_hazard_ratio,
    fit_kaplan_meier,
    kaplan_meier_summary,
    landmarks,
    log_rank_p,
    reverse_km_median_followup,
    survival_quantile,
)


def test_clopper_pearson_matches_reference():
    a, b = clopper_pearson(20, 39), clopper_pearson(10, 39)
    assert (round(a.rate * 100, 1), round(a.lower * 100, 1), round(a.upper * 100, 1)) == (51.3, 34.8, 67.6)
    assert (round(b.rate * 100, 1), round(b.lower * 100, 1), round(b.upper * 100, 1)) == (25.6, 13.0, 42.1)


def test_newcombe_difference_and_fisher_match_reference():
    diff = rate_difference(20, 39, 10, 39)
    assert round(diff.difference * 100, 1) == 25.6
    assert (round(diff.lower * 100, 1), round(diff.upper * 100, 1)) == (4.1, 44.2)
    assert round(diff.p_value, 4) == 0.0354


TIMES = [1.2, 2.5, 3.1, 3.1, 4.0, 4.8, 5.5, 6.0, 6.9, 7.7, 8.2, 9.0, 10.4, 11.9, 13.5, 15.2, 18.0, 20.1]
EVENTS = [1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0]


def test_kaplan_meier_median_with_log_log_interval_matches_reference():
    summary = kaplan_meier_summary(pd.Series(TIMES), pd.Series(EVENTS))
    assert (summary.n, summary.events, summary.censored) == (18, 12, 6)
    assert summary.median == pytest.approx(9.0)
    assert (summary.median_lower, summary.median_upper) == (pytest.approx(4.8), pytest.approx(18.0))


def test_kaplan_meier_landmarks_match_reference():
    fitter = fit_kaplan_meier(pd.Series(TIMES), pd.Series(EVENTS))
    s6, s12 = fitter.survival_function_at_times([6, 12]).to_numpy()
    assert round(s6, 4) == 0.6494 and round(s12, 4) == 0.3711


# R `survival::aml`: time to relapse (weeks) by maintenance chemotherapy; 0 = censored.
AML_MAINTAINED = [(9, 1), (13, 1), (13, 0), (18, 1), (23, 1), (28, 0), (31, 1), (34, 1), (45, 0), (48, 1), (161, 0)]
AML_NONMAINTAINED = [
    (5, 1),
    (5, 1),
    (8, 1),
    (8, 1),
    (12, 1),
    (16, 0),
    (23, 1),
    (27, 1),
    (30, 1),
    (33, 1),
    (43, 1),
    (45, 1),
]


@pytest.fixture
def aml() -> pd.DataFrame:
    rows = [(t, e, 0) for t, e in AML_MAINTAINED] + [(t, e, 1) for t, e in AML_NONMAINTAINED]
    return pd.DataFrame(rows, columns=["time", "status", "nonmaintained"])


def test_log_rank_matches_r_survdiff_on_aml(aml):
    # R: survdiff(Surv(time, status) ~ x, aml): Chisq = 3.4 on 1 df, p = 0.0653
    assert round(log_rank_p(aml.time, aml.status, aml.nonmaintained), 4) == 0.0653


def test_cox_efron_matches_r_coxph_on_aml(aml):
    # R: coxph(Surv(time, status) ~ x, aml) (Efron ties): coef 0.9155, se 0.5119, HR 2.498,
    # 95% CI 0.916 to 6.81, Wald p 0.0737. (lifelines gives the upper limit 6.8135.)
    hr = cox_hazard_ratio(aml.time, aml.status, aml.nonmaintained)
    assert round(math.log(hr.hazard_ratio), 4) == 0.9155
    assert round(hr.hazard_ratio, 3) == 2.498
    assert (round(hr.lower, 3), round(hr.upper, 3)) == (0.916, 6.813)
    assert round(hr.p_value, 4) == 0.0737
    se = (math.log(hr.upper) - math.log(hr.lower)) / (2 * 1.959964)
    assert round(se, 4) == 0.5119


def test_weights_of_one_reproduce_the_unweighted_hazard_ratio(aml):
    plain = cox_hazard_ratio(aml.time, aml.status, aml.nonmaintained)
    weighted = cox_hazard_ratio(aml.time, aml.status, aml.nonmaintained, pd.Series(1.0, index=aml.index))
    assert weighted.hazard_ratio == pytest.approx(plain.hazard_ratio, rel=1e-6)
    # Only the variance changes: robust (sandwich) instead of model-based, with tied times pooled as
    # R coxph(robust = TRUE): robust se 0.4645092 (issue 14; lifelines' own gives 0.986 to 6.330).
    assert round(weighted.lower, 3) == 1.005 and round(weighted.upper, 3) == 6.209


def test_reverse_kaplan_meier_median_follow_up_on_a_hand_case():
    # Events at 2 and 7, censored at 3, 5, 8. Reverse KM (censoring is the event): at 3, 4 at risk
    # -> 3/4; at 5, 3 at risk -> 3/4 x 2/3 = 1/2, flat until 8: the median follow-up is the midpoint
    # 6.5, as R quantile(survfit(Surv(time, 1 - status) ~ 1), 0.5) reads a flat stretch at 1/2.
    durations, events = pd.Series([2.0, 3, 5, 7, 8]), pd.Series([1, 0, 0, 1, 0])
    assert reverse_km_median_followup(durations, events) == 6.5


def test_landmarks_and_quartiles_on_the_reference_times():
    fitter = fit_kaplan_meier(pd.Series(TIMES), pd.Series(EVENTS))
    table = landmarks(fitter, pd.Series(TIMES), (6, 12, 24))
    assert table.SURVIVAL.round(4).tolist()[:2] == [0.6494, 0.3711]
    assert table.N_AT_RISK.tolist() == [11, 4, 0]  # still under observation at 6, 12 and 24
    assert math.isnan(table.SURVIVAL.iloc[2])  # beyond the last follow-up (20.1): not estimable
    assert table.LCL.iloc[0] < 0.6494 < table.UCL.iloc[0]
    # the quartiles as tte_summary reads them: S first <= 0.75 at 4.8 (0.714), <= 0.25 at 18.0 (0.139)
    assert (survival_quantile(fitter, 0.25)[0], survival_quantile(fitter, 0.75)[0]) == (4.8, 18.0)


def test_standardised_mean_difference_on_hand_cases():
    treated = pd.Series([True, True, True, False, False, False])
    # means 2 and 3, variances 2/3 each: -1 / sqrt(2/3)
    values = pd.Series([1.0, 2, 3, 2, 3, 4])
    assert round(standardised_mean_difference(values, treated), 4) == -1.2247
    # weights 1, 1, 2 on the treated: mean 2.25, variance 0.6875; -0.75 / sqrt((0.6875 + 2/3) / 2)
    weights = pd.Series([1.0, 1, 2, 1, 1, 1])
    assert round(standardised_mean_difference(values, treated, weights), 4) == -0.9115
    # an indicator: 0.5 vs 0.25 -> 0.25 / sqrt((0.25 + 0.1875) / 2)
    flag = pd.Series([1.0, 1, 0, 0, 1, 0, 0, 0])
    arm = pd.Series([True] * 4 + [False] * 4)
    assert round(standardised_mean_difference(flag, arm), 4) == 0.5345


def test_stabilised_weights_average_about_one():
    rng = np.random.default_rng(7)
    n = 600
    covariates = pd.DataFrame({"x": rng.normal(size=n), "z": rng.binomial(1, 0.4, size=n).astype(float)})
    treated = pd.Series(rng.binomial(1, 1 / (1 + np.exp(-(0.3 + 0.8 * covariates.x - 0.7 * covariates.z)))) == 1)
    import statsmodels.api as sm

    scores = sm.Logit(treated.astype(float), sm.add_constant(covariates)).fit(disp=0).predict()
    marginal = treated.mean()
    weights = pd.Series(np.where(treated, marginal / scores, (1 - marginal) / (1 - scores)))
    fit = propensity_weights(treated, covariates.rename(columns={"x": "Age, years", "z": "Extrahepatic spread"}))
    assert fit.weights.to_numpy() == pytest.approx(weights.to_numpy())
    assert fit.weights.mean() == pytest.approx(1.0, abs=0.05)
    assert fit.weights[treated].mean() == pytest.approx(1.0, abs=0.05)
    assert fit.weights[~treated].mean() == pytest.approx(1.0, abs=0.05)
    # and the weights balance what the model contains
    assert abs(standardised_mean_difference(covariates.x, treated)) > 0.3
    assert abs(standardised_mean_difference(covariates.x, treated, fit.weights)) < 0.05


def test_weighted_rate_difference_with_weights_of_one_is_the_wald_difference():
    # 20/39 vs 10/39: difference 0.2564, unpooled Wald SE sqrt(p1 q1 / 39 + p0 q0 / 39) = 0.1063.
    responded = pd.Series([1] * 20 + [0] * 19 + [1] * 10 + [0] * 29)
    treated = pd.Series([True] * 39 + [False] * 39)
    diff = weighted_rate_difference(responded, treated, pd.Series(1.0, index=responded.index))
    assert round(diff.difference, 4) == 0.2564
    assert (round(diff.lower, 4), round(diff.upper, 4)) == (0.0481, 0.4647)
    # weights move the estimate: treated 1 (w 3) and 0 (w 1) -> 0.75; reference 1, 0, 0 (w 1, 1, 2) -> 0.25
    weighted = weighted_rate_difference(
        pd.Series([1, 0, 1, 0, 0]), pd.Series([True, True, False, False, False]), pd.Series([3.0, 1, 1, 1, 2])
    )
    assert weighted.difference == pytest.approx(0.5)
