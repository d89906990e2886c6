"""AET01, AET02 and AET04 and the serious and fatal adverse-event listings, safety population by
actual treatment and in total.

The counts are those of `analysis.safety` (the overview categories, the SOC/PT counts, the
worst-grade flags of ADAE): the Total column is the same functions run with every patient in one
arm, `Total`. This module lays the counts out and adds the grade groups of AET04.
"""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from analysis import safety
from analysis.tlg.layout import TOTAL, Column, TableBuilder, count_pct

LISTING_COLUMNS = {
    "USUBJID": "Patient",
    "TRT01A": "Actual treatment",
    "AESOC": "System organ class",
    "AEDECOD": "Preferred term",
    "AETERM": "Reported term",
    "ATOXGR": "CTCAE grade",
    "ASTDT": "Start date",
    "ASTDY": "Start day",
    "AENDT": "End date",
    "AESER": "Serious",
    "AERELLEN": "Related to lenvatinib",
    "AERELSRT": "Related to SIRT",
    "AEACNLEN": "Action with lenvatinib",
    "AEOUT": "Outcome",
    "TRTEMFL": "Treatment-emergent",
}
ADAE_COLUMNS = sorted(set(safety.ADAE_COLUMNS) | set(LISTING_COLUMNS))
GRADE_GROUPS = (
    ("- Any grade -", lambda grade: pd.Series(True, index=grade.index)),
    ("Grade 1-2", lambda grade: grade.isin([1, 2])),
    ("Grade 3", lambda grade: grade.eq(3)),
    ("Grade 4", lambda grade: grade.eq(4)),
    ("Grade 5", lambda grade: grade.eq(5)),
)
TOTAL_ORDER = 1_000_000  # TRT01AN of the Total column: after every arm


def with_total(adsl: pd.DataFrame, adae: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each safety patient (and event) once more under TRT01A = `Total`, so the counting functions of
    `analysis.safety` give the Total column as one more arm."""
    safety_adsl = adsl[adsl["SAFFL"].eq("Y")]
    return (
        pd.concat([adsl, safety_adsl.assign(TRT01A=TOTAL, TRT01AN=TOTAL_ORDER)], ignore_index=True),
        pd.concat([adae, adae.assign(TRT01A=TOTAL)], ignore_index=True),
    )


class _Counted:
    """What AET01, AET02 and AET04 count from: only the TEAEs of the safety population and the
    columns `analysis.safety` reads (every count it makes starts from exactly these rows), with
    the Total arm added once, and the overview and SOC/PT counts made once."""

    def __init__(self, adsl: pd.DataFrame, adae: pd.DataFrame) -> None:
        teae = safety.treatment_emergent(adae, [c for c in safety.ADAE_COLUMNS if c in adae])
        self.adsl, self.teae = with_total(adsl, teae)
        self.columns = [Column(row.TRT01A, int(row.N_ARM)) for row in safety.safety_arms(self.adsl).itertuples()]

    @cached_property
    def overview(self) -> pd.DataFrame:
        return safety.ae_overview(self.adsl, self.teae)

    @cached_property
    def soc_pt(self) -> pd.DataFrame:
        """`safety.ae_by_soc_pt` (Total included), its rows in the order it gives."""
        return safety.ae_by_soc_pt(self.adsl, self.teae)


def ae_tables(adsl: pd.DataFrame, adae: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """AET01, AET02 and AET04 (reporting names) from one set of counts."""
    counted = _Counted(adsl, adae)
    return {"tlg_aet01": _aet01(counted), "tlg_aet02": _aet02(counted), "tlg_aet04": _aet04(counted)}


def aet01(adsl: pd.DataFrame, adae: pd.DataFrame) -> pd.DataFrame:
    """Overview: patients with any TEAE and with each category of `safety.AE_OVERVIEW_CATEGORIES`,
    then the number of TEAEs (events, not patients)."""
    return _aet01(_Counted(adsl, adae))


def _aet01(counted: _Counted) -> pd.DataFrame:
    table = TableBuilder(counted.columns)
    for order, rows in counted.overview.groupby("ORDER_N", sort=True):
        cells = {
            row.TRT01A: ("patients", row.PATIENTS, count_pct(int(row.PATIENTS), int(row.N_ARM)))
            for row in rows.itertuples()
        }
        label = str(rows.CATEGORY.iloc[0])
        table.add("Patients with at least one", label, cells, 0 if order == 1 else 1)
    events = counted.teae.groupby("TRT01A").size()
    table.add(
        "Events",
        "Total number of TEAEs",
        {c.name: ("events", int(events.get(c.name, 0)), str(int(events.get(c.name, 0)))) for c in counted.columns},
        0,
    )
    return table.frame()


def aet02(adsl: pd.DataFrame, adae: pd.DataFrame) -> pd.DataFrame:
    """Patients with any TEAE, then each SOC and its preferred terms: n (%) of the column's N."""
    return _aet02(_Counted(adsl, adae))


def _aet02(counted: _Counted) -> pd.DataFrame:
    table = TableBuilder(counted.columns)
    anyone = counted.overview[counted.overview.ORDER_N == 1]
    table.add(
        "",
        "Patients with at least one TEAE",
        {r.TRT01A: ("patients", r.PATIENTS, count_pct(int(r.PATIENTS), int(r.N_ARM))) for r in anyone.itertuples()},
        0,
    )
    for (soc, term), rows in counted.soc_pt.groupby(["AESOC", "AEDECOD"], sort=False, dropna=False):
        cells = {
            r.TRT01A: ("patients", r.PATIENTS_ANY, count_pct(int(r.PATIENTS_ANY), int(r.N_ARM)))
            for r in rows.itertuples()
        }
        if pd.isna(term):
            table.add(str(soc), str(soc), cells, 0)
        else:
            table.add(str(soc), str(term), cells, 1)
    return table.frame()


def _grade_counts(worst: pd.DataFrame, keys: list[str]) -> dict[tuple, int]:
    """(*keys, arm, grade group) -> patients, from the worst-grade rows (one per patient and keys):
    one grouping per grade group, not one filter per SOC and term (AET04 at 100,000 patients)."""
    counts: dict[tuple, int] = {}
    worst = worst[[*keys, "TRT01A", "USUBJID", "ATOXGR"]]  # each grade group copies only these
    for label, selected in GRADE_GROUPS:
        grouped = worst[selected(worst.ATOXGR)].groupby([*keys, "TRT01A"]).USUBJID.nunique()
        for key, patients in grouped.items():
            counts[(*(key if isinstance(key, tuple) else (key,)), label)] = int(patients)
    return counts


def _grade_rows(
    table: TableBuilder, section: str, counts: dict[tuple, int], key: tuple, columns: list[Column], indent: int
) -> None:
    for label, _ in GRADE_GROUPS:
        cells = {}
        for column in columns:
            patients = counts.get((*key, column.name, label), 0)
            cells[column.name] = ("patients", patients, count_pct(patients, column.n or 0))
        table.add(section, label, cells, indent)


def aet04(adsl: pd.DataFrame, adae: pd.DataFrame) -> pd.DataFrame:
    """Patients by highest grade (any, 1-2, 3, 4, 5): overall, per SOC and per preferred term, at
    the worst event ADAE flags (AOCCIFL, AOCCSIFL, AOCCPIFL). SOCs and terms in AET02's order."""
    return _aet04(_Counted(adsl, adae))


def _aet04(counted: _Counted) -> pd.DataFrame:
    columns = counted.columns
    table = TableBuilder(columns)
    teae = counted.teae
    overall = _grade_counts(teae[teae.AOCCIFL.eq("Y")].assign(ALL="all"), ["ALL"])
    by_soc = _grade_counts(teae[teae.AOCCSIFL.eq("Y")], ["AESOC"])
    by_term = _grade_counts(teae[teae.AOCCPIFL.eq("Y")], ["AESOC", "AEDECOD"])
    _grade_rows(table, "- Any adverse event -", overall, ("all",), columns, 1)
    keys = counted.soc_pt[["AESOC", "AEDECOD"]].drop_duplicates()
    for soc, term in keys.itertuples(index=False):
        if pd.isna(term):
            table.add(str(soc), str(soc), {}, 0)
            _grade_rows(table, str(soc), by_soc, (soc,), columns, 1)
        else:
            table.add(str(soc), str(term), {}, 1)
            _grade_rows(table, str(soc), by_term, (soc, term), columns, 2)
    return table.frame()


def ae_listing(adsl: pd.DataFrame, adae: pd.DataFrame, which: str) -> pd.DataFrame:
    """The serious (`which` = "serious": AESER = Y) or fatal (FATALFL = Y) adverse events of the
    safety population, one row per event, by arm (TRT01AN), patient and start date."""
    events = adae[adae["SAFFL"].eq("Y")]
    events = events[events.AESER.eq("Y")] if which == "serious" else events[events.FATALFL.eq("Y")]
    order = adsl.drop_duplicates("TRT01A").set_index("TRT01A").TRT01AN
    events = events.assign(_ARM=events.TRT01A.map(order)).sort_values(["_ARM", "USUBJID", "ASTDT", "AEDECOD"])
    listing = events[[c for c in LISTING_COLUMNS if c in events]].reset_index(drop=True)
    for column in ("ASTDT", "AENDT"):
        if column in listing:
            listing[column] = pd.to_datetime(listing[column]).dt.strftime("%Y-%m-%d")
    return listing.astype({"ATOXGR": "Int64", "ASTDY": "Int64"}, errors="ignore")
