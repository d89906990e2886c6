"""The published HTML report, built from the warehouse database before the snapshot is published."""

import json
import os
import time
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.assets.tlg import TLG_TABLES
from orchestration.check_history import record_check_results
from orchestration.loading.load import current_export
from orchestration.resources import WarehouseResource
from orchestration.version import code_version

if TYPE_CHECKING:  # pandas is imported when the report is built, not when definitions load
    import duckdb
    import pandas as pd

    from analysis.report import Provenance, ReportData

REPORT = dg.AssetKey(["reporting", "report"])
REPORTING_TABLES = (
    "response_rates",
    "response_differences",
    "tte_summary",
    "tte_landmarks",
    "tte_comparisons",
    "km_curves",
    "ttr_summary",
    "baseline_characteristics",
    "balance",
    "ae_overview",
    "ae_by_soc_pt",
    "exposure_summary",
    *TLG_TABLES,
)
# Everything the report reads. Keys not (yet) defined in this code location appear as external
# assets; the report then says which sections are not available in this snapshot.
REPORT_INPUTS = [
    *(dg.AssetKey(["adam", table]) for table in ("adsl", "adrs", "adtr", "adtte", "adae", "adex")),
    *(dg.AssetKey(["reporting", table]) for table in REPORTING_TABLES),
    dg.AssetKey(["quality", "quarantine"]),
    dg.AssetKey(["quality", "row_reconciliation"]),
    dg.AssetKey(["quality", "data_queries"]),
    dg.AssetKey(["quality", "response_discrepancies"]),
    dg.AssetKey(["quality", "record_changes"]),
    dg.AssetKey(["quality", "endpoint_changes"]),
]


# --- what the report reads (the plain report module takes DataFrames) ---------------------------

# Only what the plots need from the large ADaM tables.
QUERIES = {
    "adrs": "select USUBJID, PARAMCD, AVALC, ADT, ADY from adam.adrs "
    "where PARAMCD in ('OVR', 'CBOR', 'PD', 'DEATH') and (PARAMCD <> 'OVR' or AVALC in ('CR', 'PR', 'PD'))",
    "adtr": "select USUBJID, TRT01P, PCHG from adam.adtr where PARAMCD = 'SDIAM' and BESTFL = 'Y'",
    # quality.check_results keeps every run's checks (failed refreshes too): the report shows its own run.
    "check_results": "select * from quality.check_results where run_id = $run_id order by asset_key, check_name",
    # The changes of this export only, the record changes as counts (the history can be long).
    "record_changes": "select PREVIOUS_EXPORT_ID, FILE, CHANGE, count(distinct RECORD_KEY) as RECORDS "
    "from quality.record_changes where EXPORT_ID = $export_id group by all",
    "endpoint_changes": "select * from quality.endpoint_changes where EXPORT_ID = $export_id",
}


def _exists(con: "duckdb.DuckDBPyConnection", schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_catalog = current_database() "
            "and table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def read_report_data(
    con: "duckdb.DuckDBPyConnection", provenance: "Provenance", days_per_month: float = 30.4375
) -> "ReportData":
    """The report's tables; quarantine and check results only for this export and this run."""
    from analysis.report import TABLES, ReportData

    tables: dict[str, pd.DataFrame | None] = {}
    for name, (schema, table) in TABLES.items():
        if not _exists(con, schema, table):
            tables[name] = None
            continue
        query = QUERIES.get(name, f'select * from "{schema}"."{table}"')
        parameters = {"run_id": provenance.run_id, "export_id": provenance.export_id}
        tables[name] = con.execute(query, {k: v for k, v in parameters.items() if f"${k}" in query} or None).df()
    if tables["quarantine"] is not None:
        tables["quarantine"] = tables["quarantine"][tables["quarantine"].export_id == provenance.export_id]
    return ReportData(provenance, tables, days_per_month)


@dg.asset(
    key=REPORT,
    deps=REPORT_INPUTS,
    group_name="reporting",
    description=(
        "The trial report: one self-contained HTML file (inline CSS and SVG plots, readable offline) with "
        "provenance, baseline table, response table, waterfall and swimmer plots, Kaplan-Meier curves with "
        "numbers at risk, forest plot of unadjusted and IPTW effects, covariate balance, AE and exposure tables "
        "and the data-quality summary. Written to WAREHOUSE_HOME/build/report.html; publishing copies it into "
        "the snapshot, so current/report.html always matches current/warehouse.duckdb."
    ),
    kinds={"html"},
)
def report_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis.report import Provenance, generated_at
    from orchestration import worker

    paths = warehouse.paths
    started = time.monotonic()
    with warehouse.connect() as con:
        current = current_export(con)
        parameters = json.loads(current.dbt_vars or "{}")
        studies = (
            con.execute("select distinct STUDYID from adam.adsl limit 1").fetchall()
            if con.execute(
                "select count(*) from information_schema.tables where table_schema = 'adam' and table_name = 'adsl'"
            ).fetchone()[0]
            else []
        )
        provenance = Provenance(
            study=str(studies[0][0]) if studies else current.profile,
            export_id=current.export_id,
            data_cutoff=current.data_cutoff.isoformat(),
            code_version=code_version(),
            run_id=context.run.run_id,
            generated_at=generated_at(),
            profile=current.profile,
        )
        # The report shows this run's checks. Publish records them for the snapshot after the report
        # is built; recording them now (publish replaces them later) lets the report read them back.
        record_check_results(
            con,
            context.instance,
            context.run.run_id,
            current.export_id,
            dbt_target=paths.dbt_target / context.run.run_id,
        )
        data = read_report_data(con, provenance, float(parameters.get("days_per_month", 30.4375)))
    data.tables["check_results"] = checks_pending_at_report_time(data.get("check_results"))
    report = worker.call("analysis.report", "build_report", data)  # in the worker, which imported matplotlib
    paths.build.mkdir(parents=True, exist_ok=True)
    partial = paths.report.with_suffix(".html.partial")
    partial.write_text(report.html, encoding="utf-8")
    os.replace(partial, paths.report)
    # Publishing copies the report only when it was built from the export being published.
    paths.report.with_suffix(".json").write_text(
        json.dumps({"export_id": current.export_id, "run_id": context.run.run_id}) + "\n"
    )
    for section in report.sections_failed:
        context.log.warning(f"report section '{section}' could not be drawn; see the log above for the cause")
    if report.sections_missing:
        context.log.info(f"report sections not available in this snapshot: {', '.join(report.sections_missing)}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(paths.report)),
            "size_bytes": paths.report.stat().st_size,
            "sections_rendered": ", ".join(report.sections_rendered) or "none",
            "sections_missing": ", ".join(report.sections_missing) or "none",
            "sections_failed": ", ".join(report.sections_failed) or "none",
            "seconds": round(time.monotonic() - started, 2),
        }
    )


PENDING = "not run yet when this report was built (it runs later in the same refresh)"


def checks_pending_at_report_time(checks: "pd.DataFrame | None") -> "pd.DataFrame | None":
    """Say why a check of this run has no result yet.

    The report runs only after every upstream step succeeded, so a planned check without a result
    is one that runs after the report (a non-blocking check the executor ordered later), not one an
    upstream failure stopped, which is what quality.check_results says of an unevaluated check.
    """
    if checks is None or checks.empty:
        return checks
    pending = checks.outcome == "not evaluated"
    return checks.assign(description=checks.description.where(~pending, PENDING))
