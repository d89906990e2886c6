"""Suites on DuckDB queries read only the columns their expectations read, and still catch failures."""

from __future__ import annotations

import duckdb
import great_expectations as gx
import pandas as pd

from expectations import adae, columns_read, raw_files, validate_query
from orchestration.loading.contract import INPUT_FILES
from tests.expectations.test_safety_suites import ARMS, _adae

DM = next(spec for spec in INPUT_FILES if spec.domain == "dm")


def _raw_dm(con: duckdb.DuckDBPyConnection, extra_column: bool = False, duplicate_line: bool = False) -> None:
    columns = ", ".join(f"'x' as \"{c}\"" for c in DM.column_names)
    extra = ", 'surprise' as EXTRA" if extra_column else ""
    line = "1" if duplicate_line else "i + 1"
    con.execute(
        f"create or replace table raw_dm as select {columns}{extra}, 'E1' as _export_id, "
        f"'edc/dm.csv' as _file, cast({line} as integer) as _line from range(3) t(i)"
    )


def test_columns_read_include_row_conditions_and_exclude_column_name_checks():
    read = columns_read(adae.suite(["LEN"])(gx.expectations))
    assert {"USUBJID", "AESPID", "ASTDT", "TRTSDT", "TRTEMFL", "AOCCIFL", "AOCCPIFL"} <= read
    assert columns_read(raw_files.suite(DM.column_names, DM.path, 3)(gx.expectations)) == {
        "_line",
        "_export_id",
        "_file",
    }


def test_raw_suite_on_a_query_passes_and_reads_only_lineage_columns():
    con = duckdb.connect()
    _raw_dm(con)
    result = validate_query(con, "select * from raw_dm", "raw_dm", raw_files.suite(DM.column_names, DM.path, 3))
    assert result.success, result.summary()


def test_unread_columns_still_count_for_the_column_set():
    con = duckdb.connect()
    _raw_dm(con, extra_column=True)
    result = validate_query(con, "select * from raw_dm", "raw_dm", raw_files.suite(DM.column_names, DM.path, 3))
    assert [f.expectation for f in result.failures] == ["expect_table_columns_to_match_set"]


def test_failures_in_read_columns_are_caught():
    con = duckdb.connect()
    _raw_dm(con, duplicate_line=True)
    result = validate_query(con, "select * from raw_dm", "raw_dm", raw_files.suite(DM.column_names, DM.path, 4))
    assert {f.expectation for f in result.failures} == {
        "expect_column_values_to_be_unique",
        "expect_table_row_count_to_equal",
    }


def _adae_table(con: duckdb.DuckDBPyConnection, changes: dict[tuple[int, str], str] | None = None) -> None:
    """Twenty patients' ADAE rows (two each), with `changes` {(row, column): value}."""
    frame = pd.concat([_adae().assign(USUBJID=f"S-{i}") for i in range(20)], ignore_index=True)
    for (row, column), value in (changes or {}).items():
        frame.loc[row, column] = value
    con.register("adae_frame", frame)
    con.execute("create or replace table adae as select * from adae_frame")


def test_coded_columns_read_as_categoricals_still_pass_and_fail_as_they_should():
    con = duckdb.connect()
    _adae_table(con)
    assert validate_query(con, "select * from adae", "adae", adae.suite(ARMS)).success
    _adae_table(con, {(0, "TRT01A"): "PLACEBO", (1, "AOCCIFL"): "Y"})  # an unknown arm; S-0 flagged twice
    failed = validate_query(con, "select * from adae", "adae", adae.suite(ARMS)).failures
    assert {(f.expectation, f.column) for f in failed} == {
        ("expect_column_values_to_be_in_set", "TRT01A"),
        ("expect_column_values_to_be_unique", "USUBJID"),
    }, failed
    assert "PLACEBO" in next(f.detail for f in failed if f.column == "TRT01A")
