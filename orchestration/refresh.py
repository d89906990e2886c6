"""Running Dagster in this process: the environment Dagster and dbt need, the refresh job, the
run's outcome recorded in the build database (also for runs the daemon started: see automation.py)
and told in words, and the Dagster UI (`dagster dev`) on the same warehouse."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.event_log import skip_fsync_below
from orchestration.settings import REPO_ROOT, WarehousePaths

REFRESH_BUSY = "another refresh is running"

DAGSTER_YAML_MARK = "# Written by `warehouse`"
DAGSTER_YAML = f"""\
{DAGSTER_YAML_MARK}: one refresh at a time (DuckDB has a single writer), and Dagster's SQLite
# storage with its connections kept open (orchestration/dagster_storage.py).
concurrency:
  runs:
    max_concurrent_runs: 1
telemetry:
  enabled: false
storage:
  custom:
    module: orchestration.dagster_storage
    class: PooledSqliteStorage
    config:
      base_dir:
        env: DAGSTER_HOME
# Steps log through Dagster's events (and the CLI's log file, logs/refresh-*.log); capturing their
# raw stdout/stderr as well started two `tail -F` processes per run that outlived the refresh.
compute_logs:
  module: dagster._core.storage.noop_compute_log_manager
  class: NoOpComputeLogManager
"""


def prepare_environment(paths: WarehousePaths) -> None:
    """Point dbt and Dagster at WAREHOUSE_HOME and make sure the dbt manifest exists."""
    paths.ensure()
    os.environ["WAREHOUSE_HOME"] = str(paths.home)
    os.environ.setdefault("DAGSTER_HOME", str(paths.dagster_home))
    os.environ.setdefault("DBT_LOG_PATH", str(paths.home / "dbt" / "logs"))
    dagster_yaml = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    written = dagster_yaml.read_text() if dagster_yaml.exists() else None
    # Ours is kept up to date; a dagster.yaml someone wrote by hand is left alone.
    if written is None or (written.startswith(DAGSTER_YAML_MARK) and written != DAGSTER_YAML):
        dagster_yaml.parent.mkdir(parents=True, exist_ok=True)
        dagster_yaml.write_text(DAGSTER_YAML)
    skip_fsync_below(Path(os.environ["DAGSTER_HOME"]))
    ensure_dbt_manifest()


def ensure_dbt_manifest() -> None:
    """dagster-dbt reads target/manifest.json; `dbt parse` writes it in a few seconds. One process
    parses at a time (a lock file beside the manifest): another waits, then finds it fresh."""
    import fcntl

    from orchestration.loading.contract import DBT_PROJECT_DIR

    target = DBT_PROJECT_DIR / "target"
    with contextlib.ExitStack() as held:
        try:
            target.mkdir(exist_ok=True)
            lock = held.enter_context((target / ".parse.lock").open("w"))
            fcntl.flock(lock, fcntl.LOCK_EX)
        except OSError:  # a read-only checkout: nothing to parse into, and no one else parses there
            pass
        if _manifest_is_fresh(DBT_PROJECT_DIR, target / "manifest.json"):
            return
        dbt = Path(sys.executable).with_name("dbt")
        completed = subprocess.run(
            [
                str(dbt if dbt.exists() else "dbt"),
                "parse",
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--quiet",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{completed.stdout}{completed.stderr}")


def _manifest_is_fresh(project: Path, manifest: Path) -> bool:
    """The manifest exists and no model, test, macro, seed or configuration file is newer."""
    if not manifest.exists():
        return False
    written = manifest.stat().st_mtime
    sources = (
        p
        for p in project.rglob("*")
        if p.suffix in (".sql", ".yml", ".csv") and "target" not in p.relative_to(project).parts
    )
    return all(p.stat().st_mtime <= written for p in sources)


def start_dagster_ui(paths: WarehousePaths, host: str, port: int) -> None:
    """Replace this process with `dagster dev` on this code location and warehouse."""
    prepare_environment(paths)
    dagster = Path(sys.executable).with_name("dagster")
    command = [
        str(dagster if dagster.exists() else "dagster"),
        "dev",
        "-m",
        "orchestration.definitions",
        "--host",
        host,
        "--port",
        str(port),
    ]
    print(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})", flush=True)
    os.chdir(REPO_ROOT)
    os.execv(command[0], command)


# --- refresh --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshOutcome:
    published: bool
    run_id: str
    seconds: float
    problems: tuple[str, ...]
    snapshot: Path | None
    log: Path
    # Dagster step key -> (start, end) in seconds since the refresh started: steps overlap while one
    # waits for the worker (orchestration/concurrent_steps.py)
    step_spans: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def step_seconds(self) -> dict[str, float]:
        """Dagster step key -> wall seconds, in finishing order."""
        return {step: end - start for step, (start, end) in self.step_spans.items()}


def run_refresh(
    paths: WarehousePaths,
    export_dir: Path | None,
    data_cutoff: str | None = None,
    profile: str | None = None,
    config_file: Path | None = None,
    progress: bool = True,
) -> RefreshOutcome:
    """Run the same Dagster job the schedule runs, in this process."""
    prepare_environment(paths)
    import dagster as dg

    from orchestration.definitions import defs, refresh_job_definition
    from orchestration.loading.readers import export_tags
    from orchestration.progress import ACTIVE, ProgressPrinter
    from orchestration.publishing.snapshot import current_snapshot

    config = {
        "export_dir": str(Path(export_dir).resolve()) if export_dir else "",
        "data_cutoff": data_cutoff or "",
        "profile": profile or "",
        "config_file": str(Path(config_file).resolve()) if config_file else "",
    }
    started = time.monotonic()
    # Every Dagster message of the run goes to the log file; the terminal gets the progress lines.
    log_path = paths.home / "logs" / f"refresh-{time.strftime('%Y%m%dT%H%M%S')}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        printer = ProgressPrinter(enabled=progress, stream=sys.stdout, log=log)
        ACTIVE["printer"] = printer
        try:
            with contextlib.redirect_stdout(log), dg.DagsterInstance.get() as instance:
                # The job's own executor (orchestration/concurrent_steps.py), which execute_in_process
                # would replace by Dagster's one-step-at-a-time executor.
                result = dg.execute_job(
                    dg.reconstructable(refresh_job_definition),
                    instance,
                    run_config={"ops": {"audit__current_export": {"config": config}}, "loggers": {"progress": {}}},
                    tags=export_tags(Path(export_dir)) if export_dir else None,
                )
                run_id = result.run_id
                published = result.success and printer.published
                busy = any(REFRESH_BUSY in problem for problem in printer.problems())
                if not busy:  # a refused run never touched the database another refresh is writing
                    from orchestration.check_history import blocking_checks

                    reason = None if published else "; ".join(printer.problems()) or "the run failed"
                    export_name = Path(export_dir).name if export_dir else None
                    trouble = record_run_end(
                        paths, instance, run_id, published, reason, export_name, blocking_checks(defs)
                    )
                    if trouble:
                        print(f"warning: {trouble}", file=sys.stderr)
        finally:
            ACTIVE.pop("printer", None)
        for problem in printer.problems():
            log.write(f"problem: {problem}\n")
    problems = printer.problems()
    snapshot = current_snapshot(paths) if published else None
    return RefreshOutcome(
        published,
        run_id,
        time.monotonic() - started,
        problems,
        snapshot,
        log_path,
        {step: (start - started, end - started) for step, (start, end) in printer.step_spans.items()},
    )


def print_outcome(paths: WarehousePaths, outcome: RefreshOutcome) -> None:
    """What a refresh did, in words: where to query the new snapshot, or why nothing was published
    (the problems on standard error)."""
    if outcome.published:
        print(f"\nPublished in {outcome.seconds:.1f} s: {outcome.snapshot}", flush=True)
        print(
            f'Query it with: warehouse sql "SELECT * FROM adam.adsl LIMIT 5"  (or open {paths.current_database} read-only)',
            flush=True,
        )
        return
    print(
        f"\nNot published (run {outcome.run_id}, {outcome.seconds:.1f} s). The previous snapshot stays current.",
        flush=True,
    )
    for problem in outcome.problems:
        print(f"  - {problem}", file=sys.stderr)
    print(f"  Full log: {outcome.log}", file=sys.stderr)


def record_run_end(
    paths: WarehousePaths,
    instance: Any,
    run_id: str,
    published: bool,
    reason: str | None = None,
    export_name: str | None = None,
    blocking: Any = None,
) -> str | None:
    """After a run (the refresh lock is released): its outcome, the reason, and every check result.

    Called for a refresh run from the command line and, through the run-failure sensor, for a run
    the daemon started. A published run already wrote both into its snapshot; writing them again
    into the build database is idempotent. A failed run is recorded only here, since publish never
    ran; a run that stopped before registering its export is recorded under the export folder's
    name. Returns why it could not be recorded (another refresh holds the database), else None.
    """
    import duckdb

    from orchestration.check_history import record_check_results
    from orchestration.loading.load import ensure_schemas, finish_run
    from orchestration.publishing.snapshot import connect_build

    try:
        with connect_build(paths.database) as con:
            ensure_schemas(con)
            if not published:
                finish_run(con, run_id, "failed", reason=reason, export_id=export_name)
            (export_id,) = con.execute("select export_id from audit.runs where run_id = ?", [run_id]).fetchone()
            record_check_results(con, instance, run_id, export_id or None, blocking, paths.dbt_target / run_id)
    except duckdb.Error as error:
        return f"could not record the outcome of run {run_id}: {error}"
    return None
