"""The TLF folder: one RTF file per table and listing of the catalogue (rtflite), and the figures of
the report as SVG beside them. Titles and footnotes come from `analysis.tlg.catalogue`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

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
TABLE_ROWS_PER_PAGE = 24  # table rows per page, leaving room for the title, header and footnotes
NO_PAGE_BREAK = 1000
PAGE_MARGINS = [1.0, 1.0, 0.75, 0.75, 0.5, 0.5]  # inches: left, right, top, bottom, header, footer


# Code-list values printed in sentence case (`NOT RELATED` -> `Not related`).
SENTENCE_CASE = ("AERELLEN", "AERELSRT", "AEACNLEN", "AEOUT")


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
            "Related to lenvatinib / SIRT": f"{value(row, 'AERELLEN')} / {value(row, 'AERELSRT')}",
            "Action with lenvatinib": value(row, "AEACNLEN"),
            "Outcome": value(row, "AEOUT"),
            "TEAE": value(row, "TRTEMFL"),
        }
        for _, row in listing.iterrows()
    ]
    return pd.DataFrame(rows, columns=list(LISTING_WIDTHS))


def _rtf_pages(spec: TableSpec, table: pd.DataFrame) -> tuple[list[str], list[dict]]:
    """The header and the pages to print: each a dict of body rows and their attributes."""
    if spec.kind == "listing":
        printed = printed_listing(table)
        header = list(printed.columns)
        body = [list(row) for row in printed.itertuples(index=False)]
        if not body:
            body = [["No event to list." if i == 0 else "" for i in range(len(header))]]
        # One row of attributes, broadcast to every row: rtflite reads a full attribute matrix once
        # per cell, which made a listing of 2,000 events take minutes.
        page = {
            "body": body,
            "indents": [[0] * len(header)],
            "formats": [[""] * len(header)],
            "widths": [LISTING_WIDTHS.get(c, 1.0) for c in header],
            "justify": ["l"] * len(header),
            "size": 8.0,
            "nrow": ROWS_PER_PAGE,  # rtflite breaks the pages
        }
        return header, [page]
    shown = display(table, spec.stub.split("\n")[0])
    header = [h.replace("\n", " ") for h in shown.header]
    widths = [3.0] + [1.4] * (len(header) - 1)
    justify = ["l"] + ["c"] * (len(header) - 1)
    pages = []
    # Indents and bold headings differ by row, so they are matrices: one document per page keeps
    # rtflite's per-cell reading of them small (AET04 of the CDISC pilot, 1,523 rows, took 43 s whole).
    for first in range(0, max(len(shown.rows), 1), TABLE_ROWS_PER_PAGE):
        rows = shown.rows[first : first + TABLE_ROWS_PER_PAGE] or [
            (["No data for this table in this study.", *[""] * (len(header) - 1)], 0, False)
        ]
        pages.append(
            {
                "body": [cells for cells, _, _ in rows],
                "indents": [[INDENT_TWIPS * indent] + [0] * (len(header) - 1) for _, indent, _ in rows],
                "formats": [["b" if heading else ""] + [""] * (len(header) - 1) for _, _, heading in rows],
                "widths": widths,
                "justify": justify,
                "size": 9.0,
                "nrow": NO_PAGE_BREAK,  # the page is this document
            }
        )
    return header, pages


def fonts_loaded_once() -> None:
    """rtflite measures the text of every cell it lays out (`rtflite.strwidth.get_string_width`) and
    opens and parses the TrueType file again for each string: over a third of a long listing's time.
    Give that module a font loader that keeps each font it loaded, at each size, for the life of the
    process. The fonts are the same, so every width and every file is the same; only the loading
    is done once. Should rtflite stop loading fonts this way, its module is left as it is."""
    import functools
    import types
    from importlib import resources

    from PIL import ImageFont
    from rtflite import strwidth

    if getattr(strwidth, "ImageFont", None) is ImageFont:
        strwidth.ImageFont = types.SimpleNamespace(truetype=functools.cache(ImageFont.truetype))
    if getattr(strwidth, "pkg_resources", None) is resources:
        strwidth.pkg_resources = types.SimpleNamespace(files=functools.cache(resources.files))


def rtf_documents(spec: TableSpec, table: pd.DataFrame, n: int | None, notes: list[str]) -> list:
    """The rtflite documents of one table or listing (landscape letter pages, as CSR tables are):
    one per page of a table, one for a listing; the footnotes close the last."""
    import polars as pl
    import rtflite as rtf

    if spec.kind == "listing" and len(table) > LISTING_ROWS_PRINTED:
        notes = [
            *notes,
            f"The first {LISTING_ROWS_PRINTED:,} of {len(table):,} events are printed; every event is in "
            f"reporting.{spec.name}.",
        ]
        table = table.head(LISTING_ROWS_PRINTED)
    header, pages = _rtf_pages(spec, table)
    documents = []
    for number, page in enumerate(pages, start=1):
        size, widths, justify = page["size"], page["widths"], page["justify"]
        frame = pl.DataFrame({f"c{i}": [row[i] for row in page["body"]] for i in range(len(header))})
        documents.append(
            rtf.RTFDocument(
                df=frame,
                rtf_page=rtf.RTFPage(orientation="landscape", nrow=page["nrow"], margin=PAGE_MARGINS),
                rtf_title=rtf.RTFTitle(text=title_lines(spec, n)),
                rtf_column_header=[
                    rtf.RTFColumnHeader(
                        text=header, col_rel_width=widths, text_justification=justify, text_font_size=[size]
                    )
                ],
                rtf_body=rtf.RTFBody(
                    col_rel_width=widths,
                    text_justification=[justify],
                    text_indent_left=page["indents"],
                    text_format=page["formats"],
                    text_font_size=[size],
                ),
                rtf_footnote=rtf.RTFFootnote(text=notes) if notes and number == len(pages) else None,
            )
        )
    return documents


def write_rtf(spec: TableSpec, table: pd.DataFrame, n: int | None, notes: list[str], path: Path) -> None:
    """One RTF file of a table or listing; pages written apart are joined by rtflite."""
    import tempfile

    from rtflite import assemble_rtf

    fonts_loaded_once()
    documents = rtf_documents(spec, table, n, notes)
    if len(documents) == 1:
        documents[0].write_rtf(str(path))
        return
    with tempfile.TemporaryDirectory(dir=path.parent) as pages:
        files = [str(Path(pages) / f"{number:04d}.rtf") for number in range(len(documents))]
        for document, file in zip(documents, files, strict=True):
            document.write_rtf(file)
        assemble_rtf(files, str(path))


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
        path = folder / f"{spec.file_stem}.rtf"
        n = int(n) if n is not None else None
        write_rtf(spec, tables[spec.name], n, footnotes(spec, arms.treated, arms.reference), path)
        written.append(path.name)
    if data is not None:
        drawn = _figures(data)
        for number, key, _title in FIGURES:
            if key in drawn:
                path = folder / f"f_{number.replace('.', '_')}_{key}.svg"
                path.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + drawn[key], encoding="utf-8")
                written.append(path.name)
    return written
