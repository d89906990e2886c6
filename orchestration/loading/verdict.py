"""Ingest's verdict: load one file of the registered export into `raw` (or say why not), judge its
quarantine against the limit, and decide whether the export as a whole is accepted.

Plain functions over a DuckDB connection; the assets in ``assets/ingest.py`` call them and turn
the outcome into Dagster results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from orchestration.loading.contract import SUBJECT_FILES, InputFile, file_path, subject_file
from orchestration.loading.load import (
    CurrentExport,
    IngestResult,
    create_empty_raw_table,
    current_export,
    file_problems,
    input_layout,
    load_file,
    read_export_file,
    record_file_problem,
    study_parameters,
    subject_file_problem,
)
from orchestration.loading.readers import ExportError

if TYPE_CHECKING:  # pandas is imported when a query result is read, not when the definitions load
    import pandas as pd

# Above this share of a file's rows in quarantine the refresh stops (dm.csv: any row).
QUARANTINE_LIMIT = 0.05
FAILING_LINES_SHOWN = 50


def quarantine_preview(con: duckdb.DuckDBPyConnection, export_id: str, path: str) -> str:
    """The first quarantined rows of one file as a markdown table."""
    frame = con.execute(
        "select line, subjid as SUBJID, column_name, value, rule, message from quality.quarantine "
        "where export_id = ? and file = ? order by line, rule limit 20",
        [export_id, path],
    ).df()
    return frame.to_markdown(index=False) if len(frame) else "no quarantined rows"


def quarantined_lines(con: duckdb.DuckDBPyConnection, export_id: str, path: str) -> str:
    """`line 7 (101-002): AGE out_of_range (150); ...` for the first quarantined lines of one file."""
    lines = con.execute(
        "select line, any_value(subjid), string_agg(coalesce(column_name || ' ', '') || rule "
        "|| coalesce(' (' || value || ')', ''), ', ' order by rule, column_name) "
        "from quality.quarantine where export_id = ? and file = ? group by line order by line",
        [export_id, path],
    ).fetchall()
    shown = "; ".join(
        f"line {line}{f' ({subject})' if subject else ''}: {problems}"
        for line, subject, problems in lines[:FAILING_LINES_SHOWN]
    )
    more = f"; and {len(lines) - FAILING_LINES_SHOWN} more lines" if len(lines) > FAILING_LINES_SHOWN else ""
    return f"{path} {shown}{more}" if lines else ""


@dataclass(frozen=True)
class FileOutcome:
    """What became of one input file in this run, and the verdict of its quarantine check.

    Three cases: the file is not part of this run's input layout (``in_layout`` false: an empty raw
    table, nothing to judge); it could not be loaded (``problem`` says why; ``evaluated`` false when
    its own check could not run because the patient file is missing); or it was loaded (``loaded``).
    """

    export_id: str
    layout: str  # the run's input layout (var input_source)
    in_layout: bool
    passed: bool
    check_description: str
    problem: str = ""
    evaluated: bool = True
    loaded: IngestResult | None = None
    allowed: int = 0  # quarantined rows the file may have
    preview: str = ""  # the first quarantined rows (markdown)
    failing_lines: str = ""  # the quarantined lines in words


def _not_loaded(
    con: duckdb.DuckDBPyConnection, current: CurrentExport, spec: InputFile, problem: str, evaluated: bool
) -> FileOutcome:
    """A file that could not be loaded: an empty raw table, and its check says why in words."""
    create_empty_raw_table(con, spec)
    if evaluated:  # the file itself is unusable
        record_file_problem(con, current, file_path(spec, study_parameters(current)), problem)
    return FileOutcome(
        export_id=current.export_id,
        layout=input_layout(current),
        in_layout=True,
        passed=False,
        check_description=problem if evaluated else f"not evaluated: {problem}",
        problem=problem,
        evaluated=evaluated,
    )


def ingest_file(con: duckdb.DuckDBPyConnection, spec: InputFile) -> FileOutcome:
    """Load one file of the current export into ``raw.<source>_<domain>`` and judge its quarantine."""
    current = current_export(con)
    layout = input_layout(current)
    if layout != spec.layout:
        create_empty_raw_table(con, spec)
        return FileOutcome(
            export_id=current.export_id,
            layout=layout,
            in_layout=False,
            passed=True,
            check_description=f"not part of a {layout} export: nothing loaded, nothing quarantined",
        )
    subjects_missing = subject_file_problem(con, current, spec)
    try:
        if subjects_missing:
            # Without the patient list the row rules cannot run; the file itself is still checked.
            read_export_file(con, current, spec)
        else:
            result = load_file(con, current, spec)
    except ExportError as error:
        return _not_loaded(con, current, spec, str(error), evaluated=True)
    if subjects_missing:
        problem = f"row checks need {subject_file(spec).path}, which could not be loaded ({subjects_missing})"
        return _not_loaded(con, current, spec, problem, evaluated=False)
    failing_lines = quarantined_lines(con, current.export_id, result.path)
    allowed = 0 if spec in SUBJECT_FILES else int(result.rows * QUARANTINE_LIMIT)
    passed = result.own_problem_rows <= allowed
    consequences = result.quarantined_rows - result.own_problem_rows
    return FileOutcome(
        export_id=current.export_id,
        layout=layout,
        in_layout=True,
        passed=passed,
        check_description=(
            f"{result.own_problem_rows} of {result.rows} rows quarantined "
            f"({result.quarantined_share:.1%}); allowed: {allowed}"
            + (f" (and {consequences} of patients whose dm row is quarantined)" if consequences else "")
            + ("" if passed else f". Quarantined: {failing_lines}")
        ),
        loaded=result,
        allowed=allowed,
        preview=quarantine_preview(con, current.export_id, result.path),
        failing_lines=failing_lines,
    )


def export_refusals(con: duckdb.DuckDBPyConnection, current: CurrentExport) -> list[str]:
    """Why the export cannot be published: files that could not be loaded, quarantined subject rows."""
    reasons = list(file_problems(con, current.export_id).values())
    subjects = file_path(next(s for s in SUBJECT_FILES if s.layout == input_layout(current)), study_parameters(current))
    lines = quarantined_lines(con, current.export_id, subjects)
    if lines:
        reasons.append(f"every patient row must be usable, but {lines}")
    return reasons


@dataclass(frozen=True)
class ExportVerdict:
    """The quarantine of the whole export: rows per file and rule, and why it is refused (if it is)."""

    export_id: str
    by_file_and_rule: pd.DataFrame  # file, rule, problems, lines, patients
    refusals: list[str]


def judge_export(con: duckdb.DuckDBPyConnection) -> ExportVerdict:
    """Once every file has been looked at: what was quarantined, and whether the export is accepted."""
    current = current_export(con)
    summary = con.execute(
        "select file, rule, count(*) as problems, count(distinct line) as lines, "
        "count(distinct subjid) as patients "
        "from quality.quarantine where export_id = ? group by all order by file, rule",
        [current.export_id],
    ).df()
    return ExportVerdict(current.export_id, summary, export_refusals(con, current))
