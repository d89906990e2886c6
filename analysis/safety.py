"""Adverse-event reporting tables (SPEC section 6 "Adverse events"), from ADSL and ADAE.

Safety population (ADSL SAFFL = Y) by actual treatment (TRT01A), treatment-emergent AEs
(ADAE TRTEMFL = Y) only. The worst grade per patient is ADAE's (flags AOCCIFL / AOCCSIFL /
AOCCPIFL, derived once in SQL): these functions only count.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

# What these tables read of ADSL and ADAE; the assets select only these (ADAE is wide and long:
# 30 columns, 745,000 rows at 100,000 patients).
ADSL_COLUMNS = ["USUBJID", "SAFFL", "TRT01A", "TRT01AN"]
ADAE_COLUMNS = [
    "USUBJID",
    "SAFFL",
    "TRT01A",
    "TRTEMFL",
    "AESOC",
    "AEDECOD",
    "ATOXGR",
    "AESER",
    "FATALFL",
    "AEACNLEN",
    "AERELLEN",
    "AERELSRT",
    "AOCCIFL",
    "AOCCSIFL",
    "AOCCPIFL",
]
AE_OVERVIEW_COLUMNS = ["ORDER_N", "CATEGORY", "TRT01A", "N_ARM", "PATIENTS", "PCT"]
AE_BY_SOC_PT_COLUMNS = [
    "AESOC",
    "AEDECOD",
    "TRT01A",
    "N_ARM",
    "PATIENTS_ANY",
    "PCT_ANY",
    "PATIENTS_GE3",
    "PCT_GE3",
    "WORST_GRADE",
]

# (category, which TEAE rows count): a patient counts once when any of their TEAEs does.
AE_OVERVIEW_CATEGORIES: list[tuple[str, Callable[[pd.DataFrame], pd.Series]]] = [
    ("Any TEAE", lambda ae: ae["AOCCIFL"].eq("Y")),
    ("Grade >= 3 TEAE", lambda ae: ae["AOCCIFL"].eq("Y") & ae["ATOXGR"].ge(3)),
    ("Serious TEAE", lambda ae: ae["AESER"].eq("Y")),
    ("Fatal TEAE", lambda ae: ae["FATALFL"].eq("Y")),
    ("TEAE leading to lenvatinib dose reduction", lambda ae: ae["AEACNLEN"].eq("DOSE REDUCED")),
    ("TEAE leading to lenvatinib interruption", lambda ae: ae["AEACNLEN"].eq("DRUG INTERRUPTED")),
    ("TEAE leading to lenvatinib withdrawal", lambda ae: ae["AEACNLEN"].eq("DRUG WITHDRAWN")),
    ("TEAE related to lenvatinib", lambda ae: ae["AERELLEN"].eq("RELATED")),
    ("TEAE related to SIRT", lambda ae: ae["AERELSRT"].eq("RELATED")),
]


def safety_arms(adsl: pd.DataFrame) -> pd.DataFrame:
    """N_ARM per actual treatment in the safety population, arms in TRT01AN order."""
    safety = adsl[adsl["SAFFL"].eq("Y")]
    arms = (
        safety.groupby(["TRT01AN", "TRT01A"], dropna=True)["USUBJID"]
        .nunique()
        .rename("N_ARM")
        .reset_index()
        .sort_values("TRT01AN")
    )
    return arms[["TRT01A", "N_ARM"]].reset_index(drop=True)


def treatment_emergent(adae: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """TEAEs of the safety population (with only `columns`, when given). Rows that are all TEAEs
    already come back as they are: the counts below filter again what the CSR tables filtered
    once, and copying 1.5 million rows for nothing took a second at 100,000 patients."""
    teae = adae["TRTEMFL"].eq("Y") & adae["SAFFL"].eq("Y")
    if bool(teae.all()):
        return adae if columns is None else adae[columns]
    return adae.loc[teae] if columns is None else adae.loc[teae, columns]


def _percent(patients: pd.Series, n_arm: pd.Series) -> pd.Series:
    return (100.0 * patients / n_arm.where(n_arm > 0)).astype(float)


def ae_overview(adsl: pd.DataFrame, adae: pd.DataFrame) -> pd.DataFrame:
    """Patients with at least one TEAE of each overview category, per arm (SPEC section 6)."""
    arms = safety_arms(adsl)
    teae = treatment_emergent(adae)
    rows = []
    for order, (category, counts) in enumerate(AE_OVERVIEW_CATEGORIES, start=1):
        patients = teae.loc[counts(teae), ["TRT01A", "USUBJID"]].groupby("TRT01A")["USUBJID"].nunique()
        for arm in arms.itertuples(index=False):
            rows.append((order, category, arm.TRT01A, arm.N_ARM, int(patients.get(arm.TRT01A, 0))))
    table = pd.DataFrame(rows, columns=AE_OVERVIEW_COLUMNS[:-1])
    table["PCT"] = _percent(table["PATIENTS"], table["N_ARM"])
    return table[AE_OVERVIEW_COLUMNS]


def _per_patient_worst(teae: pd.DataFrame, flag: str, keys: list[str]) -> pd.DataFrame:
    """Patients (one row each, at their worst grade) per arm and keys, from an ADAE flag."""
    worst = teae.loc[teae[flag].eq("Y"), ["TRT01A", *keys, "USUBJID", "ATOXGR"]]
    return (
        worst.assign(GE3=worst["ATOXGR"].ge(3).fillna(False).astype(int))  # a missing grade is not >= 3
        .groupby(["TRT01A", *keys])
        .agg(PATIENTS_ANY=("USUBJID", "nunique"), PATIENTS_GE3=("GE3", "sum"), WORST_GRADE=("ATOXGR", "max"))
        .reset_index()
    )


def ae_by_soc_pt(adsl: pd.DataFrame, adae: pd.DataFrame) -> pd.DataFrame:
    """TEAEs by system organ class and preferred term, per arm: patients with any grade, with
    grade >= 3, and the highest grade among them. Each SOC opens with its summary row (AEDECOD
    null). SOCs, then PTs within them, by decreasing patients over all arms, then name; every
    arm appears on every row (0 patients, WORST_GRADE null when none)."""
    arms = safety_arms(adsl)
    teae = treatment_emergent(adae)
    soc = _per_patient_worst(teae, "AOCCSIFL", ["AESOC"]).assign(AEDECOD=None)
    pt = _per_patient_worst(teae, "AOCCPIFL", ["AESOC", "AEDECOD"])
    counts = pd.concat([soc, pt], ignore_index=True)
    if counts.empty:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in AE_BY_SOC_PT_COLUMNS})

    # Row order: totals over arms.
    keys = counts[["AESOC", "AEDECOD"]].drop_duplicates()
    totals = counts.groupby(["AESOC", "AEDECOD"], dropna=False)["PATIENTS_ANY"].sum().rename("TOTAL").reset_index()
    keys = keys.merge(totals, on=["AESOC", "AEDECOD"], how="left")
    soc_totals = keys[keys["AEDECOD"].isna()].set_index("AESOC")["TOTAL"].rename("SOC_TOTAL")
    keys = keys.join(soc_totals, on="AESOC")
    keys["IS_PT"] = keys["AEDECOD"].notna()
    keys = keys.sort_values(
        ["SOC_TOTAL", "AESOC", "IS_PT", "TOTAL", "AEDECOD"], ascending=[False, True, True, False, True]
    )
    keys["ROW"] = range(len(keys))

    grid = keys[["ROW", "AESOC", "AEDECOD"]].merge(arms.assign(ARM_ORDER=range(len(arms))), how="cross")
    table = grid.merge(counts, on=["TRT01A", "AESOC", "AEDECOD"], how="left")
    table = table.sort_values(["ROW", "ARM_ORDER"]).reset_index(drop=True)
    table["PATIENTS_ANY"] = table["PATIENTS_ANY"].fillna(0).astype(int)
    table["PATIENTS_GE3"] = table["PATIENTS_GE3"].fillna(0).astype(int)
    table["WORST_GRADE"] = table["WORST_GRADE"].astype("Int64")
    table["PCT_ANY"] = _percent(table["PATIENTS_ANY"], table["N_ARM"])
    table["PCT_GE3"] = _percent(table["PATIENTS_GE3"], table["N_ARM"])
    return table[AE_BY_SOC_PT_COLUMNS]
