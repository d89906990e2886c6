"""Each ADaM conformance rule passes on clean tables and fails on a table broken the way it guards against."""

from __future__ import annotations

import pytest

from orchestration.publishing.submission.conformance import BLOCKING, RULES, check_conformance, write_conformance
from orchestration.publishing.submission.spec import read_specification
from tests.submission_roundtrip import small_warehouse


@pytest.fixture(scope="module")
def specification():
    return read_specification()


@pytest.fixture(scope="module")
def clean(specification):
    connection = small_warehouse(specification)
    connection.execute("update adam.adtte set CNSR = 0 where CNSR is null")  # the one empty row: an event
    yield connection
    connection.close()


@pytest.fixture
def con(clean):
    """The clean tables, each test's changes rolled back after it."""
    clean.execute("begin transaction")
    yield clean
    clean.execute("rollback")


def failed(con, specification, only: tuple[str, ...] = ()) -> dict[str, set[str]]:
    rules = tuple(rule for rule in RULES if rule.rule_id in only) if only else RULES
    results = check_conformance(con, specification, rules=rules)
    return {rule: set(rows.dataset) for rule, rows in results[~results.passed].groupby("rule_id")}


def test_clean_tables_pass_every_rule(con, specification):
    results = check_conformance(con, specification)
    assert results.passed.all(), results[~results.passed][["rule_id", "dataset", "message"]].to_string()
    assert set(results.rule_id) == {rule.rule_id for rule in RULES}
    # ADSL-only rules run on ADSL, the others on all six datasets
    assert len(results) == 2 + (len(RULES) - 2) * 6


BROKEN = [
    ("ADSL_PRESENT", "adsl", ["drop table adam.adsl"]),
    ("ADSL_ONE_RECORD_PER_SUBJECT", "adsl", ["insert into adam.adsl select * from adam.adsl limit 1"]),
    ("HAS_RECORDS", "adex", ["delete from adam.adex"]),
    ("REQUIRED_VARIABLES", "adsl", ["alter table adam.adsl drop column AGEU"]),
    ("REQUIRED_VARIABLES", "adtte", ["alter table adam.adtte drop column CNSR"]),
    ("IDENTIFIERS_POPULATED", "adrs", ["update adam.adrs set USUBJID = '' where ASEQ = 1"]),
    ("SUBJECTS_IN_ADSL", "adae", ["update adam.adae set USUBJID = 'STUDY1-999' where AESPID = 1"]),
    ("FLAG_VALUES", "adsl", ["update adam.adsl set SAFFL = 'X' where USUBJID = 'STUDY1-000'"]),
    ("FLAG_VALUES", "adsl", ["update adam.adsl set FASFL = null where USUBJID = 'STUDY1-000'"]),  # population flag
    ("FLAG_VALUES", "adrs", ["update adam.adrs set ANL01FL = 'N'"]),  # a record flag is Y or empty
    ("DATE_VARIABLES", "adsl", ["alter table adam.adsl alter TRTSDT type varchar"]),
    ("PARAMCD_VALID", "adex", ["update adam.adex set PARAMCD = 'NINECHARS'"]),
    ("PARAM_ONE_TO_ONE", "adtte", ["update adam.adtte set PARAM = 'Same'"]),
    (
        "AVALC_MATCHES_AVAL",
        "adex",
        ["update adam.adex set PARAMCD = 'STDOSDFL', AVALC = 'Y', AVAL = cast(right(USUBJID, 1) as integer)"],
    ),
    ("CNSR_VALID", "adtte", ["update adam.adtte set CNSR = -1 where CNSR = 1"]),
    ("METADATA_AS_DEFINED", "adsl", ["comment on column adam.adsl.AGE is 'Age in Years'"]),
    ("METADATA_AS_DEFINED", "adsl", ["alter table adam.adsl add column EXTRA integer"]),
    ("XPORT_LIMITS", "adae", ["update adam.adae set AETERM = repeat('x', 201) where AESPID = 1"]),
    ("XPORT_LIMITS", "adae", ["update adam.adae set AETERM = repeat('é', 101) where AESPID = 1"]),  # 202 bytes
    ("XPORT_LIMITS", "adae", ["alter table adam.adae add column AELONGNAME varchar"]),
    ("XPORT_LIMITS", "adae", ["comment on column adam.adae.AETERM is '" + "x" * 41 + "'"]),
    ("ASCII_TEXT", "adae", ["update adam.adae set AETERM = 'Fièvre' where AESPID = 1"]),
    ("VALUES_IN_CODELISTS", "adsl", ["update adam.adsl set SEX = 'U' where USUBJID = 'STUDY1-000'"]),
]


@pytest.mark.parametrize(
    ("rule", "dataset", "statements"), BROKEN, ids=[f"{r}-{d}-{i}" for i, (r, d, _) in enumerate(BROKEN)]
)
def test_each_rule_fails_on_a_broken_table(con, specification, rule, dataset, statements):
    for statement in statements:
        con.execute(statement)
    assert dataset.upper() in failed(con, specification, (rule,)).get(rule, set())


@pytest.mark.parametrize(
    "statement",
    [
        "update adam.adae set AETERM = repeat('x', 200) where AESPID = 1",  # exactly 200 bytes
        "comment on column adam.adae.AETERM is '" + "x" * 40 + "'",  # exactly 40 characters
        "update adam.adex set PARAMCD = 'EIGHTCHR'",  # exactly 8 characters
        "update adam.adsl set DTHFL = null",  # a Y-only flag may be empty
        "update adam.adtte set CNSR = 0",  # 0 is an event
    ],
)
def test_limits_are_inclusive(con, specification, statement):
    con.execute(statement)
    broken = failed(con, specification, ("XPORT_LIMITS", "PARAMCD_VALID", "FLAG_VALUES", "CNSR_VALID"))
    assert not {r for r in broken if r in ("XPORT_LIMITS", "PARAMCD_VALID", "FLAG_VALUES", "CNSR_VALID")}, broken


def test_non_ascii_values_are_named_once_each_in_order(con, specification):
    con.execute("update adam.adae set AETERM = 'Éruption' where AESPID = 1")
    con.execute("update adam.adae set AETERM = 'Fièvre' where AESPID = 2")
    results = check_conformance(con, specification, rules=tuple(r for r in RULES if r.rule_id == "ASCII_TEXT"))
    (message,) = results[results.dataset == "ADAE"].message
    assert message == "AETERM has non-ASCII or control characters: Fièvre, Éruption"


def test_results_are_written_to_quality_conformance(con, specification):
    con.execute("insert into adam.adsl select * from adam.adsl limit 1")
    results = check_conformance(con, specification)
    write_conformance(con, results, "EXPORT-1")
    rows = con.execute(
        "select rule_id, dataset, severity, passed, findings, message, export_id from quality.conformance "
        "where not passed"
    ).fetchall()
    assert rows == [
        (
            "ADSL_ONE_RECORD_PER_SUBJECT",
            "ADSL",
            BLOCKING,
            False,
            1,
            "USUBJID STUDY1-000 has 2 records (ADSL has one per subject)",
            "EXPORT-1",
        )
    ]


def test_each_rule_is_a_dagster_check_that_blocks_when_the_rule_does():
    from orchestration.assets.submission import (
        CONFORMANCE,
        SUBMISSION_PACKAGE,
        conformance_asset,
        submission_package_asset,
    )

    specs = {spec.name: spec.blocking for spec in conformance_asset.check_specs}
    assert specs == {rule.rule_id.lower(): rule.severity == BLOCKING for rule in RULES}
    # the package is built only after the checks (a failed blocking check stops it and the snapshot)
    assert CONFORMANCE in submission_package_asset.asset_deps[SUBMISSION_PACKAGE]
