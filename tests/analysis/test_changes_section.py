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
    # the response comes before its date
    assert [r.cells[1:3] for r in endpoints.rows] == [
        ["ADRS CBOR AVALC", "PR → CR"],
        ["ADRS CBOR ADT", "2023-01-01 → 2023-03-01"],
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
