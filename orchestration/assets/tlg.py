"""The clinical study report tables (TLGs) as Dagster assets in group `reporting`.

`reporting/tlg_*` (one multi-asset step): every table of `analysis.tlg.catalogue` as a tidy table
in the `reporting` schema, plus `reporting.tlg_catalogue` (numbers, titles, populations with N,
footnotes). `reporting/tlf_files`: one RTF file per table and the figures (SVG) in
WAREHOUSE_HOME/build/tlf, which publishing copies into the snapshot's `tlf/` folder.
"""

import json
import shutil
import time

import dagster as dg

from orchestration.loading.load import current_export
from orchestration.reporting.marts import read_study
from orchestration.reporting.tlg import write_tlg_tables
from orchestration.resources import WarehouseResource

# The catalogue's table names, kept here so that loading the definitions does not import pandas.
TLG_TABLES = (
    "tlg_dst01",
    "tlg_dmt01",
    "tlg_rspt01",
    "tlg_ttet01_pfs",
    "tlg_ttet01_os",
    "tlg_ttet01_dor",
    "tlg_ext01",
    "tlg_aet01",
    "tlg_aet02",
    "tlg_aet04",
    "tlg_ael_serious",
    "tlg_ael_fatal",
    "tlg_catalogue",
)
TLG_KEYS = [dg.AssetKey(["reporting", name]) for name in TLG_TABLES]
TLF_FILES = dg.AssetKey(["reporting", "tlf_files"])
TLG_INPUTS = [
    *(dg.AssetKey(["adam", table]) for table in ("adsl", "adrs", "adtr", "adae", "adex")),
    *(
        dg.AssetKey(["reporting", table])
        for table in (
            "response_rates",
            "response_differences",
            "tte_summary",
            "tte_landmarks",
            "tte_comparisons",
            "baseline_characteristics",
        )
    ),
]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            deps=TLG_INPUTS,
            group_name="reporting",
            kinds={"python", "duckdb"},
            description=(
                "The numbered outputs of the clinical study report (catalogue: reporting.tlg_catalogue)."
                if key.path[-1] == "tlg_catalogue"
                else f"CSR table {key.path[-1].removeprefix('tlg_').upper()}: one row per cell (ROW_ORDER, "
                "SECTION, ROW_LABEL, COLUMN_LABEL, BIGN, STATISTIC, VALUE, DISPLAY); a listing has one row per event."
            ),
        )
        for key in TLG_KEYS
    ],
    name="tlg_tables",
)
def tlg_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):  # noqa: ANN201
    started = time.monotonic()
    with warehouse.connect() as con:
        rows = write_tlg_tables(con)
    context.log.info(f"{len(rows)} TLG tables written in {time.monotonic() - started:.2f} s")
    for key in TLG_KEYS:
        yield dg.MaterializeResult(asset_key=key, metadata={"dagster/row_count": rows[key.path[-1]]})


@dg.asset(
    key=TLF_FILES,
    deps=[*TLG_KEYS, *(dg.AssetKey(["reporting", t]) for t in ("km_curves", "tte_summary", "tte_comparisons"))],
    group_name="reporting",
    kinds={"rtf", "svg"},
    description=(
        "One RTF file per CSR table and listing (rtflite), named after its number (t_14_1_2_dmt01.rtf), and the "
        "waterfall, Kaplan-Meier and forest plots as SVG, in WAREHOUSE_HOME/build/tlf; publishing copies the "
        "folder into the snapshot as tlf/."
    ),
)
def tlf_files(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from analysis.report import Provenance
    from orchestration import worker
    from orchestration.assets.report import read_report_data

    paths = warehouse.paths
    folder = paths.build / "tlf"
    partial = paths.build / "tlf.partial"
    shutil.rmtree(partial, ignore_errors=True)
    with warehouse.connect() as con:
        export_id = current_export(con).export_id
        study = read_study(con)
        tables = {name: con.execute(f"select * from reporting.{name}").df() for name in TLG_TABLES}
        current = current_export(con)
        provenance = Provenance("", export_id, current.data_cutoff.isoformat(), "", context.run.run_id, "")
        figures = read_report_data(con, provenance, study.days_per_month)
    # In the refresh's worker process, which imported matplotlib and rtflite while dbt ran.
    written = worker.call("analysis.tlg.files", "write_tlf_folder", partial, tables, study.arms, figures)
    (partial / "tlf.json").write_text(json.dumps({"export_id": export_id, "run_id": context.run.run_id}) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return dg.MaterializeResult(
        metadata={
            "folder": dg.MetadataValue.path(str(folder)),
            "files": len(written),
            "listing": dg.MetadataValue.md("\n".join(f"- {name}" for name in written)),
        }
    )


TLG_ASSETS = [tlg_tables, tlf_files]
