"""Row-level checks of SPEC section 4, generated from the input contract and run in DuckDB.

Each rule becomes one set-based SELECT over the raw table; the union of them is written to
``quality.quarantine``. A row with at least one problem is left out of staging (the staging
models anti-join on the quarantine), so every input row is either staged or quarantined.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from orchestration.loading.contract import SUBJECT_FILES, Column, InputFile, codelists, subject_file

MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
EDC_DATE_SHAPE = rf"^(UN|[0-9]{{2}}) (UNK|{MONTHS}) [0-9]{{4}}$"
ISO_DATE_SHAPE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# SDTM --DTC (ISO 8601): a year, year-month, date, or date-time to minutes or seconds.
ISO8601_SHAPE = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?)?)?$"

QUARANTINE_DDL = """
create schema if not exists quality;
create table if not exists quality.quarantine (
    export_id varchar not null,
    file varchar not null,
    line integer not null,
    column_name varchar,
    value varchar,
    rule varchar not null,
    message varchar not null,
    subjid varchar
);
-- Added after the first release: databases made before it gain the column here.
alter table quality.quarantine add column if not exists subjid varchar;
"""


@dataclass(frozen=True)
class Check:
    """One rule on one column: a WHERE condition over the raw table and a message expression."""

    rule: str
    column: str | None
    condition: str
    message: str  # SQL expression producing the message


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _message(text: str, value_column: str | None = None) -> str:
    if value_column is None:
        return _quote(text)
    return f"{_quote(text + ': ')} || coalesce({value_column}, '(empty)')"


def column_checks(column: Column, export_date_sql: str) -> list[Check]:
    """The checks that one contract column implies (its value is ``"<name>"`` in the raw table)."""
    col = f'"{column.name}"'
    present = f"{col} is not null"
    checks: list[Check] = []
    if column.required:
        checks.append(Check("required", column.name, f"{col} is null", _message(f"{column.name} is required")))
    if column.pattern:
        checks.append(
            Check(
                "format",
                column.name,
                f"{present} and not regexp_full_match({col}, {_quote(column.pattern)})",
                _message(f"{column.name} must match {column.pattern}", col),
            )
        )
    if column.kind == "code":
        assert column.codelist is not None  # a code column always names its list (contract._code)
        allowed = codelists()[column.codelist]
        listed = ", ".join(_quote(code) for code in allowed)
        checks.append(
            Check(
                "code_list",
                column.name,
                f"{present} and {col} not in ({listed})",
                _message(f"{column.name} must be one of {' | '.join(allowed)}", col),
            )
        )
    elif column.kind in ("int", "decimal"):
        sql_type = "bigint" if column.kind == "int" else "double"
        number = f"try_cast({col} as {sql_type})"
        if column.kind == "int":
            # try_cast('2.5' as bigint) rounds; insist on an integer literal.
            not_number = f"{present} and not regexp_full_match({col}, '^[+-]?[0-9]+$')"
        else:
            not_number = f"{present} and {number} is null"
        checks.append(Check("not_a_number", column.name, not_number, _message(f"{column.name} must be a number", col)))
        bounds = []
        if column.minimum is not None:
            bounds.append(f"{number} < {column.minimum}")
        if column.maximum is not None:
            bounds.append(f"{number} > {column.maximum}")
        if bounds:
            range_text = f"{_format(column.minimum)} to {_format(column.maximum)}"
            checks.append(
                Check(
                    "out_of_range",
                    column.name,
                    f"{present} and {number} is not null and ({' or '.join(bounds)})",
                    _message(f"{column.name} must be within {range_text}", col),
                )
            )
    elif column.kind == "edc_date":
        checks.extend(_edc_date_checks(column, col, present, export_date_sql))
    elif column.kind == "iso8601":
        checks.extend(_iso8601_checks(column, col, present, export_date_sql))
    elif column.kind == "iso_date":
        parsed = f"try_strptime({col}, '%Y-%m-%d')"
        checks.extend(
            _date_checks(
                column,
                col,
                invalid=f"{present} and (not regexp_full_match({col}, {_quote(ISO_DATE_SHAPE)}) or {parsed} is null)",
                future=f"{present} and cast({parsed} as date) > {export_date_sql}",
                partial=None,  # yyyy-mm-dd has no partial form
                written="a real date written yyyy-mm-dd",
            )
        )
    return checks


def _date_checks(
    column: Column, col: str, *, invalid: str, future: str, partial: str | None, written: str, complete: str = ""
) -> list[Check]:
    """The rules of every date column: a real date as written, not after the export date, and
    complete unless the contract allows a partial one (``partial``: the condition of a partial date)."""
    checks = [
        Check("invalid_date", column.name, invalid, _message(f"{column.name} must be {written}", col)),
        Check("future_date", column.name, future, _message(f"{column.name} is after the export date", col)),
    ]
    if partial is not None and not column.partial_ok:
        checks.append(
            Check(
                "partial_date",
                column.name,
                partial,
                _message(f"{column.name} must be a complete date ({complete})", col),
            )
        )
    return checks


def _iso8601_checks(column: Column, col: str, present: str, export_date_sql: str) -> list[Check]:
    shape_ok = f"regexp_full_match({col}, {_quote(ISO8601_SHAPE)})"
    # The parts that are there must make a real month / calendar day.
    padded = f"left({col} || substr('-01-01', length(left({col}, 10)) - 3), 10)"
    parsed = f"try_strptime({padded}, '%Y-%m-%d')"
    return _date_checks(
        column,
        col,
        invalid=f"{present} and (not {shape_ok} or {parsed} is null)",
        future=f"{present} and {shape_ok} and length({col}) >= 10 and cast({parsed} as date) > {export_date_sql}",
        partial=f"{present} and {shape_ok} and length({col}) < 10",
        written="an ISO 8601 date (yyyy, yyyy-mm, yyyy-mm-dd[Thh:mm[:ss]])",
        complete="yyyy-mm-dd",
    )


def _edc_date_checks(column: Column, col: str, present: str, export_date_sql: str) -> list[Check]:
    shape_ok = f"regexp_full_match(upper({col}), {_quote(EDC_DATE_SHAPE)})"
    complete = f"{shape_ok} and not starts_with(upper({col}), 'UN')"
    # A partial date must still be a real month/year; a complete one a real calendar day.
    month_part = f"regexp_replace(upper({col}), '^(UN|[0-9]{{2}}) ', '01 ')"
    parsed_complete = f"try_strptime({col}, '%d %b %Y')"
    parsed_month = f"try_strptime({month_part}, '%d %b %Y')"
    unknown_month = f"regexp_full_match(upper({col}), '^UN UNK [0-9]{{4}}$')"
    return _date_checks(
        column,
        col,
        invalid=f"{present} and (not {shape_ok} or ({complete} and {parsed_complete} is null) "
        f"or (starts_with(upper({col}), 'UN') and not {unknown_month} and {parsed_month} is null) "
        f"or regexp_full_match(upper({col}), '^[0-9]{{2}} UNK [0-9]{{4}}$'))",
        future=f"{present} and {complete} and cast({parsed_complete} as date) > {export_date_sql}",
        partial=f"{present} and {shape_ok} and starts_with(upper({col}), 'UN')",
        written="a real date written dd MMM yyyy",
        complete="no UN/UNK",
    )


def _format(number: float | None) -> str:
    if number is None:
        return "any"
    return str(int(number)) if float(number).is_integer() else str(number)


def file_checks(spec: InputFile, export_date_sql: str) -> list[Check]:
    """All row checks for one file, in a stable order."""
    checks: list[Check] = []
    for column in spec.columns:
        checks.extend(column_checks(column, export_date_sql))
    for target, condition in spec.required_when:
        checks.append(
            Check(
                "required",
                target,
                f'"{target}" is null and ({condition})',
                _message(f"{target} is required when {condition}"),
            )
        )
    return checks


def quarantine_sql(
    spec: InputFile, raw_table: str, export_id: str, export_date_sql: str, path: str | None = None
) -> str:
    """One INSERT ... SELECT that writes every problem of one file to quality.quarantine."""
    selects = []
    for check in file_checks(spec, export_date_sql):
        value = f'"{check.column}"' if check.column else "null"
        column = _quote(check.column) if check.column else "null"
        selects.append(
            f"select _line as line, {column} as column_name, {value} as value, "
            f"{_quote(check.rule)} as rule, {check.message} as message "
            f"from {raw_table} where {check.condition}"
        )
    if spec not in SUBJECT_FILES:
        subjects = subject_file(spec)
        subject = spec.subject_column
        usable = (  # the patient's rows in the subject file that ingest did not quarantine
            f'select 1 from raw.{subjects.raw_table} d where d."{subject}" = r."{subject}" and not exists ('
            "select 1 from quality.quarantine q where q.export_id = d._export_id "
            "and q.file = d._file and q.line = d._line)"
        )
        listed = f'select 1 from raw.{subjects.raw_table} d where d."{subject}" = r."{subject}"'
        selects.append(
            f"select r._line, '{subject}', r.\"{subject}\", 'unknown_subject', "
            f"'{subject} ' || r.\"{subject}\" || ' is not enrolled (not in {subjects.path})' "
            f'from {raw_table} r where r."{subject}" is not null and not exists ({listed})'
        )
        # A patient whose own subject-file row is quarantined: named as a consequence, not a new problem.
        selects.append(
            f"select r._line, '{subject}', r.\"{subject}\", 'subject_quarantined', "
            f"'the {subjects.path} row of {subject} ' || r.\"{subject}\" || ' is quarantined; fix it there first' "
            f'from {raw_table} r where r."{subject}" is not null and exists ({listed}) and not exists ({usable})'
        )
        selects.extend(_before_enrolment_selects(spec, raw_table, subjects))
    selects.extend(_duplicate_selects(spec, raw_table))
    union = "\nunion all\n".join(selects)
    return (
        f"insert into quality.quarantine (export_id, file, line, column_name, value, rule, message)\n"
        f"select {_quote(export_id)}, {_quote(path or spec.path)}, line, column_name, value, rule, message\n"
        f"from (\n{union}\n) problems order by line, rule, column_name"
    )


def _latest_possible_day(col: str) -> str:
    """The last day an EDC date (possibly partial: ``UN MMM yyyy``, ``UN UNK yyyy``) can mean."""
    return (
        f"case when regexp_full_match(upper({col}), '^UN UNK [0-9]{{4}}$') "
        f"then make_date(cast(right({col}, 4) as integer), 12, 31) "
        f"when starts_with(upper({col}), 'UN ') then last_day(try_strptime('01' || substr({col}, 3), '%d %b %Y')) "
        f"else cast(try_strptime({col}, '%d %b %Y') as date) end"
    )


def _before_enrolment_selects(spec: InputFile, raw_table: str, subjects: InputFile) -> list[str]:
    """Dates that cannot be before enrolment but are, even at their latest possible day."""
    if not spec.not_before_enrolment or subjects.enrolment_column is None:
        return []
    subject, enrolment = spec.subject_column, subjects.enrolment_column
    enrolled = (
        f'select "{subject}" as subject, min(try_strptime("{enrolment}", \'%d %b %Y\'))::date as enrolled '
        f"from raw.{subjects.raw_table} group by all"
    )
    selects = []
    for column in spec.not_before_enrolment:
        col = f'r."{column}"'
        selects.append(
            f"select r._line, {_quote(column)}, {col}, 'before_enrolment', "
            f"{_quote(column + ' ')} || {col} || ' is before enrolment on ' || upper(strftime(e.enrolled, '%d %b %Y')) "
            f'from {raw_table} r join ({enrolled}) e on e.subject = r."{subject}" '
            f"where {_latest_possible_day(col)} < e.enrolled"
        )
    return selects


def _duplicate_selects(spec: InputFile, raw_table: str) -> list[str]:
    key = ", ".join(f'"{c}"' for c in spec.key)
    everything = ", ".join(f'"{c}"' for c in spec.column_names)
    key_text = " || '/' || ".join(f"coalesce(\"{c}\", '')" for c in spec.key)
    ranked = (
        f"select _line, {key_text} as key_text, "
        f"row_number() over (partition by {everything} order by _line) as copy_n, "
        f"min(_line) over (partition by {everything}) as first_line, "
        f"count(distinct md5(concat_ws('|', {everything}))) over (partition by {key}) as variants "
        f"from {raw_table}"
    )
    return [
        f"select _line, null, key_text, 'duplicate_row', "
        f"'repeats line ' || first_line || ' verbatim (key ' || key_text || ')' "
        f"from ({ranked}) where variants = 1 and copy_n > 1",
        f"select _line, null, key_text, 'duplicate_key', "
        f"'key ' || key_text || ' appears on several lines with different values' "
        f"from ({ranked}) where variants > 1",
    ]


def run_row_checks(
    con: duckdb.DuckDBPyConnection, spec: InputFile, export_id: str, export_date: str, path: str | None = None
) -> None:
    """Replace this export's quarantine rows for one file with a fresh evaluation."""
    path = path or spec.path
    con.execute(QUARANTINE_DDL)
    con.execute("delete from quality.quarantine where export_id = ? and file = ?", [export_id, path])
    export_date_sql = f"date {_quote(export_date)}"
    con.execute(quarantine_sql(spec, f"raw.{spec.raw_table}", export_id, export_date_sql, path))


def name_subjects(con: duckdb.DuckDBPyConnection, spec: InputFile, export_id: str, path: str | None = None) -> None:
    """Fill each quarantine row's SUBJID from its raw line, so that messages name the patient."""
    con.execute(
        f'update quality.quarantine as q set subjid = r."{spec.subject_column}" from raw.{spec.raw_table} as r '
        "where q.export_id = ? and q.file = ? and q.subjid is null and r._line = q.line",
        [export_id, path or spec.path],
    )
