"""Safety and exposure reporting tables: TEAE overview, TEAEs by SOC and PT, exposure summary.

Each asset reads the ADaM marts from the warehouse, calls a plain function of `analysis` and writes
its table into the `reporting` schema (replaced on every refresh).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from orchestration.assets.tables import column_schema, read_columns, write_reporting_table
from orchestration.resources import WarehouseResource

if TYPE_CHECKING:
    import pandas as pd

ADSL = dg.AssetKey(["adam", "adsl"])
ADAE = dg.AssetKey(["adam", "adae"])
ADEX = dg.AssetKey(["adam", "adex"])
AE_OVERVIEW = dg.AssetKey(["reporting", "ae_overview"])
AE_BY_SOC_PT = dg.AssetKey(["reporting", "ae_by_soc_pt"])
EXPOSURE_SUMMARY = dg.AssetKey(["reporting", "exposure_summary"])


def _materialized(table: pd.DataFrame) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={
            "rows": len(table),
            "dagster/column_schema": column_schema(table),
            "table": dg.MetadataValue.md(table.to_markdown(index=False, floatfmt=".1f")),
        }
    )


@dg.asset(
    key=AE_OVERVIEW,
    deps=[ADSL, ADAE],
    group_name="reporting",
    description=(
        "Overview of treatment-emergent adverse events (TEAEs) per actual treatment arm, safety "
        "population: patients with any TEAE, grade 3 or higher, serious, fatal, leading to a "
        "lenvatinib dose reduction, interruption or withdrawal, related to lenvatinib, related to SIRT."
    ),
    kinds={"duckdb", "pandas"},
)
def ae_overview_asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis.safety import ADAE_COLUMNS, ADSL_COLUMNS, ae_overview

    with warehouse.connect() as con:
        table = ae_overview(read_columns(con, "adam.adsl", ADSL_COLUMNS), read_columns(con, "adam.adae", ADAE_COLUMNS))
        write_reporting_table(con, "ae_overview", table)
    return _materialized(table)


@dg.asset(
    key=AE_BY_SOC_PT,
    deps=[ADSL, ADAE],
    group_name="reporting",
    description=(
        "Treatment-emergent adverse events by system organ class and preferred term per actual "
        "treatment arm, safety population: patients with any grade and with grade 3 or higher, "
        "and the worst grade among them."
    ),
    kinds={"duckdb", "pandas"},
)
def ae_by_soc_pt_asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis.safety import ADAE_COLUMNS, ADSL_COLUMNS, ae_by_soc_pt

    with warehouse.connect() as con:
        table = ae_by_soc_pt(read_columns(con, "adam.adsl", ADSL_COLUMNS), read_columns(con, "adam.adae", ADAE_COLUMNS))
        write_reporting_table(con, "ae_by_soc_pt", table)
    return _materialized(table)


@dg.asset(
    key=EXPOSURE_SUMMARY,
    deps=[ADEX],
    group_name="reporting",
    description=(
        "Study treatment exposure per actual treatment arm, safety population: lenvatinib duration, "
        "starting dose against the weight rule, cumulative dose, relative dose intensity, dose "
        "reductions and interruptions; SIRT activity and days from SIRT to lenvatinib."
    ),
    kinds={"duckdb", "pandas"},
)
def exposure_summary_asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis.exposure import ADEX_COLUMNS, exposure_summary

    with warehouse.connect() as con:
        table = exposure_summary(read_columns(con, "adam.adex", ADEX_COLUMNS))
        write_reporting_table(con, "exposure_summary", table)
    return _materialized(table)


SAFETY_ASSETS = [ae_overview_asset, ae_by_soc_pt_asset, exposure_summary_asset]
SAFETY_REPORTING_TABLES = [AE_OVERVIEW, AE_BY_SOC_PT, EXPOSURE_SUMMARY]
