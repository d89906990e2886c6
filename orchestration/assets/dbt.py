"""The dbt project as Dagster assets: staging, intermediate, ADaM and quality models.

dbt tests become asset checks; `dbt build` stops at the first failing test, so a broken model never
feeds the marts or the published snapshot.
"""

import hashlib
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject, dbt_assets

from orchestration.check_history import rule_failures
from orchestration.concurrent_steps import RUNS_ALONE
from orchestration.dbt_replay import RecordedRuns
from orchestration.dbt_runner import InProcessDbtResource
from orchestration.loading.contract import DBT_PROJECT_DIR
from orchestration.loading.load import current_export
from orchestration.resources import WarehouseResource
from orchestration.settings import dbt_invocation, shared_dbt_recordings

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# dbt schema -> Dagster group, so the graph reads left to right like the data flow.
GROUPS = {
    "staging": "staging",
    "intermediate": "intermediate",
    "adam": "adam",
    "quality": "quality",
    "reference": "reference",
    "reporting": "reporting",
}


def ref_name(text: object) -> str:
    """`ref('adsl')` -> `adsl`."""
    return str(text or "").strip().removeprefix("ref(").removesuffix(")").strip("'\" ")


def check_description(test: Mapping[str, Any], model: str) -> str:
    """What a dbt test guards, in words, for the Dagster UI (a test's own description wins)."""
    if test.get("description"):
        return str(test["description"])
    name = (test.get("test_metadata") or {}).get("name")
    kwargs = (test.get("test_metadata") or {}).get("kwargs", {})
    column = kwargs.get("column_name")
    if name == "column_rules":
        return (
            f"Every column rule of {model} holds: types, required values, code lists, ranges, keys and "
            "patients known to the parent model as its .yml declares (the rules metadata lists them; a failing rule names its rows)."
        )
    if name == "relationships":
        return f"Every {column} of {model} exists as {kwargs.get('field')} in {ref_name(kwargs.get('to'))}."
    if name == "expression_is_true":
        return f"On every row of {model}: {kwargs.get('expression')}."
    if name == "not_null":
        return f"{column} is never empty in {model}."
    if name == "unique":
        return f"{column} is unique in {model}."
    if name == "unique_combination_of_columns":
        return f"One row of {model} per {', '.join(kwargs.get('combination_of_columns', []))}."
    return f"{str(test['name']).replace('_', ' ').capitalize()} (dbt test on {model})."


class WarehouseTranslator(DagsterDbtTranslator):
    """Asset key = [schema, model]; group = the layer; the description without the raw SQL. The rest as dagster-dbt does it."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id)
        if node is None or node["resource_type"] not in ("model", "seed", "snapshot"):
            return spec
        schema = node["config"].get("schema") or node["schema"]
        return spec.replace_attributes(key=dg.AssetKey([schema, node["name"]]), group_name=GROUPS.get(schema, schema))

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return spec._replace(description=check_description(manifest["nodes"][unique_id], asset_spec.key.path[-1]))

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The model's own description, which a data manager reads; its SQL is under Code references."""
        props = dbt_resource_props
        return props.get("description") or f"dbt {props['resource_type']} {props['name']}"


TRANSLATOR = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    name="dbt_models",
    op_tags={RUNS_ALONE: "true"},  # it closes the run's database connection for dbt's own
)
def dbt_models(context: dg.AssetExecutionContext, dbt: InProcessDbtResource, warehouse: WarehouseResource):  # noqa: ANN201
    """Build the selected models and run their tests with this run's study parameters."""
    with warehouse.connect() as con:
        current = current_export(con)
    # dbt's last run again when nothing it reads has changed, else dbt itself (recorded for next time).
    recorded = RecordedRuns(
        warehouse.paths.dbt_recorded, warehouse.connect, warehouse.release, shared=shared_dbt_recordings()
    )
    target = warehouse.paths.dbt_target / context.run.run_id
    cli_vars, run_values = dbt_invocation(current.dbt_vars)
    parse_state = reuse_parse_state(warehouse.paths.home / "dbt", cli_vars, target)
    # dbt unit tests prove the SQL logic in the test suite; a refresh runs models and data tests.
    # dbt's info lines are in the refresh's own log (logs/refresh-*.log, through dagster-dbt);
    # dbt.log keeps its warnings and errors (its debug level wrote 11 MB and seconds per refresh).
    args = ["build", "--vars", cli_vars, "--exclude-resource-type", "unit_test", "--log-level-file", "warn"]
    with environment(run_values):  # dbt reads them while it runs, on a thread of this process
        invocation = dbt.cli(args, context=context, target_path=target, raise_on_error=False, recorded=recorded)
        failed: list[tuple[dg.AssetCheckResult, list[str]]] = []
        for event in invocation.stream():
            rules = column_rules_of(event, invocation.manifest)
            if rules is None:
                yield event
            elif event.passed:
                yield with_rule_outcomes(event, dict.fromkeys(rules))
            else:  # its rows are read once dbt has exited and released the database
                failed.append((event, rules))
    if failed:
        try:
            results = invocation.get_artifact("run_results.json")["results"]
        except (OSError, ValueError):  # dbt stopped before writing its results
            results = []
        compiled = {r["unique_id"]: r.get("compiled_code") for r in results}
        with warehouse.connect() as con:
            for event, rules in failed:
                sql = compiled.get(str(event.metadata["unique_id"].value))
                try:
                    found = rule_failures(con, sql) if sql else {}
                except duckdb.Error:  # the test's query itself failed (dbt's error says why)
                    found = {}
                yield with_rule_outcomes(event, {**dict.fromkeys(rules), **found})
    keep_parse_state(target, parse_state)
    error = invocation.get_error()
    if error is not None:
        raise error


PARSE_STATE = "partial_parse.msgpack"


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """`values` in os.environ while dbt's process starts, then the environment as it was."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def reuse_parse_state(folder: Path, cli_vars: str, target: Path) -> Path:
    """Give this run's dbt the parse state the last refresh with the same --vars left, so that dbt
    re-parses only what changed (a full parse of the project costs seconds). Returns where to keep
    this run's state for the next one."""
    kept = folder / f"{hashlib.sha256(cli_vars.encode()).hexdigest()[:12]}.{PARSE_STATE}"
    if kept.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(kept, target / PARSE_STATE)
    return kept


def keep_parse_state(target: Path, kept: Path) -> None:
    if (target / PARSE_STATE).exists():
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_suffix(".partial")
        shutil.copyfile(target / PARSE_STATE, partial)
        partial.replace(kept)


# The dbt test that checks a model's column rules in one query (tests/generic/column_rules.sql),
# and its rules in the order that test checks them.
COLUMN_RULES_TEST = "column_rules"
COLUMN_RULE_KINDS = ("not_null", "unique", "accepted_values", "in_codelist")


def column_rule_labels(arguments: Mapping[str, Any]) -> list[str]:
    """`not_null(SUBJID)`, `unique_combination(USUBJID, PARAMCD)`, `expression(ADY >= 2)`,
    `relationship(USUBJID in adsl.USUBJID)`, ...: the names column_rules gives its rules."""
    labels = [f"{kind}({column})" for kind in COLUMN_RULE_KINDS for column in (arguments.get(kind) or [])]
    labels += [f"unique_combination({', '.join(columns)})" for columns in arguments.get("unique_combinations") or []]
    labels += [f"expression({' '.join(str(expression).split())})" for expression in arguments.get("expressions") or []]
    labels += [
        f"relationship({link['column']} in {ref_name(link['to'])}.{link['field']})"
        for link in arguments.get("relationships") or []
    ]
    return labels


def column_rules_of(event: Any, manifest: Mapping[str, Any]) -> list[str] | None:
    """The rules of a column_rules check result; None for any other event."""
    if not isinstance(event, dg.AssetCheckResult) or "unique_id" not in event.metadata:
        return None
    node = manifest["nodes"].get(str(event.metadata["unique_id"].value)) or {}
    test = node.get("test_metadata") or {}
    return column_rule_labels(test.get("kwargs") or {}) if test.get("name") == COLUMN_RULES_TEST else None


def with_rule_outcomes(event: dg.AssetCheckResult, failures: Mapping[str, str | None]) -> dg.AssetCheckResult:
    """The check result with every rule's outcome (and a failing rule's rows) for the Dagster UI."""
    broken = {rule: rows for rule, rows in failures.items() if rows}
    lines = ["| rule | outcome | failing rows |", "|---|---|---|"]
    lines += [f"| `{rule}` | {'failed' if rows else 'passed'} | {rows or ''} |" for rule, rows in failures.items()]
    if broken:
        description = f"{len(broken)} of {len(failures)} column rules failed: " + "; ".join(
            f"{rule}: {rows}" for rule, rows in broken.items()
        )
    elif event.passed:
        description = f"all {len(failures)} column rules hold"
    else:
        description = "column rules failed; their failing rows could not be read back (see the dbt log)"
    metadata = {**event.metadata, "rules": dg.MetadataValue.md("\n".join(lines))}
    if broken:
        metadata["failing_rows"] = dg.MetadataValue.text("; ".join(f"{rule}: {rows}" for rule, rows in broken.items()))
    return dg.AssetCheckResult(
        passed=event.passed,
        asset_key=event.asset_key,
        check_name=event.check_name,
        metadata=metadata,
        severity=event.severity,
        description=description,
    )
