"""Kaplan-Meier median, quartiles and limits read as R survival 3.5.3 `quantile.survfit` reads them (issue 14).

Each expected value was computed once with R (`quantile(survfit(Surv(t, e) ~ 1, conf.type =
"log-log"), probs = c(.25, .5, .75))`) and is pinned here; R is not needed to run the tests.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.efficacy import Arms, tte_summary
from analysis.survival import fit_kaplan_meier, kaplan_meier_summary, reverse_km_median_followup, survival_quantile

NA = float("nan")

# `warehouse generate --patients 78 --seed 20261124`, ADTTE DOR of the LEN arm (AVAL days, CNSR).
DOR_LEN_DAYS = [549, 255, 215, 471, 130, 419, 468, 124, 461, 468, 549, 337]
DOR_LEN_CNSR = [0, 5, 0, 0, 0, 5, 0, 0, 5, 0, 0, 0]
# The same export, PFS of the LEN+SIRT arm: S(t) is exactly 0.5 over a stretch.
PFS_LEN_SIRT_DAYS = [
    252,
    845,
    174,
    87,
    126,
    216,
    127,
    508,
    457,
    208,
    254,
    1,
    586,
    295,
    133,
    50,
    418,
    254,
    88,
    250,
    299,
    339,
    257,
    88,
    595,
    842,
    452,
    208,
    169,
    125,
    85,
    589,
    339,
    302,
    171,
    12,
    423,
    290,
    86,
]
PFS_LEN_SIRT_CNSR = [
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    5,
    0,
    0,
    5,
    1,
    0,
    0,
    0,
    0,
    0,
    5,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    5,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    5,
    5,
    0,
]
DAYS_PER_MONTH = 30.4375


def summary_and_quartiles(durations: list[float], events: list[int]) -> tuple[float, ...]:
    durations_, events_ = pd.Series(durations, dtype=float), pd.Series(events).astype(bool)
    km = kaplan_meier_summary(durations_, events_)
    fitter = fit_kaplan_meier(durations_, events_)  # the quartiles as tte_summary reads them
    return (
        km.median,
        km.median_lower,
        km.median_upper,
        survival_quantile(fitter, 0.25)[0],
        survival_quantile(fitter, 0.75)[0],
    )


def same(found: tuple[float, ...], expected: tuple[float, ...]) -> bool:
    return all((math.isnan(f) and math.isnan(e)) or f == pytest.approx(e, abs=5e-9) for f, e in zip(found, expected))


# name: (durations, events, R median, lower, upper, Q1 (S falls to 0.75), Q3 (S falls to 0.25)).
CASES = {
    # The case: the upper band is 0.568 at the last event before S reaches 0 and undefined
    # there, so it never falls to 0.5: no upper limit (lifelines read its band as 0 there: 18.04).
    # S is exactly 0.75 from 7.06 to 11.07 months: Q1 is the midpoint.
    "78 patients, DOR LEN, months": (
        [d / DAYS_PER_MONTH for d in DOR_LEN_DAYS],
        [c == 0 for c in DOR_LEN_CNSR],
        15.37577002,
        4.271047228,
        NA,
        9.067761807,
        18.03696099,
    ),
    "78 patients, DOR LEN, days": (DOR_LEN_DAYS, [c == 0 for c in DOR_LEN_CNSR], 468, 130, NA, 276, 549),
    # S exactly 0.5 between 8.28 and 8.44 months: the median is the midpoint (lifelines: 8.28).
    "78 patients, PFS LEN+SIRT, months": (
        [d / DAYS_PER_MONTH for d in PFS_LEN_SIRT_DAYS],
        [c == 0 for c in PFS_LEN_SIRT_CNSR],
        8.361396304,
        5.618069815,
        11.137577,
        4.1724846,
        14.85010267,
    ),
    # Four events: S = 0.75, 0.5, 0.25, 0: every quartile sits on a flat stretch.
    "flat stretches": ([1, 2, 3, 4], [1, 1, 1, 1], 2.5, 1, NA, 1.5, 3.5),
    # The curve ends flat at 0.5 (censored at 3 and 4): the median is the midpoint to the last time;
    # S never reaches 0.25: no Q3.
    "ends flat at the median": ([1, 2, 3, 4], [1, 1, 0, 0], 3, 1, NA, 1.5, NA),
    # Eight events: the upper band falls to 0.5 at 7 (a limit), S falls past 0.5 at 5 after 0.5 at 4.
    "upper band reaches 0.5": (list(range(1, 9)), [1] * 8, 4.5, 1, 7, 2.5, 6.5),
}


@pytest.mark.parametrize("name", CASES)
def test_median_quartiles_and_limits_equal_r(name: str):
    durations, events, *expected = CASES[name]
    found = summary_and_quartiles(durations, events)
    assert same(found, tuple(expected)), (found, expected)


def test_tte_summary_leaves_the_upper_limit_empty_where_r_has_none():
    # The reporting table of the case: UCL_MONTHS empty (not reached), not 18.04.
    adsl = pd.DataFrame({"USUBJID": [f"P{i}" for i in range(len(DOR_LEN_DAYS))], "TRT01P": "LEN", "FASFL": "Y"})
    adtte = pd.DataFrame({"USUBJID": adsl.USUBJID, "PARAMCD": "DOR", "AVAL": DOR_LEN_DAYS, "CNSR": DOR_LEN_CNSR})
    table = tte_summary(adtte, adsl, Arms.from_config(["LEN+SIRT", "LEN"], "LEN"), DAYS_PER_MONTH)
    row = table[(table.PARAMCD == "DOR") & (table.TRT01P == "LEN")].iloc[0]
    assert (row.MEDIAN_MONTHS, row.LCL_MONTHS) == (pytest.approx(15.37577002), pytest.approx(4.271047228))
    assert math.isnan(row.UCL_MONTHS)


def test_reverse_km_follow_up_reads_a_flat_stretch_as_r():
    # Censoring is the event: censored at 1, 2, 3, 4 gives S = 0.75, 0.5, 0.25, 0: median 2.5 as R
    # (quantile(survfit(Surv(t, 1 - e) ~ 1), .5)).
    assert reverse_km_median_followup(pd.Series([1.0, 2, 3, 4]), pd.Series([0, 0, 0, 0])) == 2.5
