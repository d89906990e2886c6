"""Great Expectations suites as blocking asset checks on the raw files and on the ADaM marts."""

import dagster as dg

from orchestration.assets.ingest import raw_asset_key
from orchestration.contract import ALL_INPUT_FILES, InputFile, file_path
from orchestration.ingest import current_export, input_layout, registered_files, study_parameters
from orchestration.resources import WarehouseResource

ADSL = dg.AssetKey(["adam", "adsl"])


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
        from expectations import validate
        from expectations.raw_files import suite

        with warehouse.connect() as con:
            current = current_export(con)
            if input_layout(current) != spec.layout:
                rows, path = 0, spec.path  # not part of this export: the raw table is empty
            else:
                path = file_path(spec, study_parameters(current))
                rows = int(registered_files(con, current.export_id)[path]["rows"])
            frame = con.execute(f"select * from raw.{spec.raw_table}").df()
        return _result(validate(frame, f"raw_{spec.raw_table}", suite(spec, rows if rows >= 0 else None, path)))

    return raw_expectations


RAW_EXPECTATION_CHECKS = [build_raw_expectations_check(spec) for spec in ALL_INPUT_FILES]


@dg.asset_check(
    asset=ADSL,
    name="great_expectations",
    blocking=True,
    description="Great Expectations suite on ADSL: one row per enrolled patient, arms, populations, dates.",
)
def adsl_expectations(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from expectations import validate
    from expectations.adsl import suite

    with warehouse.connect() as con:
        frame = con.execute("select * from adam.adsl").df()
        (enrolled,) = con.execute("select count(*) from intermediate.int_subjects where ENRLDT is not null").fetchone()
        current = current_export(con)
        arms = list(study_parameters(current).get("arms") or [])
    return _result(validate(frame, "adsl", suite(arms, int(enrolled))))




ADRS = dg.AssetKey(["adam", "adrs"])
ADTTE = dg.AssetKey(["adam", "adtte"])


@dg.asset_check(
    asset=ADRS,
    name="great_expectations",
    blocking=True,
    description="Great Expectations suite on ADRS: each FAS patient has BOR, CBOR, RSP, CRSP, CCB, PD, DEATH, LSTA, MDIS once.",
)
def adrs_expectations(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from expectations import validate
    from expectations.adrs import suite

    with warehouse.connect() as con:
        frame = con.execute("select * from adam.adrs where PARAMCD <> 'OVR'").df()
        (fas,) = con.execute("select count(*) from adam.adsl where FASFL = 'Y'").fetchone()
    return _result(validate(frame, "adrs", suite(int(fas))))


@dg.asset_check(
    asset=ADTTE,
    name="great_expectations",
    blocking=True,
    description="Great Expectations suite on ADTTE: one row per patient and parameter, CNSR codes, AVAL >= 1, ADT >= STARTDT.",
)
def adtte_expectations(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from expectations import validate
    from expectations.adtte import suite

    with warehouse.connect() as con:
        frame = con.execute("select * from adam.adtte").df()
    return _result(validate(frame, "adtte", suite()))


ADAE = dg.AssetKey(["adam", "adae"])
ADEX = dg.AssetKey(["adam", "adex"])


def _arms(con) -> list[str]:  # noqa: ANN001
    return [row[0] for row in con.execute("select code from reference.codelists where codelist = 'ARM'").fetchall()]


@dg.asset_check(
    asset=ADAE,
    name="great_expectations",
    blocking=True,
    description="Great Expectations suite on ADAE: one row per AE, grades 1-5, TEAEs start on or after treatment, one worst-grade flag per patient.",
)
def adae_expectations(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from expectations import validate
    from expectations.adae import suite

    with warehouse.connect() as con:
        frame = con.execute("select * from adam.adae").df()
        arms = _arms(con)
    return _result(validate(frame, "adae", suite(arms)))


@dg.asset_check(
    asset=ADEX,
    name="great_expectations",
    blocking=True,
    description="Great Expectations suite on ADEX: one row per treated patient and parameter, plausible durations, doses, intensities and SIRT activities.",
)
def adex_expectations(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from expectations import validate
    from expectations.adex import suite

    with warehouse.connect() as con:
        frame = con.execute("select * from adam.adex").df()
        arms = _arms(con)
    return _result(validate(frame, "adex", suite(arms)))


EXPECTATION_CHECKS = [
    *RAW_EXPECTATION_CHECKS, adsl_expectations, adrs_expectations, adtte_expectations, adae_expectations, adex_expectations,
]
