"""DST01: patient disposition of all enrolled patients, by planned arm and in total (ADSL).

End of treatment and end of study come from ADSL (EOTSTT, DCTREAS, EOSSTT, DCSREAS), derived once
from the disposition form; this module only counts them.
"""

from __future__ import annotations

import pandas as pd

from analysis.efficacy import Arms
from analysis.tlg.layout import TOTAL, Column, TableBuilder, count_pct

ADSL_COLUMNS = ("USUBJID", "TRT01P", "FASFL", "SAFFL", "EOTSTT", "DCTREAS", "EOSSTT", "DCSREAS", "DTHFL")
STATUS_LABELS = {"COMPLETED": "Completed", "ONGOING": "Ongoing", "DISCONTINUED": "Discontinued"}


def _reason_label(reason: str) -> str:
    return reason.capitalize()


def dst01(adsl: pd.DataFrame, arms: Arms) -> pd.DataFrame:
    """The DST01 table (see `analysis.tlg.layout`): populations, end of treatment and end of study
    status with the reasons for discontinuation, deaths; n (%) of the column's enrolled patients."""
    groups = {arm: adsl[adsl.TRT01P == arm] for arm in arms.order} | {TOTAL: adsl}
    table = TableBuilder([Column(name, len(group)) for name, group in groups.items()])

    def add(section: str, label: str, selected, indent: int = 1) -> None:  # noqa: ANN001
        cells = {}
        for name, group in groups.items():
            count = int(selected(group).sum())
            cells[name] = ("count", count, count_pct(count, len(group)))
        table.add(section, label, cells, indent)

    add("Populations", "Enrolled", lambda g: pd.Series(True, index=g.index), 0)
    add("Populations", "Full analysis set", lambda g: g.FASFL.eq("Y"))
    add("Populations", "Safety population (treated)", lambda g: g.SAFFL.eq("Y"))
    for section, status, reason in (
        ("End of treatment", "EOTSTT", "DCTREAS"),
        ("End of study", "EOSSTT", "DCSREAS"),
    ):
        for code, label in STATUS_LABELS.items():
            add(section, label, lambda g, code=code, status=status: g[status].eq(code))
            if code == "DISCONTINUED":
                for value in sorted(adsl[reason].dropna().unique()):
                    add(section, _reason_label(str(value)), lambda g, v=value, r=reason: g[r].eq(v), 2)
        if section == "End of treatment":
            add(section, "Never treated", lambda g: g.EOTSTT.isna())
    add("Deaths", "Deaths", lambda g: g.DTHFL.eq("Y"), 0)
    return table.frame()
