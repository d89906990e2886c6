"""Publishing carries the report into the snapshot folder, and only a report of the same export."""

from __future__ import annotations

import json

import duckdb

from orchestration.assets.publish import report_matches
from orchestration.publishing import publish


def _build_database(paths):
    con = duckdb.connect(str(paths.database))
    con.execute("create schema adam")
    con.execute("create table adam.adsl as select 'S-1' as USUBJID")
    return con


def _write_report(paths, export_id: str, text: str = "<html>report</html>") -> None:
    paths.build.mkdir(parents=True, exist_ok=True)
    paths.report.write_text(text)
    paths.report.with_suffix(".json").write_text(json.dumps({"export_id": export_id, "run_id": "r"}))


def test_the_report_is_in_the_snapshot_when_current_switches(warehouse_home):
    paths = warehouse_home
    _write_report(paths, "E1", "<html>first</html>")
    with _build_database(paths) as con:
        snapshot = publish(con, paths, "S1", {"export_id": "E1"}, [paths.report])
    assert (snapshot.folder / "report.html").read_text() == "<html>first</html>"
    assert paths.current_report.read_text() == "<html>first</html>"
    assert json.loads((snapshot.folder / "snapshot.json").read_text())["files"] == ["report.html"]


def test_publishing_without_a_report_still_publishes(warehouse_home):
    paths = warehouse_home
    with _build_database(paths) as con:
        snapshot = publish(con, paths, "S1", {"export_id": "E1"})
    assert not (snapshot.folder / "report.html").exists()
    assert paths.current_database.exists()


def test_only_a_report_of_the_export_being_published_is_taken(warehouse_home):
    paths = warehouse_home
    assert not report_matches(paths, "E1")  # nothing built yet
    _write_report(paths, "E1")
    assert report_matches(paths, "E1")
    assert not report_matches(paths, "E2")  # a stale report from an earlier export
    paths.report.with_suffix(".json").write_text("not json")
    assert not report_matches(paths, "E1")
