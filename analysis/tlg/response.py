"""RSPT01: best overall response of the full analysis set, by planned arm and in total.

The response rates, their Clopper-Pearson intervals and the differences between arms are the
rows of `reporting.response_rates` and `reporting.response_differences` (ADRS CRSP, CCB, RSP), not
computed again; this table adds the best-overall-response categories (ADRS CBOR and BOR) with
their exact intervals (`analysis.rates.clopper_pearson`, the same function) and the Total column.
"""

from __future__ import annotations

import pandas as pd

from analysis import rates
from analysis.efficacy import Arms
from analysis.tlg.layout import TOTAL, Column, TableBuilder, count_pct, interval, number, p_value

# ADRS AVALC of BOR / CBOR, in the order of the table.
BOR_CATEGORIES = (
    ("CR", "Complete response (CR)"),
    ("PR", "Partial response (PR)"),
    ("SD", "Stable disease (SD)"),
    ("NON-CR/NON-PD", "Non-CR/non-PD"),
    ("PD", "Progressive disease (PD)"),
    ("NE", "Not evaluable (NE)"),
    ("MISSING", "Missing (no post-baseline assessment)"),
)
RATES = (
    ("CRSP", "Objective response rate (confirmed CR + PR)", "ORR"),
    ("CCB", "Disease control rate (confirmed CR + PR + SD + NON-CR/NON-PD)", "DCR"),
)


def _rate_rows(
    table: TableBuilder,
    paramcd: str,
    section: str,
    short: str,
    response_rates: pd.DataFrame,
    differences: pd.DataFrame,
    arms: Arms,
) -> None:
    by_arm = response_rates[response_rates.PARAMCD == paramcd].set_index("TRT01P")
    counts, ci = {}, {}
    for arm in arms.order:
        if arm not in by_arm.index:
            continue
        row = by_arm.loc[arm]
        counts[arm] = ("responders", row.RESPONDERS, count_pct(int(row.RESPONDERS), int(row.N)))
        ci[arm] = ("rate_lcl", row.LCL_PCT, interval(row.LCL_PCT, row.UCL_PCT))
    total = rates.clopper_pearson(int(by_arm.RESPONDERS.sum()), int(by_arm.N.sum()))
    counts[TOTAL] = ("responders", total.responders, count_pct(total.responders, total.n))
    ci[TOTAL] = ("rate_lcl", 100 * total.lower, interval(100 * total.lower, 100 * total.upper))
    table.add(section, f"Responders ({short})", counts, 0)
    table.add(section, "95% CI (Clopper-Pearson)", ci)
    for method, label, interval_method, test in (
        ("unadjusted", "Unadjusted", "Newcombe", "Fisher exact"),
        ("iptw", "IPTW-adjusted", "robust sandwich", "robust Wald"),
    ):
        match = differences[(differences.PARAMCD == paramcd) & (differences.METHOD == method)]
        if match.empty:
            continue
        row = match.iloc[0]
        treated = arms.treated
        table.add(
            section,
            f"{label}: difference in {short} (%)",
            {treated: ("difference", row.DIFF_PCT, number(row.DIFF_PCT))},
        )
        table.add(
            section,
            f"95% CI ({interval_method})",
            {treated: ("difference_lcl", row.LCL_PCT, interval(row.LCL_PCT, row.UCL_PCT))},
            2,
        )
        table.add(section, f"p-value ({test})", {treated: ("p_value", row.P_VALUE, p_value(row.P_VALUE))}, 2)


def _categories(
    table: TableBuilder, section: str, bor: pd.DataFrame, groups: dict[str, pd.DataFrame], with_ci: bool
) -> None:
    for code, label in BOR_CATEGORIES:
        counts, ci = {}, {}
        for name, group in groups.items():
            count = int(group.USUBJID.isin(bor.loc[bor.AVALC == code, "USUBJID"]).sum())
            counts[name] = ("count", count, count_pct(count, len(group)))
            rate = rates.clopper_pearson(count, len(group))
            ci[name] = ("rate_lcl", 100 * rate.lower, interval(100 * rate.lower, 100 * rate.upper))
        table.add(section, label, counts)
        if with_ci:
            table.add(section, "95% CI (Clopper-Pearson)", ci, 2)


def rspt01(
    adrs: pd.DataFrame,
    adsl: pd.DataFrame,
    response_rates: pd.DataFrame,
    differences: pd.DataFrame,
    arms: Arms,
) -> pd.DataFrame:
    """The RSPT01 table (see `analysis.tlg.layout`). `adrs` holds at least USUBJID, PARAMCD and AVALC
    of CBOR and BOR; a FAS patient without a CBOR record is counted in no category."""
    fas = adsl[adsl.FASFL == "Y"]
    groups = {arm: fas[fas.TRT01P == arm] for arm in arms.order} | {TOTAL: fas}
    table = TableBuilder([Column(name, len(group)) for name, group in groups.items()])
    for paramcd, section, short in RATES:
        _rate_rows(table, paramcd, section, short, response_rates, differences, arms)
    _categories(table, "Confirmed best overall response", adrs[adrs.PARAMCD == "CBOR"], groups, with_ci=True)
    _categories(table, "Best overall response, unconfirmed", adrs[adrs.PARAMCD == "BOR"], groups, with_ci=False)
    _rate_rows(table, "RSP", "Best overall response, unconfirmed", "unconfirmed ORR", response_rates, differences, arms)
    return table.frame()
