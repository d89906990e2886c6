"""The record-level change audit on hand-made raw tables: one case per kind of change."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.changes.endpoints import ENDPOINT_CHANGES_DDL, endpoint_changes
from orchestration.changes.records import record_changes
from orchestration.loading.contract import ALL_INPUT_FILES, INPUT_FILES_BY_PATH
from orchestration.loading.load import create_empty_raw_table

AE = INPUT_FILES_BY_PATH["edc/ae.csv"]


def ae_row(subject: str, number: str, grade: str, line: int, export_id: str) -> dict:
    row = {c: "" for c in AE.column_names}
    row.update(
        SUBJID=subject, AESPID=number, AETERM="Rash", AETOXGR=grade, _export_id=export_id, _file=AE.path, _line=line
    )
    return row


def build(path, export_id: str, rows: list[dict], quarantined: list[tuple[int, str]] = ()) -> None:
    with duckdb.connect(str(path)) as con:
        for spec in ALL_INPUT_FILES:
            create_empty_raw_table(con, spec)
        for row in rows:
            names = ", ".join(f'"{k}"' for k in row)
            con.execute(
                f"insert into raw.{AE.raw_table} ({names}) values ({', '.join('?' * len(row))})", list(row.values())
            )
        for line, rule in quarantined:
            con.execute(
                "insert into quality.quarantine (export_id, file, line, rule, message) values (?, ?, ?, ?, 'x')",
                [export_id, AE.path, line, rule],
            )


@pytest.fixture
def databases(tmp_path):
    previous = [
        ae_row("101-001", "1", "2", 2, "E1"),  # grade corrected
        ae_row("101-001", "2", "1", 3, "E1"),  # unchanged
        ae_row("101-001", "3", "1", 4, "E1"),  # deleted
        ae_row("101-002", "1", "1", 5, "E1"),  # a duplicate key: the copy is deleted
        ae_row("101-002", "1", "1", 6, "E1"),
        ae_row("101-003", "1", "9", 7, "E1"),  # quarantined, corrected: leaves quarantine
    ]
    new = [
        ae_row("101-001", "1", "3", 2, "E2"),
        ae_row("101-001", "2", "1", 3, "E2"),
        ae_row("101-002", "1", "1", 4, "E2"),
        ae_row("101-003", "1", "2", 5, "E2"),
        ae_row("101-004", "1", "1", 6, "E2"),  # added
    ]
    build(tmp_path / "snapshot.duckdb", "E1", previous, [(6, "duplicate_key"), (7, "out_of_range")])
    build(tmp_path / "build.duckdb", "E2", new)
    return tmp_path / "build.duckdb", tmp_path / "snapshot.duckdb"


def changes(con) -> set[tuple]:
    return set(
        con.execute(
            "select FILE, SUBJID, RECORD_KEY, CHANGE, COLUMN_NAME, OLD_VALUE, NEW_VALUE from quality.record_changes"
        ).fetchall()
    )


def test_each_kind_of_change_is_one_row_per_record_or_column(databases):
    build_db, snapshot = databases
    with duckdb.connect(str(build_db)) as con:
        result = record_changes(con, "E2", snapshot, "E1")
        assert changes(con) == {
            (AE.path, "101-001", "101-001 | 1", "changed", "AETOXGR", "2", "3"),
            (AE.path, "101-001", "101-001 | 3", "deleted", None, None, None),
            (AE.path, "101-002", "101-002 | 1 (copy 2)", "deleted", None, None, None),
            (AE.path, "101-003", "101-003 | 1", "changed", "AETOXGR", "9", "2"),
            (AE.path, "101-003", "101-003 | 1", "changed", "QUARANTINE", "out_of_range", None),
            (AE.path, "101-004", "101-004 | 1", "added", None, None, None),
        }
        assert result.counts == {AE.path: {"added": 1, "deleted": 2, "changed": 2}}
        assert con.execute("select distinct EXPORT_ID, PREVIOUS_EXPORT_ID from quality.record_changes").fetchall() == [
            ("E2", "E1")
        ]


def test_comparing_the_same_pair_again_replaces_its_rows_and_keeps_older_history(databases):
    build_db, snapshot = databases
    with duckdb.connect(str(build_db)) as con:
        record_changes(con, "E2", snapshot, "E1")
        con.execute(
            "insert into quality.record_changes (EXPORT_ID, PREVIOUS_EXPORT_ID, FILE, RECORD_KEY, CHANGE) values ('E1', 'E0', 'f', 'k', 'added')"
        )
        record_changes(con, "E2", snapshot, "E1")
        assert con.execute("select count(*) from quality.record_changes where EXPORT_ID = 'E2'").fetchone() == (6,)
        assert con.execute("select count(*) from quality.record_changes where EXPORT_ID = 'E1'").fetchone() == (1,)


def test_the_first_export_and_the_same_export_again_have_no_changes(databases):
    build_db, snapshot = databases
    with duckdb.connect(str(build_db)) as con:
        first = record_changes(con, "E2", None, None)
        again = record_changes(con, "E2", snapshot, "E2")
        assert not first.compared and not again.compared
        assert "nothing to compare" in first.reason and "already published" in again.reason
        assert con.execute("select count(*) from quality.record_changes").fetchone() == (0,)


def test_an_identical_export_under_a_new_id_has_no_changes(tmp_path):
    rows = [ae_row("101-001", "1", "2", 2, "E1")]
    build(tmp_path / "snapshot.duckdb", "E1", rows, [(2, "out_of_range")])
    build(tmp_path / "build.duckdb", "E2", rows, [(2, "out_of_range")])
    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        result = record_changes(con, "E2", tmp_path / "snapshot.duckdb", "E1")
        assert result.compared and result.total == 0


def test_a_rerun_of_the_published_export_says_where_its_own_comparison_is(databases):
    build_db, snapshot = databases
    with duckdb.connect(str(build_db)) as con:
        record_changes(con, "E2", snapshot, "E1")  # E2 compared with E1 and published
        again = record_changes(con, "E2", snapshot, "E2")  # then refreshed again (--force)
        assert not again.compared
        assert again.reason == (
            "export E2 is the one already published: nothing new to compare; its comparison with E1 "
            "(5 records changed) stays in quality.record_changes"
        )
        assert con.execute("select count(*) from quality.record_changes where EXPORT_ID = 'E2'").fetchone() == (6,)


def test_a_rerun_of_the_published_export_says_where_its_endpoint_comparison_is(tmp_path):
    database = tmp_path / "build.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute(ENDPOINT_CHANGES_DDL)
        con.execute(
            "insert into quality.endpoint_changes (EXPORT_ID, PREVIOUS_EXPORT_ID, USUBJID, DATASET, VARIABLE) values "
            "('E2', 'E1', 'P1', 'ADSL', 'DTHFL'), ('E2', 'E1', 'P1', 'ADTTE', 'CNSR'), ('E2', 'E1', 'P2', 'ADSL', 'LSTALVDT')"
        )
        again = endpoint_changes(con, "E2", database, "E2")
        assert not again.compared
        assert again.reason == (
            "export E2 is the one already published: nothing new to compare; its comparison with E1 "
            "(2 patients' endpoints changed) stays in quality.endpoint_changes"
        )
