"""dbt's last run, run again without dbt when nothing dbt reads has changed.

At the real study's size dbt's own work is a fraction of a second of SQL, and the rest of its
step (seconds) is dbt's Python: parsing, compiling every node's Jinja, running the materialisation
macros, logging. That Python decides nothing new when the inputs of those decisions are the same as
last time. So the refresh records each successful `dbt build`: every SQL statement dbt sent to DuckDB,
node by node in the order dbt started them, with each node's result event. The next refresh with
the same **run key** executes those statements itself and reads each test's result row.

A warehouse keeps its own recordings, and also leaves a copy where every warehouse built from the
same checkout finds it (`settings.shared_dbt_recordings`): a new warehouse's first refresh asks
dbt for what every new warehouse's first refresh asked before, so it replays too.

The run key covers everything that steers what dbt sends: the dbt, dbt-duckdb and DuckDB versions,
the command line (selection and `--vars`), the environment dbt reads (`WAREHOUSE_*`, `DBT_*`, but
for the variables that only locate the database and dbt's logs), every
file of the dbt project, and the shape of the database before the run (each table and view with
its columns and their types: an incremental model asks for them, a materialisation asks whether its
relation exists). The data itself is not in the key: dbt's statements read it, they are not
written from it. A changed key means a real dbt run, which is then recorded.

A replay runs in one transaction. Its result events go to dagster-dbt as dbt's own would, so the
Dagster UI shows every model and every test with its outcome as before. If any test fails, or
any statement errors, the transaction is rolled back and nothing is reported: the real `dbt build`
runs and reports the failure in its own words, with its stop at the first failing test.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

PLAN_VERSION = 1
KEPT_PLANS = 4  # a full build and a few subset runs from the Dagster UI
RESULT_EVENTS = ("LogModelResult", "LogSeedResult", "LogSnapshotResult", "LogTestResult")
TEST_RESULT_COLUMNS = ["failures", "should_warn", "should_error"]
_TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}
# The per-run paths of the command line: not part of what dbt is asked to do.
_RUN_PATH_OPTIONS = {"--target-path", "--log-path"}
_PROJECT_SKIPPED = {"target", "logs", "__pycache__"}
# Variables that only locate things: the database (profiles.yml; the replay runs on the one it is
# given) and where dbt writes its logs and artifacts. A moved warehouse replays its runs.
_LOCATIONS = {"WAREHOUSE_HOME", "WAREHOUSE_DBT_RECORDINGS", "DBT_LOG_PATH", "DBT_TARGET_PATH"}
KEPT_SHARED_PLANS = 16  # the shared folder serves several warehouses and study profiles


# ---------------------------------------------------------------------------------------------
# The run key


def command_of(dbt_args: Sequence[str]) -> list[str]:
    """The command line without the per-run target and log folders."""
    kept: list[str] = []
    skip = False
    for arg in dbt_args:
        if skip:
            skip = False
        elif arg in _RUN_PATH_OPTIONS:
            skip = True
        else:
            kept.append(arg)
    return kept


def project_digest(project_dir: Path) -> str:
    """Every file of the dbt project (models, macros, tests, seeds, configuration), by path and content."""
    digest = hashlib.sha256()
    for folder, subfolders, files in os.walk(project_dir):
        subfolders[:] = sorted(d for d in subfolders if d not in _PROJECT_SKIPPED and not d.startswith("."))
        for name in sorted(files):
            path = Path(folder, name)
            digest.update(str(path.relative_to(project_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


SHAPE_SQL = """
    select 'database', current_database(), '', '', ''
    union all
    select 'relation', schema_name, table_name, 'table', '' from duckdb_tables()
    where database_name = current_database() and not internal and not temporary
    union all
    select 'relation', schema_name, view_name, 'view', '' from duckdb_views()
    where database_name = current_database() and not internal and not temporary
    union all
    select 'column', schema_name, table_name, column_name, data_type from duckdb_columns()
    where database_name = current_database() and not internal
    union all
    select 'schema', schema_name, '', '', '' from duckdb_schemas()
    where database_name = current_database() and not internal
    order by all
"""


def database_shape(con: duckdb.DuckDBPyConnection) -> str:
    """The database's name (dbt's statements name it), each schema, table and view with its
    columns and their types, as a digest."""
    return hashlib.sha256(orjson.dumps(con.execute(SHAPE_SQL).fetchall())).hexdigest()


# The parts of the run key, in words for the log when one of them has changed.
KEY_PARTS = {
    "plan": "the recording format",
    "versions": "the dbt, dbt-duckdb or DuckDB version",
    "command": "the dbt command (its selection or the study parameters)",
    "environment": "the environment dbt reads",
    "project": "the dbt project's files",
    "database": "the database's tables or columns",
}


def run_inputs(con: duckdb.DuckDBPyConnection, dbt_args: Sequence[str], project_dir: Path) -> dict[str, Any]:
    """What decides the statements of a `dbt build` (module docstring)."""
    from importlib.metadata import version

    environment = sorted(
        (k, v) for k, v in os.environ.items() if k.startswith(("WAREHOUSE_", "DBT_")) and k not in _LOCATIONS
    )
    return {
        "plan": PLAN_VERSION,
        "versions": [version("dbt-core"), version("dbt-duckdb"), duckdb.__version__],
        "command": command_of(dbt_args),
        "environment": environment,
        "project": project_digest(project_dir),
        "database": database_shape(con),
    }


def key_of(inputs: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(inputs)).hexdigest()[:24]


def run_key(con: duckdb.DuckDBPyConnection, dbt_args: Sequence[str], project_dir: Path) -> str:
    return key_of(run_inputs(con, dbt_args, project_dir))


def what_changed(before: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """The parts of the run key that differ, in words (an environment variable by name)."""
    before, now = orjson.loads(orjson.dumps(before)), orjson.loads(orjson.dumps(now))  # as saved: lists
    changed = []
    for part, words in KEY_PARTS.items():
        if before.get(part) == now.get(part):
            continue
        if part == "environment":
            old, new = dict(before.get(part) or []), dict(now.get(part) or [])
            names = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
            words = f"{words} ({', '.join(names)})"
        changed.append(words)
    return changed


# ---------------------------------------------------------------------------------------------
# Recording a real run


@dataclass
class Recorder:
    """Collects a real `dbt build`'s statements and results (called on dbt's threads).

    The statements are taken where dbt-duckdb executes them (`executed`), in full: dbt's SQLQuery
    log event abridges some (a seed's COPY). The event, fired on the same thread just before, says
    which node the statement belongs to, and the counts of both must agree for the run to be kept."""

    inputs: dict[str, Any]
    folder: Path
    target: Path  # dbt's target folder of this run, where it writes run_results.json
    shared: Path | None = None  # where the other warehouses of this checkout look too
    manifest: Mapping[str, Any] = field(default_factory=dict)  # for each test's severity
    started: list[str] = field(default_factory=list)
    statements: dict[str, list[str]] = field(default_factory=dict)
    logged: dict[str, int] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    why: str = ""  # why dbt runs instead of a replay, for the log
    replayable: bool = True
    _thread: threading.local = field(default_factory=threading.local)

    @property
    def key(self) -> str:
        return key_of(self.inputs)

    def see(self, name: str, event: Any) -> None:
        """dbt's SQLQuery and NodeStart events (protobuf messages, read without converting them)."""
        unique_id = event.data.node_info.unique_id
        if name == "SQLQuery":
            self._thread.node = unique_id
            self.logged[unique_id] = self.logged.get(unique_id, 0) + 1
        elif name == "NodeStart":
            self.started.append(unique_id)

    def executed(self, sql: str, bindings: object) -> None:
        # Values bound at run time are not in the statement; a statement that changes the
        # connection's or the database's state (SET, ATTACH, ...) would outlive the replay.
        if bindings is not None or _first_word(sql) in _SESSION_STATE:
            self.replayable = False
        node = getattr(self._thread, "node", "")
        if not node and self.started:  # no node's, once nodes have run: an on-run-end hook, say
            node = _AFTER_NODES
        self.statements.setdefault(node, []).append(sql)

    def result(self, line: Mapping[str, Any]) -> None:
        if line["info"]["name"] in RESULT_EVENTS:
            self.results[line["data"]["node_info"]["unique_id"]] = dict(line)

    def save(self) -> None:
        """Keep the run as the plan for its key, once dbt has succeeded and written run_results.json."""
        executed = {n: len(s) for n, s in self.statements.items()}
        executed[""] = executed.get("", 0) + executed.pop(_AFTER_NODES, 0)  # logged under no node either way
        if not self.replayable or any(executed.get(n, 0) != c for n, c in self.logged.items()):
            return
        compiled = {
            r["unique_id"]: r.get("compiled_code")
            for r in orjson.loads((self.target / "run_results.json").read_bytes())["results"]
        }
        nodes = []
        for unique_id in self.started:
            if unique_id not in self.results:  # started but never finished: not a run to repeat
                return
            config = (self.manifest.get("nodes", {}).get(unique_id) or {}).get("config", {})
            nodes.append(
                {
                    "unique_id": unique_id,
                    "statements": [s for s in self.statements.get(unique_id, []) if not _is_control(s)],
                    "result": self.results[unique_id],
                    "compiled_code": compiled.get(unique_id),
                    "severity": str(config.get("severity") or "error").upper(),
                }
            )
        plan = orjson.dumps(
            {
                "key": self.key,
                "inputs": self.inputs,
                "prelude": [s for s in self.statements.get("", []) if not _is_control(s)],
                "nodes": nodes,
                "epilogue": [s for s in self.statements.get(_AFTER_NODES, []) if not _is_control(s)],
            }
        )
        keep_plan(self.folder, self.key, plan, KEPT_PLANS)
        if self.shared is not None:
            try:
                keep_plan(self.shared, self.key, plan, KEPT_SHARED_PLANS)
            except OSError:  # a read-only checkout: this warehouse still has its own copy
                pass


def keep_plan(folder: Path, key: str, plan: bytes, kept: int) -> None:
    """Write the plan under its key (whole or not at all: other refreshes may read the folder at
    the same time), and drop all but the `kept` most recently used plans."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{key}.{uuid.uuid4().hex}.partial"
    partial.write_bytes(plan)
    partial.replace(folder / f"{key}.json")
    for old in newest_first(folder)[kept:]:
        old.unlink(missing_ok=True)


def newest_first(folder: Path | None) -> list[Path]:
    """The plans of a folder, the most recently used first (a plan may vanish meanwhile)."""
    if folder is None or not folder.is_dir():
        return []

    def used(plan: Path) -> float:
        try:
            return plan.stat().st_mtime
        except FileNotFoundError:
            return 0.0

    return sorted(folder.glob("*.json"), key=used, reverse=True)


_AFTER_NODES = "(after the nodes)"
_SESSION_STATE = {
    "set",
    "reset",
    "pragma",
    "attach",
    "detach",
    "use",
    "install",
    "load",
    "checkpoint",
    "export",
    "import",
}


def _first_word(sql: str) -> str:
    """The statement's first keyword, after dbt's leading comment(s), in lower case."""
    text = sql.lstrip()
    while text.startswith("/*") and "*/" in text:
        text = text[text.index("*/") + 2 :].lstrip()
    return text.split(maxsplit=1)[0].lower() if text else ""


def _is_control(statement: str) -> bool:
    return statement.strip().upper() in _TRANSACTION_CONTROL


# ---------------------------------------------------------------------------------------------
# Replaying it


class TestFailed(Exception):
    """A test of the replay failed: the real dbt run reports it."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _dbt_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


_TIMING = re.compile(r" in \d+(\.\d+)?s\]")


def _result_line(
    node: Mapping[str, Any], invocation_id: str, started: datetime, outcome: tuple[str, int] | None
) -> dict[str, Any]:
    """dbt's result event for the node, as this replay's: times, invocation, and a test's outcome."""
    finished = _now()
    seconds = (finished - started).total_seconds()
    event = orjson.loads(orjson.dumps(node["result"]))
    info, data = event["info"], event["data"]
    info.update(invocation_id=invocation_id, ts=finished.isoformat() + "Z", thread="replay")
    data["node_info"].update(node_started_at=_dbt_time(started), node_finished_at=_dbt_time(finished))
    data["execution_time"] = seconds
    info["msg"] = _TIMING.sub(f" in {seconds:.2f}s]", info.get("msg", ""))
    if outcome is not None:  # a test: pass, or a warning with its count
        status, failures = outcome
        data.update(status=status, num_failures=failures)
        data["node_info"]["node_status"] = status
        if status == "warn":
            info["msg"] = f"{data.get('index')} of {data.get('num_models')} WARN {failures} {data.get('name')}"
    return event


def _run_node(con: duckdb.DuckDBPyConnection, node: Mapping[str, Any]) -> tuple[str, int] | None:
    """Execute the node's statements; a test's status and failure count (None for a model or
    seed), decided as dbt decides it from the test query's row."""
    outcome = None
    for statement in node["statements"]:
        con.execute(statement)
        if con.description and [c[0] for c in con.description] == TEST_RESULT_COLUMNS:
            outcome = con.fetchone()
    if not node["unique_id"].startswith("test."):
        return None
    if outcome is None:
        raise TestFailed(f"{node['unique_id']}: no result row")
    failures, should_warn, should_error = outcome
    if should_error and node["severity"] == "ERROR":
        raise TestFailed(f"{node['unique_id']}: {failures} failing rows")
    return ("warn", int(failures)) if should_warn else ("pass", int(failures))


def replay(con: duckdb.DuckDBPyConnection, plan: Mapping[str, Any]) -> tuple[list[bytes], dict[str, Any]] | None:
    """Run the plan in one transaction: dbt's JSON result lines and run_results.json, or None
    (rolled back) when a test fails or a statement errors."""
    invocation_id = str(uuid.uuid4())
    begun = time.perf_counter()
    lines: list[bytes] = []
    results: list[dict[str, Any]] = []
    con.execute("begin transaction")
    try:
        for statement in plan["prelude"]:
            con.execute(statement)
        for node in plan["nodes"]:
            started = _now()
            outcome = _run_node(con, node)
            event = _result_line(node, invocation_id, started, outcome)
            lines.append(orjson.dumps(event))
            data = event["data"]
            results.append(
                {
                    "unique_id": node["unique_id"],
                    "status": data["node_info"]["node_status"],
                    "compiled_code": node["compiled_code"],
                    "failures": outcome[1] if outcome else None,
                    "execution_time": data["execution_time"],
                    "message": None,
                    "thread_id": "replay",
                    "timing": [],
                    "adapter_response": {},
                }
            )
        for statement in plan.get("epilogue", []):
            con.execute(statement)
        con.execute("commit")
    except (TestFailed, duckdb.Error):
        con.execute("rollback")
        return None
    run_results = {
        "metadata": {
            "dbt_schema_version": "replay",
            "generated_at": _now().isoformat() + "Z",
            "invocation_id": invocation_id,
        },
        "results": results,
        "elapsed_time": time.perf_counter() - begun,
        "args": {"replayed": plan["key"]},
    }
    return lines, run_results


@dataclass
class RecordedRuns:
    """The warehouse's recorded dbt runs (WAREHOUSE_HOME/dbt/recorded), those every warehouse of
    this checkout shares (`shared`; None: this warehouse's only), and its build database."""

    folder: Path
    connect: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]
    release: Callable[[], None]
    shared: Path | None = None

    def replay_or_record(
        self, dbt_args: Sequence[str], project_dir: Path, target: Path, manifest: Mapping[str, Any]
    ) -> Replayed | Recorder:
        """The replayed run when this run's key has a plan that replays cleanly (its
        run_results.json written to `target`); else a Recorder for the real dbt run, which says why."""
        with self.connect() as con:
            inputs = run_inputs(con, dbt_args, project_dir)
            found = self._plan(key_of(inputs))
            if found is not None:
                plan_file, plan = found
                replayed = replay(con, plan)
                if replayed is not None:
                    lines, run_results = replayed
                    target.mkdir(parents=True, exist_ok=True)
                    (target / "run_results.json").write_bytes(orjson.dumps(run_results))
                    with contextlib.suppress(OSError):  # a read-only shared folder, or the plan dropped
                        plan_file.touch()  # the most recently used plans are kept
                    return Replayed(lines)
                why = "its replay stopped (a test failed or a statement errored), so dbt runs to report it"
            else:
                why = self._why_not(inputs)
        self.release()  # dbt opens the build file with its own connection and settings
        return Recorder(
            inputs=inputs, folder=self.folder, target=target, manifest=manifest, why=why, shared=self.shared
        )

    def _plan(self, key: str) -> tuple[Path, dict[str, Any]] | None:
        """The plan recorded under the key, this warehouse's own first, then the shared one."""
        for folder in (self.folder, self.shared):
            if folder is None:
                continue
            plan_file = folder / f"{key}.json"
            try:
                return plan_file, orjson.loads(plan_file.read_bytes())
            except FileNotFoundError:  # not recorded, or dropped by another refresh just now
                continue
        return None

    def _why_not(self, inputs: Mapping[str, Any]) -> str:
        plans = newest_first(self.folder) or newest_first(self.shared)
        for plan in plans:
            try:
                last = orjson.loads(plan.read_bytes()).get("inputs") or {}
            except FileNotFoundError:
                continue
            changed = what_changed(last, inputs) or ["what dbt reads"]
            return "since the last recorded dbt run, " + "; ".join(changed) + " changed"
        return "no dbt run is recorded yet, in this warehouse or another of this checkout"


@dataclass
class Replayed:
    """A replayed run's result lines, for dagster-dbt."""

    lines: list[bytes]
