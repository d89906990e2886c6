"""The TLF folder: one RTF file per table and listing of the catalogue (rtflite), and the figures of
the report as SVG beside them. Titles and footnotes come from `analysis.tlg.catalogue`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from analysis.tlg.build import population_n
from analysis.tlg.catalogue import CATALOGUE, FIGURES, TableSpec, footnotes, title_lines
from analysis.tlg.layout import display

if TYPE_CHECKING:
    from analysis.efficacy import Arms
    from analysis.report import ReportData

INDENT_TWIPS = 200  # one indent level of a row label
LISTING_WIDTHS = {
    "Patient": 1.8,
    "Actual treatment": 1.1,
    "System organ class / Preferred term": 3.0,
    "Reported term": 1.7,
    "Grade": 0.7,
    "Start date (study day)": 1.5,
    "End date": 1.3,
    "Related to lenvatinib / SIRT": 1.4,
    "Action with lenvatinib": 1.3,
    "Outcome": 1.2,
    "TEAE": 0.7,
}
ROWS_PER_PAGE = 30  # rows a landscape letter page holds above the footnotes, as LibreOffice lays them out
PAGE_MARGINS = [1.0, 1.0, 0.75, 0.75, 0.5, 0.5]  # inches: left, right, top, bottom, header, footer


# Code-list values printed in sentence case (`NOT RELATED` -> `Not related`).
SENTENCE_CASE = ("AEREL_LEN", "AEREL_SIRT", "AEACN_LEN", "AEOUT")


def _listing_value(column: str, value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).capitalize() if column in SENTENCE_CASE else str(value)


# rtflite writes about 100 listing rows a second: a listing longer than this (a scaled-up study) is
# cut, with a footnote saying where the whole listing is.
LISTING_ROWS_PRINTED = 1000


def printed_listing(listing: pd.DataFrame) -> pd.DataFrame:
    """A listing of reporting.tlg_ael* as it is printed: related columns joined so that it fits a
    landscape page (the table in DuckDB keeps one ADaM variable per column)."""

    def value(row: pd.Series, column: str) -> str:
        return _listing_value(column, row.get(column))

    rows = [
        {
            "Patient": value(row, "USUBJID"),
            "Actual treatment": value(row, "TRT01A"),
            "System organ class / Preferred term": f"{value(row, 'AESOC')} / {value(row, 'AEDECOD')}",
            "Reported term": value(row, "AETERM"),
            "Grade": value(row, "ATOXGR"),
            "Start date (study day)": f"{value(row, 'ASTDT')} ({value(row, 'ASTDY')})",
            "End date": value(row, "AENDT"),
            "Related to lenvatinib / SIRT": f"{value(row, 'AEREL_LEN')} / {value(row, 'AEREL_SIRT')}",
            "Action with lenvatinib": value(row, "AEACN_LEN"),
            "Outcome": value(row, "AEOUT"),
            "TEAE": value(row, "TRTEMFL"),
        }
        for _, row in listing.iterrows()
    ]
    return pd.DataFrame(rows, columns=list(LISTING_WIDTHS))


def rtf_document(spec: TableSpec, table: pd.DataFrame, n: int | None, notes: list[str]):  # noqa: ANN201
    """The rtflite document of one table or listing (landscape letter page, as CSR tables are)."""
    import polars as pl
    import rtflite as rtf

    if spec.kind == "listing":
        if len(table) > LISTING_ROWS_PRINTED:
            notes = [
                *notes,
                f"The first {LISTING_ROWS_PRINTED:,} of {len(table):,} events are printed; every event is in "
                f"reporting.{spec.name}.",
            ]
            table = table.head(LISTING_ROWS_PRINTED)
        printed = printed_listing(table)
        header = list(printed.columns)
        body = [list(row) for row in printed.itertuples(index=False)]
        if not body:
            body = [["No event to list." if i == 0 else "" for i in range(len(header))]]
        widths = [LISTING_WIDTHS.get(c, 1.0) for c in header]
        # One row of attributes, broadcast to every row: rtflite reads a full matrix once per cell,
        # which made a listing of 2,000 events take minutes.
        indents = [[0] * len(header)]
        formats = [[""] * len(header)]
        justify = ["l"] * len(header)
        size = 8.0
    else:
        shown = display(table, spec.stub.split("\n")[0])
        header = [h.replace("\n", " ") for h in shown.header]
        body = [cells for cells, _, _ in shown.rows]
        indents = [[INDENT_TWIPS * indent] + [0] * (len(header) - 1) for _, indent, _ in shown.rows]
        formats = [["b" if heading else ""] + [""] * (len(header) - 1) for _, _, heading in shown.rows]
        widths = [3.0] + [1.4] * (len(header) - 1)
        justify = ["l"] + ["c"] * (len(header) - 1)
        size = 9.0
    frame = pl.DataFrame({f"c{i}": [row[i] for row in body] for i in range(len(header))})
    return rtf.RTFDocument(
        df=frame,
        rtf_page=rtf.RTFPage(orientation="landscape", nrow=ROWS_PER_PAGE, margin=PAGE_MARGINS),
        rtf_title=rtf.RTFTitle(text=title_lines(spec, n)),
        rtf_column_header=[
            rtf.RTFColumnHeader(text=header, col_rel_width=widths, text_justification=justify, text_font_size=[size])
        ],
        rtf_body=rtf.RTFBody(
            col_rel_width=widths,
            text_justification=[justify],
            text_indent_left=indents,
            text_format=formats,
            text_font_size=[size],
        ),
        rtf_footnote=rtf.RTFFootnote(text=notes) if notes else None,
    )


def _figures(data: ReportData) -> dict[str, str]:
    """figure key of `catalogue.FIGURES` -> SVG markup, drawn by the report's own sections."""
    from analysis import report

    figures: dict[str, str] = {}
    for key, build in (("waterfall", report.waterfall_section), ("forest", report.forest_section)):
        try:
            blocks = build(data)
        except report.MissingTables:
            continue
        svgs = [b.svg.markup for b in blocks if isinstance(b, report.Figure)]
        if svgs:
            figures[key] = svgs[0]
    try:
        blocks = report.survival_section(data)
    except report.MissingTables:
        blocks = []
    kaplan_meier = [b for b in blocks if isinstance(b, report.Figure)]
    curves = data.get("km_curves")
    endpoints = [p for p in report.TTE_LABELS if curves is not None and (curves.PARAMCD == p).any()]
    for paramcd, figure in zip(endpoints, kaplan_meier, strict=False):
        figures[f"km_{paramcd.lower()}"] = figure.svg.markup
    return figures


def write_tlf_folder(
    folder: Path, tables: dict[str, pd.DataFrame], arms: Arms, data: ReportData | None = None
) -> list[str]:
    """Write every catalogue table present in `tables` as RTF, and the figures, into `folder`;
    the file names written, in CSR order. `tables["tlg_catalogue"]` gives each output's N."""
    folder.mkdir(parents=True, exist_ok=True)
    catalogue = tables.get("tlg_catalogue")
    n_by_name = dict(zip(catalogue.TABLE_NAME, catalogue.BIGN, strict=True)) if catalogue is not None else {}
    written = []
    for spec in CATALOGUE:
        if spec.name not in tables:
            continue
        n = n_by_name.get(spec.name)
        document = rtf_document(
            spec, tables[spec.name], int(n) if n is not None else None, footnotes(spec, arms.treated, arms.reference)
        )
        path = folder / f"{spec.file_stem}.rtf"
        document.write_rtf(str(path))
        written.append(path.name)
    if data is not None:
        drawn = _figures(data)
        for number, key, _title in FIGURES:
            if key in drawn:
                path = folder / f"f_{number.replace('.', '_')}_{key}.svg"
                path.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + drawn[key], encoding="utf-8")
                written.append(path.name)
    return written


__all__ = ["population_n", "write_tlf_folder"]
