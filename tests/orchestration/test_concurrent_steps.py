"""The refresh job's executor (orchestration/concurrent_steps.py): a step waiting for the worker
lets another step run; otherwise one step at a time; a step that runs alone runs alone; a failed
step still stops what is downstream of it and nothing else."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import dagster as dg
import pytest
from dagster._utils import interrupts

from orchestration import worker
from orchestration.concurrent_steps import RUNS_ALONE, concurrent_steps_executor

LOG: list[tuple[str, str, float]] = []  # (step, what, when)
BOTH_WAITING = threading.Barrier(2, timeout=20)


class FakeWorker:
    """A worker whose reply comes only once both steps are waiting for one: the test's proof that
    the second step ran while the first waited."""

    def ask(self, module: str, function: str, *args: Any) -> tuple[bool, Any]:
        BOTH_WAITING.wait()
        return True, f"{function} computed"


def _log(step: str, what: str) -> None:
    LOG.append((step, what, time.monotonic()))


def _step(name: str, deps: list[str], *, waits: bool = False, fails: bool = False, alone: bool = False) -> Any:
    @dg.asset(name=name, deps=deps, op_tags={RUNS_ALONE: "true"} if alone else None)
    def _asset() -> None:
        _log(name, "start")
        time.sleep(0.05)  # long enough for another step in its turn to show up in the log
        if waits:
            _log(name, "waits")
            worker.call("statistics", name)
            _log(name, "replied")
        if fails:
            raise RuntimeError(f"{name} failed")
        _log(name, "end")

    return _asset


defs = dg.Definitions(
    assets=[
        _step("ingest", []),
        _step("report", ["ingest"], waits=True),
        _step("tables", ["ingest"], waits=True),
        _step("conformance", ["ingest"]),
        _step("snapshot", ["report", "tables", "conformance"], alone=True),
    ],
    jobs=[dg.define_asset_job("refresh", executor_def=concurrent_steps_executor)],
)
FAILING = [
    _step("ingest", []),
    _step("broken", ["ingest"], fails=True),
    _step("after_broken", ["broken"]),
    _step("elsewhere", ["ingest"]),
]
failing_defs = dg.Definitions(
    assets=FAILING, jobs=[dg.define_asset_job("refresh", executor_def=concurrent_steps_executor)]
)
failing_defs_in_process = dg.Definitions(
    assets=FAILING, jobs=[dg.define_asset_job("refresh", executor_def=dg.in_process_executor)]
)


class InterruptedWorker:
    """A worker that replies only after the run was interrupted (Ctrl-C) while both steps waited."""

    def ask(self, module: str, function: str, *args: Any) -> tuple[bool, Any]:
        if BOTH_WAITING.wait() == 0:  # one of the two waiting steps presses Ctrl-C, as it were
            interrupts._received_interrupt["received"] = True
        time.sleep(0.5)  # the run's thread sees it within 0.1 s
        return True, f"{function} computed"


def refresh_job() -> dg.JobDefinition:
    return defs.resolve_job_def("refresh")


def failing_job() -> dg.JobDefinition:
    return failing_defs.resolve_job_def("refresh")


def failing_job_in_process() -> dg.JobDefinition:
    return failing_defs_in_process.resolve_job_def("refresh")


@pytest.fixture
def fake_worker(monkeypatch) -> Iterator[None]:
    LOG.clear()
    BOTH_WAITING.reset()
    monkeypatch.setattr(worker, "active", lambda: FakeWorker())
    yield


def _run(job: Any) -> dg.ExecutionResult:
    with dg.instance_for_test() as instance:
        return dg.execute_job(dg.reconstructable(job), instance)


def _intervals(*whats: str) -> dict[str, tuple[float, float]]:
    """step -> (start, end) of what it did in its turn: from start (or replied) to waits (or end)."""
    spans: dict[str, list[tuple[float, float]]] = {}
    opened: dict[str, float] = {}
    for step, what, when in LOG:
        if what in ("start", "replied"):
            opened[step] = when
        elif what in ("waits", "end"):
            spans.setdefault(step, []).append((opened.pop(step), when))
    return {step: (min(a for a, _ in s), max(b for _, b in s)) for step, s in spans.items()}


def test_the_second_step_runs_while_the_first_waits_for_the_worker(fake_worker):
    result = _run(refresh_job)
    assert result.success  # the fake worker replies only once report and tables both wait for it
    whats = [(step, what) for step, what, _ in LOG]
    assert whats.index(("report", "waits")) < whats.index(("tables", "start")) or whats.index(
        ("tables", "waits")
    ) < whats.index(("report", "start"))


def test_outside_the_wait_steps_take_turns(fake_worker):
    assert _run(refresh_job).success
    in_turn = 0
    most = 0
    for _, what, _ in LOG:
        in_turn += 1 if what in ("start", "replied") else -1 if what in ("waits", "end") else 0
        most = max(most, in_turn)
    assert most == 1


def test_a_step_that_runs_alone_starts_after_every_other_step_ended(fake_worker):
    assert _run(refresh_job).success
    snapshot_start = next(when for step, what, when in LOG if step == "snapshot" and what == "start")
    others_end = max(when for step, what, when in LOG if step != "snapshot" and what == "end")
    assert snapshot_start > others_end


def _step_events(result: dg.ExecutionResult) -> set[tuple[str | None, str]]:
    return {(event.step_key, event.event_type_value) for event in result.all_events if event.step_key}


def test_a_failed_step_stops_its_downstream_steps_only_as_in_dagsters_executor(fake_worker):
    result = _run(failing_job)
    assert not result.success
    assert {step for step, what, _ in LOG if what == "end"} == {"ingest", "elsewhere"}
    assert ("broken", "STEP_FAILURE") in _step_events(result)
    assert not {event for event in _step_events(result) if event[0] == "after_broken" and event[1] == "STEP_START"}
    LOG.clear()
    assert _step_events(result) == _step_events(_run(failing_job_in_process))


def test_an_interrupted_run_stops_its_steps_at_their_next_turn_and_starts_no_other(monkeypatch):
    LOG.clear()
    BOTH_WAITING.reset()
    monkeypatch.setattr(worker, "active", lambda: InterruptedWorker())
    try:
        result = _run(refresh_job)
    finally:
        interrupts.pop_captured_interrupt()
        worker.stop_steps(False)
    assert not result.success
    whats = {(step, what) for step, what, _ in LOG}
    assert ("report", "waits") in whats and ("tables", "waits") in whats
    assert not {(step, what) for step, what in whats if what == "replied"}  # stopped on their way back
    assert not {step for step, _ in whats} - {"ingest", "report", "tables", "conformance"}  # no snapshot
    assert result.dagster_run.status == dg.DagsterRunStatus.FAILURE
