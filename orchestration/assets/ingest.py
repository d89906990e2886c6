"""Ingest: register the export, then load each file into `raw` and quarantine its bad rows."""

from datetime import date
from pathlib import Path

import dagster as dg
from pydantic import Field

from orchestration.contract import ALL_INPUT_FILES, SUBJECT_FILES, InputFile, file_path, layout_files, subject_file
from orchestration.exports import ExportError, is_complete, open_export
from orchestration.ingest import create_empty_raw_table, current_export, input_layout, load_file, register_export
from orchestration.resources import WarehouseResource
from orchestration.settings import StudyConfig
from orchestration.version import code_version

CURRENT_EXPORT = dg.AssetKey(["audit", "current_export"])
QUARANTINE = dg.AssetKey(["quality", "quarantine"])
# Above this share of a file's rows in quarantine the refresh stops (dm.csv: any row).
QUARANTINE_LIMIT = 0.05


class ExportConfig(dg.Config):
    """Which export a refresh builds from; every field may be left empty."""

    export_dir: str = Field("", description="Export folder; empty: the newest complete export in WAREHOUSE_HOME/landing.")
    data_cutoff: str = Field("", description="Data cut-off (YYYY-MM-DD); empty: the study configuration, else the export date.")
    profile: str = Field("", description="Study profile (lensirt, pharmaverse); empty: lensirt.")
    config_file: str = Field("", description="YAML file of study parameters overriding the profile.")


def newest_complete_export(landing: Path) -> Path:
    """The most recent export folder in landing whose manifest.json has been written."""
    complete = [d for d in landing.iterdir() if d.is_dir() and is_complete(d)] if landing.is_dir() else []
    if not complete:
        raise ExportError(f"no complete export (a folder with manifest.json) in {landing}")
    return max(complete, key=lambda d: ((d / "manifest.json").stat().st_mtime, d.name))


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
    study = StudyConfig.load(config.profile or None, Path(config.config_file) if config.config_file else None)
    # The profile's input layout says which files the export must hold (EDC forms + imaging, or SDTM).
    layout = str(study.parameters.get("input_source") or "edc")
    export = open_export(directory, [file_path(spec, study.parameters) for spec in layout_files(layout)])
    cutoff = date.fromisoformat(config.data_cutoff) if config.data_cutoff else (
        date.fromisoformat(str(study.parameters["data_cutoff"]))
        if study.parameters.get("data_cutoff") else export.export_date
    )
    dbt_vars = study.dbt_vars(export.export_id, export.export_date.isoformat(), cutoff.isoformat())
    with warehouse.connect() as con:
        current = register_export(con, export, context.run.run_id, cutoff, study.profile, dbt_vars, code_version())
    files = "\n".join(f"| {f.path} | {f.rows if f.rows >= 0 else '—'} | `{f.sha256[:12]}` |" for f in export.files)
    return dg.MaterializeResult(
        metadata={
            "export_id": current.export_id,
            "export_dir": dg.MetadataValue.path(current.export_dir),
            "exported_at": export.exported_at.isoformat(),
            "data_cutoff": current.data_cutoff.isoformat(),
            "profile": current.profile,
            "input_layout": layout,
            "manifest": "written by the sender" if export.manifest_written_by == "sender" else "computed by the warehouse",
            "files": dg.MetadataValue.md("| file | rows | sha256 |\n|---|---|---|\n" + files),
        }
    )


def raw_asset_key(spec: InputFile) -> dg.AssetKey:
    return dg.AssetKey(["raw", spec.raw_table])


def _quarantine_preview(con, export_id: str, path: str) -> str:  # noqa: ANN001
    frame = con.execute(
        "select line, column_name, value, rule, message from quality.quarantine "
        "where export_id = ? and file = ? order by line, rule limit 20",
        [export_id, path],
    ).df()
    return frame.to_markdown(index=False) if len(frame) else "no quarantined rows"


FAILING_LINES_SHOWN = 50


def _quarantined_lines(con, export_id: str, path: str) -> str:  # noqa: ANN001
    """`line 7: AGE out_of_range (150); ...` for the first quarantined lines of one file."""
    lines = con.execute(
        "select line, string_agg(coalesce(column_name || ' ', '') || rule || coalesce(' (' || value || ')', ''), ', ' "
        "order by rule, column_name) from quality.quarantine where export_id = ? and file = ? "
        "group by line order by line",
        [export_id, path],
    ).fetchall()
    shown = "; ".join(f"line {line}: {problems}" for line, problems in lines[:FAILING_LINES_SHOWN])
    more = f"; and {len(lines) - FAILING_LINES_SHOWN} more lines" if len(lines) > FAILING_LINES_SHOWN else ""
    return f"{path} {shown}{more}" if lines else ""


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

    @dg.asset(
        key=raw_asset_key(spec),
        deps=deps,
        group_name="ingest",
        description=(
            f"`{spec.path}` as exported, one row per line with `_export_id`, `_file`, `_line`. "
            f"Rows breaking the input contract (key {', '.join(spec.key)}) are written to "
            f"quality.quarantine and left out of staging; the refresh stops when {limit_text} is quarantined. "
            + layout_text
        ),
        kinds={"duckdb", "csv"},
        check_specs=[
            dg.AssetCheckSpec(
                "quarantine_within_limit",
                asset=raw_asset_key(spec),
                blocking=True,
                description=f"Blocks the refresh when {limit_text} of {spec.path} is quarantined.",
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
                metadata={"dagster/row_count": 0, "input_layout": layout,
                          "status": f"not loaded: the profile's input layout is {layout}",
                          "export_id": current.export_id}
            )
            yield dg.AssetCheckResult(
                check_name="quarantine_within_limit", passed=True, severity=dg.AssetCheckSeverity.ERROR,
                description=f"not part of a {layout} export: nothing loaded, nothing quarantined",
            )
            return
        with warehouse.connect() as con:
            result = load_file(con, current, spec)
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
        passed = result.quarantined_rows <= allowed
        yield dg.AssetCheckResult(
            check_name="quarantine_within_limit",
            passed=passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(
                f"{result.quarantined_rows} of {result.rows} rows quarantined "
                f"({result.quarantined_share:.1%}); allowed: {allowed}"
                + ("" if passed else f". Quarantined: {failing_lines}")
            ),
            metadata={"quarantined_rows": result.quarantined_rows, "allowed": allowed,
                      "problems_by_rule": dg.MetadataValue.json(result.problems_by_rule),
                      "failing_rows": failing_lines or "none"},
        )

    return raw_file


RAW_ASSETS = [build_raw_asset(spec) for spec in ALL_INPUT_FILES]


@dg.asset(
    key=QUARANTINE,
    deps=[raw_asset_key(spec) for spec in ALL_INPUT_FILES],
    group_name="quality",
    description=(
        "Every input row rejected by ingest, with export id, file, line, column, value and the rule "
        "broken. Data managers fix these at the source; staging leaves them out."
    ),
    kinds={"duckdb"},
)
def quarantine_asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        current = current_export(con)
        summary = con.execute(
            "select file, rule, count(*) as problems, count(distinct line) as lines "
            "from quality.quarantine where export_id = ? group by all order by file, rule",
            [current.export_id],
        ).df()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(summary["problems"].sum()) if len(summary) else 0,
            "by_file_and_rule": dg.MetadataValue.md(
                summary.to_markdown(index=False) if len(summary) else "nothing quarantined"
            ),
            "export_id": current.export_id,
        }
    )
