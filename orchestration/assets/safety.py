"""Safety and exposure reporting tables: TEAE overview, TEAEs by SOC and PT, exposure summary.

Each asset calls the plain function of `orchestration.reporting.tables` that reads the ADaM marts,
computes the table with `analysis` and writes it into the `reporting` schema (replaced on every
refresh); the asset describes the result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from orchestration.assets.tables import column_schema, reporting_table_asset
from orchestration.reporting import tables

if TYPE_CHECKING:
    import pandas as pd

ADSL = dg.AssetKey(["adam", "adsl"])
ADAE = dg.AssetKey(["adam", "adae"])
ADEX = dg.AssetKey(["adam", "adex"])
SAFETY_KINDS = ("duckdb", "pandas")


def _materialized(table: pd.DataFrame) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={
            "rows": len(table),
            "dagster/column_schema": column_schema(table),
            "table": dg.MetadataValue.md(table.to_markdown(index=False, floatfmt=".1f")),
        }
    )


ae_overview_asset = reporting_table_asset(
    "ae_overview",
    tables.ae_overview,
    deps=[ADSL, ADAE],
    kinds=SAFETY_KINDS,
    description=(
        "Overview of treatment-emergent adverse events (TEAEs) per actual treatment arm, safety "
        "population: patients with any TEAE, grade 3 or higher, serious, fatal, leading to a "
        "lenvatinib dose reduction, interruption or withdrawal, related to lenvatinib, related to SIRT."
    ),
)(_materialized)

ae_by_soc_pt_asset = reporting_table_asset(
    "ae_by_soc_pt",
    tables.ae_by_soc_pt,
    deps=[ADSL, ADAE],
    kinds=SAFETY_KINDS,
    description=(
        "Treatment-emergent adverse events by system organ class and preferred term per actual "
        "treatment arm, safety population: patients with any grade and with grade 3 or higher, "
        "and the worst grade among them."
    ),
)(_materialized)

exposure_summary_asset = reporting_table_asset(
    "exposure_summary",
    tables.exposure_summary,
    deps=[ADEX],
    kinds=SAFETY_KINDS,
    description=(
        "Study treatment exposure per actual treatment arm, safety population: lenvatinib duration, "
        "starting dose against the weight rule, cumulative dose, relative dose intensity, dose "
        "reductions and interruptions; SIRT activity and days from SIRT to lenvatinib."
    ),
)(_materialized)

SAFETY_ASSETS = [ae_overview_asset, ae_by_soc_pt_asset, exposure_summary_asset]
SAFETY_REPORTING_TABLES = [asset.key for asset in SAFETY_ASSETS]
