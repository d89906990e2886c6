"""The Great Expectations worker process gives the answers the refresh's own process would, and a
worker that fails leaves the suite to the refresh's process instead of failing the check."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from expectations import SuiteRef, validate_query, worker
from orchestration.loading.contract import INPUT_FILES

DM = next(spec for spec in INPUT_FILES if spec.domain == "dm")
RAW_SUITE = SuiteRef("expectations.raw_files", (tuple(DM.column_names), DM.path, 3))


@pytest.fixture
def helper() -> Iterator[worker.Worker]:
    started = worker.start()
    yield started
    worker.stop()


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
    helper.ask = lambda *request: asked.append(request[0]) or ask(*request)  # type: ignore[method-assign]
    result = validate_query(_raw_dm(), "select * from raw_dm", "raw_dm", RAW_SUITE)
    assert result.success, result.summary()
    assert asked == ["plan", "validate"]
    assert helper.process.poll() is None


@pytest.mark.parametrize(("extra_column", "rows"), [(False, 3), (True, 3), (False, 4)])
def test_the_worker_and_this_process_give_the_same_result(helper, extra_column, rows):
    here = validate_query(_raw_dm(extra_column, rows), "select * from raw_dm", "raw_dm", RAW_SUITE.builder())
    there = validate_query(_raw_dm(extra_column, rows), "select * from raw_dm", "raw_dm", RAW_SUITE)
    assert there == here
    assert there.success is (not extra_column and rows == 3)


def test_a_dead_worker_leaves_the_suite_to_this_process(helper):
    helper.process.kill()
    helper.process.wait()
    result = validate_query(_raw_dm(extra_column=True), "select * from raw_dm", "raw_dm", RAW_SUITE)
    assert [f.expectation for f in result.failures] == ["expect_table_columns_to_match_set"]


def test_a_suite_that_raises_in_the_worker_raises_here(helper):
    broken = SuiteRef("expectations.raw_files", ("not", "enough", "arguments", "given", "here"))
    with pytest.raises(TypeError):
        validate_query(_raw_dm(), "select * from raw_dm", "raw_dm", broken)
    assert helper.process.poll() is None  # the worker goes on serving


def test_the_worker_ends_when_its_refresh_closes_its_input():
    started = worker.start()
    assert worker.start() is started  # one worker per process
    worker.stop()
    assert started.process.returncode == 0
    assert worker.active() is None
