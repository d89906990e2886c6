"""The dbt project as Dagster assets: staging, intermediate, ADaM and quality models.

dbt tests become asset checks; `dbt build` stops at the first failing test, so a broken model never
feeds the marts or the published snapshot.
"""

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from orchestration.contract import DBT_PROJECT_DIR
from orchestration.ingest import current_export
from orchestration.resources import WarehouseResource


def dbt_executable() -> str:
    """The dbt installed beside this Python (so `.venv/bin/warehouse` works without an activated
    venv), as `warehouse-dbt`: dbt that exits when the refresh running it is killed."""
    for name in ("warehouse-dbt", "dbt"):
        beside = Path(sys.executable).with_name(name)
        if beside.exists():
            return str(beside)
    return "dbt"


DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# dbt schema -> Dagster group, so the graph reads left to right like the data flow.
GROUPS = {"staging": "staging", "intermediate": "intermediate", "adam": "adam", "quality": "quality",
          "reference": "reference", "reporting": "reporting"}


class WarehouseTranslator(DagsterDbtTranslator):
    """Asset key = [schema, model]; group = the layer. Everything else as dagster-dbt does it."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id)
        if node is None or node["resource_type"] not in ("model", "seed", "snapshot"):
            return spec
        schema = node["config"].get("schema") or node["schema"]
        return spec.replace_attributes(key=dg.AssetKey([schema, node["name"]]), group_name=GROUPS.get(schema, schema))


TRANSLATOR = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=TRANSLATOR, name="dbt_models")
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):  # noqa: ANN201
    """Build the selected models and run their tests with this run's study parameters."""
    with warehouse.connect() as con:
        current = current_export(con)
    target = warehouse.paths.dbt_target / context.run.run_id
    # dbt unit tests prove the SQL logic in the test suite; a refresh runs models and data tests.
    args = ["build", "--vars", current.dbt_vars, "--exclude-resource-type", "unit_test"]
    yield from dbt.cli(args, context=context, target_path=target).stream()
