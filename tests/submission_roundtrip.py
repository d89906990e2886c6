"""Read a submission package back and compare it with the DuckDB tables it was written from.

Shared by the package tests on small tables (tests/orchestration/test_submission_package.py) and
the end-to-end test on the demo warehouse.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.publishing.submission.datasets import Study, key_order
from orchestration.publishing.submission.spec import Dataset

SAS_EPOCH = dt.date(1960, 1, 1)
ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
DEF = "{http://www.cdisc.org/ns/def/v2.1}"
XLINK = "{http://www.w3.org/1999/xlink}"

STUDY = Study("STUDY1", "EXPORT-1", "2025-06-30", "test", "2025-07-01T00:00:00+00:00")
SQL_TYPES = {"varchar": "varchar", "integer": "integer", "double": "double", "date": "date"}


def read_dataset(con: duckdb.DuckDBPyConnection, dataset: Dataset, schema: str = "adam") -> pd.DataFrame:
    """The mart's rows in specification order, sorted by the key variables (missing values first,
    as SAS sorts them): what both files of the package must hold."""
    columns = ", ".join(f'"{name}"' for name in dataset.names)
    return con.sql(f'select {columns} from "{schema}"."{dataset.name}" order by {key_order(dataset)}').df()


def _value(variable, row: int, keys: tuple[str, ...], text: str):
    if variable.name == "STUDYID":
        return STUDY.study_id
    if variable.name == "USUBJID":
        return f"STUDY1-{row:03d}"
    if variable.name == "PARAMCD" and variable.codelist.from_data:
        return f"PARAM{row}"
    if row == 2 and variable.name not in keys and variable.codelist is None:
        return None  # every uncontrolled non-key variable empty once
    if variable.codelist is not None and variable.codelist.terms:
        return variable.codelist.terms[row % len(variable.codelist.terms)].code
    if variable.is_character:
        return f"{variable.name} {row}{text}" if row else "x" * 60  # a long value
    if variable.is_date:
        return dt.date(2025, 1, 1 + row)
    if variable.data_type == "double":
        return row + 0.1
    return row + 1


def small_warehouse(specification, text: str = "") -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with three rows per ADaM dataset, every variable of the spec with its
    label as the column comment; `text` is appended to free-text values (non-ASCII, say)."""
    con = duckdb.connect()
    con.execute("create schema adam")
    for dataset in specification:
        frame = pd.DataFrame(
            [{v.name: _value(v, row, dataset.keys, text) for v in dataset.variables} for row in range(3)], dtype=object
        )
        casts = ", ".join(f'cast("{v.name}" as {SQL_TYPES[v.data_type]}) as "{v.name}"' for v in dataset.variables)
        con.register("rows", frame)
        con.execute(f"create table adam.{dataset.name} as select {casts} from rows")
        con.unregister("rows")
        for v in dataset.variables:
            label = v.label.replace("'", "''")
            con.execute(f"comment on column adam.{dataset.name}.\"{v.name}\" is '{label}'")
    return con


def _missing(value) -> bool:
    if isinstance(value, str):
        return value == ""
    return value is None or bool(pd.isna(value))


def _same(expected, actual, variable) -> bool:
    if _missing(expected) or _missing(actual):
        return _missing(expected) and _missing(actual)
    if variable.is_date:
        expected = pd.Timestamp(expected).date()
        if isinstance(actual, (int, float)):  # pandas read_sas: days since 1960-01-01
            actual = SAS_EPOCH + dt.timedelta(days=int(actual))
        elif isinstance(actual, str):
            actual = dt.date.fromisoformat(actual)
        else:
            actual = pd.Timestamp(actual).date()
        return expected == actual
    if variable.is_character:
        return str(expected) == (actual.decode("utf-8") if isinstance(actual, bytes) else str(actual))
    return math.isclose(float(expected), float(actual), rel_tol=1e-12, abs_tol=1e-12)


def assert_same_values(expected: pd.DataFrame, actual: pd.DataFrame, dataset: Dataset, reader: str) -> None:
    assert list(actual.columns) == dataset.names, f"{reader} {dataset.name}: columns {list(actual.columns)}"
    assert len(actual) == len(expected), f"{reader} {dataset.name}: {len(actual)} rows, expected {len(expected)}"
    for variable in dataset.variables:
        pairs = zip(expected[variable.name].tolist(), actual[variable.name].tolist())
        for row, (want, got) in enumerate(pairs):
            assert _same(want, got, variable), f"{reader} {dataset.name}.{variable.name} row {row}: {got!r} != {want!r}"


def assert_package_matches_tables(con: duckdb.DuckDBPyConnection, folder: Path, specification: list[Dataset]) -> None:
    """Each .xpt (pyreadstat and pandas) and each Dataset-JSON file holds the table, value by value."""
    import pyreadstat

    for dataset in specification:
        expected = read_dataset(con, dataset)
        xpt = folder / f"{dataset.name}.xpt"
        frame, meta = pyreadstat.read_xport(str(xpt))
        assert meta.table_name == dataset.upper and meta.file_label == dataset.label
        assert_same_values(expected, frame, dataset, "pyreadstat")
        if len(expected):  # pandas cannot read an XPORT file without records (StopIteration)
            assert_same_values(expected, pd.read_sas(xpt, format="xport", encoding="utf-8"), dataset, "pandas.read_sas")
        document = json.loads((folder / f"{dataset.name}.json").read_text(encoding="utf-8"))
        assert document["datasetJSONVersion"] == "1.1.0" and document["records"] == len(expected)
        columns = [c["name"] for c in document["columns"]]
        assert_same_values(expected, pd.DataFrame(document["rows"], columns=columns), dataset, "Dataset-JSON")


def define_schema():
    """The Define-XML 2.1 schema as the odmlib package ships it (CDISC's XSDs)."""
    from pathlib import Path as _Path

    import odmlib
    from lxml import etree

    xsd = _Path(odmlib.__file__).parent / "schemas" / "define" / "2.1" / "define2-1-0.xsd"
    return etree.XMLSchema(etree.parse(str(xsd)))


def assert_define_valid(define: Path) -> None:
    from lxml import etree

    schema = define_schema()
    document = etree.parse(str(define))
    assert schema.validate(document), "\n".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:10])


def assert_define_describes_files(folder: Path) -> None:
    """Every dataset and variable of define.xml is in the files and the other way round, with the
    same labels, types and lengths (XPORT as pyreadstat reads it; Dataset-JSON's column block)."""
    import xml.etree.ElementTree as ET

    import pyreadstat

    root = ET.parse(folder / "define.xml").getroot()
    mdv = root.find(f"{ODM}Study/{ODM}MetaDataVersion")
    items = {item.get("OID"): item for item in mdv.findall(f"{ODM}ItemDef")}
    groups = mdv.findall(f"{ODM}ItemGroupDef")
    described = {group.get("Name").lower() for group in groups}
    assert described == {p.stem for p in folder.glob("*.xpt")} == {p.stem for p in folder.glob("ad*.json")}
    for group in groups:
        leaf = group.find(f"{DEF}leaf")
        xpt = folder / leaf.get(f"{XLINK}href")
        _, meta = pyreadstat.read_xport(str(xpt), metadataonly=True)
        document = json.loads(xpt.with_suffix(".json").read_text(encoding="utf-8"))
        assert group.find(f"{ODM}Description/{ODM}TranslatedText").text == meta.file_label == document["label"]
        refs = [items[ref.get("ItemOID")] for ref in group.findall(f"{ODM}ItemRef")]
        assert [item.get("Name") for item in refs] == meta.column_names == [c["name"] for c in document["columns"]]
        for item, column in zip(refs, document["columns"]):
            name = item.get("Name")
            label = item.find(f"{ODM}Description/{ODM}TranslatedText").text
            assert label == meta.column_names_to_labels[name] == column["label"], name
            if item.get("DataType") == "text":
                assert meta.readstat_variable_types[name] == "string", name
                assert int(item.get("Length")) == meta.variable_storage_width[name] == column["length"], name
            else:
                assert meta.readstat_variable_types[name] == "double", name
                assert item.get("Length") == "8", name  # SAS numerics are 8 bytes
                assert (item.get("SignificantDigits") is not None) == (item.get("DataType") == "float"), name
            display = item.get(f"{DEF}DisplayFormat")
            assert display == column.get("displayFormat"), name
            if display:
                assert meta.original_variable_types[name] == display, name
