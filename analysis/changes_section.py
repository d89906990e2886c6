"""The report's "Since the previous export" section: input records changed per file, patients
whose endpoints changed (old -> new), data queries new and resolved.

It reads three tables of the export being reported: ``record_changes`` (counts per file and kind
of change), ``endpoint_changes`` (one row per changed value) and ``data_queries``.
"""

from __future__ import annotations

import pandas as pd

from analysis.report import MissingTables, Note, ReportData, Row, Table

ENDPOINT_ROWS_SHOWN = 60
QUERY_ROWS_SHOWN = 40
# What a statistician looks at first: responses, events and deaths, grades, before the dates.
VARIABLE_ORDER = {"AVALC": 0, "CNSR": 1, "EVNTDESC": 2, "CNSDTDSC": 3, "AETOXGR": 4, "DTHFL": 5, "AVAL": 6, "ADT": 7}


def _text(value: object) -> str:
    return "–" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def since_previous_export(data: ReportData) -> list[Table | Note]:
    records, endpoints, queries = (data.get(name) for name in ("record_changes", "endpoint_changes", "data_queries"))
    if records is None and endpoints is None:
        raise MissingTables(["record_changes", "endpoint_changes"])
    export_id = data.provenance.export_id
    records = (
        records if records is not None else pd.DataFrame(columns=["PREVIOUS_EXPORT_ID", "FILE", "CHANGE", "RECORDS"])
    )
    endpoints = endpoints if endpoints is not None else pd.DataFrame()
    if records.empty and endpoints.empty:
        return [
            Note(
                f"Export {export_id} is the first published export, or unchanged since the previous one: nothing changed.",
                "ok",
            )
        ]
    previous = ", ".join(
        sorted(set(records.PREVIOUS_EXPORT_ID.dropna()) | set(endpoints.get("PREVIOUS_EXPORT_ID", [])))
    )
    blocks: list[Table | Note] = [
        Note(f"Export {export_id} compared with the previously published export {previous}.", "info")
    ]
    if not records.empty:
        counts = records.pivot_table(index="FILE", columns="CHANGE", values="RECORDS", aggfunc="sum", fill_value=0)
        rows = [
            Row(
                [
                    str(file),
                    *(f"{int(counts.loc[file].get(change, 0)):,}" for change in ("added", "changed", "deleted")),
                ]
            )
            for file in sorted(counts.index)
        ]
        blocks.append(
            Table(
                ["File", "Added", "Changed", "Deleted"],
                rows,
                caption="Input records changed, by file (quality.record_changes: column, old and new value of each)",
            )
        )
    else:
        blocks.append(Note("No input record was added, changed or deleted.", "ok"))
    if not endpoints.empty:
        ordered = endpoints.assign(
            ORDER=endpoints.VARIABLE.map(VARIABLE_ORDER).fillna(len(VARIABLE_ORDER))
        ).sort_values(["USUBJID", "DATASET", "PARAMCD", "ORDER"], kind="stable", na_position="first")
        shown = ordered.head(ENDPOINT_ROWS_SHOWN)
        rows = [
            Row(
                [
                    str(r.USUBJID),
                    f"{r.DATASET} {_text(r.PARAMCD) + ' ' if isinstance(r.PARAMCD, str) else ''}{r.VARIABLE}",
                    f"{_text(r.OLD_VALUE)} → {_text(r.NEW_VALUE)}",
                    _text(r.RECORD_CHANGES),
                ]
            )
            for r in shown.itertuples()
        ]
        hidden = len(endpoints) - len(shown)
        blocks.append(
            Table(
                ["Patient", "Endpoint", "Old → new", "Input records changed for the patient"],
                rows,
                text_columns=4,
                caption=f"Endpoints changed: {len(endpoints):,} values of {endpoints.USUBJID.nunique():,} patients",
                note=(f"{hidden:,} more in " if hidden else "All in ") + "quality.endpoint_changes.",
            )
        )
    else:
        blocks.append(Note("No endpoint of any patient changed.", "ok"))
    if queries is not None and "RESOLVED_EXPORT" in queries:
        arrived = queries[queries.STATUS.isin(["NEW", "REOPENED"])]
        resolved = queries[(queries.STATUS == "RESOLVED") & (queries.RESOLVED_EXPORT == export_id)]
        listed = pd.concat([arrived, resolved]).head(QUERY_ROWS_SHOWN)
        blocks.append(
            Table(
                ["Status", "Patient", "Rule", "Record", "Message"],
                [
                    Row(
                        [str(q.STATUS), str(q.SUBJID), str(q.RULE), _text(q.RECORD_KEY), _text(q.MESSAGE)],
                        "flag" if q.STATUS in ("NEW", "REOPENED") else "",
                    )
                    for q in listed.itertuples()
                ],
                text_columns=5,
                caption=(
                    f"Data queries: {int((queries.STATUS == 'NEW').sum())} new, {int((queries.STATUS == 'REOPENED').sum())} "
                    f"reopened, {len(resolved)} resolved by this export"
                ),
                note="`warehouse queries --status NEW` lists them for the work list (--format csv for a spreadsheet).",
            )
        )
    return blocks
