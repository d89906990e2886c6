"""Exposure reporting table (SPEC section 6), from ADEX: one row per parameter and arm.

Numeric parameters get N, median, quartiles and range; yes/no parameters (ADEX AVALC Y/N, e.g.
REDUCFL "any lenvatinib dose reduction") get N, COUNT (patients with Y) and PCT. N is the number
of patients with the parameter (lenvatinib parameters: patients who received lenvatinib; SIRT
parameters: patients who had SIRT); an arm without any patient for a parameter has no row.
Quartiles are pandas' default (linear interpolation, R type 7).
"""

from __future__ import annotations

import pandas as pd

# What the summary reads of ADEX; the asset selects only these (a million rows at 100,000 patients).
ADEX_COLUMNS = ["USUBJID", "SAFFL", "TRT01A", "TRT01AN", "PARAMN", "PARAMCD", "PARAM", "AVAL", "AVALC"]
EXPOSURE_SUMMARY_COLUMNS = ["PARAMCD", "PARAM", "TRT01A", "N", "MEDIAN", "Q1", "Q3", "MIN", "MAX", "COUNT", "PCT"]


def exposure_summary(adex: pd.DataFrame) -> pd.DataFrame:
    """Summary of each ADEX parameter per actual treatment (safety population), in PARAMN and
    TRT01AN order."""
    adex = adex[adex["SAFFL"].eq("Y")]
    rows = []
    for (_, paramcd, _, arm), values in adex.groupby(["PARAMN", "PARAMCD", "TRT01AN", "TRT01A"], sort=True):
        n = int(values["USUBJID"].nunique())
        row = {"PARAMCD": paramcd, "PARAM": values["PARAM"].iloc[0], "TRT01A": arm, "N": n}
        if values["AVALC"].notna().any():
            count = int(values["AVALC"].eq("Y").sum())
            row |= {"COUNT": count, "PCT": 100.0 * count / n}
        else:
            aval = values["AVAL"].astype(float)
            row |= {
                "MEDIAN": aval.median(),
                "Q1": aval.quantile(0.25),
                "Q3": aval.quantile(0.75),
                "MIN": aval.min(),
                "MAX": aval.max(),
            }
        rows.append(row)
    table = pd.DataFrame(rows, columns=EXPOSURE_SUMMARY_COLUMNS)
    for column in ("MEDIAN", "Q1", "Q3", "MIN", "MAX", "PCT"):
        table[column] = table[column].astype(float)
    table["COUNT"] = table["COUNT"].astype("Int64")
    return table
