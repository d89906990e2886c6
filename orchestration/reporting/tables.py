"""One function per `reporting` table: read what it needs of the marts, compute it with a plain
function of `analysis/`, write it as reporting.<table> (replaced on every refresh) and return it.

Arms, the reference arm and days_per_month are this run's study configuration. `analysis` is
imported inside each function, and the efficacy statistics run in the refresh's worker process
(`_efficacy`): statsmodels, scipy and lifelines load slowly, and loading the Dagster definitions
must not wait for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchestration import worker
from orchestration.reporting.marts import (
    adrs,
    adsl,
    adtte,
    baseline_sum,
    read_columns,
    read_study,
    reporting_table,
    write_reporting_table,
)

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from analysis.efficacy import Adjustment


def _efficacy(function: str, *args: Any) -> Any:
    """`analysis.efficacy.<function>(*args)` in the refresh's worker process
    (orchestration/worker.py), which imported the statistics libraries while dbt ran; here when
    there is none."""
    return worker.call("analysis.efficacy", function, *args)


def _written(con: duckdb.DuckDBPyConnection, name: str, table: pd.DataFrame) -> pd.DataFrame:
    write_reporting_table(con, name, table)
    return table


# --- efficacy (SPEC sections 6 and 7): months, percentages 0-100 ------------------------------------


def iptw_weights(con: duckdb.DuckDBPyConnection) -> Adjustment:
    """Propensity score and stabilised IPTW weight per FAS patient; the weights are the table."""
    study = read_study(con)
    adjustment = _efficacy("iptw", adsl(con), baseline_sum(con), study.arms)
    write_reporting_table(con, "iptw_weights", adjustment.weights)
    return adjustment


def balance(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    study = read_study(con)
    weights = reporting_table(con, "iptw_weights")
    return _written(con, "balance", _efficacy("balance", adsl(con), baseline_sum(con), weights, study.arms))


def response_rates(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    from analysis import efficacy

    study = read_study(con)
    table = _efficacy("response_rates", adrs(con, efficacy.RESPONSE_PARAMETERS), adsl(con), study.arms)
    return _written(con, "response_rates", table)


def response_differences(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    from analysis import efficacy

    study = read_study(con)
    table = _efficacy(
        "response_differences",
        adrs(con, efficacy.RESPONSE_PARAMETERS),
        adsl(con),
        reporting_table(con, "iptw_weights"),
        study.arms,
    )
    return _written(con, "response_differences", table)


def tte_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    study = read_study(con)
    table = _efficacy("tte_summary", adtte(con), adsl(con), study.arms, study.days_per_month)
    return _written(con, "tte_summary", table)


def tte_landmarks(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    study = read_study(con)
    table = _efficacy("tte_landmarks", adtte(con), adsl(con), study.arms, study.days_per_month)
    return _written(con, "tte_landmarks", table)


def tte_comparisons(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    study = read_study(con)
    table = _efficacy(
        "tte_comparisons",
        adtte(con),
        adsl(con),
        reporting_table(con, "iptw_weights"),
        study.arms,
        study.days_per_month,
    )
    return _written(con, "tte_comparisons", table)


def km_curves(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    study = read_study(con)
    return _written(
        con,
        "km_curves",
        _efficacy("km_curves", adtte(con), adsl(con), study.arms, study.days_per_month),
    )


def ttr_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    study = read_study(con)
    return _written(
        con,
        "ttr_summary",
        _efficacy("ttr_summary", adtte(con), adsl(con), study.arms, study.days_per_month),
    )


def baseline_characteristics(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    study = read_study(con)
    table = _efficacy("baseline_characteristics", adsl(con), baseline_sum(con), study.arms)
    return _written(con, "baseline_characteristics", table)


# --- safety and exposure: safety population, by actual treatment ------------------------------------


def ae_overview(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    from analysis import safety

    table = safety.ae_overview(
        read_columns(con, "adam.adsl", safety.ADSL_COLUMNS), read_columns(con, "adam.adae", safety.ADAE_COLUMNS)
    )
    return _written(con, "ae_overview", table)


def ae_by_soc_pt(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    from analysis import safety

    table = safety.ae_by_soc_pt(
        read_columns(con, "adam.adsl", safety.ADSL_COLUMNS), read_columns(con, "adam.adae", safety.ADAE_COLUMNS)
    )
    return _written(con, "ae_by_soc_pt", table)


def exposure_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    from analysis import exposure

    return _written(
        con, "exposure_summary", exposure.exposure_summary(read_columns(con, "adam.adex", exposure.ADEX_COLUMNS))
    )
