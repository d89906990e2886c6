"""The efficacy reporting tables on small hand-made ADaM frames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis import efficacy, propensity

ARMS = efficacy.Arms.from_config(["LEN+SIRT", "LEN"], "LEN")


def make_adsl(n_per_arm: int = 20, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 2 * n_per_arm
    return pd.DataFrame(
        {
            "USUBJID": [f"S-{i:03d}" for i in range(n)],
            "TRT01P": ["LEN+SIRT"] * n_per_arm + ["LEN"] * n_per_arm,
            "FASFL": "Y",
            "AGE": rng.integers(45, 80, n),
            "SEX": rng.choice(["M", "F"], n),
            "WEIGHTBL": rng.normal(70, 10, n).round(1),
            "ECOGBL": rng.choice([0, 1, 2], n, p=[0.5, 0.4, 0.1]),
            "CHILDPGH": rng.choice(["A5", "A6", "B7"], n),
            "BCLC": rng.choice(["B", "C"], n),
            "ETIOLOGY": rng.choice(["HBV", "HCV", "ALCOHOL"], n),
            "AFPBL": rng.lognormal(4, 2, n).round(1),
            "AFP400FL": rng.choice(["Y", "N"], n),
            "PRTACEN": rng.integers(1, 4, n),
            "MVIFL": rng.choice(["Y", "N"], n),
            "EHSFL": rng.choice(["Y", "N"], n),
        }
    )


def make_adrs(adsl: pd.DataFrame, responders: dict[str, set[int]]) -> pd.DataFrame:
    rows = []
    for paramcd in efficacy.RESPONSE_PARAMETERS:
        for i, usubjid in enumerate(adsl.USUBJID):
            rows.append((usubjid, paramcd, "Y" if i in responders.get(paramcd, set()) else "N"))
    return pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVALC"])


def test_arms_come_from_the_configuration():
    assert (ARMS.treated, ARMS.reference) == ("LEN+SIRT", "LEN")
    assert efficacy.Arms.from_config(["LEN", "LEN+SIRT"], "LEN").treated == "LEN+SIRT"
    with pytest.raises(ValueError, match="reference_arm 'SIRT' is not one of arms"):
        efficacy.Arms.from_config(["LEN+SIRT", "LEN"], "SIRT")


def test_response_rates_and_differences_are_treated_minus_reference():
    adsl = make_adsl(39)
    # 20/39 responders on LEN+SIRT, 10/39 on LEN: the SPEC section 6 example.
    adrs = make_adrs(adsl, {"CRSP": set(range(20)) | set(range(39, 49))})
    rates = efficacy.response_rates(adrs, adsl, ARMS)
    crsp = rates[rates.PARAMCD == "CRSP"].set_index("TRT01P")
    assert crsp.loc["LEN+SIRT", ["N", "RESPONDERS"]].tolist() == [39, 20]
    assert round(crsp.loc["LEN+SIRT", "RATE_PCT"], 1) == 51.3 and round(crsp.loc["LEN", "LCL_PCT"], 1) == 13.0
    weights = adsl[["USUBJID"]].assign(WEIGHT=1.0)
    differences = efficacy.response_differences(adrs, adsl, weights, ARMS).set_index(["PARAMCD", "METHOD"])
    unadjusted = differences.loc[("CRSP", "unadjusted")]
    assert (round(unadjusted.DIFF_PCT, 1), round(unadjusted.LCL_PCT, 1), round(unadjusted.UCL_PCT, 1)) == (
        25.6,
        4.1,
        44.2,
    )
    assert round(unadjusted.P_VALUE, 4) == 0.0354
    # With weights of 1 the IPTW difference is the plain difference (robust Wald interval).
    assert differences.loc[("CRSP", "iptw"), "DIFF_PCT"] == pytest.approx(unadjusted.DIFF_PCT)
    assert list(rates.columns) == ["PARAMCD", "TRT01P", "N", "RESPONDERS", "RATE_PCT", "LCL_PCT", "UCL_PCT"]


def test_a_patient_without_the_parameter_is_a_non_responder_in_the_denominator():
    adsl = make_adsl(3)
    adrs = make_adrs(adsl, {"CRSP": {0}})
    adrs = adrs[~((adrs.USUBJID == "S-001") & (adrs.PARAMCD == "CRSP"))]
    crsp = efficacy.response_rates(adrs, adsl, ARMS).query("PARAMCD == 'CRSP' and TRT01P == 'LEN+SIRT'").iloc[0]
    assert (crsp.N, crsp.RESPONDERS) == (3, 1)


def make_adtte(adsl: pd.DataFrame) -> pd.DataFrame:
    days = [30, 60, 90, 120, 400, 500, 800, 1000] * (len(adsl) // 8 + 1)
    rows = []
    for i, usubjid in enumerate(adsl.USUBJID):
        for paramcd in ("PFS", "OS", "DOR", "TTR"):
            rows.append((usubjid, paramcd, days[i], 0 if i % 3 else 1))
    return pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVAL", "CNSR"])


def test_time_to_event_tables_have_the_shared_columns_and_months():
    adsl = make_adsl(8)
    adtte = make_adtte(adsl)
    summary = efficacy.tte_summary(adtte, adsl, ARMS, 30.4375)
    assert list(summary.columns)[:10] == [
        "PARAMCD",
        "TRT01P",
        "N",
        "EVENTS",
        "CENSORED",
        "MEDIAN_MONTHS",
        "LCL_MONTHS",
        "UCL_MONTHS",
        "Q1_MONTHS",
        "Q3_MONTHS",
    ]
    assert summary.PARAMCD.unique().tolist() == ["PFS", "OS", "DOR"]
    assert summary.TRT01P.tolist()[:2] == ["LEN+SIRT", "LEN"]
    row = summary.iloc[0]
    assert row.N == 8 and row.EVENTS + row.CENSORED == 8
    landmarks = efficacy.tte_landmarks(adtte, adsl, ARMS, 30.4375)
    assert landmarks.MONTHS.unique().tolist() == [6, 12, 24, 36]
    # 1000 days = 32.9 months is the longest follow-up: 36 months is not estimable.
    assert landmarks[landmarks.MONTHS == 36].SURVIVAL.isna().all()
    curves = efficacy.km_curves(adtte, adsl, ARMS, 30.4375)
    first = curves[(curves.PARAMCD == "PFS") & (curves.TRT01P == "LEN+SIRT")].iloc[0]
    assert (first.TIME_MONTHS, first.N_AT_RISK, first.SURVIVAL) == (0.0, 8, 1.0)
    assert curves.TIME_MONTHS.max() == pytest.approx(1000 / 30.4375)
    comparisons = efficacy.tte_comparisons(adtte, adsl, adsl[["USUBJID"]].assign(WEIGHT=1.0), ARMS, 30.4375)
    assert comparisons[["PARAMCD", "METHOD"]].values.tolist()[:2] == [["PFS", "unadjusted"], ["PFS", "iptw"]]
    pfs = comparisons.set_index(["PARAMCD", "METHOD"]).loc["PFS"]
    assert pfs.loc["iptw", "HR"] == pytest.approx(pfs.loc["unadjusted", "HR"], rel=1e-6)


def test_ttr_summary_uses_descriptive_quantiles():
    adsl = make_adsl(4)
    adtte = pd.DataFrame({"USUBJID": adsl.USUBJID[:4], "PARAMCD": "TTR", "AVAL": [40.0, 50, 80, 100], "CNSR": 0})
    table = efficacy.ttr_summary(adtte, adsl, ARMS, 10.0).set_index("TRT01P")
    assert table.loc["LEN+SIRT", ["N", "MEDIAN_MONTHS", "MIN_MONTHS", "MAX_MONTHS"]].tolist() == [4, 6.5, 4.0, 10.0]
    assert table.loc["LEN+SIRT", ["Q1_MONTHS", "Q3_MONTHS"]].tolist() == [4.5, 9.0]  # SAS QNTLDEF=5
    assert table.loc["LEN", "N"] == 0 and math.isnan(table.loc["LEN", "MEDIAN_MONTHS"])


def test_missing_covariates_become_indicators_and_nobody_is_dropped():
    adsl = make_adsl(30)
    adsl.loc[[0, 5], "AFP400FL"] = None
    baseline_sum = pd.DataFrame({"USUBJID": adsl.USUBJID, "BASE_SUM": np.linspace(20, 120, len(adsl))})
    baseline_sum.loc[[1, 40], "BASE_SUM"] = np.nan
    covariates = propensity.covariate_frame(adsl, baseline_sum)
    design = propensity.design_matrix(covariates)
    assert {"AFP >= 400 ng/mL missing", "Baseline target sum, mm missing"} <= set(design.columns)
    assert not design.isna().any().any()
    adjustment = efficacy.iptw(adsl, baseline_sum, ARMS)
    assert len(adjustment.weights) == len(adsl) and adjustment.weights.WEIGHT.notna().all()
    balance = efficacy.balance(adsl, baseline_sum, adjustment.weights, ARMS)
    assert list(balance.columns) == ["COVARIATE", "SMD_UNADJUSTED", "SMD_IPTW", "BALANCED"]
    assert (balance.BALANCED == (balance.SMD_IPTW.abs() < 0.1)).all()


def test_separation_is_reported_and_a_singular_design_gives_no_weights():
    treated = pd.Series([True, True, False, False])
    separated = propensity.propensity_weights(treated, pd.DataFrame({"Age, years": [80.0, 81, 40, 41]}))
    assert "separation" in separated.note.lower()
    assert separated.weights.notna().all() and separated.weights.max() <= 1.0  # bounded: p / 1 and (1 - p) / 1
    collinear = propensity.propensity_weights(
        pd.Series([True, False, True, False, True, False]),
        pd.DataFrame({"Age, years": [80.0, 81, 40, 41, 60, 62], "Baseline target sum, mm": [80.0, 81, 40, 41, 60, 62]}),
    )
    assert "BFGS" in collinear.note and collinear.weights.notna().all()


def test_iptw_results_are_empty_without_weights():
    # What a propensity model that cannot be fitted at all leaves behind.
    adsl = make_adsl(8)
    adrs = make_adrs(adsl, {"CRSP": {0, 1, 9}})
    no_weights = adsl[["USUBJID"]].assign(WEIGHT=np.nan)
    differences = efficacy.response_differences(adrs, adsl, no_weights, ARMS).set_index(["PARAMCD", "METHOD"])
    assert differences.loc[("CRSP", "iptw"), ["DIFF_PCT", "LCL_PCT", "UCL_PCT", "P_VALUE"]].isna().all()
    assert differences.loc[("CRSP", "unadjusted"), "DIFF_PCT"] == pytest.approx(100 * (2 / 8 - 1 / 8))
    comparisons = efficacy.tte_comparisons(make_adtte(adsl), adsl, no_weights, ARMS, 30.4375)
    assert comparisons[comparisons.METHOD == "iptw"].HR.isna().all()


def test_baseline_characteristics_display_and_smd():
    adsl = make_adsl(10)
    adsl.loc[adsl.TRT01P == "LEN+SIRT", "MVIFL"] = ["Y"] * 5 + ["N"] * 5
    adsl.loc[adsl.TRT01P == "LEN", "MVIFL"] = ["Y"] * 2 + ["N"] * 7 + [None]
    baseline_sum = pd.DataFrame({"USUBJID": adsl.USUBJID, "BASE_SUM": 50.0})
    table = efficacy.baseline_characteristics(adsl, baseline_sum, ARMS)
    assert list(table.columns) == [
        "VARIABLE",
        "LABEL",
        "CATEGORY",
        "TRT01P",
        "N_ARM",
        "COUNT",
        "PCT",
        "MEDIAN",
        "Q1",
        "Q3",
        "DISPLAY",
        "SMD",
    ]
    mvi = table[table.VARIABLE == "MVIFL"].set_index(["CATEGORY", "TRT01P"])
    assert mvi.loc[("Y", "LEN+SIRT"), "DISPLAY"] == "5 (50.0%)"
    assert mvi.loc[("Missing", "LEN"), "DISPLAY"] == "1 (10.0%)"
    assert mvi.SMD.nunique() == 1 and mvi.SMD.iloc[0] > 0
    age = table[(table.VARIABLE == "AGE") & (table.TRT01P == "LEN")].iloc[0]
    assert pd.isna(age.CATEGORY) and age.DISPLAY == f"{age.MEDIAN:.0f} ({age.Q1:.0f}-{age.Q3:.0f})"
    # identical distributions: SMD 0
    assert table.loc[table.VARIABLE == "BASE_SUM", "SMD"].eq(0).all()


def test_categorical_smd_reduces_to_the_binary_formula_for_two_levels():
    values = pd.Series(["Y", "Y", "N", "N", "Y", "N", "N", "N"])
    treated = pd.Series([True] * 4 + [False] * 4)
    assert round(efficacy.categorical_smd(values, treated), 4) == 0.5345


def test_covariates_a_study_does_not_collect_are_left_out():
    adsl = make_adsl(15).drop(columns=["CHILDPGH", "AFPBL", "AFP400FL"])
    adsl["ECOGBL"] = adsl.ECOGBL.astype(float)
    adsl.loc[0, "ECOGBL"] = np.nan  # integers with a null arrive as floats
    baseline_sum = pd.DataFrame({"USUBJID": adsl.USUBJID, "BASE_SUM": np.nan})
    adjustment = efficacy.iptw(adsl, baseline_sum, ARMS)
    assert adjustment.weights.WEIGHT.notna().all()
    balance = efficacy.balance(adsl, baseline_sum, adjustment.weights, ARMS)
    assert not balance.COVARIATE.str.contains("Child-Pugh|AFP|target sum").any()
    assert {"ECOG 0", "ECOG 1", "ECOG Missing"} <= set(balance.COVARIATE)
    table = efficacy.baseline_characteristics(adsl, baseline_sum, ARMS)
    assert "CHILDPGH" not in set(table.VARIABLE)
    assert {"0", "1", "Missing"} <= set(table.loc[table.VARIABLE == "ECOGBL", "CATEGORY"])


def test_the_efficacy_tables_need_only_the_adsl_columns_the_assets_select():
    assert {column for column, _, _ in propensity.COVARIATES} - {"BASE_SUM"} <= set(efficacy.ADSL_COLUMNS)
    full = make_adsl(12).assign(SAFFL="Y", DTHFL=None, STUDYID="S", TRT01A="LEN")
    narrow = full[list(efficacy.ADSL_COLUMNS)]
    adtte = make_adtte(full)
    adrs = make_adrs(full, {"CRSP": {0, 3, 15}, "CCB": {0, 1, 3, 15, 16}, "RSP": {0, 3, 4, 15}})
    base = pd.DataFrame({"USUBJID": full.USUBJID, "BASE_SUM": np.linspace(20, 140, len(full))})
    weights = efficacy.iptw(full, base, ARMS).weights
    assert efficacy.iptw(narrow, base, ARMS).weights.equals(weights)
    tables = [
        lambda adsl: efficacy.response_rates(adrs, adsl, ARMS),
        lambda adsl: efficacy.response_differences(adrs, adsl, weights, ARMS),
        lambda adsl: efficacy.tte_summary(adtte, adsl, ARMS, 30.4375),
        lambda adsl: efficacy.tte_landmarks(adtte, adsl, ARMS, 30.4375),
        lambda adsl: efficacy.tte_comparisons(adtte, adsl, weights, ARMS, 30.4375),
        lambda adsl: efficacy.km_curves(adtte, adsl, ARMS, 30.4375),
        lambda adsl: efficacy.ttr_summary(adtte, adsl, ARMS, 30.4375),
        lambda adsl: efficacy.balance(adsl, base, weights, ARMS),
        lambda adsl: efficacy.baseline_characteristics(adsl, base, ARMS),
    ]
    for table in tables:
        pd.testing.assert_frame_equal(table(narrow), table(full))
