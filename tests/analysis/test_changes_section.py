"""The report's "Since the previous export" section."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.changes_section import since_previous_export
from analysis.report import MissingTables, Note, ReportData, Table
from tests.analysis.report_frames import PROVENANCE, sample_tables


def section(**replaced) -> list:
    tables = sample_tables()
    tables.update(replaced)
    return since_previous_export(ReportData(PROVENANCE, tables))


def test_records_per_file_endpoints_old_to_new_and_queries_new_and_resolved():
    blocks = section()
    assert isinstance(blocks[0], Note) and "compared with the previously published export E0" in blocks[0].text
    records, endpoints, queries = (b for b in blocks if isinstance(b, Table))
    assert [r.cells for r in records.rows] == [["edc/ae.csv", "2", "1", "0"], ["imaging/timepoints.csv", "1", "0", "0"]]
    # one row per patient and endpoint: the response first, then its date
    assert [r.cells[:3] for r in endpoints.rows] == [
        ["LENSIRT-101", "ADRS CBOR", "AVALC PR → CR; ADT 2023-01-01 → 2023-03-01"],
    ]
    assert endpoints.rows[0].cells[3] == "imaging/timepoints.csv: 1 added"
    assert [r.cells[0] for r in queries.rows] == ["NEW", "REOPENED", "RESOLVED"]  # OPEN is not news
    assert queries.caption.startswith("Data queries: 1 new, 1 reopened, 1 resolved")


def test_a_query_resolved_by_an_earlier_export_is_not_listed():
    queries = sample_tables()["data_queries"].assign(RESOLVED_EXPORT="E0")
    listed = [b for b in section(data_queries=queries) if isinstance(b, Table)][-1]
    assert "RESOLVED" not in [r.cells[0] for r in listed.rows]


def test_the_first_export_says_nothing_changed():
    empty = pd.DataFrame(columns=["PREVIOUS_EXPORT_ID", "FILE", "CHANGE", "RECORDS"])
    blocks = section(record_changes=empty, endpoint_changes=pd.DataFrame(columns=["USUBJID"]))
    assert len(blocks) == 1 and blocks[0].kind == "ok" and "nothing changed" in blocks[0].text


def test_a_snapshot_without_the_change_tables_is_not_available():
    with pytest.raises(MissingTables):
        section(record_changes=None, endpoint_changes=None)


def endpoint_change(patient: str, dataset: str, paramcd: str | None, variable: str, old: str, new: str) -> dict:
    return dict(
        EXPORT_ID=PROVENANCE.export_id,
        PREVIOUS_EXPORT_ID="E0",
        USUBJID=patient,
        DATASET=dataset,
        PARAMCD=paramcd,
        VARIABLE=variable,
        OLD_VALUE=old,
        NEW_VALUE=new,
        RECORD_CHANGES="edc/surv.csv: 1 added",
    )


def test_dates_that_only_moved_with_follow_up_are_counted_not_listed():
    changes = pd.DataFrame(
        [
            # a death: the event and its dates are listed together
            endpoint_change("P1", "ADTTE", "OS", "ADT", "2025-05-01", "2025-07-14"),
            endpoint_change("P1", "ADTTE", "OS", "CNSR", "1", "0"),
            endpoint_change("P1", "ADSL", None, "DTHFL", None, "Y"),
            # new contacts: only the dates and durations moved
            endpoint_change("P2", "ADTTE", "OS", "ADT", "2025-05-08", "2025-07-05"),
            endpoint_change("P2", "ADTTE", "OS", "AVAL", "980", "1038"),
            endpoint_change("P3", "ADTTE", "OS", "AVAL", "500", "530"),
            endpoint_change("P3", "ADSL", None, "LSTALVDT", "2025-05-01", "2025-06-30"),
        ]
    )
    outcomes, routine = [b for b in section(endpoint_changes=changes) if isinstance(b, Table)][1:3]
    assert outcomes.caption.startswith("Endpoints changed: 7 values of 3 patients")
    assert [r.cells[:3] for r in outcomes.rows] == [
        ["P1", "ADSL", "DTHFL – → Y"],
        ["P1", "ADTTE OS", "CNSR 1 → 0; ADT 2025-05-01 → 2025-07-14"],
    ]
    assert [r.cells for r in routine.rows] == [
        ["ADSL", "LSTALVDT", "1"],
        ["ADTTE OS", "ADT", "1"],
        ["ADTTE OS", "AVAL", "2"],
    ]


def test_only_dates_moved_says_no_outcome_changed():
    changes = pd.DataFrame([endpoint_change("P2", "ADTTE", "OS", "AVAL", "980", "1038")])
    blocks = section(endpoint_changes=changes)
    notes = [b.text for b in blocks if isinstance(b, Note)]
    assert any("no response, event, death, grade or study status changed" in text for text in notes)
