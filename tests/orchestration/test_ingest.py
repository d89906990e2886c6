"""Ingest: every quarantine rule with a bad row, and every file-level failure with a clear message."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pytest

from orchestration.loading.contract import INPUT_FILES
from orchestration.loading.load import load_file, register_export
from orchestration.loading.readers import ExportError, open_export
from tests.builders import clean_rows, csv_bytes, write_export


def ingest(tmp_path, rows=None, **kwargs):
    folder = write_export(tmp_path / "export", rows, **kwargs)
    con = duckdb.connect()
    export = open_export(folder)
    current = register_export(con, export, "run-1", export.export_date, "lensirt", "{}", "test")
    results = {spec.path: load_file(con, current, spec) for spec in INPUT_FILES}
    return con, results


def quarantined(con, file=None):
    sql = "select file, line, column_name, value, rule, message from quality.quarantine"
    frame = con.execute(sql + " order by file, line, rule").df()
    return frame if file is None else frame[frame.file == file]


def test_clean_export_stages_every_row(tmp_path):
    con, results = ingest(tmp_path)
    assert quarantined(con).empty
    for spec in INPUT_FILES:
        assert results[spec.path].rows == len(clean_rows()[spec.path])
        assert results[spec.path].staged_rows == results[spec.path].rows
    lines = con.execute("select _line from raw.edc_ex order by _line").fetchall()
    assert [line for (line,) in lines] == [2, 3, 4]  # header is line 1


# (file, row index, column, bad value, expected rule)
BAD_VALUES = [
    ("edc/dm.csv", 0, "AGE", "17", "out_of_range"),
    ("edc/dm.csv", 0, "AGE", "101", "out_of_range"),
    ("edc/dm.csv", 0, "AGE", "sixty", "not_a_number"),
    ("edc/dm.csv", 0, "AGE", "64.5", "not_a_number"),
    ("edc/dm.csv", 1, "ARM", "PLACEBO", "code_list"),
    ("edc/dm.csv", 0, "SEX", "", "required"),
    ("edc/dm.csv", 0, "SUBJID", "101001", "format"),
    ("edc/dm.csv", 0, "ENRLDAT", "31 FEB 2025", "invalid_date"),
    ("edc/dm.csv", 0, "ENRLDAT", "2025-01-06", "invalid_date"),
    ("edc/dm.csv", 0, "ENRLDAT", "UN JAN 2025", "partial_date"),
    ("edc/dm.csv", 0, "ENRLDAT", "01 JUL 2025", "future_date"),
    ("edc/dm.csv", 0, "ECOG", "3", "out_of_range"),
    ("edc/ae.csv", 0, "AETOXGR", "6", "out_of_range"),
    ("edc/ae.csv", 0, "AETOXGR", "0", "out_of_range"),
    ("edc/ae.csv", 0, "AESTDAT", "UN UNK UNKN", "invalid_date"),
    ("edc/ae.csv", 0, "AESTDAT", "31 UNK 2025", "invalid_date"),
    ("edc/ae.csv", 0, "AESTDAT", "UN FEZ 2025", "invalid_date"),
    ("edc/ae.csv", 0, "AEREL_SIRT", "POSSIBLY", "code_list"),
    ("edc/ex.csv", 1, "EXDOSE", "-12", "out_of_range"),
    ("edc/surv.csv", 2, "DEATH_DAT", "", "required"),
    ("imaging/lesions.csv", 1, "VIABLE_DIAM_MM", "-5", "out_of_range"),
    ("imaging/lesions.csv", 1, "TOTAL_DIAM_MM", "5000", "out_of_range"),
    ("imaging/lesions.csv", 1, "SCAN_DAT", "2025-02-30", "invalid_date"),
    ("imaging/lesions.csv", 1, "SCAN_DAT", "03 MAR 2025", "invalid_date"),
    ("imaging/lesions.csv", 1, "SCAN_DAT", "2025-07-03", "future_date"),
    ("imaging/lesions.csv", 1, "ORGAN", "SPLEEN", "code_list"),
    ("imaging/lesions.csv", 1, "LESION_ID", "X1", "format"),
    ("imaging/timepoints.csv", 0, "READER_OVERALL", "VGPR", "code_list"),
]


@pytest.mark.parametrize(("file", "index", "column", "value", "rule"), BAD_VALUES)
def test_bad_value_is_quarantined_with_its_rule(tmp_path, file, index, column, value, rule):
    rows = clean_rows()
    rows[file][index][column] = value
    con, results = ingest(tmp_path, rows)
    problems = quarantined(con, file)
    hit = problems[(problems.rule == rule) & (problems.column_name == column)]
    assert len(hit) == 1, problems.to_string()
    assert hit.iloc[0].line == index + 2
    assert column in hit.iloc[0].message
    assert results[file].staged_rows == results[file].rows - 1


@pytest.mark.parametrize(
    ("column", "value"),
    [("AGE", "18"), ("AGE", "100"), ("ENRLDAT", "30 JUN 2025"), ("ENRLDAT", "29 FEB 2024"), ("ECOG", "2")],
)
def test_boundary_values_are_accepted(tmp_path, column, value):
    rows = clean_rows()
    rows["edc/dm.csv"][0][column] = value
    con, _ = ingest(tmp_path, rows)
    assert quarantined(con).empty


def test_partial_dates_pass_where_the_contract_allows_them(tmp_path):
    rows = clean_rows()
    rows["edc/ae.csv"][0]["AESTDAT"] = "UN UNK 2025"
    rows["edc/surv.csv"][2]["DEATH_DAT"] = "UN JUN 2025"
    con, _ = ingest(tmp_path, rows)
    assert quarantined(con).empty


@pytest.mark.parametrize(
    ("death", "impossible"),
    [
        ("12 JAN 2025", True),
        ("13 JAN 2025", False),  # enrolled 13 JAN 2025
        ("UN DEC 2024", True),
        ("UN JAN 2025", False),  # a partial date is refused only when
        ("UN UNK 2024", True),
        ("UN UNK 2025", False),  # even its latest day is too early
    ],
)
def test_death_before_enrolment_is_an_impossible_date(tmp_path, death, impossible):
    rows = clean_rows()
    rows["edc/surv.csv"][2]["DEATH_DAT"] = death
    con, results = ingest(tmp_path, rows)
    problems = quarantined(con)
    if not impossible:
        assert problems.empty, problems.to_string()
        return
    assert problems[["file", "line", "column_name", "rule"]].values.tolist() == [
        ["edc/surv.csv", 4, "DEATH_DAT", "before_enrolment"]
    ]
    assert problems.iloc[0].message == f"DEATH_DAT {death} is before enrolment on 13 JAN 2025"
    assert results["edc/surv.csv"].staged_rows == 2


def test_unknown_subject_is_quarantined(tmp_path):
    rows = clean_rows()
    rows["edc/ae.csv"][1]["SUBJID"] = "999-001"
    con, _ = ingest(tmp_path, rows)
    problems = quarantined(con, "edc/ae.csv")
    assert problems.rule.tolist() == ["unknown_subject"]
    assert "999-001" in problems.iloc[0].message


def test_rows_of_a_quarantined_patient_are_quarantined_too_but_not_counted_against_the_file(tmp_path):
    rows = clean_rows()
    rows["edc/dm.csv"][1]["AGE"] = "12"
    con, results = ingest(tmp_path, rows)
    problems = quarantined(con, "edc/ex.csv")
    assert set(problems.rule) == {"subject_quarantined"}
    assert "the edc/dm.csv row of SUBJID 101-002 is quarantined" in problems.iloc[0].message
    assert results["edc/ex.csv"].quarantined_rows == 1 and results["edc/ex.csv"].staged_rows == 2
    assert results["edc/ex.csv"].own_problem_rows == 0  # the dm row already blocks the refresh


def test_quarantine_rows_name_the_patient(tmp_path):
    rows = clean_rows()
    rows["edc/dm.csv"][1]["ARM"] = "LEN+TACE"
    rows["edc/ae.csv"][0]["AETOXGR"] = "7"
    con, _ = ingest(tmp_path, rows)
    named = con.execute(
        "select file, line, subjid, rule from quality.quarantine where rule <> 'subject_quarantined' order by file"
    ).fetchall()
    assert named == [("edc/ae.csv", 2, "101-001", "out_of_range"), ("edc/dm.csv", 3, "101-002", "code_list")]


def test_exact_duplicate_keeps_the_first_copy(tmp_path):
    rows = clean_rows()
    rows["edc/ae.csv"].append(dict(rows["edc/ae.csv"][0]))
    con, results = ingest(tmp_path, rows)
    problems = quarantined(con, "edc/ae.csv")
    assert problems[["line", "rule"]].values.tolist() == [[4, "duplicate_row"]]
    assert "line 2" in problems.iloc[0].message
    assert results["edc/ae.csv"].staged_rows == 2


def test_conflicting_duplicate_key_quarantines_every_copy(tmp_path):
    rows = clean_rows()
    conflicting = dict(rows["edc/ae.csv"][0], AETOXGR="1")
    rows["edc/ae.csv"].append(conflicting)
    con, results = ingest(tmp_path, rows)
    problems = quarantined(con, "edc/ae.csv")
    assert problems[["line", "rule"]].values.tolist() == [[2, "duplicate_key"], [4, "duplicate_key"]]
    assert results["edc/ae.csv"].staged_rows == 1


def test_short_line_is_quarantined_not_a_crash(tmp_path):
    spec_columns = [c for c in clean_rows()["edc/ct.csv"][0]]
    data = csv_bytes(spec_columns, clean_rows()["edc/ct.csv"]) + b"101-001,2,SYSTEMIC\r\n"
    con, results = ingest(tmp_path, raw_files={"edc/ct.csv": data})
    problems = quarantined(con, "edc/ct.csv")
    assert "field_count" in set(problems.rule)
    assert results["edc/ct.csv"].rows == 2 and results["edc/ct.csv"].staged_rows == 1


def test_windows_1252_and_bom_files_load(tmp_path):
    rows = clean_rows()
    rows["edc/ae.csv"][0]["AETERM"] = "Fièvre – élevée"
    spec = next(s for s in INPUT_FILES if s.path == "edc/ae.csv")
    dm = next(s for s in INPUT_FILES if s.path == "edc/dm.csv")
    con, results = ingest(
        tmp_path,
        rows,
        raw_files={
            "edc/ae.csv": csv_bytes(spec.column_names, rows["edc/ae.csv"], "cp1252"),
            "edc/dm.csv": b"\xef\xbb\xbf" + csv_bytes(dm.column_names, rows["edc/dm.csv"]),
        },
    )
    assert results["edc/ae.csv"].encoding == "windows-1252"
    assert results["edc/dm.csv"].encoding == "utf-8-sig"
    assert con.execute("select AETERM from raw.edc_ae where _line = 2").fetchone()[0] == "Fièvre – élevée"
    assert quarantined(con).empty


def test_mixed_line_endings_keep_physical_line_numbers(tmp_path):
    spec = next(s for s in INPUT_FILES if s.path == "edc/surv.csv")
    data = csv_bytes(spec.column_names, clean_rows()["edc/surv.csv"]).replace(b"\r\n", b"\n", 2)
    con, results = ingest(tmp_path, raw_files={"edc/surv.csv": data})
    assert results["edc/surv.csv"].rows == 3
    assert [r for (r,) in con.execute("select _line from raw.edc_surv order by 1").fetchall()] == [2, 3, 4]


# --- file-level failures --------------------------------------------------------------------------


def test_missing_file_names_the_file(tmp_path):
    folder = write_export(tmp_path / "export")
    (folder / "edc" / "ct.csv").unlink()
    (problem,) = open_export(folder).problems
    assert problem.startswith("edc/ct.csv: the file is missing from export export (expected all of: edc/dm.csv")
    (folder / "manifest.json").unlink()  # described by the warehouse: the same problem
    assert open_export(folder).problems == (problem,)


EVERY_COLUMN = [(spec, column) for spec in INPUT_FILES for column in spec.column_names]


@pytest.mark.parametrize(("spec", "dropped"), EVERY_COLUMN, ids=lambda v: getattr(v, "path", v))
def test_missing_column_names_file_and_column(tmp_path, spec, dropped):
    # Every contract column, optional ones too: the header is the contract even when values may be empty.
    columns = [c for c in spec.column_names if c != dropped]
    data = csv_bytes(columns, clean_rows()[spec.path])
    with pytest.raises(ExportError, match=rf"{spec.path}, line 1: missing column {dropped}; expected header"):
        ingest(tmp_path, raw_files={spec.path: data})


def test_empty_file_is_refused(tmp_path):
    with pytest.raises(ExportError, match=r"edc/ds\.csv: the file is empty"):
        ingest(tmp_path, raw_files={"edc/ds.csv": b""})


def test_undecodable_bytes_name_the_line(tmp_path):
    spec = next(s for s in INPUT_FILES if s.path == "edc/ae.csv")
    data = csv_bytes(spec.column_names, clean_rows()["edc/ae.csv"]).replace(b"Tiredness", b"Tired\x81ness")
    with pytest.raises(ExportError, match=r"edc/ae\.csv, line 3: byte 0x81 cannot be decoded"):
        ingest(tmp_path, raw_files={"edc/ae.csv": data})


def test_binary_file_is_not_csv(tmp_path):
    with pytest.raises(ExportError, match=r"imaging/lesions\.csv"):
        ingest(tmp_path, raw_files={"imaging/lesions.csv": b"PK\x03\x04\x00\x00binary zip"})


def test_header_only_file_loads_with_no_rows(tmp_path):
    spec = next(s for s in INPUT_FILES if s.path == "edc/ct.csv")
    con, results = ingest(tmp_path, raw_files={"edc/ct.csv": csv_bytes(spec.column_names, [])})
    assert results["edc/ct.csv"].rows == 0 and quarantined(con).empty


def test_html_error_page_is_not_csv(tmp_path):
    # What an EDC server returns when the export job fails half-way: a page, not a table.
    page = b"<!DOCTYPE html>\r\n<html><body><h1>502 Bad Gateway</h1></body></html>\r\n"
    with pytest.raises(ExportError, match=r"edc/ex\.csv, line 1: missing columns SUBJID, EXSEQ, .*; expected header"):
        ingest(tmp_path, raw_files={"edc/ex.csv": page})


def test_truncated_last_line_is_quarantined(tmp_path):
    # The transfer stopped mid-row: the last line has fewer fields and no line end. With the
    # sender's manifest the hash would refuse the export (test below); without one
    # (`warehouse refresh --export DIR`) the cut row is quarantined, never half-loaded.
    spec = next(s for s in INPUT_FILES if s.path == "edc/surv.csv")
    data = csv_bytes(spec.column_names, clean_rows()["edc/surv.csv"])
    truncated = data[: data.rindex(b"DEAD")]  # cut inside the last row
    con, results = ingest(tmp_path, raw_files={"edc/surv.csv": truncated}, manifest=False)
    problems = quarantined(con, "edc/surv.csv")
    assert problems[problems.rule == "field_count"][["line", "message"]].values.tolist() == [
        [4, "line has 4 fields, the header has 6"]
    ]
    assert results["edc/surv.csv"].rows == 3 and results["edc/surv.csv"].staged_rows == 2


def test_truncated_inside_a_quoted_value_names_the_line(tmp_path):
    spec = next(s for s in INPUT_FILES if s.path == "edc/ae.csv")
    rows = clean_rows()["edc/ae.csv"]
    rows[1]["AETERM"] = "Tiredness, severe"  # quoted by the writer because of the comma
    data = csv_bytes(spec.column_names, rows)
    truncated = data[: data.index(b'"Tiredness') + 5]
    with pytest.raises(ExportError, match=r"edc/ae\.csv, line 3: not valid CSV .*unexpected end of data"):
        ingest(tmp_path, raw_files={"edc/ae.csv": truncated}, manifest=False)


def test_manifest_hash_mismatch_refuses_the_file_and_every_file_problem_is_listed(tmp_path):
    folder = write_export(tmp_path / "export")
    with (folder / "edc" / "ae.csv").open("ab") as handle:
        handle.write(b"101-001,2,x,x,x,01 MAR 2025,,1,N,RELATED,NOT RELATED,DOSE NOT CHANGED,RECOVERED\r\n")
    (folder / "edc" / "ct.csv").unlink()
    problems = open_export(folder).problems
    assert len(problems) == 2
    assert re.match(r"edc/ae\.csv: SHA-256 .* does not match manifest\.json", problems[0])
    assert problems[1].startswith("edc/ct.csv: the file is missing from export export")


def test_export_without_manifest_is_described_by_the_warehouse(tmp_path):
    folder = write_export(tmp_path / "export", manifest=False)
    export = open_export(folder)
    assert export.manifest_written_by == "warehouse"
    assert export.export_id.startswith("export-")
    assert open_export(folder).export_id == export.export_id  # stable for the same bytes


def test_rerunning_the_same_export_gives_identical_tables(tmp_path):
    rows = clean_rows()
    rows["edc/ae.csv"].append(dict(rows["edc/ae.csv"][0]))
    con, _ = ingest(tmp_path, rows)
    first = quarantined(con), con.execute("select * from raw.edc_ae order by _line").df()
    export = open_export(tmp_path / "export")
    current = register_export(con, export, "run-2", date(2025, 6, 30), "lensirt", "{}", "test")
    for spec in INPUT_FILES:
        load_file(con, current, spec)
    second = quarantined(con), con.execute("select * from raw.edc_ae order by _line").df()
    assert first[0].equals(second[0]) and first[1].equals(second[1])
