"""The CSR tables (analysis.tlg) on the six-patient study of tests/analysis/tlg_study.py, whose
tables can be written down by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import efficacy
from analysis.tlg import adverse_events, demographics, disposition, exposure, response, time_to_event
from analysis.tlg.catalogue import CATALOGUE, footnotes, title_lines
from analysis.tlg.layout import TABLE_COLUMNS, display
from tests.analysis.tlg_study import ADAE, ADEX, ADSL, ARMS, BASELINE_SUM, GEN, SMD, VASC, inputs

COLUMNS = ["LEN+SIRT", "LEN", "Total"]


def cell(table: pd.DataFrame, label: str, column: str, section: str | None = None) -> str:
    rows = table[(table.ROW_LABEL == label) & (table.COLUMN_LABEL == column)]
    if section is not None:
        rows = rows[rows.SECTION == section]
    assert len(rows) == 1, f"{label} / {column} / {section}: {len(rows)} cells"
    return str(rows.DISPLAY.iloc[0])


def row(table: pd.DataFrame, label: str, section: str | None = None, columns=COLUMNS) -> list[str]:  # noqa: ANN001
    return [cell(table, label, column, section) for column in columns]


# --- DMT01 ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dmt01():
    return demographics.dmt01(ADSL, BASELINE_SUM, SMD, ARMS)


def test_dmt01_continuous_statistics_per_arm_and_total(dmt01):
    age = "Age, years"
    assert list(dmt01.columns) == TABLE_COLUMNS
    assert row(dmt01, "n", age) == ["2", "3", "5"]
    assert row(dmt01, "Mean (SD)", age) == ["55.0 (7.1)", "63.3 (7.6)", "60.0 (7.9)"]
    assert row(dmt01, "Median", age) == ["55.0", "65.0", "60.0"]
    # SAS QNTLDEF=5: Q1 of (50, 60) is 50 (n p = 0.5 is not whole: the next value); of (50, 55, 60, 65, 70), 55.
    assert row(dmt01, "Q1 - Q3", age) == ["50.0 - 60.0", "55.0 - 70.0", "55.0 - 65.0"]
    assert row(dmt01, "Min - Max", age) == ["50 - 60", "55 - 70", "50 - 70"]
    assert row(dmt01, "Missing", age) == ["1", "0", "1"]
    assert cell(dmt01, "n", "SMD", age) == "0.12"


def test_dmt01_categories_are_decoded_with_percent_of_the_column_n(dmt01):
    assert row(dmt01, "Female", "Sex") == ["1 (33.3%)", "1 (33.3%)", "2 (33.3%)"]
    assert row(dmt01, "Male", "Sex") == ["2 (66.7%)", "2 (66.7%)", "4 (66.7%)"]
    assert not (dmt01.ROW_LABEL.isin(["F", "M"])).any()
    headers = display(dmt01).header
    assert headers[1:] == ["LEN+SIRT\n(N=3)", "LEN\n(N=3)", "Total\n(N=6)", "SMD"]


def test_dmt01_baseline_sum_missing_for_a_patient_without_targets(dmt01):
    assert row(dmt01, "Missing", "Baseline target sum, mm") == ["1", "0", "1"]
    assert row(dmt01, "Median", "Baseline target sum, mm") == ["45.00", "30.00", "40.00"]


# --- DST01 ---------------------------------------------------------------------------------------


def test_dst01_counts_populations_status_and_reasons():
    table = disposition.dst01(ADSL, ARMS)
    assert row(table, "Enrolled") == ["3 (100.0%)", "3 (100.0%)", "6 (100.0%)"]
    assert row(table, "Safety population (treated)") == ["2 (66.7%)", "3 (100.0%)", "5 (83.3%)"]
    assert row(table, "Discontinued", "End of treatment") == ["1 (33.3%)", "2 (66.7%)", "3 (50.0%)"]
    assert row(table, "Progressive disease", "End of treatment") == ["1 (33.3%)", "1 (33.3%)", "2 (33.3%)"]
    assert row(table, "Adverse event", "End of treatment") == ["0", "1 (33.3%)", "1 (16.7%)"]
    assert row(table, "Never treated", "End of treatment") == ["1 (33.3%)", "0", "1 (16.7%)"]
    assert row(table, "Ongoing", "End of study") == ["2 (66.7%)", "2 (66.7%)", "4 (66.7%)"]
    assert row(table, "Lost to follow-up", "End of study") == ["0", "1 (33.3%)", "1 (16.7%)"]
    assert row(table, "Deaths") == ["1 (33.3%)", "0", "1 (16.7%)"]


# --- RSPT01 --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rspt01():
    study = inputs()
    rates, differences = study.response_rates, study.response_differences
    return response.rspt01(study.adrs, ADSL, rates, differences, ARMS), rates, differences


def test_rspt01_best_overall_response_categories(rspt01):
    table, _, _ = rspt01
    confirmed = "Confirmed best overall response"
    assert row(table, "Complete response (CR)", confirmed) == ["0", "1 (33.3%)", "1 (16.7%)"]
    assert row(table, "Partial response (PR)", confirmed) == ["1 (33.3%)", "0", "1 (16.7%)"]
    assert row(table, "Stable disease (SD)", confirmed) == ["1 (33.3%)", "0", "1 (16.7%)"]
    assert row(table, "Non-CR/non-PD", confirmed) == ["0", "0", "0"]
    assert row(table, "Progressive disease (PD)", confirmed) == ["0", "1 (33.3%)", "1 (16.7%)"]
    assert row(table, "Not evaluable (NE)", confirmed) == ["0", "1 (33.3%)", "1 (16.7%)"]
    assert row(table, "Missing (no post-baseline assessment)", confirmed) == ["1 (33.3%)", "0", "1 (16.7%)"]
    unconfirmed = "Best overall response, unconfirmed"
    assert row(table, "Partial response (PR)", unconfirmed) == ["2 (66.7%)", "0", "2 (33.3%)"]
    assert row(table, "Stable disease (SD)", unconfirmed) == ["0", "0", "0"]


def test_rspt01_rates_are_the_reporting_rows_and_total_has_its_exact_interval(rspt01):
    table, rates, differences = rspt01
    section = "Objective response rate (confirmed CR + PR)"
    crsp = rates[rates.PARAMCD == "CRSP"].set_index("TRT01P")
    values = table[(table.SECTION == section) & (table.ROW_LABEL == "Responders (ORR)")].set_index("COLUMN_LABEL").VALUE
    assert values["LEN+SIRT"] == crsp.RESPONDERS["LEN+SIRT"] and values["LEN"] == crsp.RESPONDERS["LEN"]
    assert row(table, "Responders (ORR)", section) == ["1 (33.3%)", "1 (33.3%)", "2 (33.3%)"]
    # Clopper-Pearson of 1/3: 0.84 to 90.57 %; of 2/6: 4.33 to 77.72 %.
    assert row(table, "95% CI (Clopper-Pearson)", section) == ["(0.8, 90.6)", "(0.8, 90.6)", "(4.3, 77.7)"]
    unadjusted = differences[(differences.PARAMCD == "CRSP") & (differences.METHOD == "unadjusted")].iloc[0]
    assert cell(table, "Unadjusted: difference in ORR (%)", "LEN+SIRT", section) == "0.0"
    assert cell(table, "95% CI (Newcombe)", "LEN+SIRT", section) == (
        f"({unadjusted.LCL_PCT:.1f}, {unadjusted.UCL_PCT:.1f})"
    )
    assert cell(table, "IPTW-adjusted: difference in ORR (%)", "LEN+SIRT", section) == "0.0"
    assert cell(table, "p-value (Fisher exact)", "LEN+SIRT", section) == f"{unadjusted.P_VALUE:.4f}" == "1.0000"
    assert table[(table.ROW_LABEL == "p-value (Fisher exact)") & (table.COLUMN_LABEL != "LEN+SIRT")].empty
    assert row(table, "Responders (DCR)") == ["2 (66.7%)", "1 (33.3%)", "3 (50.0%)"]


# --- TTET01 --------------------------------------------------------------------------------------


def test_ttet01_quartiles_with_limits_and_not_reached_follow_up():
    adsl = pd.DataFrame(
        {"USUBJID": [f"T{i}" for i in range(8)], "TRT01P": ["LEN+SIRT"] * 4 + ["LEN"] * 4, "FASFL": "Y"}
    )
    # LEN+SIRT: events at 1, 2, 3, 4; LEN: censored at 1, events at 2, 3, 4 (days; 1 day = 1 month here).
    adtte = pd.DataFrame(
        {
            "USUBJID": adsl.USUBJID,
            "PARAMCD": "PFS",
            "AVAL": [1, 2, 3, 4, 1, 2, 3, 4],
            "CNSR": [0, 0, 0, 0, 1, 0, 0, 0],
        }
    )
    summary = efficacy.tte_summary(adtte, adsl, ARMS, 1.0)
    landmarks = efficacy.tte_landmarks(adtte, adsl, ARMS, 1.0)
    comparisons = efficacy.tte_comparisons(adtte, adsl, adsl[["USUBJID"]].assign(WEIGHT=1.0), ARMS, 1.0)
    table = time_to_event.ttet01("PFS", summary, landmarks, comparisons, ARMS, {"LEN+SIRT": 4, "LEN": 4})
    columns = ["LEN+SIRT", "LEN"]
    # R quantile.survfit: S falls exactly to 0.75, 0.5, 0.25 at 1, 2, 3: midpoints to the next event.
    medians = row(table, "Median (95% CI)", columns=columns)
    assert medians[0].startswith("2.5 (") and medians[1].startswith("3.0 (")
    assert row(table, "25th percentile (95% CI)", columns=columns)[0].startswith("1.5 (")
    assert row(table, "75th percentile (95% CI)", columns=columns)[0].startswith("3.5 (")
    assert row(table, "75th percentile (95% CI)", columns=columns)[1].startswith("4.0 (")
    assert {"Q1_LCL_MONTHS", "Q1_UCL_MONTHS", "Q3_LCL_MONTHS", "Q3_UCL_MONTHS"} <= set(summary.columns)
    # Reverse KM: LEN+SIRT has no censoring, LEN one of four: neither falls to 50 % -> NR, never "-".
    assert row(table, "Median follow-up (reverse Kaplan-Meier)", columns=columns) == ["NR", "NR"]
    assert row(table, "Patients with event", columns=columns) == ["4 (100.0%)", "3 (75.0%)"]
    assert "Total" not in set(table.COLUMN_LABEL)
    assert cell(table, "p-value (log-rank)", "LEN+SIRT") != ""


# --- AET01, AET02, AET04, listings ---------------------------------------------------------------


def test_aet04_counts_each_patient_at_the_highest_grade():
    table = adverse_events.aet04(ADSL, ADAE)
    overall = "- Any adverse event -"
    assert row(table, "- Any grade -", overall) == ["2 (100.0%)", "1 (33.3%)", "3 (60.0%)"]
    assert row(table, "Grade 1-2", overall) == ["1 (50.0%)", "0", "1 (20.0%)"]
    assert row(table, "Grade 3", overall) == ["1 (50.0%)", "0", "1 (20.0%)"]
    assert row(table, "Grade 4", overall) == ["0", "0", "0"]  # P4's grade 4 is below their grade 5
    assert row(table, "Grade 5", overall) == ["0", "1 (33.3%)", "1 (20.0%)"]
    vascular = table[table.SECTION == VASC]
    by_label = vascular.groupby("ROW_ORDER").ROW_LABEL.first().tolist()
    # SOC, its grade rows, then the term and its grade rows; SOCs tied on 2 patients: by name.
    assert by_label[0] == VASC and by_label[6] == "Hypertension"
    assert table.SECTION.drop_duplicates().tolist() == [overall, GEN, VASC]
    printed = {cells[0]: (indent, heading) for cells, indent, heading in display(table).rows}
    assert printed[VASC] == (0, True) and printed["Hypertension"] == (1, False)  # the SOC prints bold
    soc_grade_4 = vascular[(vascular.ROW_ORDER == vascular.ROW_ORDER.min() + 4)]
    assert soc_grade_4.ROW_LABEL.iloc[0] == "Grade 4"
    assert soc_grade_4.set_index("COLUMN_LABEL").DISPLAY.to_dict() == {
        "LEN+SIRT": "0",
        "LEN": "1 (33.3%)",
        "Total": "1 (20.0%)",
    }


def test_aet02_and_aet01_total_columns():
    aet02 = adverse_events.aet02(ADSL, ADAE)
    assert row(aet02, "Patients with at least one TEAE") == ["2 (100.0%)", "1 (33.3%)", "3 (60.0%)"]
    assert row(aet02, GEN, GEN) == ["1 (50.0%)", "1 (33.3%)", "2 (40.0%)"]
    assert row(aet02, "Hypertension", VASC) == ["1 (50.0%)", "1 (33.3%)", "2 (40.0%)"]
    assert display(aet02).header[1:] == ["LEN+SIRT\n(N=2)", "LEN\n(N=3)", "Total\n(N=5)"]
    aet01 = adverse_events.aet01(ADSL, ADAE)
    assert row(aet01, "Serious TEAE") == ["1 (50.0%)", "1 (33.3%)", "2 (40.0%)"]
    assert row(aet01, "Fatal TEAE") == ["0", "1 (33.3%)", "1 (20.0%)"]
    assert row(aet01, "Total number of TEAEs") == ["3", "2", "5"]


def test_serious_and_fatal_listings():
    serious = adverse_events.ae_listing(ADSL, ADAE, "serious")
    assert serious[["USUBJID", "AEDECOD", "ATOXGR"]].values.tolist() == [
        ["P1", "Hypertension", 3],
        ["P4", "Fatigue", 5],
    ]
    assert serious.ASTDT.tolist() == ["2025-01-03", "2025-01-05"]
    fatal = adverse_events.ae_listing(ADSL, ADAE, "fatal")
    assert fatal.USUBJID.tolist() == ["P4"]


# --- EXT01 ---------------------------------------------------------------------------------------


def test_ext01_statistics_per_arm_and_total():
    table = exposure.ext01(ADSL, ADEX)
    duration = "Lenvatinib Duration of Treatment (days)"
    assert row(table, "n", duration) == ["2", "1", "3"]
    assert row(table, "Median", duration) == ["15.0", "30.0", "20.0"]
    assert row(table, "Q1 - Q3", duration) == ["12.5 - 17.5", "30.0 - 30.0", "15.0 - 25.0"]
    assert row(table, "Yes", "Any Lenvatinib Dose Reduction") == ["1 (50.0%)", "0", "1 (33.3%)"]


# --- catalogue -----------------------------------------------------------------------------------


def test_every_output_has_a_unique_number_title_population_and_method():
    numbers = [spec.number for spec in CATALOGUE]
    assert len(set(numbers)) == len(numbers) == 12
    assert numbers == sorted(numbers, key=lambda n: [int(p) for p in n.split(".")])  # CSR order
    assert len({spec.name for spec in CATALOGUE}) == len(CATALOGUE)
    dmt01 = next(spec for spec in CATALOGUE if spec.code == "DMT01")
    assert title_lines(dmt01, 78) == [
        "Table 14.1.2 (DMT01)",
        "Demographics and baseline characteristics",
        "Full analysis set (FASFL = Y), by planned arm (TRT01P) (N = 78)",
    ]
    assert "LEN+SIRT vs LEN" in footnotes(dmt01, "LEN+SIRT", "LEN")[1]
    pfs = next(spec for spec in CATALOGUE if spec.name == "tlg_ttet01_pfs")
    assert any("NR: not reached" in note and "follow-up" in note for note in footnotes(pfs))
