"""The report's "Since the previous export" section: input records changed per file, patients
whose endpoints changed (old -> new), data queries new and resolved.

It reads three tables of the export being reported: ``record_changes`` (counts per file and kind
of change), ``endpoint_changes`` (one row per changed value) and ``data_queries``.
"""

from __future__ import annotations

import pandas as pd

from analysis.endpoint_variables import OUTCOME_VARIABLES
from analysis.report import MissingTables, Note, ReportData, Row, Table

OUTCOME_ROWS_SHOWN = 40
QUERY_ROWS_SHOWN = 40


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
        blocks += _endpoint_blocks(endpoints)
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
                note="The command warehouse queries --status NEW lists them for the work list (--format csv for a spreadsheet).",
            )
        )
    return blocks


def _endpoint(dataset: object, paramcd: object) -> str:
    return f"{dataset} {paramcd}" if isinstance(paramcd, str) and paramcd else str(dataset)


def _endpoint_blocks(endpoints: pd.DataFrame) -> list[Table | Note]:
    """Outcome changes, one row per patient and endpoint with every value that moved; then a count
    of the endpoints whose dates and durations alone moved (new visits, contacts, scans)."""
    endpoints = endpoints.assign(
        ENDPOINT=[_endpoint(d, p) for d, p in zip(endpoints.DATASET, endpoints.PARAMCD)],
        OUTCOME=endpoints.VARIABLE.isin(OUTCOME_VARIABLES),
    )
    moved = endpoints.groupby(["USUBJID", "ENDPOINT"], sort=False).OUTCOME.transform("any")
    outcome_rows = endpoints[moved].assign(ORDER=lambda f: ~f.OUTCOME)
    caption = f"Endpoints changed: {len(endpoints):,} values of {endpoints.USUBJID.nunique():,} patients"
    blocks: list[Table | Note] = []
    if outcome_rows.empty:
        blocks.append(Note(f"{caption}; no response, event, death, grade or study status changed.", "ok"))
    else:
        groups = list(outcome_rows.sort_values(["ORDER", "VARIABLE"], kind="stable").groupby(["USUBJID", "ENDPOINT"]))
        shown = groups[:OUTCOME_ROWS_SHOWN]
        rows = [
            Row(
                [
                    str(patient),
                    str(endpoint),
                    "; ".join(f"{r.VARIABLE} {_text(r.OLD_VALUE)} → {_text(r.NEW_VALUE)}" for r in group.itertuples()),
                    _text(group.RECORD_CHANGES.iloc[0]),
                ]
            )
            for (patient, endpoint), group in shown
        ]
        hidden = len(groups) - len(shown)
        blocks.append(
            Table(
                ["Patient", "Endpoint", "Old → new", "Input records changed for the patient"],
                rows,
                text_columns=4,
                caption=f"{caption}. Responses, events, deaths, grades and study status that changed:",
                note=(f"{hidden:,} more patients' endpoints in " if hidden else "Every value in ")
                + "quality.endpoint_changes.",
                css_class="changes",
            )
        )
    routine = endpoints[~moved]
    if not routine.empty:
        counts = routine.groupby(["ENDPOINT", "VARIABLE"]).USUBJID.nunique().reset_index(name="PATIENTS")
        blocks.append(
            Table(
                ["Endpoint", "Variable", "Patients"],
                [Row([str(r.ENDPOINT), str(r.VARIABLE), f"{r.PATIENTS:,}"]) for r in counts.itertuples()],
                text_columns=2,
                caption="Dates and durations that moved with new visits, contacts and scans (no outcome changed):",
                note="Listed per patient in quality.endpoint_changes.",
            )
        )
    return blocks
