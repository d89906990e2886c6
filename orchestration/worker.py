"""A second process for the refresh's slow imports: Great Expectations and the statistics stack.

Importing great_expectations costs about 2 s of one core; scipy.stats, lifelines, statsmodels and
matplotlib another 1.2 s. A refresh starts this worker first (orchestration/cli.py): it imports
them on the other core while the refresh's own process imports Dagster and runs ingest and dbt,
which need none of them. The refresh then hands the work that needs them to the worker
(`call`): the Great Expectations suites, the statistics of the reporting tables, the CSR tables,
the report and the TLF files. The refresh reads the DataFrames from DuckDB and writes the results;
the worker never opens the database.

Once everything is imported, the worker forks a clone of itself that serves a second pair of
pipes, so two steps that wait for the worker (the report and the TLF files, say) are computed at
the same time on the two cores. While a step waits for a reply it hands its turn to run over to
another step of the run (`turn`, used by orchestration/concurrent_steps.py): apart from that wait,
the refresh's steps run one at a time.

Without a worker (a test, a run in the Dagster UI, a worker that died) `call` runs the function in
the process that asks, exactly as the worker would; a function that raises in the worker is run
again here, so that its exception is raised where the step can report it. The worker and its
clone end when the refresh closes their input, also when the refresh is killed.

Requests and replies are pickled tuples on the worker's standard input and a private copy of its
standard output, and on the clone's pair of pipes (whatever the libraries print goes to standard
error):
    (module, function, args)  -> ("ok", result, log records) | ("error", repr of the exception, log records)
Log records at WARNING and above that the function emitted are re-emitted in the refresh's process,
by the logger that emitted them.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pickle
import select
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

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

Reply = tuple[str, Any, list[tuple[str, int, str]]]


class _Channel:
    """One pair of pipes: requests to the worker (or its clone), replies from it."""

    def __init__(self, requests: IO[bytes], replies: IO[bytes]) -> None:
        self.requests = requests
        self.replies = replies

    def ask(self, request: tuple[str, str, tuple[Any, ...]]) -> Reply:
        pickle.dump(request, self.requests, protocol=pickle.HIGHEST_PROTOCOL)
        self.requests.flush()
        reply: Reply = pickle.load(self.replies)
        return reply

    def close(self) -> None:
        for stream in (self.requests, self.replies):
            with contextlib.suppress(OSError):
                stream.close()


class Worker:
    """The refresh's side of the worker process and its clone."""

    def __init__(self) -> None:
        clone_requests, to_clone = os.pipe()
        from_clone, clone_replies = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.worker", str(clone_requests), str(clone_replies)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            pass_fds=(clone_requests, clone_replies),
        )
        os.close(clone_requests)
        os.close(clone_replies)
        assert self.process.stdin is not None and self.process.stdout is not None
        self._channels = [
            _Channel(self.process.stdin, self.process.stdout),
            _Channel(os.fdopen(to_clone, "wb"), os.fdopen(from_clone, "rb")),
        ]
        self._free = [True] * len(self._channels)
        self._changed = threading.Condition()
        self._broken = False

    def ask(self, module: str, function: str, *args: Any) -> tuple[bool, Any]:
        """(True, `module.function(*args)` as the worker computed it), or (False, None) when the
        worker failed or the function raised there."""
        index = self._take()
        try:
            if self._broken or self.process.poll() is not None:
                return False, None
            try:
                status, reply, records = self._channels[index].ask((module, function, args))
            except (OSError, EOFError, pickle.PicklingError, pickle.UnpicklingError, AttributeError, TypeError):
                self._break()  # a pipe may hold half a request or half a reply: never reused
                return False, None
        finally:
            self._give(index)
        if status != "ok":
            return False, None
        for name, level, message in records:
            logging.getLogger(name).log(level, "%s", message)
        return True, reply

    def _take(self) -> int:
        """The worker's own channel if it is free, else the clone's, else the first to be free
        (a request to the clone waits in its pipe until the worker has forked the clone)."""
        with self._changed:
            while not any(self._free):
                self._changed.wait()
            index = self._free.index(True)
            self._free[index] = False
            return index

    def _give(self, index: int) -> None:
        with self._changed:
            self._free[index] = True
            self._changed.notify()

    def _break(self) -> None:
        self._broken = True
        self.process.kill()
        self.process.wait()
        for channel in self._channels:
            channel.close()  # the clone exits when its requests end

    def close(self) -> None:
        for channel in self._channels:
            with contextlib.suppress(OSError):
                channel.requests.close()  # each process exits when its requests end
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for channel in self._channels:
            channel.close()


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


_TURN = threading.Lock()
_HOLDS = threading.local()
_STOPPING = threading.Event()


@contextmanager
def turn() -> Iterator[None]:
    """Run a step of the refresh when no other step runs, or when the one that runs waits for the
    worker (the steps' DuckDB cursors share one database and the run's audit rows). Once the run
    is interrupted (`stop_steps`) a step that would start, or go on after the worker's reply,
    raises KeyboardInterrupt instead, as Ctrl-C does in a step of Dagster's own executor."""
    with _TURN:
        _raise_if_stopping()
        _HOLDS.turn = True
        try:
            yield
        finally:
            _HOLDS.turn = False


def stop_steps(stopping: bool = True) -> None:
    """The run was interrupted: no step starts, or goes on after the worker, any more (False: a
    new run)."""
    if stopping:
        _STOPPING.set()
    else:
        _STOPPING.clear()


def _raise_if_stopping() -> None:
    if _STOPPING.is_set():
        raise KeyboardInterrupt("the refresh was interrupted")


@contextmanager
def _turn_handed_over() -> Iterator[None]:
    """While this step waits for the worker, another step may run."""
    if not getattr(_HOLDS, "turn", False):
        yield
        return
    _HOLDS.turn = False
    _TURN.release()
    try:
        yield
    finally:
        _TURN.acquire()
        _HOLDS.turn = True
    _raise_if_stopping()


def _run_here(module: str, function: str, args: tuple[Any, ...]) -> Any:
    return getattr(importlib.import_module(module), function)(*args)


def call(module: str, function: str, *args: Any, here: bool = False) -> Any:
    """`module.function(*args)`: in the worker when one runs, else (or when it failed, or `here`:
    inputs too large to copy to it) in this process. The step hands its turn over while the worker
    computes; computing here, it keeps it (at 100,000 patients the CSR tables' frames, laid out
    here, and the submission package, written by the next step, would otherwise be in memory at
    once)."""
    helper = None if here else active()
    if helper is not None:
        with _turn_handed_over():
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


def _serve(clone_requests: int, clone_replies: int) -> None:
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library's print must not reach the reply channel
    requests = sys.stdin.buffer
    for module in FIRST:  # the first requests (the raw files' suites) need these
        importlib.import_module(module)
    # The statistics are needed only after dbt: imported while the suites are served.
    warm_up = threading.Thread(target=_warm_up, name="warm-up", daemon=True)
    warm_up.start()
    collect = _Collect()
    logging.getLogger().addHandler(collect)
    clone_pending = True
    while True:
        while clone_pending:
            if not warm_up.is_alive():
                # Between two requests, everything imported and no other thread running: the
                # clone serves the second pair of pipes, this process the first.
                clone_pending = False
                if os.fork() == 0:
                    replies.close()
                    requests = os.fdopen(clone_requests, "rb")
                    replies = os.fdopen(clone_replies, "wb")
                else:
                    os.close(clone_requests)
                    os.close(clone_replies)
            elif select.select([requests], [], [], 0.05)[0]:
                break  # a request (sent after the last reply was read: nothing of it is buffered)
        try:
            module, function, args = pickle.load(requests)
        except EOFError:
            # The refresh is done with it: exit without tearing down what it imported (half a
            # second that the refresh would wait for in `stop`); every reply is already flushed.
            os._exit(0)
        collect.records = []
        try:
            reply: Reply = ("ok", _run_here(module, function, args), collect.records)
        except Exception as error:  # noqa: BLE001 - the refresh runs the function itself and sees the error
            reply = ("error", repr(error), collect.records)
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))
