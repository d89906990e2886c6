"""When refreshes run: nightly, when a complete export lands, and what a failed run records."""

import hashlib

import dagster as dg

from orchestration.concurrent_steps import concurrent_steps_executor
from orchestration.loading.readers import MANIFEST, export_tags, is_complete
from orchestration.settings import WarehousePaths

REFRESH_JOB_NAME = "refresh"

refresh_job = dg.define_asset_job(
    REFRESH_JOB_NAME,
    selection=dg.AssetSelection.all(),
    # One process (DuckDB has one writer), the next step starting while one waits for the worker.
    executor_def=concurrent_steps_executor,
    description="Load the newest export, build staging and ADaM, check everything, publish a snapshot.",
)

nightly_refresh = dg.ScheduleDefinition(
    name="nightly_refresh",
    job=refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    description="Every night at 02:00 UTC: refresh from the newest complete export in the landing folder.",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


def landing_run_requests(paths: WarehousePaths) -> list[dg.RunRequest]:
    """One run request per complete export folder; the run key makes each export run once."""
    if not paths.landing.is_dir():
        return []
    requests = []
    for folder in sorted(p for p in paths.landing.iterdir() if p.is_dir()):
        if not is_complete(folder):
            continue  # still being written: the sender writes manifest.json last
        manifest_hash = hashlib.sha256((folder / MANIFEST).read_bytes()).hexdigest()[:16]
        requests.append(
            dg.RunRequest(
                run_key=f"{folder.name}:{manifest_hash}",
                run_config={"ops": {"audit__current_export": {"config": {"export_dir": str(folder)}}}},
                tags=export_tags(folder),
            )
        )
    return requests


@dg.sensor(
    name="new_export_sensor",
    job=refresh_job,
    minimum_interval_seconds=60,
    description="Starts a refresh when a new complete export (manifest.json present) lands in WAREHOUSE_HOME/landing.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def new_export_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    return dg.SensorResult(run_requests=landing_run_requests(WarehousePaths.from_env()))


@dg.run_failure_sensor(
    name="record_failed_refresh",
    monitored_jobs=[refresh_job],
    description="Marks a failed refresh as failed in audit.runs and records its check results in quality.check_results (the published snapshot is untouched).",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def record_failed_refresh(context: dg.RunFailureSensorContext) -> None:
    from orchestration.refresh import record_run_end

    trouble = record_run_end(
        WarehousePaths.from_env(),
        context.instance,
        context.dagster_run.run_id,
        published=False,
        reason=context.failure_event.message or "the run failed",
        export_name=context.dagster_run.tags.get("export"),
    )
    if trouble:  # another refresh holds the database: it will not touch this row
        context.log.warning(trouble)
