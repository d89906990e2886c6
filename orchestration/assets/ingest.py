"""Ingest: register the export, then load each file into `raw` and quarantine its bad rows."""

from pathlib import Path

import dagster as dg
from pydantic import Field

from orchestration.loading.contract import (
    ALL_INPUT_FILES,
    SUBJECT_FILES,
    InputFile,
    file_path,
    subject_file,
)
from orchestration.loading.load import (
    create_empty_raw_table,
    current_export,
    file_problems,
    input_layout,
    load_file,
    read_export_file,
    record_file_problem,
    register_export,
    resolve_export,
    study_parameters,
    subject_file_problem,
)
from orchestration.loading.readers import ExportError, newest_complete_export
from orchestration.resources import WarehouseResource
from orchestration.version import code_version

CURRENT_EXPORT = dg.AssetKey(["audit", "current_export"])
QUARANTINE = dg.AssetKey(["quality", "quarantine"])
# Above this share of a file's rows in quarantine the refresh stops (dm.csv: any row).
QUARANTINE_LIMIT = 0.05


class ExportConfig(dg.Config):
    """Which export a refresh builds from; every field may be left empty."""

    export_dir: str = Field(
        "", description="Export folder; empty: the newest complete export in WAREHOUSE_HOME/landing."
    )
    data_cutoff: str = Field(
        "", description="Data cut-off (YYYY-MM-DD); empty: the study configuration, else the export date."
    )
    profile: str = Field("", description="Study profile (lensirt, pharmaverse); empty: lensirt.")
    config_file: str = Field("", description="YAML file of study parameters overriding the profile.")


@dg.asset(
    key=CURRENT_EXPORT,
    group_name="ingest",
    description=(
        "The export this refresh builds from: the manifest is checked (every file present, SHA-256 "
        "and row counts match) and the export and run are recorded in audit.exports and audit.runs."
    ),
    kinds={"duckdb"},
)
def current_export_asset(
    context: dg.AssetExecutionContext, config: ExportConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    paths = warehouse.paths
    directory = Path(config.export_dir) if config.export_dir else newest_complete_export(paths.landing)
    # The profile's input layout says which files the export must hold (EDC forms + imaging, or SDTM).
    resolved = resolve_export(
        directory, config.profile or None, Path(config.config_file) if config.config_file else None, config.data_cutoff
    )
    export = resolved.export
    with warehouse.connect() as con:
        current = register_export(
            con,
            export,
            context.run.run_id,
            resolved.data_cutoff,
            resolved.study.profile,
            resolved.dbt_vars,
            code_version(),
        )
    files = "\n".join(f"| {f.path} | {f.rows if f.rows >= 0 else '—'} | `{f.sha256[:12]}` |" for f in export.files)
    return dg.MaterializeResult(
        metadata={
            "export_id": current.export_id,
            "export_dir": dg.MetadataValue.path(current.export_dir),
            "exported_at": export.exported_at.isoformat(),
            "data_cutoff": current.data_cutoff.isoformat(),
            "profile": current.profile,
            "input_layout": resolved.layout,
            "manifest": "written by the sender"
            if export.manifest_written_by == "sender"
            else "computed by the warehouse",
            "files": dg.MetadataValue.md("| file | rows | sha256 |\n|---|---|---|\n" + files),
        }
    )


def raw_asset_key(spec: InputFile) -> dg.AssetKey:
    return dg.AssetKey(["raw", spec.raw_table])


def _quarantine_preview(con, export_id: str, path: str) -> str:  # noqa: ANN001
    frame = con.execute(
        "select line, subjid as SUBJID, column_name, value, rule, message from quality.quarantine "
        "where export_id = ? and file = ? order by line, rule limit 20",
        [export_id, path],
    ).df()
    return frame.to_markdown(index=False) if len(frame) else "no quarantined rows"


FAILING_LINES_SHOWN = 50


def _quarantined_lines(con, export_id: str, path: str) -> str:  # noqa: ANN001
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


def _not_loaded(con, current, spec: InputFile, problem: str, evaluated: bool):  # noqa: ANN001, ANN202
    """A file that could not be loaded: an empty raw table, and its check says why in words."""
    create_empty_raw_table(con, spec)
    if evaluated:  # the file itself is unusable
        record_file_problem(con, current, file_path(spec, study_parameters(current)), problem)
    status = f"NOT LOADED: {problem}"
    yield dg.MaterializeResult(metadata={"dagster/row_count": 0, "status": status, "export_id": current.export_id})
    yield dg.AssetCheckResult(
        check_name="quarantine_within_limit",
        passed=False,
        # a check that could not run warns (and says so); it never pretends to have passed
        severity=dg.AssetCheckSeverity.ERROR if evaluated else dg.AssetCheckSeverity.WARN,
        description=problem if evaluated else f"not evaluated: {problem}",
        metadata={"evaluated": evaluated, "file_problem": problem},
    )


def build_raw_asset(spec: InputFile) -> dg.AssetsDefinition:
    is_subject_file = spec in SUBJECT_FILES
    deps = [CURRENT_EXPORT] + ([] if is_subject_file else [raw_asset_key(subject_file(spec))])
    limit_text = "any row" if is_subject_file else f"more than {QUARANTINE_LIMIT:.0%} of its rows"
    layout_text = (
        "Loaded when the study profile's input layout (input_source) is `sdtm` (file name: the "
        "profile's `sdtm_files`, CSV or SAS XPORT .xpt); an EDC run leaves it empty."
        if spec.layout == "sdtm"
        else "Loaded when the study profile's input layout (input_source) is `edc`; an SDTM run leaves it empty."
    )
    # dm's check does not stop the other files from being checked in the same run: the gate on
    # quality/quarantine blocks instead, once every file has been looked at.
    gate_text = (
        " It does not stop the other files' checks; quality/quarantine's export_accepted check blocks the refresh."
        if is_subject_file
        else ""
    )

    @dg.asset(
        key=raw_asset_key(spec),
        deps=deps,
        group_name="ingest",
        description=(
            f"`{spec.path}` as exported, one row per line with `_export_id`, `_file`, `_line`. "
            f"Rows breaking the input contract (key {', '.join(spec.key)}) are written to "
            f"quality.quarantine and left out of staging; the refresh stops when {limit_text} is quarantined, "
            "or when the file cannot be loaded at all (missing, changed after export, missing columns). " + layout_text
        ),
        kinds={"duckdb", "csv"},
        metadata={
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    *(
                        dg.TableColumn(c.name, "VARCHAR", description=f"as exported; the contract reads it as {c.kind}")
                        for c in spec.columns
                    ),
                    dg.TableColumn("_export_id", "VARCHAR", description="the export the row came with"),
                    dg.TableColumn("_file", "VARCHAR", description="file path inside the export"),
                    dg.TableColumn("_line", "INTEGER", description="physical line in the file (header = 1)"),
                ]
            )
        },
        check_specs=[
            dg.AssetCheckSpec(
                "quarantine_within_limit",
                asset=raw_asset_key(spec),
                blocking=not is_subject_file,
                description=f"Fails when {spec.path} cannot be loaded or {limit_text} of it is quarantined.{gate_text}",
            )
        ],
    )
    def raw_file(context: dg.AssetExecutionContext, warehouse: WarehouseResource):  # noqa: ANN202
        with warehouse.connect() as con:
            current = current_export(con)
            layout = input_layout(current)
            if layout != spec.layout:
                create_empty_raw_table(con, spec)
        if layout != spec.layout:
            context.log.info(f"{spec.path}: not part of a {layout} export; raw.{spec.raw_table} left empty")
            yield dg.MaterializeResult(
                metadata={
                    "dagster/row_count": 0,
                    "input_layout": layout,
                    "status": f"not loaded: the profile's input layout is {layout}",
                    "export_id": current.export_id,
                }
            )
            yield dg.AssetCheckResult(
                check_name="quarantine_within_limit",
                passed=True,
                severity=dg.AssetCheckSeverity.ERROR,
                description=f"not part of a {layout} export: nothing loaded, nothing quarantined",
            )
            return
        with warehouse.connect() as con:
            subjects_missing = subject_file_problem(con, current, spec)
            try:
                if subjects_missing:
                    # Without the patient list the row rules cannot run; the file itself is still checked.
                    read_export_file(con, current, spec)
                else:
                    result = load_file(con, current, spec)
            except ExportError as error:
                context.log.error(str(error))
                yield from _not_loaded(con, current, spec, str(error), evaluated=True)
                return
            if subjects_missing:
                yield from _not_loaded(
                    con,
                    current,
                    spec,
                    f"row checks need {subject_file(spec).path}, which could not be loaded ({subjects_missing})",
                    evaluated=False,
                )
                return
            preview = _quarantine_preview(con, current.export_id, result.path)
            failing_lines = _quarantined_lines(con, current.export_id, result.path)
        context.log.info(
            f"{result.path}: {result.rows} rows, {result.staged_rows} staged, "
            f"{result.quarantined_rows} quarantined ({result.encoding})"
        )
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": result.rows,
                "staged_rows": result.staged_rows,
                "quarantined_rows": result.quarantined_rows,
                "problems_by_rule": dg.MetadataValue.json(result.problems_by_rule),
                "encoding": result.encoding,
                "extra_columns_ignored": ", ".join(result.extra_columns) or "none",
                "quarantined_preview": dg.MetadataValue.md(preview),
                "export_id": current.export_id,
                "file": result.path,
            }
        )
        allowed = 0 if is_subject_file else int(result.rows * QUARANTINE_LIMIT)
        passed = result.own_problem_rows <= allowed
        consequences = result.quarantined_rows - result.own_problem_rows
        yield dg.AssetCheckResult(
            check_name="quarantine_within_limit",
            passed=passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(
                f"{result.own_problem_rows} of {result.rows} rows quarantined "
                f"({result.quarantined_share:.1%}); allowed: {allowed}"
                + (f" (and {consequences} of patients whose dm row is quarantined)" if consequences else "")
                + ("" if passed else f". Quarantined: {failing_lines}")
            ),
            metadata={
                "quarantined_rows": result.quarantined_rows,
                "allowed": allowed,
                "problems_by_rule": dg.MetadataValue.json(result.problems_by_rule),
                "failing_rows": failing_lines or "none",
            },
        )

    return raw_file


RAW_ASSETS = [build_raw_asset(spec) for spec in ALL_INPUT_FILES]


def export_refusals(con, current) -> list[str]:  # noqa: ANN001
    """Why the export cannot be published: files that could not be loaded, quarantined subject rows."""
    reasons = list(file_problems(con, current.export_id).values())
    subjects = file_path(next(s for s in SUBJECT_FILES if s.layout == input_layout(current)), study_parameters(current))
    lines = _quarantined_lines(con, current.export_id, subjects)
    if lines:
        reasons.append(f"every patient row must be usable, but {lines}")
    return reasons


@dg.asset(
    key=QUARANTINE,
    deps=[raw_asset_key(spec) for spec in ALL_INPUT_FILES],
    group_name="quality",
    description=(
        "Every input row rejected by ingest, with export id, file, line, patient (SUBJID), column, "
        "value and the rule broken. Data managers fix these at the source; staging leaves them out. "
        "Its check export_accepted stops the refresh once every file has been checked, so one run "
        "lists everything wrong with an export."
    ),
    kinds={"duckdb"},
    check_specs=[
        dg.AssetCheckSpec(
            "export_accepted",
            asset=QUARANTINE,
            blocking=True,
            description="Blocks the refresh when any file could not be loaded or any patient (dm) row is quarantined; lists them all.",
        )
    ],
)
def quarantine_asset(warehouse: WarehouseResource):  # noqa: ANN201
    with warehouse.connect() as con:
        current = current_export(con)
        summary = con.execute(
            "select file, rule, count(*) as problems, count(distinct line) as lines, "
            "count(distinct subjid) as patients "
            "from quality.quarantine where export_id = ? group by all order by file, rule",
            [current.export_id],
        ).df()
        refusals = export_refusals(con, current)
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(summary["problems"].sum()) if len(summary) else 0,
            "by_file_and_rule": dg.MetadataValue.md(
                summary.to_markdown(index=False) if len(summary) else "nothing quarantined"
            ),
            "export_id": current.export_id,
        }
    )
    yield dg.AssetCheckResult(
        check_name="export_accepted",
        passed=not refusals,
        severity=dg.AssetCheckSeverity.ERROR,
        description="every file loaded and every patient row usable"
        if not refusals
        else f"export {current.export_id} refused: " + " | ".join(refusals),
        metadata={"problems": len(refusals)},
    )
