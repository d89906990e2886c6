"""What changed since the previous published export: input records, endpoints, data queries."""

import dagster as dg

from analysis.endpoint_variables import OUTCOME_VARIABLES
from orchestration.assets.ingest import QUARANTINE
from orchestration.changes.endpoints import endpoint_changes
from orchestration.changes.records import published_export_id, record_changes
from orchestration.changes.views import query_counts, query_list
from orchestration.loading.contract import ALL_INPUT_FILES, file_path
from orchestration.loading.load import current_export, study_parameters
from orchestration.publishing.snapshot import current_snapshot
from orchestration.resources import WarehouseResource

RECORD_CHANGES = dg.AssetKey(["quality", "record_changes"])
ENDPOINT_CHANGES = dg.AssetKey(["quality", "endpoint_changes"])
DATA_QUERIES = dg.AssetKey(["quality", "data_queries"])
ADAM_COMPARED = [dg.AssetKey(["adam", table]) for table in ("adsl", "adrs", "adtte", "adae")]
NEW_QUERIES_SHOWN = 30


def _previous(warehouse: WarehouseResource):  # noqa: ANN202
    """The published snapshot's database and the export it was built from (None before the first)."""
    folder = current_snapshot(warehouse.paths)
    return (folder / "warehouse.duckdb" if folder else None), published_export_id(folder)


@dg.asset(
    key=RECORD_CHANGES,
    deps=[QUARANTINE],
    group_name="quality",
    description=(
        "Input records added, deleted or changed (column, old value, new value) since the previous "
        "published export, by each file's key; quarantined rows included (a row leaving quarantine "
        "is a change). History of every comparison, kept across refreshes."
    ),
    kinds={"duckdb"},
)
def record_changes_asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
    database, previous = _previous(warehouse)
    with warehouse.connect() as con:
        current = current_export(con)
        parameters = study_parameters(current)
        paths = {spec.raw_table: file_path(spec, parameters) for spec in ALL_INPUT_FILES}
        result = record_changes(con, current.export_id, database, previous, paths)
    table = "| file | added | changed | deleted |\n|---|---:|---:|---:|\n" + "\n".join(
        f"| {file} | {c['added']} | {c['changed']} | {c['deleted']} |" for file, c in sorted(result.counts.items())
    )
    return dg.MaterializeResult(
        metadata={
            "export_id": current.export_id,
            "previous_export_id": result.previous_export_id or "none",
            "records_changed": result.total,
            "by_file": dg.MetadataValue.md(table if result.counts else result.reason or "no record changed"),
            **{f"{change} ({file})": counts[change] for file, counts in result.counts.items() for change in counts},
        }
    )


@dg.asset(
    key=ENDPOINT_CHANGES,
    deps=[*ADAM_COMPARED, RECORD_CHANGES],
    group_name="quality",
    description=(
        "Per patient, every derived value that changed since the previous published snapshot: ADSL "
        "key dates and flags, ADRS BOR/CBOR/CRSP/CCB, ADTTE PFS/OS/DOR/TTR, worst TEAE grade; with "
        "the patient's input record changes that may explain it."
    ),
    kinds={"duckdb"},
)
def endpoint_changes_asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
    database, previous = _previous(warehouse)
    with warehouse.connect() as con:
        current = current_export(con)
        result = endpoint_changes(con, current.export_id, database, previous)
        shown = con.execute(
            "select USUBJID, DATASET, PARAMCD, VARIABLE, OLD_VALUE, NEW_VALUE, RECORD_CHANGES "
            "from quality.endpoint_changes where EXPORT_ID = ? and PREVIOUS_EXPORT_ID = ? "
            "and list_contains(?, VARIABLE) order by USUBJID, DATASET, PARAMCD, VARIABLE limit 30",
            [current.export_id, previous or "", list(OUTCOME_VARIABLES)],
        ).df()
    return dg.MaterializeResult(
        metadata={
            "export_id": current.export_id,
            "previous_export_id": result.previous_export_id or "none",
            "values_changed": result.rows,
            "patients": result.patients,
            "by_parameter": dg.MetadataValue.json(result.by_parameter) if result.compared else result.reason,
            "outcomes_changed": dg.MetadataValue.md(shown.to_markdown(index=False) if len(shown) else "none"),
        }
    )


@dg.asset_check(
    asset=DATA_QUERIES,
    name="no_new_queries",
    blocking=False,
    description="Warns when this export raised data queries that were not raised before (NEW or REOPENED); never blocks.",
)
def no_new_queries(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        current = current_export(con)
        counts = query_counts(con, current.export_id)
        columns, rows = query_list(con, ("NEW", "REOPENED"))
    new = sum(row[1] for row in counts) + sum(row[4] for row in counts)
    by_rule = "| rule | new | open | resolved | reopened |\n|---|---:|---:|---:|---:|\n" + "\n".join(
        f"| {rule} | {a} | {b} | {c} | {d} |" for rule, a, b, c, d in counts
    )
    listed = [dict(zip(columns, row, strict=True)) for row in rows[:NEW_QUERIES_SHOWN]]
    new_table = "| status | patient | rule | record | message |\n|---|---|---|---|---|\n" + "\n".join(
        f"| {q['STATUS']} | {q['SUBJID']} | {q['RULE']} | {q['RECORD_KEY']} | {q['MESSAGE']} |" for q in listed
    )
    return dg.AssetCheckResult(
        passed=new == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{new} new or reopened data queries in export {current.export_id}"
        if new
        else f"no new data queries in export {current.export_id}",
        metadata={
            "new": sum(row[1] for row in counts),
            "open": sum(row[2] for row in counts),
            "resolved": sum(row[3] for row in counts),
            "reopened": sum(row[4] for row in counts),
            "by_rule": dg.MetadataValue.md(by_rule if counts else "no queries"),
            "new_queries": dg.MetadataValue.md(new_table if listed else "none"),
        },
    )


CHANGE_ASSETS = [record_changes_asset, endpoint_changes_asset]
CHANGE_CHECKS = [no_new_queries]
