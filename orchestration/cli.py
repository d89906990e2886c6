"""The `warehouse` command: demo, generate, refresh, sql and ui (SPEC section 8)."""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.event_log import skip_fsync_below
from orchestration.settings import REPO_ROOT, WarehousePaths
from orchestration.synthetic import DEFAULT_SEED

REFRESH_BUSY = "another refresh is running"

DAGSTER_YAML = """\
# Written by `warehouse`: one refresh at a time (DuckDB has a single writer).
concurrency:
  runs:
    max_concurrent_runs: 1
telemetry:
  enabled: false
"""


def _say(message: str = "") -> None:
    print(message, flush=True)


def _fail(message: str, status: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr, flush=True)
    return status


def prepare_environment(paths: WarehousePaths) -> None:
    """Point dbt and Dagster at WAREHOUSE_HOME and make sure the dbt manifest exists."""
    paths.ensure()
    os.environ["WAREHOUSE_HOME"] = str(paths.home)
    os.environ.setdefault("DAGSTER_HOME", str(paths.dagster_home))
    os.environ.setdefault("DBT_LOG_PATH", str(paths.home / "dbt" / "logs"))
    dagster_yaml = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    if not dagster_yaml.exists():
        dagster_yaml.parent.mkdir(parents=True, exist_ok=True)
        dagster_yaml.write_text(DAGSTER_YAML)
    skip_fsync_below(Path(os.environ["DAGSTER_HOME"]))
    ensure_dbt_manifest()


def ensure_dbt_manifest() -> None:
    """dagster-dbt reads target/manifest.json; `dbt parse` writes it in a few seconds."""
    from orchestration.contract import DBT_PROJECT_DIR

    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    sources = [p for p in DBT_PROJECT_DIR.rglob("*") if p.suffix in (".sql", ".yml", ".csv") and "target" not in p.parts]
    if manifest.exists() and all(p.stat().st_mtime <= manifest.stat().st_mtime for p in sources):
        return
    dbt = Path(sys.executable).with_name("dbt")
    completed = subprocess.run(
        [str(dbt if dbt.exists() else "dbt"), "parse", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet"],
        capture_output=True, text=True, check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{completed.stdout}{completed.stderr}")


# --- refresh --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshOutcome:
    published: bool
    run_id: str
    seconds: float
    problems: tuple[str, ...]
    snapshot: Path | None
    log: Path
    step_seconds: dict[str, float] = field(default_factory=dict)  # Dagster step key -> wall seconds


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

    from orchestration.automation import REFRESH_JOB_NAME
    from orchestration.definitions import defs
    from orchestration.progress import ACTIVE, ProgressPrinter
    from orchestration.publishing import current_snapshot

    config = {
        "export_dir": str(Path(export_dir).resolve()) if export_dir else "",
        "data_cutoff": data_cutoff or "",
        "profile": profile or "",
        "config_file": str(Path(config_file).resolve()) if config_file else "",
    }
    job = defs.resolve_job_def(REFRESH_JOB_NAME)
    printer = ProgressPrinter(enabled=progress, stream=sys.stdout)
    ACTIVE["printer"] = printer
    started = time.monotonic()
    # dbt's own console output goes to a log file; the progress lines stay on the terminal.
    log_path = paths.home / "logs" / f"refresh-{time.strftime('%Y%m%dT%H%M%S')}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with log_path.open("w", encoding="utf-8") as log, contextlib.redirect_stdout(log), dg.DagsterInstance.get() as instance:
            result = job.execute_in_process(
                run_config={"ops": {"audit__current_export": {"config": config}}, "loggers": {"progress": {}}},
                instance=instance,
                raise_on_error=False,
            )
            run_id = result.run_id
            published = result.success and printer.published
            busy = any(REFRESH_BUSY in problem for problem in printer.problems())
            if not busy:  # a refused run never touched the database another refresh is writing
                record_run_end(paths, instance, run_id, published)
    finally:
        ACTIVE.pop("printer", None)
    problems = printer.problems()
    snapshot = current_snapshot(paths) if published else None
    return RefreshOutcome(published, run_id, time.monotonic() - started, problems, snapshot, log_path,
                          dict(printer.step_seconds))


def record_run_end(paths: WarehousePaths, instance, run_id: str, published: bool) -> None:  # noqa: ANN001
    """After the run (the refresh lock is released): its outcome and every check result.

    A published run already wrote both into its snapshot; writing them again into the build
    database is idempotent. A failed run is recorded only here, since publish never ran.
    """
    import duckdb

    from orchestration.check_history import blocking_checks, record_check_results
    from orchestration.definitions import defs
    from orchestration.ingest import ensure_schemas, finish_run
    from orchestration.publishing import connect_build

    try:
        with connect_build(paths.database) as con:
            ensure_schemas(con)
            # None when the run stopped before registering its export (e.g. a refused manifest).
            registered = con.execute("select export_id from audit.runs where run_id = ?", [run_id]).fetchone()
            export_id = registered[0] if registered else None
            record_check_results(con, instance, run_id, export_id, blocking_checks(defs), paths.dbt_target / run_id)
            if not published:
                finish_run(con, run_id, "failed")
    except duckdb.Error as error:
        print(f"warning: could not record the outcome of run {run_id}: {error}", file=sys.stderr)


def refresh_command(args: argparse.Namespace) -> int:
    paths = WarehousePaths.from_env()
    if args.export and not Path(args.export).is_dir():
        return _fail(f"export folder {args.export} does not exist", 2)
    _say(f"Refreshing the warehouse in {paths.home}")
    outcome = run_refresh(paths, Path(args.export) if args.export else None, args.cutoff, args.profile, args.config)
    return _report_refresh(paths, outcome)


def _report_refresh(paths: WarehousePaths, outcome: RefreshOutcome) -> int:
    if outcome.published:
        _say(f"\nPublished in {outcome.seconds:.1f} s: {outcome.snapshot}")
        _say(f"Query it with: warehouse sql \"SELECT * FROM adam.adsl LIMIT 5\"  (or open {paths.current_database} read-only)")
        return 0
    _say(f"\nNot published (run {outcome.run_id}, {outcome.seconds:.1f} s). The previous snapshot stays current.")
    for problem in outcome.problems:
        print(f"  - {problem}", file=sys.stderr)
    print(f"  Full log: {outcome.log}", file=sys.stderr)
    return 1


# --- generate, sql, demo, ui ------------------------------------------------------------------------


def generate_command(args: argparse.Namespace) -> int:
    from orchestration.synthetic import Messiness, generate_export

    messiness = Messiness.none() if args.clean else Messiness()
    started = time.monotonic()
    export = generate_export(Path(args.out), patients=args.patients, seed=args.seed, messiness=messiness)
    total = sum(export.rows.values())
    _say(f"Wrote export {export.export_id} to {export.path} in {time.monotonic() - started:.1f} s")
    for path, rows in export.rows.items():
        bad = export.injected.get(path, 0)
        _say(f"  {path:<24} {rows:>10,} rows" + (f"  ({bad} deliberately bad)" if bad else ""))
    _say(f"  {'total':<24} {total:>10,} rows")
    return 0


def sql_command(args: argparse.Namespace) -> int:
    import duckdb

    paths = WarehousePaths.from_env()
    database = paths.current_database
    if not database.exists():
        return _fail(f"nothing is published yet in {paths.home}: run `warehouse demo` or `warehouse refresh` first", 2)
    try:
        with duckdb.connect(str(database.resolve()), read_only=True) as con:
            frame = con.execute(args.query).df()
    except duckdb.Error as error:
        return _fail(str(error).splitlines()[0], 2)
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    else:
        import pandas as pd

        with pd.option_context("display.max_rows", 200, "display.max_columns", 50, "display.width", 200):
            _say(frame.to_string(index=False) if len(frame) else "(no rows)")
    return 0


def demo_command(args: argparse.Namespace) -> int:
    from orchestration.summary import endpoint_summary
    from orchestration.synthetic import generate_export

    paths = WarehousePaths.from_env().ensure()
    _say(f"Generating a synthetic export ({args.patients} patients, seed {args.seed})")
    export = generate_export(paths.home / "exports" / f"demo-s{args.seed}-n{args.patients}", patients=args.patients, seed=args.seed)
    _say(f"  {export.export_id}: {sum(export.rows.values()):,} rows in {len(export.rows)} files")
    _say(f"Refreshing the warehouse in {paths.home}")
    outcome = run_refresh(paths, export.path)
    status = _report_refresh(paths, outcome)
    if status == 0:
        _say("")
        _say(endpoint_summary(paths.current_database))
        if paths.current_report.exists():
            _say(f"\nReport: {paths.current_report}")
    return status


def ui_command(args: argparse.Namespace) -> int:
    paths = WarehousePaths.from_env()
    prepare_environment(paths)
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster if dagster.exists() else "dagster"), "dev", "-m", "orchestration.definitions",
               "--host", args.host, "--port", str(args.port)]
    _say(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})")
    os.chdir(REPO_ROOT)
    os.execv(command[0], command)
    return 0  # not reached


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warehouse",
        description="LEN+SIRT trial warehouse: exports in, ADaM tables, endpoints and a published snapshot out.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="generate a synthetic export, refresh, print the endpoint summary")
    demo.add_argument("--patients", type=int, default=78)
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED)
    demo.set_defaults(handler=demo_command)

    generate = commands.add_parser("generate", help="write a synthetic export in the input contract")
    generate.add_argument("--out", required=True, help="folder to write the export into")
    generate.add_argument("--patients", type=int, default=78)
    generate.add_argument("--seed", type=int, default=DEFAULT_SEED)
    generate.add_argument("--clean", action="store_true", help="no deliberate messiness")
    generate.set_defaults(handler=generate_command)

    refresh = commands.add_parser("refresh", help="load an export and publish a new snapshot (exit 0 only when published)")
    refresh.add_argument("--export", help="export folder; default: newest complete export in WAREHOUSE_HOME/landing")
    refresh.add_argument("--cutoff", help="data cut-off date YYYY-MM-DD (default: the export date)")
    refresh.add_argument("--profile", help="study profile: lensirt (default) or pharmaverse")
    refresh.add_argument("--config", type=Path, help="YAML file of study parameters")
    refresh.set_defaults(handler=refresh_command)

    sql = commands.add_parser("sql", help="read-only SQL on the current snapshot")
    sql.add_argument("query")
    sql.add_argument("--format", choices=("table", "csv"), default="table")
    sql.set_defaults(handler=sql_command)

    ui = commands.add_parser("ui", help="start the Dagster UI (dagster dev) on this warehouse")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=ui_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except ValueError as error:  # configuration mistakes (unknown profile, bad dates)
        return _fail(str(error), 2)


if __name__ == "__main__":
    sys.exit(main())
