"""The clinical study report tables (TLGs): every table of `analysis.tlg.catalogue` as a tidy
table in the `reporting` schema, plus `reporting.tlg_catalogue` (numbers, titles, populations)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestration import worker
from orchestration.reporting.marts import (
    adrs,
    baseline_sum,
    present_columns,
    read_columns,
    read_study,
    reporting_table,
    write_reporting_table,
)

if TYPE_CHECKING:
    import duckdb

    from analysis.tlg.build import Inputs


WORKER_MAX_ROWS = 500_000  # input rows above which the tables are built in the refresh's own process


def read_inputs(con: duckdb.DuckDBPyConnection) -> Inputs:
    """The frames the tables are laid out from: the needed ADaM columns and the reporting tables."""
    from analysis.exposure import ADEX_COLUMNS
    from analysis.tlg import adverse_events
    from analysis.tlg.build import ADRS_PARAMETERS, ADSL_COLUMNS, Inputs

    return Inputs(
        adsl=read_columns(con, "adam.adsl", present_columns(con, "adam.adsl", ADSL_COLUMNS), order_by="USUBJID"),
        baseline_sum=baseline_sum(con),
        adrs=adrs(con, ADRS_PARAMETERS),
        adae=read_columns(con, "adam.adae", present_columns(con, "adam.adae", adverse_events.ADAE_COLUMNS)),
        adex=read_columns(con, "adam.adex", ADEX_COLUMNS),
        response_rates=reporting_table(con, "response_rates"),
        response_differences=reporting_table(con, "response_differences"),
        tte_summary=reporting_table(con, "tte_summary"),
        tte_landmarks=reporting_table(con, "tte_landmarks"),
        tte_comparisons=reporting_table(con, "tte_comparisons"),
        baseline_characteristics=reporting_table(con, "baseline_characteristics"),
    )


def write_tlg_tables(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Every catalogue table and the catalogue into `reporting`; rows per table."""
    from analysis.tlg.build import CATALOGUE_TABLE

    study = read_study(con)
    inputs = read_inputs(con)
    # In the refresh's worker process, which imported the statistics while dbt ran
    # (orchestration/worker.py), unless copying the frames to it would cost more than those
    # imports: at 100,000 patients pickling them took 7 s (280 MB), the imports take about 1 s.
    rows = sum(len(frame) for frame in vars(inputs).values() if frame is not None)
    here = rows > WORKER_MAX_ROWS
    tables = worker.call("analysis.tlg.build", "build_tables", inputs, study.arms, here=here)
    tables[CATALOGUE_TABLE] = worker.call("analysis.tlg.build", "catalogue_table", inputs.adsl, study.arms, here=here)
    for name, frame in tables.items():
        write_reporting_table(con, name, frame)
    return {name: len(frame) for name, frame in tables.items()}
