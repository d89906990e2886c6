"""The refresh job's executor: Dagster's in-process executor, except that a step waiting for the
worker process lets the next step run.

Dagster's in-process executor runs one step at a time. After dbt, a refresh's heaviest steps (the
report, the TLF files, the CSR tables, the Great Expectations suites and the statistics) spend
their time waiting for the worker process (orchestration/worker.py), which computes them on the
other core; meanwhile the refresh could be doing the next steps' reads, writes and Dagster
bookkeeping. Here each step runs in a thread of its own, at most `THREADS` at a time, and a step
runs only in its turn (`worker.turn`): one step at a time, except that a step waiting for the
worker's reply hands its turn over. So two steps never use the build database at the same time,
and which step follows which is still Dagster's plan: a step starts only when its upstream steps
have succeeded, a failed blocking check still stops what is downstream of it.

A step tagged `RUNS_ALONE` (dbt, which closes the run's database connection for dbt's own, and
the snapshot, which copies the build database and records every check evaluated before it) starts
only when no other step runs, and no step starts while it runs.

`concurrent_plan_iterator` is Dagster's `inner_plan_execution_iterator` with the steps in threads:
each step's events are produced in its thread, exactly as Dagster produces them for a step
(`dagster_event_sequence_for_step`), and the run's thread hands them on in the order they arrive
and updates the plan with them, as the in-process executor does.
"""

from __future__ import annotations

import ctypes
import os
import queue
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.events import DagsterEvent, EngineEventData
from dagster._core.execution.api import ExecuteRunWithPlanIterable
from dagster._core.execution.compute_logs import create_compute_log_file_key
from dagster._core.execution.context_creation_job import PlanExecutionContextManager
from dagster._core.execution.plan.execute_plan import (
    _handle_compute_log_setup_error,
    _handle_compute_log_teardown_error,
    _trigger_hook,
    dagster_event_sequence_for_step,
)
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.execution.retries import RetryMode, get_retries_config
from dagster._core.executor.in_process import InProcessExecutor

from orchestration import worker

THREADS = 3  # one step runs while the worker and its clone compute for two others
RUNS_ALONE = "warehouse/runs_alone"  # op tag: the step neither starts nor runs beside another

_DONE = object()


def _run_step(step_key: str, step_context: Any, events: queue.Queue[tuple[str, Any]]) -> None:
    try:
        with worker.turn():
            for event in dagster_event_sequence_for_step(step_context):
                events.put((step_key, event))
    except BaseException as error:  # noqa: BLE001 - handed to the run's thread, which raises it
        events.put((step_key, error))
    finally:
        _return_free_memory()
        events.put((step_key, _DONE))


def _return_free_memory() -> None:
    """Give the memory a finished step freed back to the system. glibc keeps what a thread freed in
    that thread's own arena, where no other thread's step reuses it: at 100,000 patients the CSR
    tables' frames, freed in one thread, kept the refresh 0.8 GB larger while the submission
    package was written in another."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc() -> Any:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 - glibc only (musl has none)
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()


def _runs_alone(step: Any) -> bool:
    return step.tags.get(RUNS_ALONE) == "true"


def concurrent_plan_iterator(
    job_context: Any, execution_plan: Any, instance_concurrency_context: Any = None
) -> Iterator[DagsterEvent]:
    compute_log_manager = job_context.instance.compute_log_manager
    step_keys = [step.key for step in execution_plan.get_steps_to_execute_in_topo_order()]
    with execution_plan.start(
        retry_mode=job_context.retry_mode,
        instance_concurrency_context=instance_concurrency_context,
        step_dependency_config=job_context.step_dependency_config,
    ) as active_execution:
        with ExitStack() as capture_stack:
            file_key = create_compute_log_file_key()
            log_key = compute_log_manager.build_log_key_for_run(job_context.run_id, file_key)
            try:
                log_context = capture_stack.enter_context(compute_log_manager.capture_logs(log_key))
                yield DagsterEvent.capture_logs(job_context, step_keys, log_key, log_context)
            except Exception:
                yield from _handle_compute_log_setup_error(job_context, sys.exc_info())

            events: queue.Queue[tuple[str, Any]] = queue.Queue()
            running: dict[str, tuple[Any, list[DagsterEvent]]] = {}
            waiting: list[Any] = []  # steps the plan gave to run, not started yet (one that runs alone waits here)
            stopping: BaseException | None = None  # the interrupt (or the error) that stops the run
            worker.stop_steps(False)
            while running or (stopping is None and (waiting or not active_execution.is_complete)):
                if stopping is None and active_execution.check_for_interrupts():
                    stopping = DagsterExecutionInterruptedError()
                    yield from _stop(job_context, active_execution, running, "received termination signal")
                alone = any(_runs_alone(context.step) for context, _ in running.values())
                if stopping is None and not waiting and not alone and len(running) < THREADS:
                    waiting = list(active_execution.get_steps_to_execute(limit=THREADS - len(running)))
                yield from active_execution.concurrency_event_iterator(job_context)
                while stopping is None and waiting and not alone and len(running) < THREADS:
                    if _runs_alone(waiting[0]) and running:
                        break
                    step = waiting.pop(0)
                    step_context = job_context.for_step(step, active_execution.get_known_state())
                    running[step.key] = (step_context, [])
                    alone = _runs_alone(step)
                    threading.Thread(
                        target=_run_step, args=(step.key, step_context, events), name=step.key, daemon=True
                    ).start()
                if not running:
                    if stopping is None:
                        active_execution.sleep_til_ready()
                    continue
                try:
                    step_key, event = events.get(timeout=0.1)  # and look for an interrupt between
                except queue.Empty:
                    continue
                step_context, step_events = running[step_key]
                if event is _DONE:
                    del running[step_key]
                    if stopping is None:
                        active_execution.verify_complete(job_context, step_key)
                        for plan_event in active_execution.plan_events_iterator(job_context):
                            step_events.append(plan_event)
                            yield plan_event
                    yield from _trigger_hook(step_context, step_events)
                elif isinstance(event, BaseException):
                    # An interrupted step, or an error of the executor itself (a step's own errors
                    # are failure events): the other running steps stop at their next turn.
                    if stopping is None:
                        stopping = event
                        yield from _stop(job_context, active_execution, running, f"step {step_key} stopped")
                else:
                    step_events.append(event)
                    yield event
                    active_execution.handle_event(event)
            if stopping is not None:
                raise stopping

            try:
                capture_stack.close()
            except Exception:
                yield from _handle_compute_log_teardown_error(job_context, sys.exc_info())


def _stop(job_context: Any, active_execution: Any, running: dict[str, Any], why: str) -> Iterator[DagsterEvent]:
    """No step starts any more; a running step stops when it would start its turn again (a step
    in the middle of its turn, a snapshot being published, finishes it)."""
    worker.stop_steps()
    active_execution.mark_interrupted()
    yield DagsterEvent.engine_event(
        job_context,
        f"Concurrent steps executor: {why} - stopping the running steps at their next turn",
        EngineEventData.interrupted(list(running)),
    )


def _plan_iterator(job_context: Any, execution_plan: Any) -> Iterator[DagsterEvent]:
    with InstanceConcurrencyContext(job_context.instance, job_context.dagster_run) as instance_concurrency:
        yield from concurrent_plan_iterator(job_context, execution_plan, instance_concurrency)


class ConcurrentStepsExecutor(InProcessExecutor):
    """`InProcessExecutor` whose steps run by `concurrent_plan_iterator`."""

    def execute(self, plan_context: Any, execution_plan: Any) -> Iterator[DagsterEvent]:
        step_keys = execution_plan.step_keys_to_execute
        yield DagsterEvent.engine_event(
            plan_context,
            f"Executing steps in process (pid: {os.getpid()}), {THREADS} at a time while one waits for the worker",
            event_specific_data=EngineEventData.in_process(os.getpid(), step_keys),
        )
        yield from iter(
            ExecuteRunWithPlanIterable(
                execution_plan=plan_context.execution_plan,
                iterator=_plan_iterator,
                execution_context_manager=PlanExecutionContextManager(
                    job=plan_context.job,
                    retry_mode=plan_context.retry_mode,
                    execution_plan=plan_context.execution_plan,
                    run_config=plan_context.run_config,
                    dagster_run=plan_context.dagster_run,
                    instance=plan_context.instance,
                    raise_on_error=plan_context.raise_on_error,
                    output_capture=plan_context.output_capture,
                    step_dependency_config=self.step_dependency_config,
                ),
            )
        )
        yield DagsterEvent.engine_event(
            plan_context,
            f"Finished steps in process (pid: {os.getpid()})",
            event_specific_data=EngineEventData.in_process(os.getpid(), step_keys),
        )


@dg.executor(name="concurrent_steps", config_schema={"retries": get_retries_config()})
def concurrent_steps_executor(init_context: dg.InitExecutorContext) -> ConcurrentStepsExecutor:
    """The steps of a run in this process, the next one starting while one waits for the worker."""
    return ConcurrentStepsExecutor(retries=RetryMode.from_config(init_context.executor_config["retries"]))
