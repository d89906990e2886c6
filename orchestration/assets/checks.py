"""Great Expectations suites as blocking asset checks on the raw files and on the ADaM marts."""

import dagster as dg

from orchestration.assets.ingest import raw_asset_key
from orchestration.loading.contract import ALL_INPUT_FILES, InputFile, file_path
from orchestration.loading.load import (
    current_export,
    file_problems,
    input_layout,
    registered_files,
    study_parameters,
    subject_file_problem,
)
from orchestration.resources import WarehouseResource


def _result(outcome) -> dg.AssetCheckResult:  # noqa: ANN001
    return dg.AssetCheckResult(
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


def build_raw_expectations_check(spec: InputFile) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(spec),
        name="great_expectations",
        blocking=True,
        description=f"Great Expectations suite on raw {spec.path}: contract columns, lineage, row count.",
    )
    def raw_expectations(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from expectations import validate_query
        from expectations.raw_files import suite

        with warehouse.connect() as con:
            current = current_export(con)
            layout = input_layout(current)
            if layout != spec.layout:
                # Not part of this export: the raw table is empty by design, which one count shows
                # (running the suite there cost about 0.3 s a file, seven or eight files a refresh).
                (rows,) = con.execute(f"select count(*) from raw.{spec.raw_table}").fetchone()
                return dg.AssetCheckResult(
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
                    passed=False,
                    severity=dg.AssetCheckSeverity.WARN,
                    description=f"not evaluated: raw {path} was not loaded ({reason})",
                    metadata={"evaluated": False},
                )
            rows = int(registered_files(con, current.export_id)[path]["rows"])
            build = suite(spec.column_names, path, rows if rows >= 0 else None)
            return _result(validate_query(con, f"select * from raw.{spec.raw_table}", f"raw_{spec.raw_table}", build))

    return raw_expectations


RAW_EXPECTATION_CHECKS = [build_raw_expectations_check(spec) for spec in ALL_INPUT_FILES]


def _study_arms(con) -> list[str]:  # noqa: ANN001
    """The arms of the study being refreshed (profile-aware: LEN+SIRT/LEN, or the SDTM study's)."""
    return list(study_parameters(current_export(con)).get("arms") or [])


def _count(con, sql: str) -> int:  # noqa: ANN001
    return int(con.execute(sql).fetchone()[0])


# One blocking Great Expectations check per ADaM mart: (table, what the suite promises, the rows it
# validates, the suite built from the warehouse's own counts and arms).
MART_SUITES = {
    "adsl": (
        "one row per enrolled patient, arms, populations, dates",
        "select * from adam.adsl",
        lambda con, module: module.suite(
            _study_arms(con), _count(con, "select count(*) from intermediate.int_subjects where ENRLDT is not null")
        ),
    ),
    "adrs": (
        "each FAS patient has BOR, CBOR, RSP, CRSP, CCB, PD, DEATH, LSTA, MDIS once",
        "select * from adam.adrs where PARAMCD <> 'OVR'",
        lambda con, module: module.suite(_count(con, "select count(*) from adam.adsl where FASFL = 'Y'")),
    ),
    "adtte": (
        "one row per patient and parameter, CNSR codes, AVAL >= 1, ADT >= STARTDT",
        "select * from adam.adtte",
        lambda con, module: module.suite(),
    ),
    "adae": (
        "one row per AE, grades 1-5, TEAEs start on or after treatment, one worst-grade flag per patient",
        "select * from adam.adae",
        lambda con, module: module.suite(_study_arms(con)),
    ),
    "adex": (
        "one row per treated patient and parameter, plausible durations, doses, intensities and SIRT activities",
        "select * from adam.adex",
        lambda con, module: module.suite(_study_arms(con)),
    ),
}


def build_mart_expectations_check(table: str) -> dg.AssetChecksDefinition:
    promise, query, build_suite = MART_SUITES[table]

    @dg.asset_check(
        asset=dg.AssetKey(["adam", table]),
        name="great_expectations",
        blocking=True,
        description=f"Great Expectations suite on {table.upper()}: {promise}.",
    )
    def mart_expectations(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        import importlib

        from expectations import validate_query

        module = importlib.import_module(f"expectations.{table}")
        with warehouse.connect() as con:
            return _result(validate_query(con, query, table, build_suite(con, module)))

    return mart_expectations


EXPECTATION_CHECKS = [*RAW_EXPECTATION_CHECKS, *(build_mart_expectations_check(table) for table in MART_SUITES)]
