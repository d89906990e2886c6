"""Great Expectations suites as blocking asset checks on the raw files and on the ADaM marts."""

import dagster as dg

from orchestration import worker
from orchestration.assets.ingest import raw_asset_key
from orchestration.loading.contract import ALL_INPUT_FILES, SUBJECT_FILES, InputFile, file_path
from orchestration.loading.load import (
    current_export,
    file_problems,
    input_layout,
    registered_files,
    study_parameters,
    subject_file_problem,
)
from orchestration.resources import WarehouseResource


def _result(key: dg.AssetCheckKey, outcome) -> dg.AssetCheckResult:  # noqa: ANN001
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=outcome.summary(),
        metadata={
            "expectations": outcome.evaluated,
            "failed": len(outcome.failures),
            "failures": dg.MetadataValue.md(
                "\n".join(f"- `{f.expectation}` on {f.column or 'table'}: {f.detail}" for f in outcome.failures)
                or "none"
            ),
        },
    )


RAW_DESCRIPTION = "Great Expectations suite on raw {path}: contract columns, lineage, row count."


def raw_expectations_result(con, key: dg.AssetCheckKey, spec: InputFile) -> dg.AssetCheckResult:  # noqa: ANN001
    """The raw file's suite, or why it was not run (a file outside the export's layout, a file
    that could not be loaded)."""
    from expectations import SuiteRef, validate_query

    current = current_export(con)
    layout = input_layout(current)
    if layout != spec.layout:
        # Not part of this export: the raw table is empty by design, which one count shows
        # (running the suite there cost about 0.3 s a file, seven or eight files a refresh).
        (rows,) = con.execute(f"select count(*) from raw.{spec.raw_table}").fetchone()
        return dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=rows == 0,
            severity=dg.AssetCheckSeverity.ERROR,
            description=f"not part of a {layout} export: raw.{spec.raw_table} holds {rows} rows (expected none); "
            f"the suite runs when the input layout is {spec.layout}",
            metadata={"expectations": 0, "rows": rows},
        )
    path = file_path(spec, study_parameters(current))
    reason = file_problems(con, current.export_id).get(path) or subject_file_problem(con, current, spec)
    if reason:  # the file was not loaded: nothing to validate, and the check says so
        return dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"not evaluated: raw {path} was not loaded ({reason})",
            metadata={"evaluated": False},
        )
    rows = int(registered_files(con, current.export_id)[path]["rows"])
    build = SuiteRef("expectations.raw_files", (tuple(spec.column_names), path, rows if rows >= 0 else None))
    query = f"select * from raw.{spec.raw_table}"
    return _result(key, validate_query(con, query, f"raw_{spec.raw_table}", build, worker.call))


def _raw_spec(spec: InputFile) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        "great_expectations",
        asset=raw_asset_key(spec),
        blocking=True,
        description=RAW_DESCRIPTION.format(path=spec.path),
    )


def build_subject_file_check(spec: InputFile) -> dg.AssetChecksDefinition:
    """The patient file's suite, a step of its own: every other file of the export waits for it."""
    check = _raw_spec(spec)

    @dg.multi_asset_check(specs=[check], name=f"{spec.raw_table}_great_expectations")
    def subject_file_expectations(warehouse: WarehouseResource):  # noqa: ANN202
        with warehouse.connect() as con:
            yield raw_expectations_result(con, check.key, spec)

    return subject_file_expectations


# One step runs the suites of every other raw file (each still its own blocking check in the Dagster
# UI, on its file's asset): a step per file cost more in Dagster's bookkeeping than the suites.
# The step fails, after running every suite, when any of them failed.
OTHER_FILES = {_raw_spec(spec).key: spec for spec in ALL_INPUT_FILES if spec not in SUBJECT_FILES}


@dg.multi_asset_check(
    specs=[_raw_spec(spec) for spec in OTHER_FILES.values()], can_subset=True, name="raw_great_expectations"
)
def raw_expectations(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):  # noqa: ANN201
    with warehouse.connect() as con:
        for key, spec in OTHER_FILES.items():
            if key in context.selected_asset_check_keys:
                yield raw_expectations_result(con, key, spec)


def _count(con, sql: str) -> int:  # noqa: ANN001
    return int(con.execute(sql).fetchone()[0])


# A blocking Great Expectations check on the marts where a suite checks what dbt's tests do not
# (docs/data_quality.md): (table, what the suite promises, the rows it validates, the arguments of
# its suite, from the warehouse's own counts). The marts' own rules are dbt tests, each in one layer only.
MART_SUITES = {
    "adsl": (
        "one row per enrolled patient (counted in intermediate.int_subjects)",
        "select * from adam.adsl",
        lambda con: (_count(con, "select count(*) from intermediate.int_subjects where ENRLDT is not null"),),
    ),
    "adex": (
        "plausible starting doses, relative dose intensities and SIRT activities",
        "select * from adam.adex",
        lambda con: (),
    ),
}


def build_mart_expectations_check(table: str) -> dg.AssetChecksDefinition:
    """The mart's suite as a blocking check of its own step. (One step for all the marts would
    make Dagster split the dbt build in two around it, a second dbt start-up that costs far more.)"""
    promise, query, suite_arguments = MART_SUITES[table]
    key = dg.AssetCheckKey(dg.AssetKey(["adam", table]), "great_expectations")

    @dg.asset_check(
        asset=key.asset_key,
        name=key.name,
        blocking=True,
        description=f"Great Expectations suite on {table.upper()}: {promise}.",
    )
    def mart_expectations(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from expectations import SuiteRef, validate_query

        with warehouse.connect() as con:
            return _result(
                key,
                validate_query(con, query, table, SuiteRef(f"expectations.{table}", suite_arguments(con)), worker.call),
            )

    return mart_expectations


EXPECTATION_CHECKS = [
    *(build_subject_file_check(spec) for spec in SUBJECT_FILES),
    raw_expectations,
    *(build_mart_expectations_check(table) for table in MART_SUITES),
]
