"""The Dagster code location: assembles assets, checks, resources, schedule and sensors."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.analysis import ANALYSIS_ASSETS, ANALYSIS_CHECKS
from orchestration.assets.changes import CHANGE_ASSETS, CHANGE_CHECKS
from orchestration.assets.checks import EXPECTATION_CHECKS
from orchestration.assets.dbt import DBT_PROJECT, dbt_models
from orchestration.assets.ingest import RAW_ASSETS, current_export_asset, quarantine_asset
from orchestration.assets.publish import snapshot_asset
from orchestration.assets.report import report_asset
from orchestration.assets.safety import SAFETY_ASSETS
from orchestration.assets.submission import conformance_asset, submission_package_asset
from orchestration.assets.tlg import TLG_ASSETS
from orchestration.automation import new_export_sensor, nightly_refresh, record_failed_refresh, refresh_job
from orchestration.dbt_runner import InProcessDbtResource
from orchestration.progress import progress_logger
from orchestration.resources import WarehouseResource

defs = dg.Definitions(
    assets=[
        current_export_asset,
        *RAW_ASSETS,
        quarantine_asset,
        dbt_models,
        *CHANGE_ASSETS,
        *ANALYSIS_ASSETS,
        *SAFETY_ASSETS,
        *TLG_ASSETS,
        report_asset,
        conformance_asset,
        submission_package_asset,
        snapshot_asset,
    ],
    asset_checks=[*EXPECTATION_CHECKS, *ANALYSIS_CHECKS, *CHANGE_CHECKS],
    jobs=[refresh_job],
    schedules=[nightly_refresh],
    sensors=[new_export_sensor, record_failed_refresh],
    loggers={"progress": progress_logger},
    resources={
        "warehouse": WarehouseResource(),
        "dbt": InProcessDbtResource.for_project(DBT_PROJECT),
    },
)


def refresh_job_definition() -> dg.JobDefinition:
    """The refresh job with its resources, for `dg.reconstructable` (orchestration/refresh.py)."""
    return defs.resolve_job_def(refresh_job.name)
