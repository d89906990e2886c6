"""EXT01: study treatment exposure, safety population by actual treatment and in total.

The statistics are `analysis.exposure.exposure_summary` of ADEX (duration, starting dose, cumulative
dose, relative dose intensity, reductions, interruptions, SIRT activity and timing), run once more
with every patient under `Total` for the Total column.
"""

from __future__ import annotations

import pandas as pd

from analysis import exposure, safety
from analysis.tlg.adverse_events import TOTAL_ORDER
from analysis.tlg.layout import TOTAL, Column, TableBuilder, count_pct, number


def ext01(adsl: pd.DataFrame, adex: pd.DataFrame) -> pd.DataFrame:
    """The EXT01 table (see `analysis.tlg.layout`): per ADEX parameter, n and median, Q1 - Q3 and
    min - max, or n and patients with Y (%) for a yes/no parameter."""
    arms = safety.safety_arms(adsl)
    columns = [Column(row.TRT01A, int(row.N_ARM)) for row in arms.itertuples()]
    columns.append(Column(TOTAL, int(arms.N_ARM.sum())))
    both = pd.concat([adex, adex.assign(TRT01A=TOTAL, TRT01AN=TOTAL_ORDER)], ignore_index=True)
    summary = exposure.exposure_summary(both)
    table = TableBuilder(columns)
    for _, rows in summary.groupby("PARAMCD", sort=False):
        param = str(rows.PARAM.iloc[0])
        by_arm = rows.set_index("TRT01A")
        table.add(param, "n", {arm: ("n", row.N, str(int(row.N))) for arm, row in by_arm.iterrows()})
        if by_arm.COUNT.notna().any():
            table.add(
                param,
                "Yes",
                {arm: ("count", row.COUNT, count_pct(int(row.COUNT), int(row.N))) for arm, row in by_arm.iterrows()},
            )
            continue
        table.add(param, "Median", {arm: ("median", row.MEDIAN, number(row.MEDIAN)) for arm, row in by_arm.iterrows()})
        table.add(
            param,
            "Q1 - Q3",
            {arm: ("q1", row.Q1, f"{number(row.Q1)} - {number(row.Q3)}") for arm, row in by_arm.iterrows()},
        )
        table.add(
            param,
            "Min - Max",
            {arm: ("min", row.MIN, f"{number(row.MIN)} - {number(row.MAX)}") for arm, row in by_arm.iterrows()},
        )
    return table.frame()
