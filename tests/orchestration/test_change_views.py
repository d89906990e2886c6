"""What `warehouse changes` and `warehouse queries` read back, on hand-made history tables."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.changes.endpoints import ENDPOINT_CHANGES_DDL
from orchestration.changes.records import RECORD_CHANGES_DDL
from orchestration.changes.views import changes_text, comparisons, query_counts, query_list


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(RECORD_CHANGES_DDL)
    con.execute(ENDPOINT_CHANGES_DDL)
    con.execute(
        "insert into quality.record_changes (EXPORT_ID, PREVIOUS_EXPORT_ID, FILE, SUBJID, RECORD_KEY, CHANGE, COLUMN_NAME) values "
        "('E2', 'E1', 'edc/ae.csv', '101-001', '101-001 | 1', 'changed', 'AETOXGR'), "
        "('E2', 'E1', 'edc/ae.csv', '101-001', '101-001 | 1', 'changed', 'AEOUT'), "
        "('E2', 'E1', 'edc/ae.csv', '101-002', '101-002 | 4', 'added', null), "
        "('E3', 'E2', 'edc/ds.csv', '101-003', '101-003 | END OF STUDY', 'deleted', null)"
    )
    con.execute(
        "insert into quality.endpoint_changes values "
        "('E3', 'E2', 'S-3', '101-003', 'ADTTE', 'OS', 'CNSR', '1', '0', 'edc/ds.csv: 1 deleted'), "
        "('E3', 'E2', 'S-1', '101-001', 'ADSL', null, 'LSTALVDT', '2025-05-01', '2025-06-01', null)"
    )
    con.execute(
        "create table quality.data_queries as select * from (values "
        "('Q1', 'NEW', 'AE_DUPLICATE', '101-001', 'AE 2', null), "
        "('Q2', 'OPEN', 'AE_DUPLICATE', '101-002', 'AE 3', null), "
        "('Q3', 'RESOLVED', 'LEN_START_DOSE', '101-003', 'first lenvatinib dose', 'E3'), "
        "('Q4', 'RESOLVED', 'LEN_START_DOSE', '101-004', 'first lenvatinib dose', 'E2')"
        ") as t(QUERY_ID, STATUS, RULE, SUBJID, RECORD_KEY, RESOLVED_EXPORT)"
    )
    for column in ("DOMAIN", "MESSAGE", "QUERY_DATE", "FIRST_SEEN_EXPORT", "REOPENED_EXPORT", "DAYS_OPEN"):
        con.execute(f"alter table quality.data_queries add column {column} varchar")
    yield con
    con.close()


def test_comparisons_walk_back_to_the_export_asked_for(con):
    assert [(c.export_id, c.previous_export_id) for c in comparisons(con, "E3")] == [("E3", "E2")]
    assert [(c.export_id, c.previous_export_id) for c in comparisons(con, "E3", since="E1")] == [
        ("E3", "E2"),
        ("E2", "E1"),
    ]
    with pytest.raises(ValueError, match="E0 is not one this snapshot was compared with"):
        comparisons(con, "E3", since="E0")


def test_records_count_once_however_many_columns_changed(con):
    text = changes_text(con, "E3", since="E1")
    assert "edc/ae.csv" in text and "1 /      1 /      0" in text
    assert "S-3  ADTTE OS CNSR: 1 -> 0  [edc/ds.csv: 1 deleted]" in text
    # an event that changed comes before a date that moved, whatever the patient order
    assert text.index("OS CNSR") < text.index("ADSL LSTALVDT: 2025-05-01 -> 2025-06-01")


def test_a_first_export_has_nothing_to_compare(con):
    assert "no earlier published export" in changes_text(con, "E1")


def test_the_work_list_and_the_counts_by_rule(con):
    columns, rows = query_list(con, resolved_by="E3")
    assert [row[columns.index("QUERY_ID")] for row in rows] == ["Q1", "Q2"]
    columns, rows = query_list(con, ("RESOLVED",), resolved_by="E3")
    assert [row[columns.index("QUERY_ID")] for row in rows] == ["Q3"]  # Q4 was resolved earlier
    assert query_counts(con, "E3") == [("AE_DUPLICATE", 1, 1, 0, 0), ("LEN_START_DOSE", 0, 0, 1, 0)]
    with pytest.raises(ValueError, match="unknown query status CLOSED"):
        query_list(con, ("CLOSED",))
