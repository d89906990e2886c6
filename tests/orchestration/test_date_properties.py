"""Property-based tests: the ingest date checks and the dbt staging date macros agree.

Ingest (orchestration/loading/row_rules.py) decides which EDC dates are quarantined; staging
(dbt_project/macros/dates.sql) turns the accepted ones into DATE, year and month. A date the
checks accept that staging cannot read would be lost silently; a real date the checks refuse would
be quarantined for nothing. Both are evaluated here in DuckDB, the engine the pipeline uses, on
dates hypothesis draws.
"""

from __future__ import annotations

import calendar
import datetime as dt

import duckdb
import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.loading.contract import DBT_PROJECT_DIR, Column
from orchestration.loading.row_rules import column_checks

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
EXPORT_DATE = dt.date(2100, 12, 31)  # far ahead, so that only the future-date rule's own test sees it

MACROS = jinja2.Environment().from_string((DBT_PROJECT_DIR / "macros" / "dates.sql").read_text()).module

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def evaluate(
    con: duckdb.DuckDBPyConnection, value: str | None, partial_ok: bool = True, export_date: dt.date = EXPORT_DATE
):
    """(rules the ingest checks raise, staging date, staging year, staging month) for one value."""
    checks = column_checks(Column("D", "edc_date", partial_ok=partial_ok), f"date '{export_date.isoformat()}'")
    rules = [
        check.rule
        for check in checks
        if con.execute(
            f'select coalesce(({check.condition}), false) from (select ?::varchar as "D")', [value]
        ).fetchone()[0]
    ]
    staged = con.execute(
        f"select {MACROS.edc_date(chr(34) + 'D' + chr(34))}, {MACROS.edc_date_year(chr(34) + 'D' + chr(34))}, "
        f'{MACROS.edc_date_month(chr(34) + "D" + chr(34))} from (select ?::varchar as "D")',
        [value],
    ).fetchone()
    return rules, *staged


def edc_text(day: dt.date) -> str:
    return f"{day.day:02d} {MONTHS[day.month - 1]} {day.year:04d}"


@PROPERTY_SETTINGS
@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)), lower=st.booleans())
def test_every_real_date_is_accepted_and_parses_back_to_itself(con, day, lower):
    text = edc_text(day).lower() if lower else edc_text(day)
    rules, staged, year, month = evaluate(con, text, partial_ok=False)
    assert rules == []
    assert staged == day and year == day.year and month == day.month


@st.composite
def impossible_dates(draw):
    year = draw(st.integers(1900, 2100))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(calendar.monthrange(year, month)[1] + 1, 99))
    return f"{day:02d} {MONTHS[month - 1]} {year}"


@PROPERTY_SETTINGS
@given(text=impossible_dates())
def test_impossible_days_are_quarantined_and_never_staged(con, text):
    rules, staged, _, _ = evaluate(con, text)
    assert "invalid_date" in rules
    assert staged is None


@PROPERTY_SETTINGS
@given(year=st.integers(1900, 2100), month=st.integers(1, 12), partial_ok=st.booleans())
def test_unknown_day_keeps_year_and_month(con, year, month, partial_ok):
    rules, staged, staged_year, staged_month = evaluate(con, f"UN {MONTHS[month - 1]} {year}", partial_ok)
    assert rules == ([] if partial_ok else ["partial_date"])
    assert staged is None and (staged_year, staged_month) == (year, month)


@PROPERTY_SETTINGS
@given(year=st.integers(1900, 2100))
def test_unknown_month_keeps_the_year_and_a_known_day_with_unknown_month_is_refused(con, year):
    rules, staged, staged_year, staged_month = evaluate(con, f"UN UNK {year}")
    assert rules == [] and staged is None and (staged_year, staged_month) == (year, None)
    rules, *_ = evaluate(con, f"15 UNK {year}")
    assert "invalid_date" in rules


@PROPERTY_SETTINGS
@given(
    day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)),
    export_date=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)),
)
def test_future_date_rule_is_strictly_after_the_export_date(con, day, export_date):
    rules, *_ = evaluate(con, edc_text(day), export_date=export_date)
    assert ("future_date" in rules) == (day > export_date)


@PROPERTY_SETTINGS
@given(
    text=st.one_of(
        st.text(max_size=14),
        st.from_regex(r"\A(UN|[0-9]{1,3}) (UNK|[A-Z]{3}) [0-9]{2,5}\Z"),
        st.sampled_from(["UN UNK UNKN", "31 FEB 2025", "00 JAN 2025", "2025-03-07", "7 MAR 2025", "07 MARCH 2025"]),
    )
)
def test_whatever_the_checks_accept_staging_can_read(con, text):
    """No silent loss: an accepted value always reaches staging as a date or at least its year."""
    rules, staged, year, month = evaluate(con, text)
    if rules:
        return
    assert year is not None
    if not text.upper().startswith("UN"):
        assert staged is not None
        assert staged == dt.datetime.strptime(text.upper(), "%d %b %Y").date()
