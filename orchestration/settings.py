"""Where the warehouse lives and which study configuration a refresh uses.

Both are read once, at the edge (the CLI or the Dagster resources), never at import time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestration.loading.contract import DBT_PROJECT_DIR

REPO_ROOT = DBT_PROJECT_DIR.parent
PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
DEFAULT_PROFILE = "lensirt"
# The demo's seed: its 78 patients show the arms' intended effects (checked in tests/test_end_to_end.py).
DEFAULT_SEED = 1
DEMO_PATIENTS = 78
# Published snapshots kept after each publish (the current one is always kept): WAREHOUSE_KEEP_SNAPSHOTS.
DEFAULT_KEEP_SNAPSHOTS = 10


@dataclass(frozen=True)
class WarehousePaths:
    """Every path the warehouse writes, all below one absolute WAREHOUSE_HOME."""

    home: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WarehousePaths:
        variables = os.environ if environ is None else environ
        raw = variables.get("WAREHOUSE_HOME") or str(REPO_ROOT / ".warehouse")
        return cls(Path(raw).expanduser().resolve())

    @property
    def database(self) -> Path:
        """The build database: only the refresh job opens it."""
        return self.home / "warehouse.duckdb"

    @property
    def snapshots(self) -> Path:
        return self.home / "snapshots"

    @property
    def current(self) -> Path:
        """Symlink to the newest published snapshot folder, switched atomically."""
        return self.home / "current"

    @property
    def current_database(self) -> Path:
        return self.current / "warehouse.duckdb"

    @property
    def build(self) -> Path:
        """Files a refresh builds beside the database before publishing copies them (the report)."""
        return self.home / "build"

    @property
    def report(self) -> Path:
        return self.build / "report.html"

    @property
    def current_report(self) -> Path:
        return self.current / "report.html"

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def keep_snapshots(self) -> int:
        """How many published snapshots to keep (WAREHOUSE_KEEP_SNAPSHOTS; at least the current one)."""
        raw = os.environ.get("WAREHOUSE_KEEP_SNAPSHOTS", "")
        try:
            return max(1, int(raw)) if raw.strip() else DEFAULT_KEEP_SNAPSHOTS
        except ValueError:
            raise ValueError(f"WAREHOUSE_KEEP_SNAPSHOTS must be a whole number, not {raw!r}") from None

    @property
    def dbt_target(self) -> Path:
        return self.home / "dbt" / "target"

    @property
    def dbt_recorded(self) -> Path:
        """This warehouse's recorded dbt runs (orchestration/dbt_replay.py)."""
        return self.home / "dbt" / "recorded"

    def ensure(self) -> WarehousePaths:
        for folder in (self.home, self.snapshots, self.landing, self.dagster_home):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def shared_dbt_recordings(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where the warehouses built from this checkout share the dbt runs they recorded
    (orchestration/dbt_replay.py): WAREHOUSE_DBT_RECORDINGS, a folder or `none` (each warehouse
    replays only its own runs); by default beside dbt's own files of this checkout, in
    dbt_project/target/recorded (ignored by git, so a fresh clone starts without any)."""
    raw = (os.environ if environ is None else environ).get("WAREHOUSE_DBT_RECORDINGS", "").strip()
    if raw.lower() == "none":
        return None
    return Path(raw).expanduser().resolve() if raw else DBT_PROJECT_DIR / "target" / "recorded"


def dbt_project_vars() -> dict[str, Any]:
    """The study defaults: the `vars` block of dbt_project.yml, the single study configuration."""
    with (DBT_PROJECT_DIR / "dbt_project.yml").open(encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle).get("vars", {}))


@dataclass(frozen=True)
class StudyConfig:
    """Section-5 parameters for one refresh: dbt_project.yml defaults, then a profile, then a file."""

    profile: str = DEFAULT_PROFILE
    parameters: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, profile: str | None = None, config_file: Path | None = None) -> StudyConfig:
        profile = profile or DEFAULT_PROFILE
        parameters = dbt_project_vars()
        profile_file = PROFILES_DIR / f"{profile}.yml"
        if not profile_file.exists():
            known = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.yml")))
            raise ValueError(f"unknown study profile '{profile}' (known profiles: {known})")
        parameters.update(_read_yaml(profile_file))
        if config_file is not None:
            parameters.update(_read_yaml(Path(config_file)))
        unknown = sorted(set(parameters) - set(dbt_project_vars()))
        if unknown:
            raise ValueError(f"unknown study parameter(s): {', '.join(unknown)}")
        return cls(profile=profile, parameters=parameters)

    def dbt_vars(self, export_id: str, export_date: str, data_cutoff: str) -> str:
        """The `--vars` argument for one dbt invocation (pure: unit-tested)."""
        values = dict(self.parameters)
        values.update(export_id=export_id, export_date=export_date, data_cutoff=data_cutoff)
        return json.dumps(values, sort_keys=True, default=str)


# The values that change with every export. dbt does not get them on its command line: dbt
# re-parses the whole project whenever --vars change, and its compiled SQL would change with every
# export. A refresh's SQL reads them, when it runs, from the export the refresh registered
# (macros/study.sql `run_value`): the table named by WAREHOUSE_RUN_VALUES.
RUN_VALUES = ("export_id", "export_date", "data_cutoff")
RUN_VALUES_TABLE = "audit.current_export"


def dbt_invocation(dbt_vars: str) -> tuple[str, dict[str, str]]:
    """A run's recorded dbt vars as dbt is called: (--vars without the run values, the
    environment that points dbt's SQL at the registered export for them)."""
    values = json.loads(dbt_vars or "{}")
    for name in RUN_VALUES:
        values.pop(name, None)
    return json.dumps(values, sort_keys=True, default=str), {"WAREHOUSE_RUN_VALUES": RUN_VALUES_TABLE}


def _read_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        content = yaml.safe_load(handle) or {}
    if not isinstance(content, dict):
        raise ValueError(f"{path}: expected a mapping of study parameters")
    return content.get("parameters", content)
