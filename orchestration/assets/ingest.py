"""Ingest: register the export, then load each file into `raw` and quarantine its bad rows."""

from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from orchestration.loading.contract import (
    ALL_INPUT_FILES,
    SUBJECT_FILES,
    InputFile,
    subject_file,
)
from orchestration.loading.load import register_export, resolve_export
from orchestration.loading.readers import newest_complete_export
from orchestration.loading.verdict import QUARANTINE_LIMIT, FileOutcome, ingest_file, judge_export
from orchestration.resources import WarehouseResource
from orchestration.version import code_version

CURRENT_EXPORT = dg.AssetKey(["audit", "current_export"])
QUARANTINE = dg.AssetKey(["quality", "quarantine"])


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


def _file_metadata(outcome: FileOutcome) -> dict[str, Any]:
    result = outcome.loaded
    if not outcome.in_layout:
        status = f"not loaded: the profile's input layout is {outcome.layout}"
        return {
            "dagster/row_count": 0,
            "input_layout": outcome.layout,
            "status": status,
            "export_id": outcome.export_id,
        }
    if result is None:
        return {"dagster/row_count": 0, "status": f"NOT LOADED: {outcome.problem}", "export_id": outcome.export_id}
    return {
        "dagster/row_count": result.rows,
        "staged_rows": result.staged_rows,
        "quarantined_rows": result.quarantined_rows,
        "problems_by_rule": dg.MetadataValue.json(result.problems_by_rule),
        "encoding": result.encoding,
        "extra_columns_ignored": ", ".join(result.extra_columns) or "none",
        "quarantined_preview": dg.MetadataValue.md(outcome.preview),
        "export_id": outcome.export_id,
        "file": result.path,
    }


def _check_metadata(outcome: FileOutcome) -> dict[str, Any]:
    result = outcome.loaded
    if not outcome.in_layout:
        return {}
    if result is None:
        return {"evaluated": outcome.evaluated, "file_problem": outcome.problem}
    return {
        "quarantined_rows": result.quarantined_rows,
        "allowed": outcome.allowed,
        "problems_by_rule": dg.MetadataValue.json(result.problems_by_rule),
        "failing_rows": outcome.failing_lines or "none",
    }


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
                description=f"Fails when {spec.path} cannot be loaded or {limit_text} is quarantined.{gate_text}",
            )
        ],
    )
    def raw_file(context: dg.AssetExecutionContext, warehouse: WarehouseResource):  # noqa: ANN202
        with warehouse.connect() as con:
            outcome = ingest_file(con, spec)
        result = outcome.loaded
        if not outcome.in_layout:
            context.log.info(f"{spec.path}: not part of a {outcome.layout} export; raw.{spec.raw_table} left empty")
        elif result is not None:
            context.log.info(
                f"{result.path}: {result.rows} rows, {result.staged_rows} staged, "
                f"{result.quarantined_rows} quarantined ({result.encoding})"
            )
        elif outcome.evaluated:
            context.log.error(outcome.problem)
        yield dg.MaterializeResult(metadata=_file_metadata(outcome))
        yield dg.AssetCheckResult(
            check_name="quarantine_within_limit",
            passed=outcome.passed,
            # a check that could not run warns (and says so); it never pretends to have passed
            severity=dg.AssetCheckSeverity.ERROR if outcome.evaluated else dg.AssetCheckSeverity.WARN,
            description=outcome.check_description,
            metadata=_check_metadata(outcome),
        )

    return raw_file


RAW_ASSETS = [build_raw_asset(spec) for spec in ALL_INPUT_FILES]


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
        verdict = judge_export(con)
    summary, refusals = verdict.by_file_and_rule, verdict.refusals
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(summary["problems"].sum()) if len(summary) else 0,
            "by_file_and_rule": dg.MetadataValue.md(
                summary.to_markdown(index=False) if len(summary) else "nothing quarantined"
            ),
            "export_id": verdict.export_id,
        }
    )
    yield dg.AssetCheckResult(
        check_name="export_accepted",
        passed=not refusals,
        severity=dg.AssetCheckSeverity.ERROR,
        description="every file loaded and every patient row usable"
        if not refusals
        else f"export {verdict.export_id} refused: " + " | ".join(refusals),
        metadata={"problems": len(refusals)},
    )
