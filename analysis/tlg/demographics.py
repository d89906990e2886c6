"""DMT01: demographics and baseline characteristics of the full analysis set, by planned arm and
in total, with the standardised mean difference of `reporting.baseline_characteristics` beside.

The variables and their labels are `analysis.efficacy.BASELINE_VARIABLES`; the SMD is read from
the baseline table, not computed again. Codes are printed as words (`DECODES`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import efficacy, propensity
from analysis.tlg.layout import TOTAL, Column, TableBuilder, count_pct, number

# Code -> label per variable; a code not listed is printed as it is.
YES_NO = {"Y": "Yes", "N": "No"}
DECODES: dict[str, dict[str, str]] = {
    "SEX": {"F": "Female", "M": "Male"},
    "ECOGBL": {"0": "0 (fully active)", "1": "1 (restricted in strenuous activity)", "2": "2 (ambulatory, no work)"},
    "CHILDPGH": {"A5": "A5", "A6": "A6", "B7": "B7"},
    "BCLC": {"A": "A (early)", "B": "B (intermediate)", "C": "C (advanced)"},
    "ETIOLOGY": {
        "HBV": "Hepatitis B",
        "HCV": "Hepatitis C",
        "ALCOHOL": "Alcohol",
        "MASLD": "MASLD (metabolic dysfunction-associated)",
        "OTHER": "Other",
    },
    "AFP400FL": YES_NO,
    "MVIFL": YES_NO,
    "EHSFL": YES_NO,
}


def _continuous_rows(
    values: dict[str, pd.Series], decimals: int
) -> list[tuple[str, dict[str, tuple[str, object, str]]]]:
    """n, mean (SD), median, Q1 - Q3, min - max and missing for each column's values."""
    more = decimals + 1
    rows: dict[str, dict[str, tuple[str, object, str]]] = {
        label: {} for label in ("n", "Mean (SD)", "Median", "Q1 - Q3", "Min - Max", "Missing")
    }
    for column, series in values.items():
        known = series.dropna().astype(float)
        rows["n"][column] = ("n", len(known), str(len(known)))
        if len(known):
            q1, median, q3 = np.percentile(known.to_numpy(), [25, 50, 75], method=efficacy.QUANTILE_METHOD)
            sd = known.std(ddof=1) if len(known) > 1 else np.nan
            rows["Mean (SD)"][column] = ("mean", known.mean(), f"{number(known.mean(), more)} ({number(sd, more)})")
            rows["Median"][column] = ("median", median, number(median, more))
            rows["Q1 - Q3"][column] = ("q1", q1, f"{number(q1, more)} - {number(q3, more)}")
            rows["Min - Max"][column] = (
                "min",
                known.min(),
                f"{number(known.min(), decimals)} - {number(known.max(), decimals)}",
            )
        missing = int(series.isna().sum())
        rows["Missing"][column] = ("missing", missing, str(missing))
    return list(rows.items())


def dmt01(adsl: pd.DataFrame, baseline_sum: pd.DataFrame, baseline: pd.DataFrame, arms: efficacy.Arms) -> pd.DataFrame:
    """The DMT01 table (see `analysis.tlg.layout`). `baseline` is reporting.baseline_characteristics
    (for the SMD); `baseline_sum` has USUBJID and BASE_SUM (ADTR)."""
    fas = adsl[adsl["FASFL"] == "Y"].merge(baseline_sum[["USUBJID", "BASE_SUM"]], on="USUBJID", how="left")
    groups = {arm: fas[fas.TRT01P == arm] for arm in arms.order} | {TOTAL: fas}
    columns = [Column(name, len(group)) for name, group in groups.items()] + [Column("SMD", None)]
    smd = baseline.drop_duplicates("VARIABLE").set_index("VARIABLE").SMD if len(baseline) else pd.Series(dtype=float)
    table = TableBuilder(columns)
    for variable, label, kind in efficacy.BASELINE_VARIABLES:
        if variable not in fas:
            continue
        smd_cell = {"SMD": ("smd", smd.get(variable), number(smd.get(variable), 2, ""))}
        if kind == "continuous":
            decimals = 0 if variable in efficacy.WHOLE_NUMBERS else 1
            values = {name: pd.to_numeric(group[variable], errors="coerce") for name, group in groups.items()}
            for position, (row_label, cells) in enumerate(_continuous_rows(values, decimals)):
                table.add(label, row_label, cells | (smd_cell if position == 0 else {}))
            continue
        texts = {name: propensity.as_text(group[variable]) for name, group in groups.items()}
        levels = sorted(texts[TOTAL].unique(), key=lambda v: (v == propensity.MISSING, v))
        known = {name: int((text != propensity.MISSING).sum()) for name, text in texts.items()}
        table.add(label, "n", {name: ("n", n, str(n)) for name, n in known.items()} | smd_cell)
        decode = DECODES.get(variable, {})
        for level in levels:
            counts = {name: int((text == level).sum()) for name, text in texts.items()}
            table.add(
                label,
                decode.get(level, level),
                {name: ("count", count, count_pct(count, len(groups[name]))) for name, count in counts.items()},
            )
    return table.frame()
