"""TTET01: one time-to-event table per endpoint (PFS, OS, DOR), by planned arm.

Every figure is a row of `reporting.tte_summary`, `reporting.tte_landmarks` or
`reporting.tte_comparisons` (Kaplan-Meier, reverse Kaplan-Meier and Cox, computed once in
`analysis.efficacy`); this module lays them out. No Total column: a pooled survival curve of a
non-randomised comparison is not a result anyone reads.
"""

from __future__ import annotations

import pandas as pd

from analysis.efficacy import Arms
from analysis.tlg.layout import Column, TableBuilder, count_pct, interval, number, p_value


def _estimate(value: object, lower: object, upper: object) -> str:
    return f"{number(value, 1, 'NR')} {interval(lower, upper, 1, 'NR')}"


def ttet01(
    paramcd: str,
    summary: pd.DataFrame,
    landmarks: pd.DataFrame,
    comparisons: pd.DataFrame,
    arms: Arms,
    fas_n: dict[str, int],
) -> pd.DataFrame:
    """The TTET01 table of one endpoint (see `analysis.tlg.layout`); `fas_n` is each arm's FAS N
    (the column header), percentages are of the endpoint's patients (for DOR: the responders)."""
    rows = summary[summary.PARAMCD == paramcd].set_index("TRT01P")
    present = [arm for arm in arms.order if arm in rows.index]
    table = TableBuilder([Column(arm, fas_n.get(arm)) for arm in arms.order])

    def per_arm(statistic: str, value, text) -> dict:  # noqa: ANN001
        return {arm: (statistic, value(rows.loc[arm]), text(rows.loc[arm])) for arm in present}

    table.add("Patients", "Patients in the analysis", per_arm("n", lambda r: r.N, lambda r: str(int(r.N))), 0)
    table.add(
        "Patients",
        "Patients with event",
        per_arm("events", lambda r: r.EVENTS, lambda r: count_pct(int(r.EVENTS), int(r.N))),
    )
    table.add(
        "Patients",
        "Patients censored",
        per_arm("censored", lambda r: r.CENSORED, lambda r: count_pct(int(r.CENSORED), int(r.N))),
    )
    section = "Time to event (months)"
    table.add(
        section,
        "Median (95% CI)",
        per_arm("median", lambda r: r.MEDIAN_MONTHS, lambda r: _estimate(r.MEDIAN_MONTHS, r.LCL_MONTHS, r.UCL_MONTHS)),
    )
    for quartile, label in (("Q1", "25th percentile (95% CI)"), ("Q3", "75th percentile (95% CI)")):
        table.add(
            section,
            label,
            per_arm(
                quartile.lower(),
                lambda r, q=quartile: r[f"{q}_MONTHS"],
                lambda r, q=quartile: _estimate(r[f"{q}_MONTHS"], r.get(f"{q}_LCL_MONTHS"), r.get(f"{q}_UCL_MONTHS")),
            ),
        )
    table.add(
        section,
        "Median follow-up (reverse Kaplan-Meier)",
        per_arm("followup", lambda r: r.FOLLOWUP_MEDIAN_MONTHS, lambda r: number(r.FOLLOWUP_MEDIAN_MONTHS, 1, "NR")),
    )
    marks = landmarks[landmarks.PARAMCD == paramcd]
    for month in sorted(marks.MONTHS.unique()):
        at = marks[marks.MONTHS == month].set_index("TRT01P")
        arms_at = [arm for arm in arms.order if arm in at.index]
        table.add(
            "Event-free rate, % (95% CI)",
            f"{int(month)} months",
            {
                arm: (
                    "rate",
                    100 * at.SURVIVAL[arm],
                    "NE"
                    if pd.isna(at.SURVIVAL[arm])
                    else f"{number(100 * at.SURVIVAL[arm])} {interval(100 * at.LCL[arm], 100 * at.UCL[arm])}",
                )
                for arm in arms_at
            },
        )
        table.add(
            "Event-free rate, % (95% CI)",
            "Patients at risk",
            {arm: ("at_risk", at.N_AT_RISK[arm], str(int(at.N_AT_RISK[arm]))) for arm in arms_at},
            2,
        )
    compared = comparisons[comparisons.PARAMCD == paramcd].set_index("METHOD")
    section = f"Hazard ratio, {arms.comparison}"
    for method, label, test in (("unadjusted", "unadjusted", "log-rank"), ("iptw", "IPTW", "robust Wald")):
        if method not in compared.index:
            continue
        row = compared.loc[method]
        table.add(
            section,
            f"Hazard ratio, {label} (95% CI)",
            {arms.treated: ("hazard_ratio", row.HR, f"{number(row.HR, 2)} {interval(row.LCL, row.UCL, 2)}")},
        )
        table.add(section, f"p-value ({test})", {arms.treated: ("p_value", row.P_VALUE, p_value(row.P_VALUE))}, 2)
    return table.frame()
