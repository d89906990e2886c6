"""The published HTML report: one self-contained file (inline CSS, plots as inline SVG, no script).

`build_report` turns the tables the report shows (DataFrames; a table that is not there yet is None,
gathered by the `reporting/report` asset) into HTML. Every section says "not available in this
snapshot" when a table it needs is missing, so the report works on any stage of the warehouse. The
numbers come from the `reporting` tables; the report formats and draws, it does not re-derive.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from analysis import plots
from analysis.tlg import catalogue as tlg_catalogue
from analysis.tlg import layout as tlg_layout

log = logging.getLogger(__name__)

TEMPLATE = Path(__file__).with_name("templates") / "report.html.j2"

# name in the report -> (schema, table) in the warehouse
# Every table the report shows: report name -> (schema, table).
TABLES: dict[str, tuple[str, str]] = {
    "adsl": ("adam", "adsl"),
    "adrs": ("adam", "adrs"),
    "adtr": ("adam", "adtr"),
    **{
        name: ("reporting", name)
        for name in (
            "response_rates",
            "response_differences",
            "tte_summary",
            "tte_landmarks",
            "tte_comparisons",
            "km_curves",
            "ttr_summary",
            "balance",
            *(spec.name for spec in tlg_catalogue.CATALOGUE),
            "tlg_catalogue",
        )
    },
    "quarantine": ("quality", "quarantine"),
    "row_reconciliation": ("quality", "row_reconciliation"),
    "data_queries": ("quality", "data_queries"),
    "record_changes": ("quality", "record_changes"),
    "endpoint_changes": ("quality", "endpoint_changes"),
    "response_discrepancies": ("quality", "response_discrepancies"),
    "check_results": ("quality", "check_results"),
}
ARM_PALETTE = ("#2f6db5", "#e08a2e", "#3a9b6b", "#8e5ba6", "#c2455d")
METHOD_COLOURS = {"unadjusted": "#52606d", "iptw": "#2f6db5"}
RESPONSE_LABELS = {
    "CRSP": "Objective response rate (confirmed CR + PR)",
    "CCB": "Disease control rate (confirmed CR + PR + SD)",
    "RSP": "Objective response rate, unconfirmed",
}
TTE_LABELS = {"PFS": "Progression-free survival", "OS": "Overall survival", "DOR": "Duration of response"}
SMD_THRESHOLD = 0.1
# Which patients each N counts, and by which arm variable (SPEC section 5: efficacy on the FAS by
# planned arm, safety on those treated by actual treatment).
FAS_POPULATION = "Full analysis set (FASFL = Y), by planned arm (TRT01P)"
FAS_POPULATION_IN_TEXT = "full analysis set (FASFL = Y), by planned arm (TRT01P)"


@dataclass(frozen=True)
class Provenance:
    study: str
    export_id: str
    data_cutoff: str
    code_version: str
    run_id: str
    generated_at: str
    profile: str = ""


@dataclass
class ReportData:
    provenance: Provenance
    tables: dict[str, pd.DataFrame | None]
    days_per_month: float = 30.4375

    def get(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)


# --- what the template renders ---------------------------------------------------------------------


@dataclass
class Row:
    cells: list[str]
    kind: str = ""  # "", "group" (a heading row), "sub" (indented), "flag" (needs attention)


@dataclass
class Table:
    columns: list[str]
    rows: list[Row]
    caption: str = ""
    note: str = ""
    text_columns: int = 1  # the first columns hold text (left-aligned); the rest hold numbers
    css_class: str = ""


@dataclass
class Figure:
    svg: plots.Svg
    caption: str = ""


@dataclass
class Note:
    text: str
    kind: str = "info"  # info, ok, warn, missing


@dataclass
class Card:
    label: str
    values: list[tuple[str, str, str]]  # (arm, value, colour)
    detail: str = ""


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Table | Figure | Note] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    html: str
    sections_rendered: list[str]
    sections_missing: list[str]
    sections_failed: list[str]


class MissingTables(Exception):
    def __init__(self, names: Sequence[str]):
        super().__init__(", ".join(names))
        self.names = list(names)


def _need(data: ReportData, *names: str) -> list[pd.DataFrame]:
    missing = [name for name in names if data.get(name) is None]
    if missing:
        raise MissingTables(missing)
    return [data.get(name) for name in names]


def _qualified(name: str) -> str:
    schema, table = TABLES[name]
    return f"{schema}.{table}"


def _missing_note(names: Sequence[str]) -> Note:
    tables = ", ".join(_qualified(name) for name in names)
    return Note(
        f"Not available in this snapshot: {tables} {'is' if len(names) == 1 else 'are'} not in the warehouse yet.",
        "missing",
    )


# --- formatting ------------------------------------------------------------------------------------


def _finite(value: object) -> bool:
    try:
        return value is not None and math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _num(value: object, digits: int = 1, missing: str = "NE") -> str:
    return f"{float(value):.{digits}f}" if _finite(value) else missing  # type: ignore[arg-type]


def _ci(lower: object, upper: object, digits: int = 1, missing: str = "NE") -> str:
    return f"{_num(lower, digits, missing)}–{_num(upper, digits, missing)}"


def _p(value: object) -> str:
    """`p = 0.035`, `p < 0.001`, or `p –` when there is no p-value."""
    if not _finite(value):
        return "p –"
    value = float(value)  # type: ignore[arg-type]
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _arms(data: ReportData, *frames: pd.DataFrame | None, column: str = "TRT01P") -> list[str]:
    """Arms in the study's order (TRT01PN in ADSL), then any others in order of appearance."""
    ordered: list[str] = []
    adsl = data.get("adsl")
    if adsl is not None and len(adsl) and "TRT01PN" in adsl:
        ordered = adsl.sort_values("TRT01PN", kind="stable").TRT01P.dropna().unique().tolist()
    for frame in frames:
        if frame is not None and column in frame:
            ordered += [arm for arm in frame[column].dropna().unique().tolist() if arm not in ordered]
    return ordered


def arm_colours(arms: Sequence[str]) -> dict[str, str]:
    return {arm: ARM_PALETTE[index % len(ARM_PALETTE)] for index, arm in enumerate(arms)}


# --- sections --------------------------------------------------------------------------------------


def key_results(data: ReportData) -> list[Card]:
    cards: list[Card] = []
    rates = data.get("response_rates")
    arms = _arms(data, rates, data.get("tte_summary"))
    colours = arm_colours(arms)
    if rates is not None:
        for paramcd in ("CRSP", "CCB"):
            rows = rates[rates.PARAMCD == paramcd].set_index("TRT01P")
            if len(rows):
                cards.append(
                    Card(
                        {"CRSP": "Objective response (confirmed)", "CCB": "Disease control"}[paramcd],
                        [(arm, f"{_num(rows.RATE_PCT[arm])} %", colours[arm]) for arm in arms if arm in rows.index],
                        "95 % CI "
                        + "; ".join(_ci(rows.LCL_PCT[arm], rows.UCL_PCT[arm]) for arm in arms if arm in rows.index),
                    )
                )
    summary = data.get("tte_summary")
    if summary is not None:
        for paramcd in ("PFS", "OS"):
            rows = summary[summary.PARAMCD == paramcd].set_index("TRT01P")
            if len(rows):
                cards.append(
                    Card(
                        f"Median {paramcd}, months",
                        [
                            (arm, _num(rows.MEDIAN_MONTHS[arm], 1, "NR"), colours[arm])
                            for arm in arms
                            if arm in rows.index
                        ],
                        "events "
                        + " / ".join(
                            f"{int(rows.EVENTS[arm])} of {int(rows.N[arm])}" for arm in arms if arm in rows.index
                        ),
                    )
                )
    return cards


LISTING_ROWS_SHOWN = 200  # events of a listing shown in the report; the rest are counted


def _tlg_table(data: ReportData, name: str) -> Table | Note:
    """One numbered CSR table of reporting.<name> (analysis.tlg), titled and footnoted from the
    catalogue (reporting.tlg_catalogue when it is there: the N and the arms of this study)."""
    table = data.get(name)
    if table is None:
        return _missing_note([name])
    spec = tlg_catalogue.BY_NAME[name]
    catalogue = data.get("tlg_catalogue")
    entry = catalogue[catalogue.TABLE_NAME == name] if catalogue is not None else None
    if entry is not None and len(entry):
        n = int(entry.BIGN.iloc[0])
        notes = str(entry.FOOTNOTES.iloc[0]).split("\n")
    else:
        n, notes = None, tlg_catalogue.footnotes(spec)
    number, title, population = tlg_catalogue.title_lines(spec, n)
    caption = f"{number}: {title}. {population}"
    if spec.kind == "listing":
        from analysis.tlg.files import printed_listing

        if len(table) > LISTING_ROWS_SHOWN:
            notes = [
                *notes,
                f"The first {LISTING_ROWS_SHOWN} of {len(table):,} events; every event is in reporting.{name}.",
            ]
            table = table.head(LISTING_ROWS_SHOWN)
        printed = printed_listing(table)
        rows = [Row([str(v) for v in values]) for values in printed.itertuples(index=False)]
        if not rows:
            rows = [Row(["No event to list.", *("" for _ in printed.columns[1:])])]
        return Table(list(printed.columns), rows, caption, " ".join(notes), text_columns=len(printed.columns))
    shown = tlg_layout.display(table, spec.stub.split("\n")[0])
    kinds = {0: "", 1: "sub", 2: "sub2"}
    rows = [Row(cells, "group" if heading else kinds.get(indent, "sub2")) for cells, indent, heading in shown.rows]
    if not rows:
        rows = [Row(["No data for this table in this study.", *("" for _ in shown.header[1:])])]
    return Table(shown.header, rows, caption, " ".join(notes))


def _tlg_tables(data: ReportData, *names: str) -> list[Table | Figure | Note]:
    if all(data.get(name) is None for name in names):
        raise MissingTables(list(names))
    return [_tlg_table(data, name) for name in names]


def disposition_section(data: ReportData) -> list[Table | Figure | Note]:
    return _tlg_tables(data, "tlg_dst01")


def baseline_section(data: ReportData) -> list[Table | Figure | Note]:
    return _tlg_tables(data, "tlg_dmt01")


def response_section(data: ReportData) -> list[Table | Figure | Note]:
    blocks = _tlg_tables(data, "tlg_rspt01")
    ttr = data.get("ttr_summary")
    arms = _arms(data, ttr)
    if ttr is not None and len(ttr):
        ttr_arms = [arm for arm in arms if arm in set(ttr.TRT01P)] or ttr.TRT01P.tolist()
        by_arm = ttr.set_index("TRT01P")
        blocks.append(
            Table(
                ["Time to response (confirmed responders)", *ttr_arms],
                [
                    Row(["n", *(str(int(by_arm.N[arm])) for arm in ttr_arms)]),
                    Row(
                        [
                            "Median (Q1–Q3), months",
                            *(
                                f"{_num(by_arm.MEDIAN_MONTHS[arm])} ({_ci(by_arm.Q1_MONTHS[arm], by_arm.Q3_MONTHS[arm])})"
                                for arm in ttr_arms
                            ),
                        ]
                    ),
                    Row(["Range, months", *(_ci(by_arm.MIN_MONTHS[arm], by_arm.MAX_MONTHS[arm]) for arm in ttr_arms)]),
                ],
            )
        )
    return blocks


def waterfall_section(data: ReportData) -> list[Table | Figure | Note]:
    adtr, adrs = _need(data, "adtr", "adrs")
    cbor = adrs.loc[adrs.PARAMCD == "CBOR", ["USUBJID", "AVALC"]].rename(columns={"AVALC": "CBOR"})
    best = adtr.dropna(subset=["PCHG"]).merge(cbor, on="USUBJID", how="left")
    if best.empty:
        return [Note("No patient has a post-baseline target sum yet: nothing to plot.")]
    arms = _arms(data, best)
    clipped = int((best.PCHG > 100).sum())
    caption = (
        f"One bar per patient with measurable disease and a post-baseline target sum ({len(best)} patients): "
        "best percent change of the sum of viable target diameters (mRECIST) from baseline, coloured by the "
        "confirmed best overall response. Dashed lines: -30 % (partial response) and +20 % (progression)."
    )
    if clipped:
        caption += f" {clipped} bar(s) above +100 % are cut at 100 %."
    return [Figure(plots.waterfall(best, arms, arm_colours(arms)), figure_number("waterfall") + caption)]


SWIMMER_MAX_PER_ARM = 40


def swimmer_section(data: ReportData) -> list[Table | Figure | Note]:
    adsl, adrs = _need(data, "adsl", "adrs")
    dpm = data.days_per_month
    fas = adsl[adsl.FASFL == "Y"].copy()
    if fas.empty:
        return [Note("No patient in the full analysis set yet: nothing to plot.")]
    start = pd.to_datetime(fas.STARTDT)
    treated_end = pd.to_datetime(fas.TRTEDT).fillna(pd.to_datetime(fas.DCUTDT)).where(fas.TRTSDT.notna())
    last_known = pd.concat([pd.to_datetime(fas.LSTALVDT), pd.to_datetime(fas.DTHDT)], axis=1).max(axis=1)
    fas["TREATED_MONTHS"] = ((treated_end - start).dt.days + 1).fillna(0).clip(lower=0) / dpm
    fas["FOLLOWUP_MONTHS"] = (((last_known - start).dt.days + 1) / dpm).fillna(fas.TREATED_MONTHS)
    fas["FOLLOWUP_MONTHS"] = fas[["FOLLOWUP_MONTHS", "TREATED_MONTHS"]].max(axis=1)
    fas["ONGOING"] = fas.EOTSTT.eq("ONGOING")
    arms = _arms(data, fas)
    shown, note = [], ""
    for arm in arms:
        rows = fas[fas.TRT01P == arm].sort_values(["TREATED_MONTHS", "FOLLOWUP_MONTHS"], ascending=False, kind="stable")
        if len(rows) > SWIMMER_MAX_PER_ARM:
            # An evenly spaced sample over the sorted durations keeps the shape of the distribution.
            picks = sorted({round(i * (len(rows) - 1) / (SWIMMER_MAX_PER_ARM - 1)) for i in range(SWIMMER_MAX_PER_ARM)})
            rows = rows.iloc[picks]
            note = (
                f" With more than {SWIMMER_MAX_PER_ARM} patients per arm, {SWIMMER_MAX_PER_ARM} per arm are shown, "
                "evenly spaced over the sorted treatment durations."
            )
        shown.append(rows)
    lanes = pd.concat(shown)[["USUBJID", "SUBJID", "TRT01P", "TREATED_MONTHS", "FOLLOWUP_MONTHS", "ONGOING"]]
    # ADRS already holds the first progression (PD) and death (DEATH) and every study day (ADY).
    events = adrs[adrs.USUBJID.isin(lanes.USUBJID)].copy()
    ovr = events[(events.PARAMCD == "OVR") & events.AVALC.isin(["CR", "PR"])].assign(EVENT=lambda f: f.AVALC)
    first_pd = events[(events.PARAMCD == "PD") & (events.AVALC == "Y")].assign(EVENT="PD")
    deaths = events[(events.PARAMCD == "DEATH") & (events.AVALC == "Y")].assign(EVENT="DEATH")
    marks = pd.concat([frame[["USUBJID", "ADY", "EVENT"]] for frame in (ovr, first_pd, deaths)], ignore_index=True)
    marks["MONTHS"] = marks.ADY.astype(float) / dpm
    subjid = lanes.set_index("USUBJID").SUBJID
    marks["SUBJID"] = marks.USUBJID.map(subjid)
    caption = (
        "One lane per patient (full analysis set) from the start of treatment: the coloured bar is time on "
        "treatment, the grey line follow-up to the last known alive date or death. Markers: timepoint responses "
        "CR and PR, the first progression, death; an arrow means treatment is ongoing at the cut-off." + note
    )
    return [Figure(plots.swimmer(lanes.reset_index(drop=True), marks, arm_colours(arms)), caption)]


def _km_annotation(
    summary: pd.DataFrame | None, comparisons: pd.DataFrame | None, paramcd: str, arms: Sequence[str]
) -> str:
    lines = []
    if summary is not None:
        rows = summary[summary.PARAMCD == paramcd].set_index("TRT01P")
        for arm in arms:
            if arm in rows.index:
                row = rows.loc[arm]
                lines.append(
                    f"{arm}: median {_num(row.MEDIAN_MONTHS, 1, 'NR')} mo "
                    f"({_ci(row.LCL_MONTHS, row.UCL_MONTHS, 1, 'NR')})"
                )
    if comparisons is not None:
        for method, label in (("unadjusted", "HR"), ("iptw", "HR, IPTW")):
            match = comparisons[(comparisons.PARAMCD == paramcd) & (comparisons.METHOD == method)]
            if len(match):
                row = match.iloc[0]
                test = "log-rank p" if method == "unadjusted" else "Wald p"
                p_value = _p(row.P_VALUE).replace("p", test, 1)
                lines.append(f"{label} {_num(row.HR, 2)} ({_ci(row.LCL, row.UCL, 2)}), {p_value}")
    return "\n".join(lines) or " "


def figure_number(key: str) -> str:
    """`Figure 14.2.6. ` for a figure of the catalogue (analysis.tlg.catalogue.FIGURES), else empty."""
    numbers = {figure_key: number for number, figure_key, _ in tlg_catalogue.FIGURES}
    return f"Figure {numbers[key]}. " if key in numbers else ""


TTET01_TABLES = {"PFS": "tlg_ttet01_pfs", "OS": "tlg_ttet01_os", "DOR": "tlg_ttet01_dor"}


def survival_section(data: ReportData) -> list[Table | Figure | Note]:
    """Per endpoint: its TTET01 table (14.2.2 to 14.2.4) and its Kaplan-Meier figure."""
    (curves,) = _need(data, "km_curves")
    summary, comparisons = data.get("tte_summary"), data.get("tte_comparisons")
    arms = _arms(data, curves)
    colours = arm_colours(arms)
    blocks: list[Table | Figure | Note] = []
    for paramcd in TTE_LABELS:
        if data.get(TTET01_TABLES[paramcd]) is not None:
            blocks.append(_tlg_table(data, TTET01_TABLES[paramcd]))
        rows = curves[curves.PARAMCD == paramcd]
        if rows.empty:
            continue
        blocks.append(
            Figure(
                plots.kaplan_meier(
                    rows, arms, colours, TTE_LABELS[paramcd], _km_annotation(summary, comparisons, paramcd, arms)
                ),
                figure_number(f"km_{paramcd.lower()}")
                + f"{TTE_LABELS[paramcd]}: Kaplan–Meier estimate per arm with 95 % confidence band (log-log); ticks mark "
                "censored patients. Medians with Brookmeyer–Crowley 95 % CI; Cox hazard ratio (Efron ties). "
                + (
                    f"Confirmed responders (CRSP = Y) of the {FAS_POPULATION_IN_TEXT}."
                    if paramcd == "DOR"
                    else f"{FAS_POPULATION}."
                ),
            )
        )
    missing = [name for name in TTET01_TABLES.values() if data.get(name) is None]
    if missing:
        blocks.append(_missing_note(missing))
    if comparisons is None:
        blocks.append(_missing_note(["tte_comparisons"]))
    return blocks


def forest_section(data: ReportData) -> list[Table | Figure | Note]:
    comparisons, differences = data.get("tte_comparisons"), data.get("response_differences")
    if comparisons is None and differences is None:
        raise MissingTables(["tte_comparisons", "response_differences"])
    hazard_ratios: list[plots.Effect] = []
    if comparisons is not None:
        for paramcd in [p for p in TTE_LABELS if (comparisons.PARAMCD == p).any()]:
            for method in ("unadjusted", "iptw"):
                match = comparisons[(comparisons.PARAMCD == paramcd) & (comparisons.METHOD == method)]
                if len(match):
                    row = match.iloc[0]
                    hazard_ratios.append(
                        plots.Effect(
                            paramcd,
                            method,
                            float(row.HR) if _finite(row.HR) else math.nan,
                            float(row.LCL) if _finite(row.LCL) else math.nan,
                            float(row.UCL) if _finite(row.UCL) else math.nan,
                            f"{_num(row.HR, 2)} ({_ci(row.LCL, row.UCL, 2)}), {_p(row.P_VALUE)}",
                        )
                    )
    rate_differences: list[plots.Effect] = []
    if differences is not None:
        for paramcd in [p for p in RESPONSE_LABELS if (differences.PARAMCD == p).any()]:
            for method in ("unadjusted", "iptw"):
                match = differences[(differences.PARAMCD == paramcd) & (differences.METHOD == method)]
                if len(match):
                    row = match.iloc[0]
                    label = {"CRSP": "ORR", "CCB": "DCR", "RSP": "ORR unconf."}[paramcd]
                    estimate, lower, upper = (
                        float(v) if _finite(v) else math.nan for v in (row.DIFF_PCT, row.LCL_PCT, row.UCL_PCT)
                    )
                    rate_differences.append(
                        plots.Effect(
                            label,
                            method,
                            estimate,
                            lower,
                            upper,
                            f"{_num(row.DIFF_PCT)} ({_ci(row.LCL_PCT, row.UCL_PCT)}), {_p(row.P_VALUE)}",
                        )
                    )
    if not hazard_ratios and not rate_differences:
        return [Note("No between-arm comparison in this snapshot.")]
    arms = _arms(data, data.get("response_rates"), data.get("tte_summary"))
    blocks: list[Table | Figure | Note] = [
        Figure(
            plots.forest(hazard_ratios, rate_differences, METHOD_COLOURS, arms[0] if arms else "the first arm"),
            figure_number("forest")
            + "Every between-arm comparison twice: unadjusted (squares) and weighted by stabilised inverse-probability-of-"
            "treatment weights from the propensity score (IPTW, diamonds), with 95 % CI.",
        )
    ]
    if comparisons is None:
        blocks.append(_missing_note(["tte_comparisons"]))
    if differences is None:
        blocks.append(_missing_note(["response_differences"]))
    return blocks


def balance_section(data: ReportData) -> list[Table | Figure | Note]:
    (balance,) = _need(data, "balance")
    after = balance.SMD_IPTW.astype(float).abs()
    unbalanced = balance[~(after < SMD_THRESHOLD)].COVARIATE.tolist()  # NaN counts as not balanced
    blocks: list[Table | Figure | Note] = []
    if unbalanced:
        blocks.append(
            Note(
                f"IPTW did not balance {', '.join(map(str, unbalanced))}: |SMD| ≥ {SMD_THRESHOLD} after "
                "weighting. Read the adjusted comparisons with this in mind.",
                "warn",
            )
        )
    else:
        blocks.append(Note(f"IPTW balanced every covariate: |SMD| < {SMD_THRESHOLD} after weighting.", "ok"))
    blocks.append(
        Figure(
            plots.love_plot(balance, SMD_THRESHOLD),
            "Absolute standardised mean differences of the propensity-score covariates between arms, "
            f"before and after weighting; dashed line at {SMD_THRESHOLD}.",
        )
    )
    rows = [
        Row(
            [
                str(row.COVARIATE),
                _num(row.SMD_UNADJUSTED, 3, "–"),
                _num(row.SMD_IPTW, 3, "–"),
                "yes" if row.COVARIATE not in unbalanced else "no",
            ],
            "flag" if row.COVARIATE in unbalanced else "",
        )
        for row in balance.itertuples()
    ]
    blocks.append(Table(["Covariate", "SMD unadjusted", "SMD IPTW", f"Balanced (|SMD| < {SMD_THRESHOLD})"], rows))
    return blocks


def exposure_section(data: ReportData) -> list[Table | Figure | Note]:
    return _tlg_tables(data, "tlg_ext01")


def ae_section(data: ReportData) -> list[Table | Figure | Note]:
    return _tlg_tables(data, "tlg_aet01", "tlg_aet02", "tlg_aet04", "tlg_ael_serious", "tlg_ael_fatal")


def quality_section(data: ReportData) -> list[Table | Figure | Note]:
    names = ("quarantine", "row_reconciliation", "data_queries", "response_discrepancies")
    if all(data.get(name) is None for name in names):
        raise MissingTables(list(names))
    blocks: list[Table | Figure | Note] = []
    quarantine = data.get("quarantine")
    if quarantine is not None:
        if quarantine.empty:
            blocks.append(Note("No row of this export was quarantined.", "ok"))
        else:
            grouped = (
                quarantine.assign(row_key=quarantine.line.astype(str))
                .groupby(["file", "rule"])
                .agg(rows=("row_key", "nunique"), example=("message", "first"))
                .reset_index()
            )
            blocks.append(
                Table(
                    ["File", "Rule", "Example", "Rows"],
                    [Row([r.file, r.rule, str(r.example), str(r.rows)]) for r in grouped.itertuples()],
                    text_columns=3,
                    caption=f"Quarantined rows: {quarantine.groupby('file').line.nunique().sum()} rows left out of staging (quality.quarantine)",
                )
            )
    else:
        blocks.append(_missing_note(["quarantine"]))
    reconciliation = data.get("row_reconciliation")
    if reconciliation is not None:
        blocks.append(
            Table(
                ["File", "Raw rows", "Staged", "Quarantined", "Reconciled"],
                [
                    Row(
                        [
                            r.file,
                            f"{int(r.raw_rows):,}",
                            f"{int(r.staged_rows):,}",
                            f"{int(r.quarantined_rows):,}",
                            "yes" if bool(r.reconciled) else "NO",
                        ],
                        "" if bool(r.reconciled) else "flag",
                    )
                    for r in reconciliation.sort_values("file").itertuples()
                ],
                caption="Row reconciliation: every input row is staged or quarantined",
            )
        )
    else:
        blocks.append(_missing_note(["row_reconciliation"]))
    queries = data.get("data_queries")
    if queries is not None:
        open_queries = queries[queries.STATUS.isin(["NEW", "OPEN", "REOPENED"])]
        if open_queries.empty:
            blocks.append(Note(f"No open data query ({len(queries)} resolved).", "ok"))
        else:
            grouped = (
                open_queries.groupby(["DOMAIN", "RULE"])
                .agg(queries=("QUERY_ID", "count"), patients=("SUBJID", "nunique"))
                .reset_index()
            )
            rows = [
                Row([str(r.DOMAIN), str(r.RULE), str(r.queries), str(r.patients)])
                for r in grouped.sort_values("queries", ascending=False, kind="stable").itertuples()
            ]
            blocks.append(
                Table(
                    ["Domain", "Rule", "Open queries", "Patients"],
                    rows,
                    text_columns=2,
                    caption=(
                        f"Open data queries: {len(open_queries)} ({len(queries) - len(open_queries)} resolved) in quality.data_queries"
                    ),
                )
            )
    else:
        blocks.append(_missing_note(["data_queries"]))
    discrepancies = data.get("response_discrepancies")
    if discrepancies is not None:
        blocks.append(
            Note(
                f"Computed timepoint response differs from the core-lab reader's at {len(discrepancies)} scan(s) "
                f"of {discrepancies.USUBJID.nunique() if len(discrepancies) else 0} patient(s) (quality.response_discrepancies).",
                "info" if len(discrepancies) else "ok",
            )
        )
    else:
        blocks.append(_missing_note(["response_discrepancies"]))
    blocks += check_results_blocks(data.get("check_results"), data.provenance.run_id)
    return blocks


# --- check results of this run -----------------------------------------------------------------------

CHECK_OUTCOMES = ("passed", "failed", "warning", "not evaluated")
CHECK_ORDER = {"failed": 0, "warning": 1, "not evaluated": 2}
CHECKS_SHOWN = 30  # rows of the not-passed table; the rest are counted
FAILING_ITEMS_SHOWN = 3  # failing rows named per check; the rest are counted
ITEM_CHARS = 140
DESCRIPTION_CHARS = 220


def check_outcome(outcome: object, severity: object) -> str:
    """passed, failed, warning or not evaluated: a check that did not pass at severity WARN is a warning."""
    text = str(outcome)
    if text == "failed" and str(severity).upper() == "WARN":
        return "warning"
    return text


def _shorten(text: object, limit: int) -> str:
    """One line of at most `limit` characters, cut at a word boundary and marked with an ellipsis."""
    flat = " ".join(str(text).replace("`", "").split())
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + " …"


_FAILING_COUNT = re.compile(r"^(\d[\d,]*) failing rows?(?: returned by \S+)?(?::\s*(.*))?$", re.S)
_MORE = re.compile(r"[;,]?\s*(?:and|\+)\s*(\d[\d,]*) more(?: \w+)?\s*$")


def failing_rows_in_words(text: object, shown: int = FAILING_ITEMS_SHOWN) -> str:
    """The first failing rows a check named, and how many more there are.

    Checks write them in a few shapes: `N failing rows: USUBJID=..., ADT=...; ...` (dbt tests),
    `edc/dm.csv line 3: AGE out_of_range (150); ...; and 12 more lines` (ingest), one markdown bullet
    per failed expectation (Great Expectations).
    """
    if text is None or (isinstance(text, float) and math.isnan(text)) or str(text).strip().lower() in ("", "none"):
        return "–"
    body, total, prefix = str(text).strip(), None, ""
    counted = _FAILING_COUNT.match(body)
    if counted:
        total = int(counted.group(1).replace(",", ""))
        body, prefix = (counted.group(2) or ""), f"{total:,} failing row{'' if total == 1 else 's'}"
    body = body.rstrip(" …").rstrip()
    more = _MORE.search(body)
    hidden = int(more.group(1).replace(",", "")) if more else 0
    if more:
        body = body[: more.start()]
    items = [item.strip().lstrip("-• ").strip() for item in re.split(r"\n|;\s+", body) if item.strip().strip("-• ")]
    listed = [_shorten(item, ITEM_CHARS) for item in items[:shown]]
    rest = (total - len(listed)) if total is not None else (len(items) - len(listed) + hidden)
    words = "; ".join(listed)
    if rest > 0 and listed:  # with no row named, the total alone says it
        words += f"; and {rest:,} more"
    return f"{prefix}: {words}" if prefix and words else prefix or words


def check_results_blocks(checks: pd.DataFrame | None, run_id: str) -> list[Table | Figure | Note]:
    """Counts by outcome for this run's checks, and a table of those that did not pass."""
    if checks is None or checks.empty:
        return [Note(f"No check result is recorded for this run ({run_id}) in quality.check_results.", "missing")]
    frame = checks.assign(OUTCOME=[check_outcome(o, s) for o, s in zip(checks.outcome, checks.severity)])
    counts = frame.OUTCOME.value_counts()
    outcomes = [*CHECK_OUTCOMES, *sorted(set(counts.index) - set(CHECK_OUTCOMES))]
    rows = [
        Row(
            [outcome, f"{int(counts.get(outcome, 0)):,}"],
            "flag" if outcome != "passed" and counts.get(outcome, 0) else "",
        )
        for outcome in outcomes
    ]
    blocks: list[Table | Figure | Note] = [
        Table(
            ["Outcome", "Checks"],
            rows,
            caption=f"Checks of this run: {len(frame):,} (run {run_id}, quality.check_results)",
            note="Warning: a non-blocking check (severity WARN) that did not pass; it does not stop publishing. "
            "Failed: a check of severity ERROR that did not pass. Not evaluated: planned, but it had not run "
            "when the report was built.",
        )
    ]
    not_passed = frame[frame.OUTCOME != "passed"]
    if not_passed.empty:
        blocks.append(Note(f"All {len(frame):,} checks of this run passed.", "ok"))
        return blocks
    not_passed = not_passed.assign(ORDER=not_passed.OUTCOME.map(CHECK_ORDER).fillna(len(CHECK_ORDER)))
    not_passed = not_passed.sort_values(["ORDER", "asset_key", "check_name"], kind="stable")
    shown = not_passed.head(CHECKS_SHOWN)
    table_rows = []
    for check in shown.itertuples():
        severity = str(check.severity) if isinstance(check.severity, str) and check.severity else "–"
        blocking = getattr(check, "blocking", None)
        if blocking is not None and not pd.isna(blocking) and bool(blocking):
            severity += ", blocking"
        description = check.description if isinstance(check.description, str) and check.description else "–"
        table_rows.append(
            Row(
                [
                    str(check.asset_key),
                    str(check.check_name),
                    severity,
                    check.OUTCOME,
                    _shorten(description, DESCRIPTION_CHARS),
                    failing_rows_in_words(check.failing_rows),
                ],
                {"failed": "flag", "warning": "warning"}.get(check.OUTCOME, ""),
            )
        )
    hidden = len(not_passed) - len(shown)
    blocks.append(
        Table(
            ["Asset", "Check", "Severity", "Outcome", "Description", "Failing rows"],
            table_rows,
            text_columns=6,
            caption=f"Checks of this run that did not pass: {len(not_passed):,}",
            css_class="checks",
            note=(f"{hidden:,} more not shown; " if hidden else "")
            + f"every check of this run is in quality.check_results where run_id = '{run_id}'.",
        )
    )
    return blocks


def _since_previous_export(data: ReportData) -> list[Table | Figure | Note]:
    from analysis.changes_section import since_previous_export  # its own module (it imports this one)

    return list(since_previous_export(data))


SECTIONS: list[tuple[str, str, Callable[[ReportData], list]]] = [
    # The clinical study report's order: 14.1 population, 14.2 efficacy, 14.3 safety, then data quality.
    ("disposition", "14.1.1 Patient disposition", disposition_section),
    ("baseline", "14.1.2 Demographics and baseline characteristics", baseline_section),
    ("balance", "Covariate balance (propensity score weighting)", balance_section),
    ("response", "14.2.1 Best overall response", response_section),
    ("waterfall", "Waterfall: best change in tumour size", waterfall_section),
    ("swimmer", "Swimmer plot: treatment and response over time", swimmer_section),
    ("survival", "14.2.2–14.2.4 Time to event", survival_section),
    ("forest", "Unadjusted and IPTW-adjusted effects", forest_section),
    ("exposure", "14.3.1 Study treatment exposure", exposure_section),
    ("adverse_events", "14.3.2–14.3.6 Adverse events", ae_section),
    ("changes", "Since the previous export", _since_previous_export),
    ("quality", "Data quality", quality_section),
]


def build_sections(data: ReportData) -> tuple[list[Section], list[str]]:
    sections, failed = [], []
    for key, title, build in SECTIONS:
        section = Section(key, title)
        try:
            section.blocks = build(data)
        except MissingTables as missing:
            section.missing = missing.names
            section.blocks = [_missing_note(missing.names)]
        except Exception as error:  # one broken section must not cost the whole report
            log.exception("report section %s failed", key)
            failed.append(key)
            section.missing = ["(error)"]
            section.blocks = [
                Note(f"This section could not be drawn from this snapshot: {type(error).__name__}: {error}", "missing")
            ]
        sections.append(section)
    return sections, failed


def build_report(data: ReportData) -> Report:
    import jinja2

    sections, failed = build_sections(data)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE.parent),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    arms = _arms(data, data.get("response_rates"))
    html = environment.get_template(TEMPLATE.name).render(
        provenance=data.provenance,
        sections=sections,
        cards=key_results(data),
        arms=arm_colours(arms),
        comparison=" vs ".join(arms) if arms else "Trial",
    )
    return Report(
        html,
        [s.key for s in sections if not s.missing],
        [s.key for s in sections if s.missing and s.key not in failed],
        failed,
    )


def generated_at() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
