"""The ADSL and ADEX suites: what they check that the marts' dbt tests do not (docs/data_quality.md)."""

from __future__ import annotations

import pandas as pd

from expectations import adex, adsl, validate


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


def test_adex_suite_passes_on_a_good_frame_and_flags_implausible_values():
    assert validate(_adex(), "adex", adex.suite()).success
    frame = _adex()
    frame.loc[frame["PARAMCD"] == "STDOSE", "AVAL"] = 40.0  # 40 mg a day: no such starting dose
    frame.loc[frame["PARAMCD"] == "SIRTACT", "AVAL"] = 210.0  # MBq written as GBq
    frame.loc[frame["PARAMCD"] == "RDI", "AVAL"] = 300.0  # the boundary holds
    failed = [failure.detail for failure in validate(frame, "adex", adex.suite()).failures]
    assert (
        len(failed) == 2 and any("40.0" in detail for detail in failed) and any("210.0" in detail for detail in failed)
    )


def test_adsl_suite_counts_every_enrolled_patient():
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-2"]})
    assert validate(frame, "adsl", adsl.suite(2)).success
    (failure,) = validate(frame, "adsl", adsl.suite(3)).failures
    assert failure.expectation == "expect_table_row_count_to_equal" and "observed_value=2" in failure.detail
