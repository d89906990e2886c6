"""dbt in the refresh's own process.

dagster-dbt's `DbtCliResource.cli` runs dbt as a child process. Before the child's first line it
runs a third Python for `dbt --version` (1.7 s here) and opens a handle on the dbt adapter that only
its row-count and column-metadata helpers use (we use neither); then the child imports dbt again
(1.6 s). At the real study's size that start-up cost more than dbt's own work.

`InProcessDbtResource` runs the same `dbt build` with dbt's programmatic entry point (`dbtRunner`)
on a thread of this process. Its events reach dagster-dbt as the JSON lines `dbt --log-format json`
prints at info level, so every model and test result becomes the same Dagster event as before,
and the selection of a subsetted run (a data manager materialising part of the graph in the UI) is
computed by dagster-dbt's own helpers. An orphaned dbt can no longer outlive a killed refresh:
there is no second process.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject
from dagster_dbt.asset_utils import extract_runtime_selection_from_args, get_updated_cli_invocation_params_for_context
from dagster_dbt.dagster_dbt_translator import DagsterDbtTranslator, validate_opt_translator
from packaging import version

from orchestration.dbt_replay import RecordedRuns, Recorder


class _Lines:
    """The stdout of `DbtThread`: JSON lines until dbt has finished."""

    def __init__(self, lines: queue.SimpleQueue[bytes | None]) -> None:
        self._lines = lines
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        while (line := self._lines.get()) is not None:
            yield line
        self.closed = True

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *_: object) -> None:
        self.closed = True


class DbtThread:
    """Stands in for dbt's process in `DbtCliInvocation`: dbtRunner on a thread of this process,
    its events on `stdout` as JSON lines, `returncode` as dbt's command line would exit (0 success,
    1 a node failed, 2 dbt itself failed)."""

    def __init__(self, args: Sequence[str], recorder: Recorder | None = None) -> None:
        self.args = ["dbt", *args]
        self._recorder = recorder
        self.returncode: int | None = None
        self._lines: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.stdout = _Lines(self._lines)
        # A daemon: an interrupted refresh exits without waiting for dbt's last node.
        self._thread = threading.Thread(target=self._run, name="dbt", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from dbt.cli.main import dbtRunner
        from dbt_common.events.base_types import EventMsg
        from dbt_common.events.functions import msg_to_dict

        recorder = self._recorder

        def forward(event: EventMsg) -> None:
            if recorder is not None and event.info.name in ("SQLQuery", "NodeStart"):
                recorder.see(event.info.name, event)
            if event.info.level != "debug":  # what `dbt --log-format json` prints at info level
                line = msg_to_dict(event)
                if recorder is not None:
                    recorder.result(line)
                self._lines.put(orjson.dumps(line))

        try:
            with _statements_to(recorder):
                result = dbtRunner(callbacks=[forward]).invoke(self.args[1:])
            self.returncode = 0 if result.success else 2 if result.exception is not None else 1
            if self.returncode == 0 and recorder is not None:
                recorder.save()
            if result.exception is not None:
                self._lines.put(_error_line(f"dbt failed: {result.exception}"))
        except BaseException as error:  # noqa: BLE001 - reported as dbt's error, as the child's exit would be
            self.returncode = 2
            self._lines.put(_error_line(f"dbt failed: {error!r}"))
        finally:
            _release_database()
            self._lines.put(None)

    def wait(self, timeout: float | None = None) -> int:
        self._thread.join(timeout)
        return 2 if self.returncode is None else self.returncode

    def send_signal(self, _signal: int) -> None:
        """An interrupted run: dbt has no way to stop a thread; the daemon thread ends with the process."""


@contextmanager
def _statements_to(recorder: Recorder | None) -> Iterator[None]:
    """Every statement dbt-duckdb executes, handed to `recorder` as well while dbt runs."""
    if recorder is None:
        yield
        return
    from dbt.adapters.duckdb.environments.local import DuckDBCursorWrapper

    original = DuckDBCursorWrapper.execute

    def execute(self: DuckDBCursorWrapper, sql: str, bindings: object = None) -> Any:
        recorder.executed(sql, bindings)
        return original(self, sql, bindings)

    DuckDBCursorWrapper.execute = execute  # type: ignore[method-assign]
    try:
        yield
    finally:
        DuckDBCursorWrapper.execute = original  # type: ignore[method-assign]


class ReplayedRun:
    """Stands in for dbt's process when the run was replayed (orchestration/dbt_replay.py): its
    result lines, already complete, and a successful exit."""

    def __init__(self, args: Sequence[str], lines: Sequence[bytes]) -> None:
        self.args = ["dbt", *args]
        self.returncode = 0
        self._lines: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        for line in lines:
            self._lines.put(line)
        self._lines.put(None)
        self.stdout = _Lines(self._lines)

    def wait(self, timeout: float | None = None) -> int:
        return 0

    def send_signal(self, _signal: int) -> None:
        """Nothing is running."""


def _release_database() -> None:
    """Close every connection dbt opened. dbt-duckdb keeps its DuckDB database open for the life
    of the process; the refresh's next step opens the same file with its own settings, which DuckDB
    refuses while another configuration holds it."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.factory import reset_adapters

    reset_adapters()
    if DuckDBConnectionManager._ENV is not None:
        DuckDBConnectionManager._ENV.close()
        DuckDBConnectionManager._ENV = None


def _error_line(message: str) -> bytes:
    return orjson.dumps({"info": {"level": "error", "msg": message, "name": "WarehouseDbtError"}, "data": {}})


class InProcessDbtResource(DbtCliResource):
    """`DbtCliResource` whose `cli` runs dbt in this process (module docstring). Its
    `dbt_executable` is not run; dagster-dbt only requires that it exists."""

    @classmethod
    def for_project(cls, project: DbtProject) -> InProcessDbtResource:
        beside = Path(sys.executable).with_name("dbt")  # the venv's dbt, also without an activated venv
        return cls(project_dir=project, dbt_executable=str(beside) if beside.exists() else "dbt")

    def cli(  # type: ignore[override]
        self,
        args: Sequence[str],
        *,
        raise_on_error: bool = True,
        manifest: Mapping[str, Any] | None = None,
        dagster_dbt_translator: DagsterDbtTranslator | None = None,
        context: Any = None,
        target_path: Path | None = None,
        recorded: RecordedRuns | None = None,
    ) -> DbtCliInvocation:
        """`recorded`: replay the last run recorded with this run's key instead of running dbt,
        when there is one; else run dbt and record it (orchestration/dbt_replay.py)."""
        from dbt.version import __version__ as dbt_version

        translator = validate_opt_translator(dagster_dbt_translator) or DagsterDbtTranslator()
        cleaned, selects, excludes = extract_runtime_selection_from_args(args)
        params = get_updated_cli_invocation_params_for_context(
            context=context,
            manifest=manifest or {},
            dagster_dbt_translator=translator,
            runtime_selects=selects,
            runtime_excludes=excludes,
        )
        target_path = target_path or self._get_unique_target_path(context=context)
        project_dir = Path(params.dbt_project.project_dir if params.dbt_project else self.project_dir)
        if not target_path.is_absolute():
            target_path = project_dir / target_path
        dbt_args = [
            *self.global_config_flags,
            *cleaned,
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(self.profiles_dir or project_dir),
            "--target-path",
            str(target_path),
            "--log-path",
            str(target_path),
            "--log-format",
            "json",
            "--log-level",
            "none",  # the console: dagster-dbt writes each event to the step's output itself
            *(["--profile", self.profile] if self.profile else []),
            *(["--target", self.target] if self.target else []),
            *(["--indirect-selection", params.indirect_selection] if params.indirect_selection else []),
            *params.selection_args,
        ]
        process: DbtThread | ReplayedRun
        replayed = (
            recorded.replay_or_record(dbt_args, project_dir, target_path, params.manifest)
            if recorded is not None
            else None
        )
        if replayed is None or isinstance(replayed, Recorder):
            if context is not None:
                why = f" ({replayed.why})" if replayed is not None and replayed.why else ""
                context.log.info(f"Running dbt in this process{why}: dbt {' '.join(dbt_args)}")
            process = DbtThread(dbt_args, recorder=replayed)
        else:
            if context is not None:
                context.log.info(
                    "Replaying dbt's recorded run (same project, study parameters and database layout: its SQL "
                    f"statements and tests, without dbt's compilation): dbt {' '.join(dbt_args)}"
                )
            process = ReplayedRun(dbt_args, replayed.lines)
        return DbtCliInvocation(
            process=process,  # type: ignore[arg-type]
            manifest=params.manifest,
            dagster_dbt_translator=params.dagster_dbt_translator,
            project_dir=project_dir,
            target_path=target_path,
            raise_on_error=raise_on_error,
            context=context,
            adapter=None,
            cli_version=version.parse(dbt_version),
            project=params.dbt_project,
        )
