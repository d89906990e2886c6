"""A second process for the refresh's slow imports: Great Expectations and the statistics stack.

Importing great_expectations costs about 2 s of one core; scipy.stats, lifelines, statsmodels and
matplotlib another 1.2 s. A refresh starts this worker first (orchestration/cli.py): it imports
them on the other core while the refresh's own process imports Dagster and runs ingest and dbt,
which need none of them. The refresh then hands the work that needs them to the worker
(`call`): the Great Expectations suites, the statistics of the reporting tables, the CSR tables,
the report and the TLF files. The refresh reads the DataFrames from DuckDB and writes the results;
the worker never opens the database.

Without a worker (a test, a run in the Dagster UI, a worker that died) `call` runs the function in
the process that asks, exactly as the worker would; a function that raises in the worker is run
again here, so that its exception is raised where the step can report it. The worker ends when
the refresh closes its input, also when the refresh is killed.

Requests and replies are pickled tuples on the worker's standard input and a private copy of its
standard output (whatever the libraries print goes to standard error):
    (module, function, args)  -> ("ok", result, log records) | ("error", repr of the exception, log records)
Log records at WARNING and above that the function emitted are re-emitted in the refresh's process,
by the logger that emitted them.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import subprocess
import sys
import threading
from typing import Any

# Imported by the worker before its first request: the libraries that cost the refresh seconds.
FIRST = ("great_expectations", "expectations")
THEN = (
    "scipy.stats",
    "lifelines",
    "statsmodels.discrete.discrete_model",
    "matplotlib.figure",
    "analysis.efficacy",
    "analysis.report",
    "analysis.tlg.build",
    "analysis.tlg.files",
    "rtflite",  # the TLF files' RTF writer (with polars and its pydantic models: 0.25 s)
)

_ACTIVE: list[Worker] = []


class Worker:
    """The refresh's side of one worker process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._lock = threading.Lock()

    def ask(self, module: str, function: str, *args: Any) -> tuple[bool, Any]:
        """(True, `module.function(*args)` as the worker computed it), or (False, None) when the
        worker failed or the function raised there."""
        with self._lock:
            if self.process.poll() is not None:
                return False, None
            assert self.process.stdin is not None and self.process.stdout is not None
            try:
                pickle.dump((module, function, args), self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                self.process.stdin.flush()
                status, reply, records = pickle.load(self.process.stdout)
            except (OSError, EOFError, pickle.PicklingError, pickle.UnpicklingError, AttributeError, TypeError):
                self.process.kill()  # it may hold half a request or half a reply: never reused
                self.process.wait()
                return False, None
        if status != "ok":
            return False, None
        for name, level, message in records:
            logging.getLogger(name).log(level, "%s", message)
        return True, reply

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start() -> Worker:
    """Start the worker unless one runs already; `stop` ends it."""
    if not _ACTIVE:
        _ACTIVE.append(Worker())
    return _ACTIVE[0]


def stop() -> None:
    while _ACTIVE:
        _ACTIVE.pop().close()


def active() -> Worker | None:
    return _ACTIVE[0] if _ACTIVE else None


def _run_here(module: str, function: str, args: tuple[Any, ...]) -> Any:
    return getattr(importlib.import_module(module), function)(*args)


def call(module: str, function: str, *args: Any, here: bool = False) -> Any:
    """`module.function(*args)`: in the worker when one runs, else (or when it failed, or `here`:
    inputs too large to copy to it) in this process."""
    helper = None if here else active()
    if helper is not None:
        done, result = helper.ask(module, function, *args)
        if done:
            return result
    return _run_here(module, function, args)


class _Collect(logging.Handler):
    """The log records of the request being served, for the reply."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
        self.records.append((record.name, record.levelno, message))


def _warm_up() -> None:
    for module in THEN:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001, S112 - a request that needs it reports the error
            continue


def _serve() -> None:
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library's print must not reach the reply channel
    requests = sys.stdin.buffer
    for module in FIRST:  # the first requests (the raw files' suites) need these
        importlib.import_module(module)
    # The statistics are needed only after dbt: imported while the suites are served.
    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
    collect = _Collect()
    logging.getLogger().addHandler(collect)
    while True:
        try:
            module, function, args = pickle.load(requests)
        except EOFError:
            # The refresh is done with it: exit without tearing down what it imported (half a
            # second that the refresh would wait for in `stop`); every reply is already flushed.
            os._exit(0)
        collect.records = []
        try:
            reply: tuple[str, Any, list[tuple[str, int, str]]] = (
                "ok",
                _run_here(module, function, args),
                collect.records,
            )
        except Exception as error:  # noqa: BLE001 - the refresh runs the function itself and sees the error
            reply = ("error", repr(error), collect.records)
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


if __name__ == "__main__":
    _serve()
