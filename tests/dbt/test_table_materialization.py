"""The project's `table` materialization (dbt_project/macros/materializations/table.sql): a model's
table is dropped and created in one transaction, so a model that fails keeps its previous table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.dbt.test_dbt_project import failures, run_dbt

MODEL = "stg_edc__dm"


@pytest.fixture(scope="module")
def home(warehouse_copy: Path) -> Path:
    return warehouse_copy


def _rows(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        return con.execute(sql).fetchall()


def test_a_rebuild_replaces_the_table_and_leaves_no_helper_tables(home: Path) -> None:
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute(f"insert into staging.{MODEL} select * from staging.{MODEL} limit 1")  # a stale row
        stale = con.execute(f"select count(*) from staging.{MODEL}").fetchone()[0]
    result = run_dbt(home, "run", "--select", MODEL)
    assert result.success, failures(result)
    assert _rows(home, f"select count(*) from staging.{MODEL}") == [(stale - 1,)]
    helpers = _rows(home, "select table_name from information_schema.tables where contains(table_name, '__dbt_')")
    assert helpers == []


def test_a_failing_rebuild_keeps_the_previous_table(home: Path) -> None:
    before = _rows(home, f"select * from staging.{MODEL} order by all")
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("alter table raw.edc_dm rename to edc_dm_away")
    try:
        result = run_dbt(home, "run", "--select", MODEL)
    finally:
        with duckdb.connect(str(home / "warehouse.duckdb")) as con:
            con.execute("alter table raw.edc_dm_away rename to edc_dm")
    assert not result.success
    assert before and _rows(home, f"select * from staging.{MODEL} order by all") == before


def test_adam_contracts_and_labels_survive_the_rebuild(home: Path) -> None:
    result = run_dbt(home, "run", "--select", "adsl")
    assert result.success, failures(result)
    comments = _rows(
        home,
        "select comment from duckdb_columns() where schema_name = 'adam' and table_name = 'adsl' "
        "and column_name = 'USUBJID'",
    )
    assert comments == [("Unique Subject Identifier",)]
