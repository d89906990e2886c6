"""The column_rules dbt test: a model's not-null, unique, accepted-values and code-list rules in one
query, and how each rule's outcome reaches the Dagster check (orchestration/assets/dbt.py)."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.assets.dbt import column_rule_labels, column_rules_of, with_rule_outcomes
from orchestration.check_history import dbt_failing_rows, rule_failures
from tests.dbt.test_dbt_project import failures, run_dbt

CHECK = "column_rules_stg_edc__dm"


@pytest.fixture(scope="module")
def staged(warehouse_copy: Path) -> Path:
    """The hand-made export built by dbt (every rule holds), on a copy this module may break."""
    return warehouse_copy


def test_every_rule_holds_on_good_rows(staged: Path) -> None:
    result = run_dbt(staged, "test", "--select", CHECK)
    assert result.success, failures(result)
    assert [r.failures for r in result.result] == [0]


def test_each_broken_rule_names_its_rows(staged: Path) -> None:
    with duckdb.connect(str(staged / "warehouse.duckdb")) as con:
        con.execute("update staging.stg_edc__dm set SITEID = null where SUBJID = '101-002'")
        con.execute("update staging.stg_edc__dm set SEX = 'X' where SUBJID = '102-001'")
        con.execute("insert into staging.stg_edc__dm select * from staging.stg_edc__dm where SUBJID = '102-002'")
    try:
        result = run_dbt(staged, "test", "--select", CHECK)
        assert not result.success
        assert [r.failures for r in result.result] == [6]  # 1 null, 1 bad code, 2 copies of one key (2 rules)
        results = json.loads((staged / "target" / "run_results.json").read_text())["results"]
        with duckdb.connect(str(staged / "warehouse.duckdb")) as con:
            found = rule_failures(con, results[0]["compiled_code"])
            recorded = dbt_failing_rows(con, staged / "target")
    finally:
        with duckdb.connect(str(staged / "warehouse.duckdb")) as con:  # the other tests see good rows
            con.execute("create or replace table staging.stg_edc__dm as select distinct * from staging.stg_edc__dm")
            con.execute("update staging.stg_edc__dm set SITEID = '101' where SUBJID = '101-002'")
            con.execute("update staging.stg_edc__dm set SEX = 'M' where SUBJID = '102-001'")
    assert found == {
        "in_codelist(SEX)": "1 failing rows: SUBJID=102-001",
        "not_null(SITEID)": "1 failing rows: SUBJID=101-002",
        "unique(SUBJID)": "2 failing rows: SUBJID=102-002; SUBJID=102-002",
        "unique_combination(SUBJID)": "2 failing rows: SUBJID=102-002; SUBJID=102-002",
    }
    assert recorded[results[0]["unique_id"]] == "; ".join(f"{rule}: {rows}" for rule, rows in found.items())


def test_a_broken_row_expression_names_its_rows(staged: Path) -> None:
    with duckdb.connect(str(staged / "warehouse.duckdb")) as con:
        con.execute("update adam.adsl set TRTEDT = TRTSDT - 1 where SUBJID = '101-001'")
    result = run_dbt(staged, "test", "--select", "column_rules_adsl")
    assert not result.success
    results = json.loads((staged / "target" / "run_results.json").read_text())["results"]
    with duckdb.connect(str(staged / "warehouse.duckdb")) as con:
        found = rule_failures(con, results[0]["compiled_code"])
    assert found == {"expression(TRTSDT <= TRTEDT)": "1 failing rows: USUBJID=LENSIRT-101-001, SUBJID=101-001"}


def _failing_rules(staged: Path, *checks: str) -> set[str]:
    run_dbt(staged, "test", "--select", *checks)
    results = json.loads((staged / "target" / "run_results.json").read_text())["results"]
    with duckdb.connect(str(staged / "warehouse.duckdb")) as con:
        return {rule for outcome in results for rule in rule_failures(con, outcome["compiled_code"])}


def test_rules_that_were_great_expectations_checks_name_their_rows(staged: Path) -> None:
    """The ADAE worst-grade flag (once per patient), FATALFL's codes and ADSL's LSTALVDT >= ENRLDT
    are dbt rules only (docs/data_quality.md): each names the rows that break it."""
    checks = ("column_rules_adae", "column_rules_adsl")
    before = _failing_rules(staged, *checks)  # what earlier tests of this module left broken
    with duckdb.connect(str(staged / "warehouse.duckdb")) as con:
        con.execute("create table adae_before as select * from adam.adae")
        con.execute("create table adsl_before as select * from adam.adsl")
        # A second worst-grade flag for the first flagged patient (a copy of the AE under a new AESPID).
        con.execute(
            "insert into adam.adae select * replace (AESPID + 1000 as AESPID, 'X' as FATALFL) from adam.adae "
            "where AOCCIFL = 'Y' order by USUBJID limit 1"
        )
        con.execute("update adam.adsl set LSTALVDT = ENRLDT - 1 where SUBJID = '101-001'")
    try:
        found = _failing_rules(staged, *checks) - before
    finally:
        with duckdb.connect(str(staged / "warehouse.duckdb")) as con:  # the other tests see the rows as they were
            con.execute("create or replace table adam.adae as select * from adae_before")
            con.execute("create or replace table adam.adsl as select * from adsl_before")
            con.execute("drop table adae_before; drop table adsl_before")
    once_per_patient = {rule for rule in found if rule.startswith("expression(AOCCIFL is null or USUBJID not in")}
    assert len(once_per_patient) == 1, found
    assert found - once_per_patient == {"accepted_values(FATALFL)", "expression(LSTALVDT >= ENRLDT)"}


def test_a_relationship_names_the_rows_whose_parent_is_missing(staged: Path) -> None:
    """Every USUBJID of int_alive_dates must be an int_subjects patient: an unknown patient fails the
    relationship; a known one passes, and so does a null one (the not-null rule's business)."""
    check = "column_rules_int_alive_dates"
    assert _failing_rules(staged, check) == set()
    with duckdb.connect(str(staged / "warehouse.duckdb")) as con:
        for usubjid in ("'LENSIRT-999-999'", "null"):
            con.execute(
                f"insert into intermediate.int_alive_dates select * replace ({usubjid} as USUBJID) "
                "from intermediate.int_alive_dates order by all limit 1"
            )
    try:
        run_dbt(staged, "test", "--select", check)
        results = json.loads((staged / "target" / "run_results.json").read_text())["results"]
        with duckdb.connect(str(staged / "warehouse.duckdb")) as con:
            found = rule_failures(con, results[0]["compiled_code"])
    finally:
        with duckdb.connect(str(staged / "warehouse.duckdb")) as con:
            con.execute("delete from intermediate.int_alive_dates where USUBJID is null or USUBJID = 'LENSIRT-999-999'")
    assert set(found) == {"relationship(USUBJID in int_subjects.USUBJID)", "not_null(USUBJID)"}
    assert found["relationship(USUBJID in int_subjects.USUBJID)"].startswith("1 failing rows: USUBJID=LENSIRT-999-999")
    assert found["not_null(USUBJID)"].startswith("1 failing rows")


def test_rule_labels_follow_the_order_the_test_checks_them() -> None:
    arguments = {
        "relationships": [{"column": "USUBJID", "to": "ref('adsl')", "field": "USUBJID"}],
        "expressions": ["AGE >= 18\n  and AGE <= 100"],
        "unique_combinations": [["SUBJID", "SITEID"]],
        "in_codelist": {"SEX": "SEX"},
        "unique": ["SUBJID"],
        "not_null": ["SUBJID", "AGE"],
        "accepted_values": {"MVI": ["Y", "N"]},
    }
    assert column_rule_labels(arguments) == [
        "not_null(SUBJID)",
        "not_null(AGE)",
        "unique(SUBJID)",
        "accepted_values(MVI)",
        "in_codelist(SEX)",
        "unique_combination(SUBJID, SITEID)",
        "expression(AGE >= 18 and AGE <= 100)",
        "relationship(USUBJID in adsl.USUBJID)",
    ]


MANIFEST = {
    "nodes": {
        "test.p.column_rules_adsl": {
            "test_metadata": {"name": "column_rules", "kwargs": {"not_null": ["USUBJID"], "unique": ["USUBJID"]}}
        },
        "test.p.not_null_adsl_AGE": {"test_metadata": {"name": "not_null", "kwargs": {"column_name": "AGE"}}},
    }
}


def check_result(unique_id: str, passed: bool) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=passed,
        asset_key=["adam", "adsl"],
        check_name=unique_id.split(".")[-1],
        metadata={"unique_id": unique_id},
    )


def test_only_column_rules_checks_get_rule_outcomes() -> None:
    assert column_rules_of(check_result("test.p.column_rules_adsl", True), MANIFEST) == [
        "not_null(USUBJID)",
        "unique(USUBJID)",
    ]
    assert column_rules_of(check_result("test.p.not_null_adsl_AGE", True), MANIFEST) is None
    assert column_rules_of(dg.Output(None), MANIFEST) is None


def test_the_dagster_check_shows_every_rule_with_its_outcome() -> None:
    passed = with_rule_outcomes(
        check_result("test.p.column_rules_adsl", True), dict.fromkeys(["not_null(USUBJID)", "unique(USUBJID)"])
    )
    assert passed.passed and passed.description == "all 2 column rules hold"
    assert "| `not_null(USUBJID)` | passed |" in passed.metadata["rules"].value
    assert "failing_rows" not in passed.metadata

    failed = with_rule_outcomes(
        check_result("test.p.column_rules_adsl", False),
        {"not_null(USUBJID)": None, "unique(USUBJID)": "2 failing rows: USUBJID=X-1; USUBJID=X-1"},
    )
    assert not failed.passed and failed.severity == dg.AssetCheckSeverity.ERROR
    assert failed.description == "1 of 2 column rules failed: unique(USUBJID): 2 failing rows: USUBJID=X-1; USUBJID=X-1"
    assert "| `not_null(USUBJID)` | passed |" in failed.metadata["rules"].value
    assert "| `unique(USUBJID)` | failed | 2 failing rows: USUBJID=X-1; USUBJID=X-1 |" in failed.metadata["rules"].value
    assert failed.metadata["failing_rows"].value == "unique(USUBJID): 2 failing rows: USUBJID=X-1; USUBJID=X-1"
    assert failed.metadata["unique_id"].value == "test.p.column_rules_adsl"
