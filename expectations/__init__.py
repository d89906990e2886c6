"""Great Expectations suites as code, one module per table they guard.

Great Expectations 1.x cannot validate DuckDB through its SQL datasource, so every suite validates
a pandas DataFrame read from DuckDB. The library is imported lazily: it costs seconds to import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


@dataclass(frozen=True)
class Failure:
    expectation: str
    column: str | None
    detail: str


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    evaluated: int
    failures: tuple[Failure, ...]

    @property
    def success(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: all {self.evaluated} expectations met"
        lines = [f"{self.suite}: {len(self.failures)} of {self.evaluated} expectations failed"]
        lines += [f"- {f.expectation} on {f.column or 'table'}: {f.detail}" for f in self.failures]
        return "\n".join(lines)


# A suite is a function that, given the great_expectations module, returns expectation objects.
SuiteBuilder = Callable[[Any], Sequence[Any]]


@dataclass(frozen=True)
class SuiteRef:
    """A suite named by its module and arguments: `SuiteRef("expectations.adsl", (78,))` is
    `expectations.adsl.suite(78)`. Unlike the builder that call returns, it can be sent to
    another process (orchestration/worker.py)."""

    module: str
    args: tuple[Any, ...] = ()

    def builder(self) -> SuiteBuilder:
        return importlib.import_module(self.module).suite(*self.args)


# Expectations about the table's column names (they never read values).
COLUMN_NAME_EXPECTATIONS = (
    "expect_table_columns_to_match_set",
    "expect_table_columns_to_match_ordered_list",
    "expect_column_to_exist",
    "expect_table_column_count_to_equal",
)


def columns_read(expectations: Sequence[Any]) -> set[str]:
    """The columns whose values the expectations read (their arguments and row conditions)."""
    found: set[str] = set()

    def walk(value: Any, key: str | None = None) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and key in ("column", "column_A", "column_B", "column_list", "name"):
            found.add(value)

    for expectation in expectations:
        if expectation.expectation_type not in COLUMN_NAME_EXPECTATIONS:
            walk(dict(expectation.configuration.kwargs))
    return found


def plan(build: SuiteBuilder) -> tuple[set[str], bool]:
    """The columns whose values the suite reads, and whether it checks column names."""
    import great_expectations as gx  # noqa: PLC0415 - slow import, only when a check runs

    expectations = list(build(gx.expectations))
    return columns_read(expectations), any(e.expectation_type in COLUMN_NAME_EXPECTATIONS for e in expectations)


# How a suite is run: `run(module, function, *args)` is `module.function(*args)`, here or in another
# process (orchestration/worker.py's `call`).
Runner = Callable[..., Any]


def _here(module: str, function: str, *args: Any) -> Any:
    return getattr(importlib.import_module(module), function)(*args)


def plan_suite(ref: SuiteRef) -> tuple[set[str], bool]:
    return plan(ref.builder())


def validate_suite(frame: pd.DataFrame, suite_name: str, ref: SuiteRef) -> SuiteResult:
    return validate(frame, suite_name, ref.builder())


def validate_query(
    con: duckdb.DuckDBPyConnection,
    query: str,
    suite_name: str,
    build: SuiteBuilder | SuiteRef,
    run: Runner = _here,
) -> SuiteResult:
    """Run one suite on the rows of a DuckDB query, reading only the columns the suite reads. A
    suite named by a `SuiteRef` is planned and validated through `run` (the refresh passes its
    worker process's), a builder here.

    A mart at 100,000 patients has millions of cells in columns no expectation looks at; reading
    them into pandas would cost seconds and gigabytes. A column whose name is checked but whose
    values are not is carried as a one-byte placeholder, so column-set expectations still see it.
    """
    if isinstance(build, SuiteRef):
        used, checks_names = run(__name__, "plan_suite", build)
        return run(__name__, "validate_suite", _read(con, query, used, checks_names), suite_name, build)
    used, checks_names = plan(build)
    return validate(_read(con, query, used, checks_names), suite_name, build)


def _read(con: duckdb.DuckDBPyConnection, query: str, used: set[str], checks_names: bool) -> pd.DataFrame:
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    names = [row[0] for row in con.execute(f"describe {query}").fetchall()]
    wanted = [name for name in names if name in used]
    listed = ", ".join(f'"{name}"' for name in wanted) or "1 as _no_columns"
    frame = con.execute(f"select {listed} from ({query})").df()
    for name in frame.columns:
        if frame[name].dtype == object and frame[name].nunique() <= len(frame) // 10:
            frame[name] = frame[name].astype("category")
    if not wanted:
        frame = frame.drop(columns="_no_columns")
    if checks_names:
        placeholder = pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int8), categories=["unread"])
        frame = frame.assign(**{name: placeholder for name in names if name not in used})[names]
    return frame


def validate(frame: pd.DataFrame, suite_name: str, build: SuiteBuilder) -> SuiteResult:
    """Run one suite on a DataFrame with an ephemeral GE context."""
    import great_expectations as gx  # noqa: PLC0415 - slow import, only when a check runs
    from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: PLC0415

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(name="warehouse")
    batch_definition = source.add_dataframe_asset(name=suite_name).add_batch_definition_whole_dataframe("all")
    suite = context.suites.add(gx.ExpectationSuite(name=suite_name))
    for expectation in build(gx.expectations):
        suite.add_expectation(expectation)
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(suite)
    failures = []
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        assert config is not None  # a result of a suite run always names its expectation
        details = outcome.result or {}
        detail = ", ".join(
            f"{key}={details[key]}"
            for key in ("unexpected_count", "partial_unexpected_list", "observed_value")
            if key in details
        )
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            detail = outcome.exception_info.get("exception_message") or detail
        kwargs = config.kwargs
        column = kwargs.get("column") or " vs ".join(str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs)
        failures.append(Failure(config.type, column or None, detail or "failed"))
    return SuiteResult(suite_name, len(result.results), tuple(failures))
