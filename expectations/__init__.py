"""Great Expectations suites as code, one module per table they guard.

Great Expectations 1.x cannot validate DuckDB through its SQL datasource, so every suite validates
a pandas DataFrame read from DuckDB. The library is imported lazily: it costs seconds to import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
        details = outcome.result or {}
        detail = ", ".join(
            f"{key}={details[key]}"
            for key in ("unexpected_count", "partial_unexpected_list", "observed_value")
            if key in details
        )
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            detail = outcome.exception_info.get("exception_message") or detail
        kwargs = config.kwargs
        column = kwargs.get("column") or " vs ".join(
            str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs
        )
        failures.append(Failure(config.type, column or None, detail or "failed"))
    return SuiteResult(suite_name, len(result.results), tuple(failures))
