"""Suites on DuckDB queries read only the columns their expectations read, and still catch failures."""

from __future__ import annotations

import duckdb
import great_expectations as gx

from expectations import columns_read, validate_query
from expectations import adae, raw_files
from orchestration.contract import INPUT_FILES

DM = next(spec for spec in INPUT_FILES if spec.domain == "dm")


def _raw_dm(con: duckdb.DuckDBPyConnection, extra_column: bool = False, duplicate_line: bool = False) -> None:
    columns = ", ".join(f"'x' as \"{c}\"" for c in DM.column_names)
    extra = ", 'surprise' as EXTRA" if extra_column else ""
    line = "1" if duplicate_line else "i + 1"
    con.execute(f"create or replace table raw_dm as select {columns}{extra}, 'E1' as _export_id, "
                f"'edc/dm.csv' as _file, cast({line} as integer) as _line from range(3) t(i)")


def test_columns_read_include_row_conditions_and_exclude_column_name_checks():
    read = columns_read(adae.suite(["LEN"])(gx.expectations))
    assert {"USUBJID", "AESPID", "ASTDT", "TRTSDT", "TRTEMFL", "AOCCIFL", "AOCCPIFL"} <= read
    assert columns_read(raw_files.suite(DM, 3)(gx.expectations)) == {"_line", "_export_id", "_file"}


def test_raw_suite_on_a_query_passes_and_reads_only_lineage_columns():
    con = duckdb.connect()
    _raw_dm(con)
    result = validate_query(con, "select * from raw_dm", "raw_dm", raw_files.suite(DM, 3))
    assert result.success, result.summary()


def test_unread_columns_still_count_for_the_column_set():
    con = duckdb.connect()
    _raw_dm(con, extra_column=True)
    result = validate_query(con, "select * from raw_dm", "raw_dm", raw_files.suite(DM, 3))
    assert [f.expectation for f in result.failures] == ["expect_table_columns_to_match_set"]


def test_failures_in_read_columns_are_caught():
    con = duckdb.connect()
    _raw_dm(con, duplicate_line=True)
    result = validate_query(con, "select * from raw_dm", "raw_dm", raw_files.suite(DM, 4))
    assert {f.expectation for f in result.failures} == {"expect_column_values_to_be_unique", "expect_table_row_count_to_equal"}
