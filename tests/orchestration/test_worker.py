"""The refresh's worker process (orchestration/worker.py) gives the answers the refresh's own
process would; a worker that fails leaves the work to the refresh's process instead of failing
the step."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator

import duckdb
import pandas as pd
import pytest

from expectations import SuiteRef, validate_query
from orchestration import worker
from orchestration.loading.contract import INPUT_FILES

DM = next(spec for spec in INPUT_FILES if spec.domain == "dm")
RAW_SUITE = SuiteRef("expectations.raw_files", (tuple(DM.column_names), DM.path, 3))


@pytest.fixture(scope="module")
def helper() -> Iterator[worker.Worker]:
    """One worker for the tests that leave it serving (each start imports Great Expectations)."""
    started = worker.start()
    yield started
    worker.stop()


@pytest.fixture
def own_worker(monkeypatch) -> Iterator[worker.Worker]:
    """A worker of the test's own, the active one while the test runs, for tests that break it."""
    own = worker.Worker()
    monkeypatch.setattr(worker, "_ACTIVE", [own])
    yield own
    own.close()


def _raw_dm(extra_column: bool = False, rows: int = 3) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    columns = ", ".join(f"'x' as \"{c}\"" for c in DM.column_names)
    extra = ", 'surprise' as EXTRA" if extra_column else ""
    con.execute(
        f"create table raw_dm as select {columns}{extra}, 'E1' as _export_id, "
        f"'edc/dm.csv' as _file, cast(i + 1 as integer) as _line from range({rows}) t(i)"
    )
    return con


def test_the_worker_validates_in_its_own_process(helper):
    asked = []
    ask = helper.ask
    helper.ask = lambda *request: asked.append(request[:2]) or ask(*request)  # type: ignore[method-assign]
    result = validate_query(_raw_dm(), "select * from raw_dm", "raw_dm", RAW_SUITE, worker.call)
    assert result.success, result.summary()
    assert asked == [("expectations", "plan_suite"), ("expectations", "validate_suite")]
    assert helper.process.poll() is None


@pytest.mark.parametrize(("extra_column", "rows"), [(False, 3), (True, 3), (False, 4)])
def test_the_worker_and_this_process_give_the_same_result(helper, extra_column, rows):
    here = validate_query(_raw_dm(extra_column, rows), "select * from raw_dm", "raw_dm", RAW_SUITE.builder())
    there = validate_query(_raw_dm(extra_column, rows), "select * from raw_dm", "raw_dm", RAW_SUITE, worker.call)
    assert there == here
    assert there.success is (not extra_column and rows == 3)


def test_without_a_runner_a_suite_runs_here():
    result = validate_query(_raw_dm(extra_column=True), "select * from raw_dm", "raw_dm", RAW_SUITE)
    assert [f.expectation for f in result.failures] == ["expect_table_columns_to_match_set"]


def test_a_dead_worker_leaves_the_suite_to_this_process(own_worker):
    own_worker.process.kill()
    own_worker.process.wait()
    result = validate_query(_raw_dm(extra_column=True), "select * from raw_dm", "raw_dm", RAW_SUITE, worker.call)
    assert [f.expectation for f in result.failures] == ["expect_table_columns_to_match_set"]


def test_a_suite_that_raises_in_the_worker_raises_here(helper):
    broken = SuiteRef("expectations.raw_files", ("not", "enough", "arguments", "given", "here"))
    with pytest.raises(TypeError):
        validate_query(_raw_dm(), "select * from raw_dm", "raw_dm", broken, worker.call)
    assert helper.process.poll() is None  # the worker goes on serving


def test_statistics_in_the_worker_equal_those_computed_here(helper):
    frame = pd.DataFrame({"x": [1.0, 2.0, 4.0]})
    done, there = helper.ask("analysis.rates", "rate_difference", 12, 30, 5, 28)
    assert done
    from analysis.rates import rate_difference

    assert there == rate_difference(12, 30, 5, 28)
    assert worker.call("pandas", "concat", [frame, frame]).equals(pd.concat([frame, frame]))


def test_what_the_worker_logs_is_logged_here(helper, caplog):
    with caplog.at_level(logging.WARNING):
        worker.call("logging", "warning", "a section of the report failed")
        worker.call("logging", "info", "below the level the worker passes on")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "a section of the report failed")
    ]


def test_arguments_the_worker_cannot_take_are_handled_here(own_worker):
    unpicklable = lambda: 7  # noqa: E731 - a lambda cannot be pickled
    assert worker.call("builtins", "callable", unpicklable) is True
    assert own_worker.process.poll() is not None  # not reused: its input may hold half a request
    assert worker.call("builtins", "len", [1, 2]) == 2  # and the next call runs here


def test_the_worker_and_its_clone_end_when_their_refresh_closes_their_input(monkeypatch):
    monkeypatch.setattr(worker, "_ACTIVE", [])
    started = worker.start()
    assert worker.start() is started  # one worker per process
    started._free[0] = False  # the next request goes to the clone
    done, clone = started.ask("os", "getpid")
    assert done and clone != started.process.pid
    worker.stop()
    assert started.process.returncode == 0
    assert worker.active() is None
    for _ in range(200):
        if not _alive(clone):
            break
        time.sleep(0.05)
    assert not _alive(clone)


def test_inputs_too_large_for_the_worker_stay_in_this_process(helper, monkeypatch):
    """`here` (the CSR tables at 100,000 patients) runs the function in the refresh's process even
    while a worker serves; without it the worker computes."""
    import os
    from types import SimpleNamespace

    assert worker.call("os", "getpid") != os.getpid()
    assert worker.call("os", "getpid", here=True) == os.getpid()

    from orchestration.reporting import tlg

    asked: list[bool] = []
    monkeypatch.setattr(worker, "call", lambda *args, here=False: asked.append(here) or {})
    con = duckdb.connect()
    monkeypatch.setattr(tlg, "read_study", lambda _con: SimpleNamespace(arms=None))
    monkeypatch.setattr(tlg, "read_inputs", lambda _con: SimpleNamespace(adsl=pd.DataFrame({"x": range(5)})))
    monkeypatch.setattr(tlg, "write_reporting_table", lambda *_: None)
    monkeypatch.setattr(tlg, "WORKER_MAX_ROWS", 4)
    tlg.write_tlg_tables(con)
    monkeypatch.setattr(tlg, "WORKER_MAX_ROWS", 5)
    tlg.write_tlg_tables(con)
    assert asked == [True, True, False, False]


def test_a_request_made_while_the_worker_computes_is_served_by_its_clone(helper):
    """Once it has imported the statistics the worker forks a clone: the report and the TLF files
    are computed at the same time, each by a process that has everything imported."""
    import threading

    slow = threading.Thread(target=helper.ask, args=("time", "sleep", 2.0))
    slow.start()
    while helper._free[0]:  # until the worker's own channel is taken by the slow request
        time.sleep(0.01)
    done, clone = helper.ask("os", "getpid")
    slow.join()
    assert done
    assert clone not in (helper.process.pid, os.getpid())
    assert helper.ask("os", "getpid") == (True, helper.process.pid)  # its own channel first when free


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
