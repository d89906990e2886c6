"""Readable progress for `warehouse refresh`: one line per step, asset and failed check.

Dagster's own console log is written for developers; a data manager running a refresh wants to
see which file is loading, how many rows were quarantined, and in plain words why a run stopped.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import dagster as dg


def _key(asset_key: Any) -> str:
    return "/".join(asset_key.path) if asset_key is not None else "?"


INTERRUPTED = "the refresh was interrupted (Ctrl-C or a stop request) before it published"


def _root_message(error: Any) -> str:
    """The innermost cause of a Dagster error, without the exception's class name."""
    while error is not None and getattr(error, "cause", None) is not None:
        error = error.cause
    if error is None:
        return "unknown error"
    if getattr(error, "cls_name", None) in ("DagsterExecutionInterruptedError", "KeyboardInterrupt"):
        return INTERRUPTED
    message = (error.message or "").strip().splitlines()[0] if error.message else ""
    prefix, sep, rest = message.partition(": ")
    return rest if sep and "." in prefix or prefix.endswith("Error") else message


class ProgressPrinter(logging.Handler):
    """Turns Dagster events into short lines and remembers why a run did not publish."""

    def __init__(self, enabled: bool = True, stream: Any = None, log: Any = None) -> None:
        super().__init__(level=logging.DEBUG)
        self.enabled = enabled
        self.stream = stream or sys.stdout
        self.log = log  # a text file that receives every Dagster message of the run, in full
        self.published = False
        self._problems: list[str] = []
        self._started: dict[str, float] = {}
        self.step_spans: dict[str, tuple[float, float]] = {}  # step key -> (start, end), in finishing order
        self._last_started: str | None = None  # the step the last lines belong to, if they all do

    def problems(self) -> tuple[str, ...]:
        return tuple(self._problems)

    def _finished(self, step_key: str) -> float:
        now = time.monotonic()
        started = self._started.get(step_key, now)
        self.step_spans[step_key] = (started, now)  # on the time.monotonic() clock
        return now - started

    def _line(self, text: str) -> None:
        if self.enabled:
            print(text, file=self.stream, flush=True)

    def emit(self, record: logging.LogRecord) -> None:  # called by Dagster's log manager
        if self.log is not None:
            stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
            self.log.write(f"{stamp} {record.levelname:<7} {record.getMessage()}\n")
            self.log.flush()
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is not None:
            self.event(event)

    def event(self, event: Any) -> None:
        kind = event.event_type_value
        data = event.event_specific_data
        if kind == "STEP_START":
            self._started[event.step_key] = time.monotonic()
            self._line(f"▸ {event.step_key}")
            # Steps overlap while one waits for the worker: a step's lines then name it.
            self._last_started = event.step_key if len(self._started) == len(self.step_spans) + 1 else None
        elif kind == "STEP_SUCCESS":
            seconds = self._finished(event.step_key)
            alone = self._last_started == event.step_key
            self._line(f"  done in {seconds:.1f} s" if alone else f"  {event.step_key} done in {seconds:.1f} s")
        elif kind == "ASSET_MATERIALIZATION":
            materialization = data.materialization
            key = _key(materialization.asset_key)
            metadata = materialization.metadata
            details = []
            for name, label in (("dagster/row_count", "rows"), ("quarantined_rows", "quarantined")):
                if name in metadata:
                    details.append(f"{metadata[name].value:,} {label}")
            self._line(f"  ✓ {key}" + (f" ({', '.join(details)})" if details else ""))
            if key == "published/snapshot":
                self.published = True
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = data
            if not evaluation.passed:
                key = _key(evaluation.asset_key)
                text = evaluation.description or ""
                first_line = text.splitlines()[0] if text else ""
                if getattr(evaluation.severity, "value", "ERROR") == "WARN":
                    self._line(f"  ⚠ check {evaluation.check_name} on {key} (warning, does not block): {first_line}")
                else:
                    self._problems.append(f"check {evaluation.check_name} failed on {key}: {text}")
                    self._line(f"  ✗ check {evaluation.check_name} on {key}: {first_line}")
        elif kind == "STEP_FAILURE":
            self._finished(event.step_key)
            message = _root_message(data.error)
            if "blocking asset check" in message:
                # the failed checks themselves were reported (and counted) as they were evaluated
                self._line(f"  ✗ {event.step_key} stopped by its failed blocking check")
                return
            self._problems.append(f"{event.step_key} failed: {message}")
            self._line(f"  ✗ {event.step_key} failed: {message}")
        elif kind in ("RESOURCE_INIT_FAILURE", "PIPELINE_FAILURE") and not self._problems:
            error = getattr(data, "error", None)
            message = _root_message(error) if error is not None else event.message or "the run failed"
            self._problems.append(message)
            self._line(f"  ✗ {message}")
        elif kind == "STEP_SKIPPED" or kind == "STEP_UP_FOR_RETRY":
            self._line(f"  - {event.step_key} skipped")


ACTIVE: dict[str, ProgressPrinter] = {}


@dg.logger(description="Concise progress lines for the `warehouse` command line.")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.Logger("warehouse.progress", level=logging.DEBUG)
    printer = ACTIVE.get("printer")
    if printer is not None:
        logger.addHandler(printer)
    return logger
