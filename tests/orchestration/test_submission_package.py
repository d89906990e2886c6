"""The submission package round-trips: XPORT (two readers), Dataset-JSON and define.xml (schema and
cross-check), on small tables shaped by the real specification (no refresh needed)."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from orchestration.publishing.submission.package import build_package, copy_package, read_package
from orchestration.publishing.submission.spec import read_specification
from tests.submission_roundtrip import (
    STUDY,
    assert_define_describes_files,
    assert_define_valid,
    assert_package_matches_tables,
    small_warehouse,
)

pytest.importorskip("pyreadstat")
pytest.importorskip("lxml")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    specification = read_specification()
    con = small_warehouse(specification, text=" été")
    folder = tmp_path_factory.mktemp("package") / "submission"
    built = build_package(con, folder, STUDY, specification)
    yield con, built, specification
    con.close()


def test_every_dataset_has_its_files(package):
    _, built, specification = package
    expected = {f"{d.name}{suffix}" for d in specification for suffix in (".xpt", ".json")} | {
        "define.xml",
        "define.html",
    }
    assert {f.name for f in built.files} == expected
    assert sorted(p.name for p in built.folder.iterdir()) == sorted(expected | {"package.json"})
    assert all(f.bytes > 0 for f in built.files)
    assert {f.records for f in built.files if f.records is not None} == {3}


def test_xport_and_dataset_json_hold_the_tables_value_by_value(package):
    con, built, specification = package
    assert_package_matches_tables(con, built.folder, specification)


def test_define_xml_is_valid_define_xml_2_1(package):
    assert_define_valid(package[1].folder / "define.xml")


def test_define_xml_describes_exactly_the_files(package):
    assert_define_describes_files(package[1].folder)


def test_define_xml_carries_value_level_metadata_code_lists_and_methods(package):
    text = (package[1].folder / "define.xml").read_text(encoding="utf-8")
    assert '<def:WhereClauseDef OID="WC.ADRS.PARAMCD.' in text
    assert '<def:ValueListRef ValueListOID="VL.ADRS.AVALC"' in text
    assert 'CodeListOID="CL.NY"' in text and '<CodeList OID="CL.ARM" Name="ARM" DataType="text">' in text
    assert '<MethodDef OID="MT.ADSL.TRTSDT" Name="Algorithm to derive ADSL.TRTSDT" Type="Computation">' in text
    assert 'xlink:href="adsl.xpt"' in text
    html = (package[1].folder / "define.html").read_text(encoding="utf-8")
    assert "<a href='adsl.xpt'>adsl.xpt</a>" in html and "Time-to-Event Origin Date for Subject" in html


def test_dates_are_sas_dates_with_date9(package):
    import pyreadstat

    _, built, _ = package
    frame, meta = pyreadstat.read_xport(str(built.folder / "adsl.xpt"), disable_datetime_conversion=True)
    assert meta.original_variable_types["TRTSDT"] == "DATE9."
    assert frame.TRTSDT.tolist()[:2] == [(dt.date(2025, 1, 1) - dt.date(1960, 1, 1)).days, 23743.0]
    document = json.loads((built.folder / "adsl.json").read_text(encoding="utf-8"))
    column = next(c for c in document["columns"] if c["name"] == "TRTSDT")
    assert (column["dataType"], column["targetDataType"], column["displayFormat"]) == ("date", "integer", "DATE9.")


def test_character_length_is_the_longest_value(package):
    import pyreadstat

    _, meta = pyreadstat.read_xport(str(package[1].folder / "adae.xpt"), metadataonly=True)
    assert meta.variable_storage_width["AETERM"] == 60  # "x" * 60 on the first row, "AETERM 1 été" the longest else


def test_copy_package_copies_every_file_and_checks_it(package, tmp_path):
    _, built, _ = package
    snapshot = tmp_path / "snapshot"
    shutil.copytree(built.folder, snapshot / "submission")
    copied = copy_package(snapshot, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [f.name for f in built.files] + ["package.json"]
    )
    assert read_package(tmp_path / "out").files == built.files
    assert "adsl.xpt" in copied.summary() and "14 files" in copied.summary()
    with pytest.raises(FileNotFoundError, match="has no submission package"):
        copy_package(tmp_path / "empty", tmp_path / "out2")


def test_warehouse_submission_copies_the_current_package_and_prints_its_summary(package, tmp_path, monkeypatch, capsys):
    from orchestration.cli import main
    from orchestration.publishing.snapshot import switch_current
    from orchestration.publishing.submission.conformance import check_conformance, write_conformance
    from orchestration.settings import WarehousePaths

    con, built, specification = package
    paths = WarehousePaths(tmp_path / "home").ensure()
    monkeypatch.setenv("WAREHOUSE_HOME", str(paths.home))
    assert main(["submission"]) == 1
    assert "nothing is published yet" in capsys.readouterr().err

    snapshot = paths.snapshots / "20250701T000000000000Z_EXPORT-1"
    shutil.copytree(built.folder, snapshot / "submission")
    write_conformance(con, check_conformance(con, specification), "EXPORT-1")
    con.execute(f"attach '{snapshot / 'warehouse.duckdb'}' as snap")
    con.execute("create schema snap.quality")
    con.execute("create table snap.quality.conformance as select * from quality.conformance")
    con.execute("detach snap")
    switch_current(paths, snapshot)

    assert main(["submission", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert (
        "adsl.xpt" in printed and "define.xml" in printed and "from snapshot 20250701T000000000000Z_EXPORT-1" in printed
    )
    assert "conformance: 16 rules on 6 datasets, 0 blocking findings" in printed
    assert (tmp_path / "out" / "define.xml").read_bytes() == (built.folder / "define.xml").read_bytes()
    assert main(["submission"]) == 0  # default folder: WAREHOUSE_HOME/submission/<snapshot id>
    assert (paths.home / "submission" / snapshot.name / "adsl.xpt").exists()


def test_files_written_in_batches_are_the_same_files(package, tmp_path, monkeypatch):
    """The rows reach both files a batch at a time (memory at 100,000 patients); how many rows a
    batch holds changes nothing in either file."""
    from orchestration.publishing.submission import datasets, xport

    monkeypatch.setattr(xport, "_sas_datetime", lambda _moment: "01JAN26:00:00:00")
    con, _, specification = package
    dataset = next(d for d in specification if d.name == "adrs")
    longest = datasets.longest_values(con, dataset)
    whole, batches = tmp_path / "whole", tmp_path / "batches"
    for folder in (whole, batches):
        folder.mkdir()
        records = datasets.write_dataset_files(con, dataset, STUDY, longest, folder / "x.xpt", folder / "x.json")
        monkeypatch.setattr(datasets, "BATCH_ROWS", 2)  # 3 rows: two batches the second time
    for name in ("x.xpt", "x.json"):
        assert (batches / name).read_bytes() == (whole / name).read_bytes()
    document = json.loads((whole / "x.json").read_bytes())
    assert records == document["records"] == len(document["rows"]) == 3
    assert list(document)[-1] == "rows"


def _key_order(rows: list[tuple], batch_rows: int = 2) -> bool:
    """KeyOrder over `rows` of (K1, K2), `batch_rows` at a time."""
    import types

    import pyarrow as pa

    from orchestration.publishing.submission.datasets import KeyOrder

    dataset = types.SimpleNamespace(
        variables=[types.SimpleNamespace(name=n) for n in ("X", "K1", "K2")], keys=("K1", "K2")
    )
    order = KeyOrder(dataset)
    table = pa.table({"X": [0] * len(rows), "K1": [r[0] for r in rows], "K2": [r[1] for r in rows]})
    return all(order.continued_by(batch) for batch in table.to_batches(max_chunksize=batch_rows))


def test_key_order_of_batches_one_after_the_other():
    assert _key_order([("a", 1.0), ("a", 2.0), ("b", 1.0), ("c", 0.0)])
    assert _key_order([("a", 1.0), ("a", 1.0)])  # equal keys are in order
    assert _key_order([("Z", 1.0), ("a", 1.0)])  # text by its bytes, as DuckDB sorts it
    assert not _key_order([("a", 1.0), ("c", 1.0), ("b", 1.0)], batch_rows=2)  # at the batches' boundary
    assert not _key_order([("a", 1.0), ("c", 1.0), ("b", 1.0)], batch_rows=3)  # inside a batch
    assert not _key_order([("a", 2.0), ("a", 1.0)])  # the second key decides where the first ties
    assert _key_order([("a", 2.0), ("b", 1.0)])  # and only there
    assert not _key_order([("a", None), ("a", 1.0)])  # a missing key: only DuckDB's sort places it
    assert not _key_order([("a", float("nan")), ("a", 1.0)])
    assert _key_order([("a", None), ("b", 1.0)])  # where it decides nothing, it does not count
    assert _key_order([])


@pytest.mark.parametrize("batch_rows", [1, 2, 100])
@pytest.mark.parametrize("stored", ["in key order", "in another order"])
def test_a_mart_is_read_as_stored_only_when_that_is_its_key_order(package, tmp_path, monkeypatch, stored, batch_rows):
    """The same files as from DuckDB's sort; the stored rows are taken as they are only when every
    batch continues the key order, else the files are written again from the sorted read."""
    from orchestration.publishing.submission import datasets, xport

    monkeypatch.setattr(xport, "_sas_datetime", lambda _moment: "01JAN26:00:00:00")
    con, _, specification = package
    dataset = next(d for d in specification if d.name == "adrs")
    direction = "" if stored == "in key order" else " desc"
    keys = ", ".join(f'"{key}"{direction}' for key in dataset.keys)
    con.execute("create schema if not exists stored")
    con.execute(f"create or replace table stored.adrs as select * from adam.adrs order by {keys}")
    longest = datasets.longest_values(con, dataset)
    sorted_reads = []
    write_files = datasets._write_files

    def spied(*args):
        sorted_reads.append(args[-1])
        return write_files(*args)

    monkeypatch.setattr(datasets, "_write_files", spied)
    monkeypatch.setattr(datasets, "BATCH_ROWS", batch_rows)
    stored_files, reference = tmp_path / "stored", tmp_path / "reference"
    for folder, schema in ((stored_files, "stored"), (reference, "adam")):
        folder.mkdir()
        datasets.write_dataset_files(con, dataset, STUDY, longest, folder / "x.xpt", folder / "x.json", schema)
        if folder is stored_files:
            assert sorted_reads == ([False] if stored == "in key order" else [False, True])
        monkeypatch.setattr(datasets.KeyOrder, "continued_by", lambda _self, _batch: False)  # always sort
    for name in ("x.xpt", "x.json"):
        assert (stored_files / name).read_bytes() == (reference / name).read_bytes()
