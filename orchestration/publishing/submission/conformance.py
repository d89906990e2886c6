"""ADaM conformance checks on the marts before they are sent: `quality.conformance`.

Each rule is a small function named after what it catches; it looks at one dataset (its DuckDB
table and its specification) and returns the failing records as sentences a programmer can act on.
Severity: `blocking` where an agency would refuse the file or the package would be inconsistent
(XPORT limits, no ADSL, subjects not in ADSL, duplicate subjects); `warning` for the other ADaM
Implementation Guide and conformance rules. docs/conformance.md maps every rule to the CDISC /
Pinnacle 21 rule it implements.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pandas as pd

from orchestration.publishing.submission.spec import Dataset
from orchestration.publishing.submission.xport import MAX_CHARACTER_BYTES as XPORT_MAX_CHARACTER_BYTES

BLOCKING, WARNING = "blocking", "warning"
MAX_EXAMPLES = 5
REQUIRED = {
    "ADSL": ("STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "TRT01P"),
    "BDS": ("STUDYID", "USUBJID", "PARAMCD", "PARAM"),
    "OCCDS": ("STUDYID", "USUBJID", "AETERM", "AEDECOD", "AESOC"),
}
TIME_TO_EVENT_REQUIRED = ("STARTDT", "ADT", "AVAL", "CNSR")
# Flags that may only be Y or empty (ADaM IG: record-level flags, ABLFL, ANLzzFL, occurrence flags).
Y_OR_EMPTY = re.compile(r"^(ABLFL|ANL\d\dFL|AOCC\w*FL|\w+RFL|TRTEMFL|DTHFL|BESTFL)$")
NAME = re.compile(r"[A-Z][A-Z0-9_]{0,7}")


@dataclass(frozen=True)
class Rule:
    rule_id: str
    reference: str  # the CDISC ADaM IG section / conformance rule and the Pinnacle 21 id, where one exists
    severity: str
    description: str
    check: Callable[[duckdb.DuckDBPyConnection, Dataset, str], list[str]]


# The tables of the database, read once per `check_conformance` call (every rule asks).
_TABLES: set[tuple[str, str]] = set()


def _table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    if not _TABLES:
        _TABLES.update(
            con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
                "union all select schema_name, view_name from duckdb_views() where database_name = current_database()"
            ).fetchall()
        )
    return (schema, name) in _TABLES


# The columns of each table, read once per `check_conformance` call (the rules all ask for them).
_COLUMNS: dict[tuple[str, str], dict[str, tuple[str, str | None]]] = {}


def _columns(con: duckdb.DuckDBPyConnection, schema: str, dataset: Dataset) -> dict[str, tuple[str, str | None]]:
    """name -> (DuckDB type, comment) of the table's columns."""
    if (schema, dataset.name) in _COLUMNS:
        return _COLUMNS[(schema, dataset.name)]
    rows = con.execute(
        "select column_name, data_type, comment from duckdb_columns() where database_name = current_database() "
        "and schema_name = ? and table_name = ?",
        [schema, dataset.name],
    ).fetchall()
    columns = {name: (str(kind).lower(), comment) for name, kind, comment in rows}
    _COLUMNS[(schema, dataset.name)] = columns
    return columns


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _examples(values: list) -> str:
    shown = ", ".join(str(v) for v in values[:MAX_EXAMPLES])
    return shown + (f" and {len(values) - MAX_EXAMPLES} more" if len(values) > MAX_EXAMPLES else "")


def _q(schema: str, dataset: Dataset) -> str:
    return f'"{schema}"."{dataset.name}"'


# --- the rules ---------------------------------------------------------------------------------


def adsl_present(con, dataset, schema):  # noqa: ANN001
    return [] if _table(con, schema, "adsl") else ["there is no ADSL dataset"]


def has_records(con, dataset, schema):  # noqa: ANN001
    (records,) = con.execute(f"select count(*) from {_q(schema, dataset)}").fetchall()[0]
    return [] if records else ["the dataset has no records (an empty dataset is left out of a submission)"]


def one_record_per_subject(con, dataset, schema):  # noqa: ANN001
    duplicates = _rows(con, f"select USUBJID, count(*) from {_q(schema, dataset)} group by USUBJID having count(*) > 1")
    return [f"USUBJID {u} has {n} records (ADSL has one per subject)" for u, n in duplicates]


def required_variables(con, dataset, schema):  # noqa: ANN001
    present = _columns(con, schema, dataset)
    required = REQUIRED[dataset.dataset_class] + (TIME_TO_EVENT_REQUIRED if dataset.subclass == "TIME-TO-EVENT" else ())
    problems = [f"required variable {name} is missing" for name in required if name not in present]
    if dataset.dataset_class == "BDS" and "AVAL" not in present and "AVALC" not in present:
        problems.append("neither AVAL nor AVALC is present")
    return problems


def identifiers_populated(con, dataset, schema):  # noqa: ANN001
    present = _columns(con, schema, dataset)
    problems = [f"{name} is missing" for name in ("STUDYID", "USUBJID") if name not in present]
    for name in ("STUDYID", "USUBJID"):
        if name in present:
            (empty,) = con.execute(
                f"select count(*) from {_q(schema, dataset)} where coalesce({name}, '') = ''"
            ).fetchall()[0]
            if empty:
                problems.append(f"{empty} record(s) with an empty {name}")
    return problems


def subjects_in_adsl(con, dataset, schema):  # noqa: ANN001
    if dataset.name == "adsl" or not _table(con, schema, "adsl"):
        return []
    missing = _rows(
        con,
        f"select distinct d.USUBJID, d.STUDYID from {_q(schema, dataset)} d "
        f'left join "{schema}".adsl s on s.USUBJID = d.USUBJID and s.STUDYID = d.STUDYID where s.USUBJID is null',
    )
    return [f"USUBJID {u} (STUDYID {s}) is not in ADSL" for u, s in missing]


def flag_values(con, dataset, schema):  # noqa: ANN001
    problems = []
    for name, (_, comment) in _columns(con, schema, dataset).items():
        if not name.endswith("FL"):
            continue
        y_only = bool(Y_OR_EMPTY.match(name))
        population = (comment or "").endswith("Population Flag") and dataset.dataset_class == "ADSL"
        allowed = "('Y')" if y_only else "('Y', 'N')"
        bad = _rows(
            con,
            f"select distinct coalesce({name}, '(empty)') from {_q(schema, dataset)} where "
            f"{name} not in {allowed} {'or ' + name + ' is null' if population else ''}",
        )
        if bad:
            expected = "Y or empty" if y_only else ("Y or N, never empty" if population else "Y, N or empty")
            problems.append(f"{name} has {_examples([v for (v,) in bad])}; expected {expected}")
    return problems


def date_variables_typed(con, dataset, schema):  # noqa: ANN001
    problems = []
    columns = _columns(con, schema, dataset)
    for name, (kind, _) in columns.items():
        spec = next((v for v in dataset.variables if v.name == name), None)
        if name.endswith("DTM") and not kind.startswith("timestamp"):
            problems.append(f"{name} is {kind}; a *DTM variable is a numeric datetime")
        elif name.endswith("DT") and (kind != "date" or spec is None or spec.display_format != "DATE9."):
            problems.append(f"{name} is {kind}; a *DT variable is a numeric date with a date format (DATE9.)")
    return problems


def paramcd_valid(con, dataset, schema):  # noqa: ANN001
    if "PARAMCD" not in _columns(con, schema, dataset):
        return []
    codes = [
        code for (code,) in _rows(con, f"select distinct PARAMCD from {_q(schema, dataset)} where PARAMCD is not null")
    ]
    return [
        f"PARAMCD {code!r} is over 8 characters or not letters, digits and _"
        for code in codes
        if not NAME.fullmatch(code)
    ]


def param_one_to_one(con, dataset, schema):  # noqa: ANN001
    if not {"PARAMCD", "PARAM"} <= set(_columns(con, schema, dataset)):
        return []
    table = _q(schema, dataset)
    problems = [
        f"PARAMCD {code} has {n} PARAM values"
        for code, n in _rows(
            con, f"select PARAMCD, count(distinct PARAM) from {table} group by 1 having count(distinct PARAM) > 1"
        )
    ]
    problems += [
        f"PARAM {param!r} has {n} PARAMCD values"
        for param, n in _rows(
            con, f"select PARAM, count(distinct PARAMCD) from {table} group by 1 having count(distinct PARAMCD) > 1"
        )
    ]
    return problems


def avalc_matches_aval(con, dataset, schema):  # noqa: ANN001
    if not {"PARAMCD", "AVAL", "AVALC"} <= set(_columns(con, schema, dataset)):
        return []
    table = _q(schema, dataset)
    many = _rows(
        con,
        f"select PARAMCD, AVALC, count(distinct AVAL) from {table} where AVALC is not null and AVAL is not null "
        "group by 1, 2 having count(distinct AVAL) > 1",
    )
    many += _rows(
        con,
        f"select PARAMCD, cast(AVAL as varchar), count(distinct AVALC) from {table} where AVALC is not null and AVAL is not null "
        "group by 1, 2 having count(distinct AVALC) > 1",
    )
    return [f"PARAMCD {code}: {value} maps to {n} values (AVAL and AVALC one to one)" for code, value, n in many]


def cnsr_valid(con, dataset, schema):  # noqa: ANN001
    columns = _columns(con, schema, dataset)
    if "CNSR" not in columns:
        return []
    problems = (
        []
        if columns["CNSR"][0] in ("integer", "bigint", "smallint", "tinyint")
        else [f"CNSR is {columns['CNSR'][0]}; it is an integer"]
    )
    bad = _rows(
        con, f"select distinct CNSR from {_q(schema, dataset)} where CNSR is null or CNSR < 0 or CNSR <> round(CNSR)"
    )
    if bad:
        problems.append(f"CNSR has {_examples([v for (v,) in bad])}; expected an integer >= 0 (0 = event)")
    return problems


def metadata_as_defined(con, dataset, schema):  # noqa: ANN001
    columns = _columns(con, schema, dataset)
    problems = [f"{v.name} is in define.xml but not in the table" for v in dataset.variables if v.name not in columns]
    problems += [f"{name} is in the table but not in define.xml" for name in columns if name not in dataset.names]
    for variable in dataset.variables:
        if variable.name not in columns:
            continue
        kind, comment = columns[variable.name]
        if comment != variable.label:
            problems.append(f"{variable.name} label {comment!r} differs from define.xml {variable.label!r}")
        if kind != variable.data_type and not (variable.data_type in ("varchar", "text") and kind == "varchar"):
            problems.append(f"{variable.name} type {kind} differs from define.xml {variable.data_type}")
    return problems


def xport_limits(con, dataset, schema):  # noqa: ANN001
    problems = []
    if not NAME.fullmatch(dataset.upper):
        problems.append(f"dataset name {dataset.upper} is over 8 characters or not letters, digits and _")
    if len(dataset.label) > 40:
        problems.append(f"dataset label is {len(dataset.label)} characters (at most 40)")
    columns = _columns(con, schema, dataset)
    text = [name for name, (kind, _) in columns.items() if kind == "varchar"]
    longest = dict(zip(text, _per_column(con, schema, dataset, text, 'max(octet_length(encode("{}")))'), strict=True))
    for name, (_, comment) in columns.items():
        if not NAME.fullmatch(name):
            problems.append(f"variable name {name} is over 8 characters or not letters, digits and _")
        if comment and len(comment) > 40:
            problems.append(f"{name} label is {len(comment)} characters (at most 40)")
        if (longest.get(name) or 0) > XPORT_MAX_CHARACTER_BYTES:
            problems.append(f"{name} has a value of {longest[name]} bytes (at most {XPORT_MAX_CHARACTER_BYTES})")
    return problems


def _per_column(
    con: duckdb.DuckDBPyConnection, schema: str, dataset: Dataset, names: list[str], aggregate: str
) -> list:
    """`aggregate` (a template for one column name) of each of `names`, in one pass over the table."""
    if not names:
        return []
    row = con.execute(f"select {', '.join(aggregate.format(n) for n in names)} from {_q(schema, dataset)}").fetchone()
    return [None] * len(names) if row is None else list(row)


def ascii_text(con, dataset, schema):  # noqa: ANN001
    text = [name for name, (kind, _) in _columns(con, schema, dataset).items() if kind == "varchar"]
    found = _per_column(
        con,
        schema,
        dataset,
        text,
        'list_sort(list(distinct "{0}") filter (where regexp_matches("{0}", \'[^\\x20-\\x7E]\')))',
    )
    return [
        f"{name} has non-ASCII or control characters: {_examples(bad)}"
        for name, bad in zip(text, found, strict=True)
        if bad
    ]


def values_in_codelists(con, dataset, schema):  # noqa: ANN001
    columns = _columns(con, schema, dataset)
    problems = []
    for variable in dataset.variables:
        codelist = variable.codelist
        if codelist is None or codelist.from_data or variable.name not in columns:
            continue
        codes = [t.code for t in codelist.terms]
        values = [
            str(v)
            for (v,) in _rows(
                con,
                f'select distinct cast("{variable.name}" as varchar) from {_q(schema, dataset)} where "{variable.name}" is not null',
            )
        ]
        outside = sorted(v for v in values if v not in codes)
        if outside:
            problems.append(f"{variable.name} has {_examples(outside)}, not in code list {codelist.name}")
    return problems


RULES = (
    Rule("ADSL_PRESENT", "ADaM IG 1.3 section 1.2; P21 AD0001", BLOCKING, "An ADSL dataset is submitted", adsl_present),
    Rule(
        "ADSL_ONE_RECORD_PER_SUBJECT",
        "ADaM IG 1.3 section 3.1 (ADSL: one record per subject)",
        BLOCKING,
        "ADSL has one record per USUBJID",
        one_record_per_subject,
    ),
    Rule(
        "HAS_RECORDS",
        "FDA Study Data Technical Conformance Guide (no empty datasets)",
        WARNING,
        "The dataset has at least one record",
        has_records,
    ),
    Rule(
        "REQUIRED_VARIABLES",
        "ADaM IG 1.3 sections 3.2 (ADSL), 3.3 (BDS), ADaM BDS-TTE 3.1, OCCDS 1.1",
        WARNING,
        "Required variables of the dataset's class are present",
        required_variables,
    ),
    Rule(
        "IDENTIFIERS_POPULATED",
        "ADaM IG 1.3 sections 3.2, 3.3 (STUDYID, USUBJID required)",
        BLOCKING,
        "STUDYID and USUBJID present and populated",
        identifiers_populated,
    ),
    Rule(
        "SUBJECTS_IN_ADSL",
        "ADaM IG 1.3 section 3.3 (traceability to ADSL)",
        BLOCKING,
        "Every STUDYID/USUBJID of a dataset is in ADSL",
        subjects_in_adsl,
    ),
    Rule(
        "FLAG_VALUES",
        "ADaM IG 1.3 section 3.1.4 (flags); P21 AD0005",
        WARNING,
        "*FL: population flags Y/N, record flags Y/empty, others Y/N/empty",
        flag_values,
    ),
    Rule(
        "DATE_VARIABLES",
        "ADaM IG 1.3 section 3.1.4 (timing variables)",
        WARNING,
        "*DT numeric dates with a date format, *DTM numeric datetimes",
        date_variables_typed,
    ),
    Rule(
        "PARAMCD_VALID",
        "ADaM IG 1.3 section 3.3.4 (PARAMCD at most 8 characters)",
        WARNING,
        "PARAMCD at most 8 characters, letters, digits and _",
        paramcd_valid,
    ),
    Rule(
        "PARAM_ONE_TO_ONE",
        "ADaM IG 1.3 section 3.3.4 (PARAM to PARAMCD one to one)",
        WARNING,
        "One PARAM per PARAMCD and one PARAMCD per PARAM",
        param_one_to_one,
    ),
    Rule(
        "AVALC_MATCHES_AVAL",
        "ADaM IG 1.3 section 3.3.4 (AVAL and AVALC one to one within a parameter)",
        WARNING,
        "Within a PARAMCD, AVALC and AVAL map one to one where both exist",
        avalc_matches_aval,
    ),
    Rule(
        "CNSR_VALID",
        "ADaM BDS-TTE 1.0 section 3.1 (CNSR integer, 0 = event)",
        WARNING,
        "CNSR is an integer >= 0",
        cnsr_valid,
    ),
    Rule(
        "METADATA_AS_DEFINED",
        "Define-XML 2.1; P21 AD0018 (labels), define.xml consistency",
        WARNING,
        "Variables, labels and types of the table are those of define.xml",
        metadata_as_defined,
    ),
    Rule(
        "XPORT_LIMITS",
        "FDA technical conformance guide (XPORT v5); P21 AD0013, AD0014, AD0016, AD0017",
        BLOCKING,
        "Names at most 8 characters, labels at most 40, character values at most 200 bytes",
        xport_limits,
    ),
    Rule(
        "ASCII_TEXT",
        "FDA technical conformance guide (ASCII character set in XPORT files)",
        WARNING,
        "Character values are printable ASCII",
        ascii_text,
    ),
    Rule(
        "VALUES_IN_CODELISTS",
        "Define-XML 2.1 code lists (controlled terminology)",
        WARNING,
        "Values of a controlled variable are in its code list",
        values_in_codelists,
    ),
)
ADSL_ONLY = {"ADSL_PRESENT", "ADSL_ONE_RECORD_PER_SUBJECT"}
COLUMNS = ["rule_id", "reference", "severity", "dataset", "description", "passed", "findings", "message"]


def check_conformance(
    con: duckdb.DuckDBPyConnection, specification: list[Dataset], schema: str = "adam", rules: tuple[Rule, ...] = RULES
) -> pd.DataFrame:
    """One row per rule and dataset: passed or not, how many findings and what they are."""
    _COLUMNS.clear()
    _TABLES.clear()
    rows = []
    for rule in rules:
        for dataset in specification:
            if rule.rule_id in ADSL_ONLY and dataset.dataset_class != "ADSL":
                continue
            if not _table(con, schema, dataset.name) and rule.rule_id != "ADSL_PRESENT":
                findings = [f"table {schema}.{dataset.name} does not exist"]
            else:
                findings = rule.check(con, dataset, schema)
            rows.append(
                {
                    "rule_id": rule.rule_id,
                    "reference": rule.reference,
                    "severity": rule.severity,
                    "dataset": dataset.upper,
                    "description": rule.description,
                    "passed": not findings,
                    "findings": len(findings),
                    "message": "; ".join(findings[:20])
                    + (f"; and {len(findings) - 20} more" if len(findings) > 20 else ""),
                }
            )
    _COLUMNS.clear()
    _TABLES.clear()
    return pd.DataFrame(rows, columns=COLUMNS)


def write_conformance(con: duckdb.DuckDBPyConnection, results: pd.DataFrame, export_id: str) -> None:
    """`quality.conformance`: this export's results (replaced on every refresh of it)."""
    con.execute("create schema if not exists quality")
    con.register("conformance_results", results.assign(export_id=export_id))
    try:
        con.execute("create or replace table quality.conformance as select * from conformance_results")
    finally:
        con.unregister("conformance_results")
