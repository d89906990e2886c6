"""Suites on DuckDB queries read only the columns their expectations read, and still catch failures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import great_expectations as gx
import pandas as pd

from expectations import columns_read, raw_files, validate_query
from orchestration.loading.contract import INPUT_FILES

DM = next(spec for spec in INPUT_FILES if spec.domain == "dm")
ARMS = ["LEN+SIRT", "LEN"]


def _flag_suite(arms: list[str]) -> Any:
    """A suite of the kinds validate_query must serve: codes read as categoricals, row conditions,
    column pairs (the shapes the ADAE suite had before its rules became dbt tests)."""

    def build(gxe: Any) -> list[Any]:
        from great_expectations.expectations.row_conditions import Column  # noqa: PLC0415 - gx is loaded now

        return [
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["USUBJID", "AESPID"]),
            gxe.ExpectColumnValuesToBeInSet(column="TRT01A", value_set=arms),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="ASTDT", column_B="TRTSDT", or_equal=True, row_condition=Column("TRTEMFL") == "Y"
            ),
            gxe.ExpectColumnValuesToNotBeNull(column="TRTEMFL", row_condition=Column("AOCCPIFL") == "Y"),
            gxe.ExpectColumnValuesToBeUnique(column="USUBJID", row_condition=Column("AOCCIFL") == "Y"),
        ]

    return build


def _adae() -> pd.DataFrame:
    start = dt.date(2025, 1, 10)
    common = dict(USUBJID="S-1", TRT01A="LEN", TRTSDT=start, AEDECOD="Fatigue", AESOC="General disorders")
    return pd.DataFrame(
        [
            dict(common, AESPID=1, ASTDT=dt.date(2025, 1, 12), TRTEMFL="Y", AOCCIFL="Y", AOCCPIFL="Y"),
            dict(common, AESPID=2, ASTDT=dt.date(2025, 1, 1), TRTEMFL=None, AOCCIFL=None, AOCCPIFL=None),
        ]
    )


def _raw_dm(con: duckdb.DuckDBPyConnection, extra_column: bool = False, duplicate_line: bool = False) -> None:
    columns = ", ".join(f"'x' as \"{c}\"" for c in DM.column_names)
    extra = ", 'surprise' as EXTRA" if extra_column else ""
    line = "1" if duplicate_line else "i + 1"
    con.execute(
        f"create or replace table raw_dm as select {columns}{extra}, 'E1' as _export_id, "
        f"'edc/dm.csv' as _file, cast({line} as integer) as _line from range(3) t(i)"
    )


def test_columns_read_include_row_conditions_and_exclude_column_name_checks():
    read = columns_read(_flag_suite(["LEN"])(gx.expectations))
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
    assert validate_query(con, "select * from adae", "adae", _flag_suite(ARMS)).success
    _adae_table(con, {(0, "TRT01A"): "PLACEBO", (1, "AOCCIFL"): "Y"})  # an unknown arm; S-0 flagged twice
    failed = validate_query(con, "select * from adae", "adae", _flag_suite(ARMS)).failures
    assert {(f.expectation, f.column) for f in failed} == {
        ("expect_column_values_to_be_in_set", "TRT01A"),
        ("expect_column_values_to_be_unique", "USUBJID"),
    }, failed
    assert "PLACEBO" in next(f.detail for f in failed if f.column == "TRT01A")
