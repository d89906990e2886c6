"""Great Expectations in a second process, imported while the refresh starts.

Importing great_expectations costs about 2 s of one core, the largest single import of a refresh,
and the refresh's own process is busy on the other core importing Dagster and loading the raw
files. A refresh starts this worker first: it imports the library in parallel, then validates
the suites the refresh sends it (the DataFrame is read from DuckDB by the refresh, which holds
the database; the worker never opens it).

Without a worker (a suite run from a test, a worker that died) `validate_query` runs the suite in
the process that asks, exactly as the worker would. The worker ends when the refresh closes its
input, also when the refresh is killed.

Requests and replies are pickled tuples on the worker's standard input and a private copy of
its standard output (whatever the libraries print goes to standard error):
    ("plan", SuiteRef)                        -> ("ok", (columns read, checks column names))
    ("validate", DataFrame, name, SuiteRef)   -> ("ok", SuiteResult)
    anything that raised                      -> ("error", repr of the exception)
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from typing import Any

_ACTIVE: list[Worker] = []


class Worker:
    """The refresh's side of one worker process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "expectations.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._lock = threading.Lock()

    def ask(self, *request: Any) -> Any | None:
        """The worker's answer, or None when it failed (the caller then does the work itself)."""
        with self._lock:
            if self.process.poll() is not None:
                return None
            assert self.process.stdin is not None and self.process.stdout is not None
            try:
                pickle.dump(request, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                self.process.stdin.flush()
                status, reply = pickle.load(self.process.stdout)
            except (OSError, EOFError, pickle.UnpicklingError):
                self.process.kill()
                return None
        return reply if status == "ok" else None

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


def _serve() -> None:
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library's print must not reach the reply channel
    requests = sys.stdin.buffer

    import great_expectations  # noqa: F401 - the point of the worker: imported before the first request

    from expectations import plan, validate

    while True:
        try:
            kind, *payload = pickle.load(requests)
        except EOFError:
            return
        try:
            if kind == "plan":
                (ref,) = payload
                reply: tuple[str, Any] = ("ok", plan(ref.builder()))
            else:
                frame, name, ref = payload
                reply = ("ok", validate(frame, name, ref.builder()))
        except Exception as error:  # noqa: BLE001 - the refresh runs the suite itself and sees the error
            reply = ("error", repr(error))
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


if __name__ == "__main__":
    _serve()
