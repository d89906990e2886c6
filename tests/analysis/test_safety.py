"""AE overview and AE by SOC/PT on hand-made ADSL and ADAE frames."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.safety import (
    ADAE_COLUMNS,
    ADSL_COLUMNS,
    AE_BY_SOC_PT_COLUMNS,
    AE_OVERVIEW_COLUMNS,
    ae_by_soc_pt,
    ae_overview,
)

ADSL = pd.DataFrame(
    [
        # USUBJID, SAFFL, TRT01A, TRT01AN
        ("P1", "Y", "LEN+SIRT", 1),
        ("P2", "Y", "LEN+SIRT", 1),
        ("P3", "Y", "LEN", 2),
        ("P4", "Y", "LEN", 2),
        ("P5", "Y", "LEN", 2),
        ("P6", "N", None, None),  # never treated: not in the safety population
    ],
    columns=["USUBJID", "SAFFL", "TRT01A", "TRT01AN"],
)

VASC, GEN = "Vascular disorders", "General disorders"
_AE_COLUMNS = [
    "USUBJID",
    "SAFFL",
    "TRT01A",
    "AESPID",
    "AESOC",
    "AEDECOD",
    "ATOXGR",
    "TRTEMFL",
    "AESER",
    "FATALFL",
    "AEACNLEN",
    "AERELLEN",
    "AERELSRT",
    "AOCCIFL",
    "AOCCSIFL",
    "AOCCPIFL",
]
ADAE = pd.DataFrame(
    [
        # P1: hypertension grade 2 then 3 (both TEAE), fatigue grade 1 related to SIRT.
        (
            "P1",
            "Y",
            "LEN+SIRT",
            1,
            VASC,
            "Hypertension",
            2,
            "Y",
            "N",
            "N",
            "DOSE NOT CHANGED",
            "RELATED",
            "NOT RELATED",
            None,
            None,
            None,
        ),
        (
            "P1",
            "Y",
            "LEN+SIRT",
            2,
            VASC,
            "Hypertension",
            3,
            "Y",
            "Y",
            "N",
            "DOSE REDUCED",
            "RELATED",
            "NOT RELATED",
            "Y",
            "Y",
            "Y",
        ),
        (
            "P1",
            "Y",
            "LEN+SIRT",
            3,
            GEN,
            "Fatigue",
            1,
            "Y",
            "N",
            "N",
            "DRUG INTERRUPTED",
            "NOT RELATED",
            "RELATED",
            None,
            "Y",
            "Y",
        ),
        # P3: fatal fatigue (grade 5) that led to withdrawal.
        (
            "P3",
            "Y",
            "LEN",
            1,
            GEN,
            "Fatigue",
            5,
            "Y",
            "Y",
            "Y",
            "DRUG WITHDRAWN",
            "NOT RELATED",
            "NOT APPLICABLE",
            "Y",
            "Y",
            "Y",
        ),
        # P4: a grade 4 before treatment (not TEAE) and a grade 1 hypertension TEAE.
        (
            "P4",
            "Y",
            "LEN",
            1,
            VASC,
            "Hypertension",
            4,
            None,
            "Y",
            "N",
            "NOT APPLICABLE",
            "NOT RELATED",
            "NOT APPLICABLE",
            None,
            None,
            None,
        ),
        (
            "P4",
            "Y",
            "LEN",
            2,
            VASC,
            "Hypertension",
            1,
            "Y",
            "N",
            "N",
            "DOSE NOT CHANGED",
            "RELATED",
            "NOT APPLICABLE",
            "Y",
            "Y",
            "Y",
        ),
        # P6: never treated, AE not counted.
        (
            "P6",
            "N",
            None,
            1,
            GEN,
            "Fatigue",
            3,
            None,
            "N",
            "N",
            "NOT APPLICABLE",
            "NOT RELATED",
            "NOT APPLICABLE",
            None,
            None,
            None,
        ),
    ],
    columns=_AE_COLUMNS,
)


def _cell(table: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        mask &= table[column].isna() if value is None else table[column].eq(value)
    (row,) = table[mask].itertuples(index=False)
    return pd.Series(row._asdict())


def test_ae_overview_counts_patients_per_category_and_arm():
    table = ae_overview(ADSL, ADAE)
    assert list(table.columns) == AE_OVERVIEW_COLUMNS
    assert table["ORDER_N"].tolist() == [n for n in range(1, 10) for _ in range(2)]
    assert table["TRT01A"].tolist()[:2] == ["LEN+SIRT", "LEN"]
    expected = {
        # category: (LEN+SIRT patients of 2, LEN patients of 3)
        "Any TEAE": (1, 2),
        "Grade >= 3 TEAE": (1, 1),  # P4's grade 4 is before treatment
        "Serious TEAE": (1, 1),
        "Fatal TEAE": (0, 1),
        "TEAE leading to lenvatinib dose reduction": (1, 0),
        "TEAE leading to lenvatinib interruption": (1, 0),
        "TEAE leading to lenvatinib withdrawal": (0, 1),
        "TEAE related to lenvatinib": (1, 1),
        "TEAE related to SIRT": (1, 0),
    }
    for category, (combination, alone) in expected.items():
        assert _cell(table, CATEGORY=category, TRT01A="LEN+SIRT")["PATIENTS"] == combination, category
        assert _cell(table, CATEGORY=category, TRT01A="LEN")["PATIENTS"] == alone, category
    assert _cell(table, CATEGORY="Any TEAE", TRT01A="LEN+SIRT")[["N_ARM", "PCT"]].tolist() == [2, 50.0]
    assert _cell(table, CATEGORY="Any TEAE", TRT01A="LEN")["PCT"] == pytest.approx(200 / 3)


def test_ae_by_soc_pt_rows_worst_grade_and_order():
    table = ae_by_soc_pt(ADSL, ADAE)
    assert list(table.columns) == AE_BY_SOC_PT_COLUMNS
    # SOCs by patients over arms (Vascular 2, General 2: tie -> name), SOC row before its PTs.
    assert table[["AESOC", "AEDECOD"]].drop_duplicates().values.tolist() == [
        [GEN, None],
        [GEN, "Fatigue"],
        [VASC, None],
        [VASC, "Hypertension"],
    ]
    assert len(table) == 8  # every arm on every row
    hypertension = _cell(table, AESOC=VASC, AEDECOD="Hypertension", TRT01A="LEN+SIRT")
    assert hypertension[["N_ARM", "PATIENTS_ANY", "PCT_ANY", "PATIENTS_GE3", "PCT_GE3", "WORST_GRADE"]].tolist() == [
        2,
        1,
        50.0,
        1,
        50.0,
        3,
    ]
    # P4's pre-treatment grade 4 does not count: worst grade 1.
    assert _cell(table, AESOC=VASC, AEDECOD="Hypertension", TRT01A="LEN")[
        ["PATIENTS_ANY", "PATIENTS_GE3", "WORST_GRADE"]
    ].tolist() == [1, 0, 1]
    fatigue_soc = _cell(table, AESOC=GEN, AEDECOD=None, TRT01A="LEN")
    assert fatigue_soc[["PATIENTS_ANY", "PATIENTS_GE3", "WORST_GRADE"]].tolist() == [1, 1, 5]


def test_ae_by_soc_pt_zero_rows_for_an_arm_without_the_term():
    only_one_arm = ADAE[ADAE["USUBJID"].eq("P1")]
    table = ae_by_soc_pt(ADSL, only_one_arm)
    row = _cell(table, AESOC=GEN, AEDECOD="Fatigue", TRT01A="LEN")
    assert row["PATIENTS_ANY"] == 0 and row["PCT_ANY"] == 0.0 and pd.isna(row["WORST_GRADE"])


@pytest.mark.parametrize("dtype", ["Int64", "float64"])
def test_a_missing_grade_counts_as_any_grade_not_as_grade_3_or_more(dtype):
    """A TEAE without a grade (an SDTM export can have one; pandas reads it as <NA> or NaN): the
    patient has the event, not one of grade >= 3, and the worst grade stays that of the others."""
    ungraded = ADAE.astype({"ATOXGR": dtype})
    ungraded.loc[ungraded["ATOXGR"].eq(3), "ATOXGR"] = None  # P1's Hypertension, their only grade >= 3
    table = ae_by_soc_pt(ADSL, ungraded)
    hypertension = _cell(table, AESOC=VASC, AEDECOD="Hypertension", TRT01A="LEN+SIRT")
    assert hypertension[["PATIENTS_ANY", "PATIENTS_GE3"]].tolist() == [1, 0]
    assert pd.isna(hypertension["WORST_GRADE"])
    fatigue_soc = _cell(table, AESOC=GEN, AEDECOD=None, TRT01A="LEN")
    assert fatigue_soc[["PATIENTS_ANY", "PATIENTS_GE3", "WORST_GRADE"]].tolist() == [1, 1, 5]


def test_no_teae_gives_zero_counts_and_an_empty_soc_table():
    no_teae = ADAE.assign(TRTEMFL=None)
    overview = ae_overview(ADSL, no_teae)
    assert overview["PATIENTS"].eq(0).all() and len(overview) == 18
    assert ae_by_soc_pt(ADSL, no_teae).empty


def test_the_tables_need_only_the_columns_the_assets_read():
    assert ae_overview(ADSL[ADSL_COLUMNS], ADAE[ADAE_COLUMNS]).equals(ae_overview(ADSL, ADAE))
    assert ae_by_soc_pt(ADSL[ADSL_COLUMNS], ADAE[ADAE_COLUMNS]).equals(ae_by_soc_pt(ADSL, ADAE))
