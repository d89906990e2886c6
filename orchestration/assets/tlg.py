"""The clinical study report tables (TLGs) as Dagster assets in group `reporting`.

`reporting/tlg_*` (one multi-asset step): every table of `analysis.tlg.catalogue` as a tidy table
in the `reporting` schema, plus `reporting.tlg_catalogue` (numbers, titles, populations with N,
footnotes). `reporting/tlf_files`: one RTF file per table and the figures (SVG) in
WAREHOUSE_HOME/build/tlf, which publishing copies into the snapshot's `tlf/` folder.
"""

import json
import shutil
import time
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.assets.analysis import _baseline_sum, _study
from orchestration.assets.tables import read_columns, write_reporting_table
from orchestration.loading.load import current_export
from orchestration.resources import WarehouseResource

if TYPE_CHECKING:
    import duckdb

    from analysis.tlg.build import Inputs

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


def read_inputs(con: "duckdb.DuckDBPyConnection") -> "Inputs":
    """The frames the tables are laid out from: the needed ADaM columns and the reporting tables."""
    from analysis.exposure import ADEX_COLUMNS
    from analysis.tlg import adverse_events
    from analysis.tlg.build import ADRS_PARAMETERS, ADSL_COLUMNS, Inputs

    def table(name: str):  # noqa: ANN202
        return con.execute(f"select * from reporting.{name}").df()

    def present(table: str, columns) -> list[str]:  # noqa: ANN001
        # A study whose ADaM lacks a column (another profile) gets the tables without it.
        described = {row[0] for row in con.execute(f"describe {table}").fetchall()}
        return [column for column in columns if column in described]

    return Inputs(
        adsl=read_columns(con, "adam.adsl", present("adam.adsl", ADSL_COLUMNS), order_by="USUBJID"),
        baseline_sum=_baseline_sum(con),
        adrs=con.execute(
            "select USUBJID, PARAMCD, AVALC from adam.adrs where list_contains(?, PARAMCD)", [list(ADRS_PARAMETERS)]
        ).df(),
        adae=read_columns(con, "adam.adae", present("adam.adae", adverse_events.ADAE_COLUMNS)),
        adex=read_columns(con, "adam.adex", ADEX_COLUMNS),
        response_rates=table("response_rates"),
        response_differences=table("response_differences"),
        tte_summary=table("tte_summary"),
        tte_landmarks=table("tte_landmarks"),
        tte_comparisons=table("tte_comparisons"),
        baseline_characteristics=table("baseline_characteristics"),
    )


def write_tlg_tables(con: "duckdb.DuckDBPyConnection") -> dict[str, int]:
    """Every catalogue table and the catalogue into `reporting`; rows per table."""
    from analysis.tlg.build import CATALOGUE_TABLE, build_tables, catalogue_table

    study = _study(con)
    inputs = read_inputs(con)
    tables = build_tables(inputs, study.arms)
    tables[CATALOGUE_TABLE] = catalogue_table(inputs.adsl, study.arms)
    for name, frame in tables.items():
        write_reporting_table(con, name, frame)
    return {name: len(frame) for name, frame in tables.items()}


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
    from analysis.tlg.files import write_tlf_folder
    from orchestration.assets.report import read_report_data

    paths = warehouse.paths
    folder = paths.build / "tlf"
    partial = paths.build / "tlf.partial"
    shutil.rmtree(partial, ignore_errors=True)
    with warehouse.connect() as con:
        export_id = current_export(con).export_id
        study = _study(con)
        tables = {name: con.execute(f"select * from reporting.{name}").df() for name in TLG_TABLES}
        current = current_export(con)
        provenance = Provenance("", export_id, current.data_cutoff.isoformat(), "", context.run.run_id, "")
        figures = read_report_data(con, provenance, study.days_per_month)
    written = write_tlf_folder(partial, tables, study.arms, figures)
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
