"""The ADAE and ADEX suites pass on good frames and name what is wrong on bad ones."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from expectations import adae, adex, validate

ARMS = ["LEN+SIRT", "LEN"]


def _adae() -> pd.DataFrame:
    start = dt.date(2025, 1, 10)
    return pd.DataFrame(
        [
            dict(
                USUBJID="S-1",
                AESPID=1,
                TRT01A="LEN",
                TRTSDT=start,
                ASTDT=dt.date(2025, 1, 12),
                ASTDTF=None,
                AEDECOD="Fatigue",
                AESOC="General disorders",
                ATOXGR=2,
                TRTEMFL="Y",
                AESER="N",
                FATALFL="N",
                AOCCIFL="Y",
                AOCCSIFL="Y",
                AOCCPIFL="Y",
            ),
            dict(
                USUBJID="S-1",
                AESPID=2,
                TRT01A="LEN",
                TRTSDT=start,
                ASTDT=dt.date(2025, 1, 1),
                ASTDTF="D",
                AEDECOD="Nausea",
                AESOC="Gastrointestinal disorders",
                ATOXGR=3,
                TRTEMFL=None,
                AESER="N",
                FATALFL="N",
                AOCCIFL=None,
                AOCCSIFL=None,
                AOCCPIFL=None,
            ),
        ]
    )


def _adex() -> pd.DataFrame:
    rows = [
        ("TRTDURD", 100.0, None),
        ("STDOSE", 12.0, None),
        ("RDI", 95.5, None),
        ("NREDUC", 1.0, None),
        ("REDUCFL", 1.0, "Y"),
        ("NINTRP", 0.0, None),
        ("SIRTACT", 2.1, None),
    ]
    return pd.DataFrame(
        [
            dict(USUBJID="S-1", SAFFL="Y", TRT01A="LEN+SIRT", PARAMCD=code, AVAL=aval, AVALC=avalc)
            for code, aval, avalc in rows
        ]
    )


def test_adae_suite_passes_on_a_good_frame():
    assert validate(_adae(), "adae", adae.suite(ARMS)).success


def test_adae_suite_names_bad_grade_flag_without_teae_and_teae_before_treatment():
    frame = _adae()
    frame.loc[1, ["ATOXGR", "AOCCPIFL"]] = [6, "Y"]
    frame.loc[0, "ASTDT"] = dt.date(2025, 1, 9)
    result = validate(frame, "adae", adae.suite(ARMS))
    failed = {(failure.expectation, failure.column) for failure in result.failures}
    assert ("expect_column_values_to_be_in_set", "ATOXGR") in failed
    assert ("expect_column_values_to_not_be_null", "TRTEMFL") in failed
    assert ("expect_column_pair_values_a_to_be_greater_than_b", "ASTDT vs TRTSDT") in failed


def test_adex_suite_passes_on_a_good_frame_and_flags_impossible_values():
    assert validate(_adex(), "adex", adex.suite(ARMS)).success
    frame = _adex()
    frame.loc[frame["PARAMCD"] == "TRTDURD", "AVAL"] = 0.0
    frame.loc[frame["PARAMCD"] == "SIRTACT", "AVAL"] = 210.0
    failed = {failure.detail for failure in validate(frame, "adex", adex.suite(ARMS)).failures}
    assert len(failed) == 2
