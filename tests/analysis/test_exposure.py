"""Exposure summary on a hand-made ADEX frame."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.exposure import ADEX_COLUMNS, EXPOSURE_SUMMARY_COLUMNS, exposure_summary


def _rows(paramn, paramcd, param, values, avalc=None):
    return [
        dict(
            USUBJID=usubjid,
            SAFFL="Y",
            TRT01A=arm,
            TRT01AN=1 if arm == "LEN+SIRT" else 2,
            PARAMN=paramn,
            PARAMCD=paramcd,
            PARAM=param,
            AVAL=aval,
            AVALC=None if avalc is None else ("Y" if aval else "N"),
        )
        for usubjid, arm, aval in values
    ]


ADEX = pd.DataFrame(
    _rows(
        1,
        "TRTDURD",
        "Lenvatinib Duration of Treatment (days)",
        [
            ("P1", "LEN+SIRT", 10.0),
            ("P2", "LEN+SIRT", 20.0),
            ("P3", "LEN+SIRT", 30.0),
            ("P4", "LEN+SIRT", 40.0),
            ("P5", "LEN", 7.0),
        ],
    )
    + _rows(
        8,
        "REDUCFL",
        "Any Lenvatinib Dose Reduction",
        [
            ("P1", "LEN+SIRT", 1.0),
            ("P2", "LEN+SIRT", 0.0),
            ("P3", "LEN+SIRT", 0.0),
            ("P4", "LEN+SIRT", 1.0),
            ("P5", "LEN", 0.0),
        ],
        avalc=True,
    )
    + _rows(11, "SIRTACT", "SIRT Activity (GBq)", [("P1", "LEN+SIRT", 2.5)])
)


def test_numeric_parameters_get_median_quartiles_range():
    table = exposure_summary(ADEX)
    assert list(table.columns) == EXPOSURE_SUMMARY_COLUMNS
    duration = table[(table["PARAMCD"] == "TRTDURD") & (table["TRT01A"] == "LEN+SIRT")].iloc[0]
    assert duration[["N", "MEDIAN", "Q1", "Q3", "MIN", "MAX"]].tolist() == [4, 25.0, 17.5, 32.5, 10.0, 40.0]
    assert pd.isna(duration["COUNT"]) and pd.isna(duration["PCT"])


def test_yes_no_parameters_get_count_and_percent():
    table = exposure_summary(ADEX)
    reduced = table[table["PARAMCD"] == "REDUCFL"].set_index("TRT01A")
    assert reduced.loc["LEN+SIRT", ["N", "COUNT"]].tolist() == [4, 2]
    assert reduced.loc["LEN+SIRT", "PCT"] == pytest.approx(50.0)
    assert reduced.loc["LEN", ["N", "COUNT", "PCT"]].tolist() == [1, 0, 0.0]
    assert pd.isna(reduced.loc["LEN", "MEDIAN"])


def test_rows_in_parameter_then_arm_order_and_only_arms_with_the_parameter():
    table = exposure_summary(ADEX)
    assert table[["PARAMCD", "TRT01A"]].values.tolist() == [
        ["TRTDURD", "LEN+SIRT"],
        ["TRTDURD", "LEN"],
        ["REDUCFL", "LEN+SIRT"],
        ["REDUCFL", "LEN"],
        ["SIRTACT", "LEN+SIRT"],
    ]


def test_patients_outside_the_safety_population_are_left_out():
    table = exposure_summary(ADEX.assign(SAFFL=lambda f: f["USUBJID"].map(lambda u: "N" if u == "P5" else "Y")))
    assert "LEN" not in table["TRT01A"].tolist()


def test_the_summary_needs_only_the_columns_the_asset_reads():
    assert exposure_summary(ADEX[ADEX_COLUMNS]).equals(exposure_summary(ADEX))
