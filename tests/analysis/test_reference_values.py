"""The statistics pinned to published reference values (SPEC section 6)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.rates import clopper_pearson, rate_difference
from analysis.survival import fit_kaplan_meier, kaplan_meier_summary, survival_at


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
    s6, s12 = survival_at(fitter, [6, 12])
    assert round(s6, 4) == 0.6494 and round(s12, 4) == 0.3711
