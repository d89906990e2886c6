"""The submission package (XPORT, Dataset-JSON, define.xml) and the ADaM conformance checks that gate it."""

import json
import time

import dagster as dg

from orchestration.assets.tables import markdown
from orchestration.loading.load import current_export
from orchestration.publishing.submission.conformance import BLOCKING, RULES
from orchestration.resources import WarehouseResource
from orchestration.version import code_version

CONFORMANCE = dg.AssetKey(["quality", "conformance"])
SUBMISSION_PACKAGE = dg.AssetKey(["submission", "package"])
ADAM = [dg.AssetKey(["adam", table]) for table in ("adsl", "adrs", "adtte", "adtr", "adae", "adex")]


@dg.asset(
    key=CONFORMANCE,
    deps=ADAM,
    group_name="quality",
    kinds={"python", "duckdb"},
    description=(
        "ADaM conformance of the marts (ADaM IG, CDISC / Pinnacle 21 rules, XPORT limits, the define.xml "
        "metadata): one row per rule and dataset. docs/conformance.md lists the rules and their ids."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            name=rule.rule_id.lower(),
            asset=CONFORMANCE,
            blocking=rule.severity == BLOCKING,
            description=f"{rule.description} ({rule.reference}). {'Blocking' if rule.severity == BLOCKING else 'A warning'}.",
        )
        for rule in RULES
    ],
)
def conformance_asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.publishing.submission.package import run_conformance

    started = time.monotonic()
    with warehouse.connect() as con:
        current = current_export(con)
        outcome = run_conformance(con, current.export_id, json.loads(current.dbt_vars or "{}"))
    results = outcome.results
    checks = []
    for rule in RULES:
        rows = results[results.rule_id == rule.rule_id]
        failed = rows[~rows.passed]
        checks.append(
            dg.AssetCheckResult(
                check_name=rule.rule_id.lower(),
                passed=failed.empty,
                severity=dg.AssetCheckSeverity.ERROR if rule.severity == BLOCKING else dg.AssetCheckSeverity.WARN,
                description=(
                    f"passed on {len(rows)} dataset(s)"
                    if failed.empty
                    else "; ".join(f"{r.dataset}: {r.message}" for r in failed.itertuples())[:2000]
                ),
                metadata={"failing_rows": int(failed.findings.sum()), "datasets": ", ".join(rows.dataset)},
            )
        )
    return dg.MaterializeResult(
        metadata={
            "rules": len(RULES),
            "blocking_findings": int(outcome.blocking_failures.findings.sum()),
            "warnings": int(outcome.warnings.findings.sum()),
            "failed": markdown(results[~results.passed], ["rule_id", "dataset", "severity", "message"]),
            "seconds": round(time.monotonic() - started, 2),
        },
        check_results=checks,
    )


@dg.asset(
    key=SUBMISSION_PACKAGE,
    deps=[CONFORMANCE],
    group_name="publish",
    kinds={"python"},
    description=(
        "The submission package built from the dbt metadata: adsl.xpt ... (SAS XPORT v5), adsl.json ... "
        "(Dataset-JSON 1.1), define.xml (Define-XML 2.1) and define.html. Built only when no blocking "
        "conformance check failed; the snapshot publishes it as `submission/`."
    ),
)
def submission_package_asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.publishing.submission.package import build_package, study_of
    from orchestration.publishing.submission.spec import read_specification

    paths = warehouse.paths
    with warehouse.connect() as con:
        current = current_export(con)
        study = study_of(con, current.export_id, current.data_cutoff.isoformat(), code_version())
        specification = read_specification(dbt_vars=json.loads(current.dbt_vars or "{}"))
        package = build_package(con, paths.build / "submission", study, specification)
    return dg.MaterializeResult(
        metadata={
            "folder": dg.MetadataValue.path(str(package.folder)),
            "files": dg.MetadataValue.md("\n".join(f"- {f.name}: {f.bytes:,} bytes" for f in package.files)),
            "total_bytes": sum(f.bytes for f in package.files),
            "seconds": package.seconds,
        }
    )
