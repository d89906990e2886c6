"""Publishing: the snapshot file in the old format, the report of the same export, nothing else."""

from __future__ import annotations

import json

import duckdb
import pytest

from orchestration.assets.publish import report_matches
from orchestration.publishing.snapshot import connect_build, publish


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


def _storage_version(database) -> str:
    with duckdb.connect(str(database), read_only=True) as con:
        (tags,) = con.execute("select tags from duckdb_databases() where database_name = current_database()").fetchone()
    return tags["storage_version"]


@pytest.mark.parametrize("build_format", ["snapshot format (file copied)", "newer format (tables rewritten)"])
def test_the_snapshot_holds_every_write_in_the_old_format_and_only_the_analyst_schemas(warehouse_home, build_format):
    paths = warehouse_home
    paths.ensure()
    con = connect_build(paths.database) if build_format.startswith("snapshot") else duckdb.connect(str(paths.database))
    with con:
        con.execute("create schema adam; create schema scratch")
        con.execute("create table adam.adsl as select 'S-' || i as USUBJID from range(1000) t(i)")
        con.execute("create table scratch.notes as select 1 as n")
        con.execute("insert into adam.adsl values ('S-last')")  # after the last checkpoint
        snapshot = publish(con, paths, "S1", {"export_id": "E1"})
    assert snapshot.tables == {"adam.adsl": 1001}
    assert _storage_version(snapshot.database) == "v1.0.0+"
    with duckdb.connect(str(snapshot.database), read_only=True) as copy:
        assert copy.execute("select count(*), max(USUBJID) from adam.adsl").fetchone() == (1001, "S-last")
        schemas = {r[0] for r in copy.execute("select schema_name from duckdb_schemas() where not internal").fetchall()}
    assert "scratch" not in schemas and "adam" in schemas


def test_a_new_build_database_is_created_in_the_snapshot_format(warehouse_home):
    paths = warehouse_home
    paths.ensure()
    with connect_build(paths.database) as con:
        con.execute("create table t as select 1")
    assert _storage_version(paths.database) == "v1.0.0+"


def test_the_tlf_folder_is_copied_whole_without_its_build_sidecar(warehouse_home):
    from orchestration.assets.publish import built_from

    paths = warehouse_home
    tlf = paths.build / "tlf"
    tlf.mkdir(parents=True)
    (tlf / "t_14_1_2_dmt01.rtf").write_text("{\\rtf1 table}")
    (tlf / "f_14_2_6_km_pfs.svg").write_text("<svg/>")
    (tlf / "tlf.json").write_text(json.dumps({"export_id": "E1", "run_id": "r"}))
    assert built_from(tlf / "tlf.json", "E1") and not built_from(tlf / "tlf.json", "E2")
    with _build_database(paths) as con:
        snapshot = publish(con, paths, "S1", {"export_id": "E1"}, [tlf])
    assert sorted(p.name for p in (snapshot.folder / "tlf").iterdir()) == ["f_14_2_6_km_pfs.svg", "t_14_1_2_dmt01.rtf"]
    assert json.loads((snapshot.folder / "snapshot.json").read_text())["files"] == ["tlf"]


def test_the_submission_package_is_linked_and_keeps_its_files_when_the_next_build_replaces_it(warehouse_home):
    """The package (2.2 GB at 100,000 patients) is written whole and renamed into place, never
    rewritten: the snapshot links its files instead of copying them, and a later build's package
    leaves the published one as it was. A folder written in place (tlf/) is still copied."""
    import os
    import shutil

    paths = warehouse_home
    package, tlf = paths.build / "submission", paths.build / "tlf"

    def build_package(text: str) -> None:  # as submission.package.build_package replaces its folder
        partial = package.with_name(".submission.partial")
        partial.mkdir(parents=True)
        (partial / "adsl.xpt").write_text(text)
        if package.exists():
            shutil.rmtree(package)
        os.replace(partial, package)

    build_package("first build")
    tlf.mkdir()
    (tlf / "t_14_1_2_dmt01.rtf").write_text("{\\rtf1 table}")
    with _build_database(paths) as con:
        snapshot = publish(con, paths, "S1", {"export_id": "E1"}, [package, tlf], written_whole=[package])
    assert os.path.samefile(snapshot.folder / "submission" / "adsl.xpt", package / "adsl.xpt")
    assert not os.path.samefile(snapshot.folder / "tlf" / "t_14_1_2_dmt01.rtf", tlf / "t_14_1_2_dmt01.rtf")
    build_package("second build")
    assert (snapshot.folder / "submission" / "adsl.xpt").read_text() == "first build"
    assert (package / "adsl.xpt").read_text() == "second build"
