"""The `warehouse` command: parses the arguments and calls (SPEC section 8).

Each command calls the module that owns what it does: `refresh` (running and reporting a refresh,
the Dagster UI), `publishing.snapshot` (which snapshot to read, the list of snapshots),
`sql_output` (queries and their text), `changes.views`, `summary` and the generator."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import sys
import time
from pathlib import Path

# Only light modules at the top: `warehouse sql` must answer in a fraction of a second, so Dagster,
# pandas and the generator are imported by the commands that need them.
from orchestration.refresh import print_outcome, run_refresh, start_dagster_ui
from orchestration.settings import DEFAULT_SEED, DEMO_PATIENTS, WarehousePaths


def _say(message: str = "") -> None:
    print(message, flush=True)


def _fail(message: str, status: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr, flush=True)
    return status


def refresh_command(args: argparse.Namespace) -> int:
    paths = WarehousePaths.from_env()
    if args.export and not Path(args.export).is_dir():
        return _fail(f"export folder {args.export} does not exist", 2)
    if args.export and not args.force:
        from orchestration.publishing.snapshot import unchanged_since_published

        snapshot = unchanged_since_published(paths, Path(args.export), args.cutoff, args.profile, args.config)
        if snapshot is not None:
            _say(
                f"Export {Path(args.export).name} is unchanged since snapshot {snapshot} (same files, study "
                "parameters and code): nothing to do. Use --force to rebuild it anyway."
            )
            return 0
    _say(f"Refreshing the warehouse in {paths.home}")
    return _refresh(paths, Path(args.export) if args.export else None, args.cutoff, args.profile, args.config)


def _refresh(
    paths: WarehousePaths,
    export: Path | None,
    cutoff: str | None = None,
    profile: str | None = None,
    config: Path | None = None,
) -> int:
    from orchestration import worker

    worker.start()  # Great Expectations and the statistics are imported on the other core
    try:
        outcome = run_refresh(paths, export, cutoff, profile, config)
    finally:
        worker.stop()
    print_outcome(paths, outcome)
    return 0 if outcome.published else 1


# --- generate, sql, demo, ui ------------------------------------------------------------------------


def generate_command(args: argparse.Namespace) -> int:
    from orchestration.synthetic.generator import Messiness, generate_export

    started = time.monotonic()
    if args.follow_up_of:
        from orchestration.synthetic.follow_up import describe_follow_up, write_follow_up

        follow_up = write_follow_up(Path(args.follow_up_of), Path(args.out), days=args.days, seed=args.seed)
        _say(f"Wrote export {follow_up.export_id} to {follow_up.path} in {time.monotonic() - started:.1f} s")
        _say(describe_follow_up(follow_up))
        return 0
    messiness = Messiness.none() if args.clean else Messiness()
    export = generate_export(Path(args.out), patients=args.patients, seed=args.seed, messiness=messiness)
    _say(f"Wrote export {export.export_id} to {export.path} in {time.monotonic() - started:.1f} s")
    _say(export.describe())
    return 0


def sql_command(args: argparse.Namespace) -> int:
    from orchestration.publishing.snapshot import NoSnapshot, snapshot_database
    from orchestration.sql_output import QueryError, run_query, write_result

    try:
        columns, rows = run_query(snapshot_database(WarehousePaths.from_env(), args.snapshot), args.query)
    except (NoSnapshot, QueryError) as error:
        return _fail(str(error), 2)
    write_result(sys.stdout, columns, rows, args.format, args.max_rows)
    return 0


def changes_command(args: argparse.Namespace) -> int:
    import duckdb

    from orchestration.changes.records import published_export_id
    from orchestration.changes.views import changes_text
    from orchestration.publishing.snapshot import NoSnapshot, current_snapshot, snapshot_database

    paths = WarehousePaths.from_env()
    try:
        database = snapshot_database(paths)
    except NoSnapshot as error:
        return _fail(str(error), 2)
    with duckdb.connect(str(database), read_only=True) as con:
        _say(changes_text(con, published_export_id(current_snapshot(paths)) or "?", args.since))
    return 0


def queries_command(args: argparse.Namespace) -> int:
    import duckdb

    from orchestration.changes.records import published_export_id
    from orchestration.changes.views import WORK_LIST_STATUSES, query_list
    from orchestration.publishing.snapshot import NoSnapshot, current_snapshot, snapshot_database
    from orchestration.sql_output import write_result

    paths = WarehousePaths.from_env()
    try:
        database = snapshot_database(paths)
    except NoSnapshot as error:
        return _fail(str(error), 2)
    statuses = [s.strip().upper() for given in args.status or [] for s in given.split(",") if s.strip()]
    with duckdb.connect(str(database), read_only=True) as con:
        columns, rows = query_list(
            con, statuses or WORK_LIST_STATUSES, resolved_by=published_export_id(current_snapshot(paths))
        )
    write_result(sys.stdout, columns, rows, args.format, args.max_rows)
    return 0


def snapshots_command(args: argparse.Namespace) -> int:
    from orchestration.publishing.snapshot import snapshot_listing

    _say(snapshot_listing(WarehousePaths.from_env()))
    return 0


def submission_command(args: argparse.Namespace) -> int:
    from orchestration.publishing.snapshot import current_snapshot
    from orchestration.publishing.submission.package import export_submission

    paths = WarehousePaths.from_env()
    snapshot = current_snapshot(paths)
    if snapshot is None:
        return _fail(f"nothing is published yet in {paths.home}: run `warehouse demo` or `warehouse refresh` first")
    out = Path(args.out) if args.out else paths.home / "submission" / snapshot.name
    try:
        _say(export_submission(snapshot, out.resolve()))
    except (FileNotFoundError, OSError) as error:
        return _fail(str(error))
    return 0


def demo_command(args: argparse.Namespace) -> int:
    from orchestration.publishing.snapshot import unchanged_since_published
    from orchestration.summary import endpoint_summary
    from orchestration.synthetic.generator import generate_export

    paths = WarehousePaths.from_env().ensure()
    _say(f"Generating a synthetic export ({args.patients} patients, seed {args.seed})")
    export = generate_export(
        paths.home / "exports" / f"demo-s{args.seed}-n{args.patients}", patients=args.patients, seed=args.seed
    )
    _say(f"  {export.export_id}: {sum(export.rows.values()):,} rows in {len(export.rows)} files")
    snapshot = unchanged_since_published(paths, export.path)
    if snapshot is not None:
        _say(f"Export {export.export_id} is already published, unchanged, in snapshot {snapshot}: nothing to rebuild.")
        status = 0
    else:
        _say(f"Refreshing the warehouse in {paths.home}")
        status = _refresh(paths, export.path)
    if status == 0:
        _say("")
        _say(endpoint_summary(paths.current_database))
        if paths.current_report.exists():
            _say(f"\nReport: {paths.current_report}")
    return status


def ui_command(args: argparse.Namespace) -> int:
    start_dagster_ui(WarehousePaths.from_env(), args.host, args.port)
    return 0  # not reached: the process is now `dagster dev`


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a default only where there is one worth saying."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or action.default is argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


class _VersionAction(argparse.Action):
    """`--version`: the code version (package and git commit), worked out only when asked for."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs) -> None:  # noqa: ANN003
        super().__init__(
            option_strings,
            dest,
            nargs=0,
            default=argparse.SUPPRESS,
            help="print the code version (package and git commit) and exit",
        )

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001
        from orchestration.version import code_version

        print(f"{parser.prog} {code_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    formatter = _HelpFormatter
    parser = argparse.ArgumentParser(
        prog="warehouse",
        description="LEN+SIRT trial warehouse: exports in, ADaM tables, endpoints and a published snapshot out. "
        "Everything is written below WAREHOUSE_HOME (default: .warehouse in the repository).",
        formatter_class=formatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str, handler) -> argparse.ArgumentParser:  # noqa: ANN001
        sub = commands.add_parser(name, help=help_text, description=help_text, formatter_class=formatter)
        sub.set_defaults(handler=handler)
        return sub

    demo = command("demo", "generate a synthetic export, refresh, print the endpoint summary", demo_command)
    demo.add_argument("--patients", type=int, default=DEMO_PATIENTS, help="patients in the synthetic trial")
    demo.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="random seed (the same seed writes the same export)"
    )

    generate = command("generate", "write a synthetic export in the input contract", generate_command)
    generate.add_argument("--out", required=True, help="folder to write the export into")
    generate.add_argument("--patients", type=int, default=DEMO_PATIENTS, help="patients in the synthetic trial")
    generate.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="random seed (the same seed writes the same export)"
    )
    generate.add_argument(
        "--clean", action="store_true", help="no deliberate messiness (bad rows, partial dates, encodings)"
    )
    generate.add_argument(
        "--follow-up-of", metavar="DIR", help="write the export that follows this one (same trial, later cut-off)"
    )
    generate.add_argument(
        "--days", type=int, default=30, help="with --follow-up-of: days from its cut-off to the new one"
    )

    refresh = command(
        "refresh", "load an export and publish a new snapshot (exit 0 only when published)", refresh_command
    )
    refresh.add_argument(
        "--export", help="export folder; default: the newest complete export in WAREHOUSE_HOME/landing"
    )
    refresh.add_argument("--cutoff", help="data cut-off date YYYY-MM-DD; default: the study's, else the export date")
    refresh.add_argument("--profile", help="study profile: lensirt or pharmaverse; default: lensirt")
    refresh.add_argument("--config", type=Path, help="YAML file of study parameters overriding the profile")
    refresh.add_argument(
        "--force", action="store_true", help="rebuild even when the export is already published unchanged"
    )

    sql = command("sql", "read-only SQL on the current snapshot (or an older one)", sql_command)
    sql.add_argument("query", help='e.g. "SELECT TRT01P, count(*) FROM adam.adsl GROUP BY 1"')
    sql.add_argument(
        "--format",
        choices=("table", "csv"),
        default="table",
        help="table for reading, csv for a spreadsheet (NULL is empty)",
    )
    sql.add_argument(
        "--snapshot", metavar="ID", help="query this snapshot (id or unique prefix; see `warehouse snapshots`)"
    )
    sql.add_argument("--max-rows", type=int, default=200, help="rows shown in table format (csv writes all)")

    command("snapshots", "list the published snapshots, the current one marked", snapshots_command)

    submission = command(
        "submission",
        "copy the current snapshot's submission package (XPORT, Dataset-JSON, define.xml) to a folder",
        submission_command,
    )
    submission.add_argument("--out", help="folder to copy it to; default: WAREHOUSE_HOME/submission/<snapshot id>")

    changes = command(
        "changes", "what changed since the previous export: records per file, endpoints, queries", changes_command
    )
    changes.add_argument("--since", metavar="EXPORT_ID", help="every comparison back to this earlier export")

    queries = command("queries", "the data queries to work through (new, open, reopened)", queries_command)
    queries.add_argument(
        "--status",
        action="append",
        metavar="STATUS",
        help="NEW, OPEN, RESOLVED (by the current export) or REOPENED; repeat or comma-separate; "
        "default: NEW,OPEN,REOPENED",
    )
    queries.add_argument("--format", choices=("table", "csv"), default="table", help="csv opens in a spreadsheet")
    queries.add_argument("--max-rows", type=int, default=200, help="rows shown in table format (csv writes all)")

    ui = command("ui", "start the Dagster UI (dagster dev) on this warehouse", ui_command)
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on")
    ui.add_argument("--port", type=int, default=3000, help="port to listen on")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except ValueError as error:  # configuration mistakes (unknown profile, bad dates)
        return _fail(str(error), 2)
    except BrokenPipeError:  # the reader went away (`warehouse changes | head`): stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes stdout again at exit
        return 141


def run() -> None:
    """The `warehouse` console script: `main`, then `exit_now`."""
    exit_now(main())


def exit_now(status: int) -> None:
    """Exit without tearing the interpreter down. After a refresh, freeing the objects of Dagster,
    dbt and pandas one by one took 1.4 s of a 20-second refresh; the exit handlers still run and
    the output is flushed, and every file and database the command wrote is closed by then."""
    atexit._run_exitfuncs()  # logging's flush among them
    with contextlib.suppress(BrokenPipeError):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    run()
