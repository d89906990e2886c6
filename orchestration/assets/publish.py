"""Publish: the snapshot analysts query, written only when every upstream check passed."""

import json

import dagster as dg

from orchestration.assets.analysis import REPORTING_TABLES
from orchestration.assets.ingest import QUARANTINE
from orchestration.assets.report import REPORT
from orchestration.assets.safety import SAFETY_REPORTING_TABLES
from orchestration.assets.submission import CONFORMANCE, SUBMISSION_PACKAGE
from orchestration.assets.tlg import TLF_FILES, TLG_KEYS
from orchestration.check_history import record_check_results
from orchestration.concurrent_steps import RUNS_ALONE
from orchestration.loading.load import current_export, finish_run
from orchestration.publishing.snapshot import new_snapshot_id, prune_snapshots, publish
from orchestration.resources import WarehouseResource
from orchestration.version import code_version

SNAPSHOT = dg.AssetKey(["published", "snapshot"])
PUBLISHED_AFTER = [
    *(dg.AssetKey(["adam", table]) for table in ("adsl", "adrs", "adtte", "adtr", "adae", "adex")),
    *SAFETY_REPORTING_TABLES,
    dg.AssetKey(["quality", "row_reconciliation"]),
    dg.AssetKey(["quality", "data_queries"]),
    dg.AssetKey(["quality", "response_discrepancies"]),
    dg.AssetKey(["quality", "record_changes"]),
    dg.AssetKey(["quality", "endpoint_changes"]),
    QUARANTINE,
    *REPORTING_TABLES,
    *TLG_KEYS,
    TLF_FILES,
    REPORT,
    CONFORMANCE,
    SUBMISSION_PACKAGE,
]


@dg.asset(
    key=SNAPSHOT,
    deps=PUBLISHED_AFTER,
    group_name="publish",
    op_tags={RUNS_ALONE: "true"},  # it records every check evaluated before it, and copies the database
    description=(
        "The read-only snapshot analysts query: a new immutable folder (DuckDB file readable by "
        "DuckDB 1.x, Parquet of the adam and reporting tables, the HTML report, the tlf/ folder of RTF tables and "
        "figures) and the `current` link switched to it "
        "atomically. Runs only when every blocking check upstream passed."
    ),
    kinds={"duckdb", "parquet"},
)
def snapshot_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    paths = warehouse.paths
    with warehouse.connect() as con:
        current = current_export(con)
        provenance = {
            "export_id": current.export_id,
            "data_cutoff": current.data_cutoff.isoformat(),
            "profile": current.profile,
            "run_id": context.run.run_id,
            "code_version": code_version(),
        }
        # The snapshot carries its own audit row and the checks that let it through, so both are
        # written before it is copied.
        checks = record_check_results(
            con,
            context.instance,
            context.run.run_id,
            current.export_id,
            dbt_target=paths.dbt_target / context.run.run_id,
        )
        snapshot_id = new_snapshot_id(current.export_id)
        finish_run(con, context.run.run_id, "published", snapshot_id)
        attachments = [paths.report] if report_matches(paths, current.export_id) else []
        if not attachments:
            context.log.warning("no report built from this export: the snapshot is published without report.html")
        package = paths.build / "submission"
        if package_matches(package, current.export_id):
            attachments.append(package)
        else:
            context.log.warning("no submission package built from this export: the snapshot is published without it")
        tlf = paths.build / "tlf"
        if built_from(tlf / "tlf.json", current.export_id):
            attachments.append(tlf)
        else:
            context.log.warning("no TLF files built from this export: the snapshot is published without tlf/")
        snapshot = publish(con, paths, snapshot_id, provenance, attachments, written_whole=[package])
    context.log.info(f"published snapshot {snapshot.snapshot_id}")
    removed = prune_snapshots(paths, paths.keep_snapshots)
    if removed:
        context.log.info(
            f"removed {len(removed)} old snapshot(s), keeping the newest {paths.keep_snapshots}: {', '.join(removed)}"
        )
    return dg.MaterializeResult(
        metadata={
            "snapshot": dg.MetadataValue.path(str(snapshot.folder)),
            "current": dg.MetadataValue.path(str(paths.current)),
            "export_id": current.export_id,
            "tables": len(snapshot.tables),
            "checks_recorded": checks,
            "adsl_rows": snapshot.tables.get("adam.adsl", 0),
            "report": dg.MetadataValue.path(str(paths.current_report)) if paths.report in attachments else "not built",
            "submission": dg.MetadataValue.path(str(paths.current / "submission"))
            if package in attachments
            else "not built",
            "snapshots_kept": paths.keep_snapshots,
            "old_snapshots_removed": ", ".join(removed) or "none",
        }
    )


def report_matches(paths, export_id: str) -> bool:
    """The built report exists and was made from the export being published (never a stale one)."""
    return paths.report.exists() and built_from(paths.report.with_suffix(".json"), export_id)


def built_from(sidecar, export_id: str) -> bool:  # noqa: ANN001
    """A build sidecar ({"export_id": ...}) says the file beside it was made from this export."""
    if not sidecar.exists():
        return False
    try:
        return json.loads(sidecar.read_text()).get("export_id") == export_id
    except ValueError:
        return False


def package_matches(folder, export_id: str) -> bool:
    """The built submission package exists and was made from the export being published."""
    try:
        return json.loads((folder / "package.json").read_text())["study"]["export_id"] == export_id
    except (OSError, ValueError, KeyError):
        return False
