"""Shared test setup: the dbt manifest dagster-dbt needs, an isolated WAREHOUSE_HOME, and the demo
warehouse that every test reading a refreshed, published warehouse shares (built once per run)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.refresh import ensure_dbt_manifest


def pytest_configure(config: pytest.Config) -> None:
    # orchestration.definitions reads dbt_project/target/manifest.json at import time.
    ensure_dbt_manifest()


# The order xdist hands the modules out in (pyproject's addopts: --dist loadscope, one module per
# worker at a time, --no-loadscope-reorder: in collection order, where xdist would start with the
# modules of most tests and leave the longest, of three tests, to run alone at the end). The two
# longest start first, one on each worker; neither needs the shared demo warehouse, which the next
# module that does builds meanwhile. Then the other end-to-end modules, then the rest.
STARTS_FIRST = ("tests/test_newcomer.py", "tests/test_reliability.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        module = item.nodeid.split("::", 1)[0]
        if module in STARTS_FIRST:
            return STARTS_FIRST.index(module)
        return len(STARTS_FIRST) + (0 if item.get_closest_marker("slow") else 1)

    items.sort(key=rank)  # stable: collection order within a rank


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test run's temporary folder, the same for all its xdist workers (each has a subfolder)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", autouse=True)
def shared_dbt_recordings(tmp_path_factory) -> Iterator[Path]:
    """The dbt runs the test warehouses record and replay for each other (orchestration/dbt_replay.py):
    one folder per test run, shared by its xdist workers, so that every run starts without any,
    as CI's fresh clone does, and none is left in the checkout's dbt_project/target."""
    folder = run_folder(tmp_path_factory) / "dbt-recorded"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WAREHOUSE_DBT_RECORDINGS", str(folder))
        yield folder


@pytest.fixture
def warehouse_home(tmp_path, monkeypatch):
    """A fresh WAREHOUSE_HOME (and DAGSTER_HOME inside it) for one test."""
    from orchestration.settings import WarehousePaths

    home = tmp_path / "warehouse"
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    return WarehousePaths(home).ensure()


@contextmanager
def warehouse_environment(home: Path) -> Iterator[None]:
    """WAREHOUSE_HOME and DAGSTER_HOME pointing at `home` for the duration (then as they were)."""
    saved = {key: os.environ.get(key) for key in ("WAREHOUSE_HOME", "DAGSTER_HOME")}
    os.environ["WAREHOUSE_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass(frozen=True)
class DemoWarehouse:
    """The 78-patient demo export (the README's `warehouse demo`), refreshed and published once."""

    paths: object  # WarehousePaths
    export: object  # the generator's GeneratedExport
    outcome: object  # RefreshOutcome of the refresh that published it

    def __iter__(self):  # paths, export, outcome = demo_warehouse
        return iter((self.paths, self.export, self.outcome))


@contextmanager
def built_once(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[tuple[Path, bool]]:
    """A folder shared by every xdist worker of this test run, and whether it still has to be
    built: the first worker to ask builds it while the others wait on a lock, then they read it."""
    import fcntl

    root = run_folder(tmp_path_factory)
    folder = root / name
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = folder / ".built"
        yield folder, not built.exists()
        folder.mkdir(parents=True, exist_ok=True)
        built.touch()


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> DemoWarehouse:
    """One published demo warehouse for the whole test run, built by the first xdist worker that
    needs it. Read it; never refresh into it (take `demo_warehouse_copy` for that), so that every
    test sees the same first snapshot."""
    import pickle

    with built_once(tmp_path_factory, "demo") as (root, to_build):
        if to_build:
            from orchestration.refresh import run_refresh
            from orchestration.settings import DEFAULT_SEED, WarehousePaths
            from orchestration.synthetic.generator import generate_export

            home = root / "warehouse"
            with warehouse_environment(home):
                paths = WarehousePaths(home).ensure()
                export = generate_export(root / "exports" / "demo", patients=78, seed=DEFAULT_SEED)
                outcome = run_refresh(paths, export.path, progress=False)
            assert outcome.published, outcome.problems
            (root / "demo.pickle").write_bytes(pickle.dumps(DemoWarehouse(paths, export, outcome)))
        return pickle.loads((root / "demo.pickle").read_bytes())


def copy_demo_warehouse(demo: DemoWarehouse, target: Path) -> DemoWarehouse:
    """A private copy of the demo warehouse (build file, snapshots, Dagster history) at `target`,
    for tests that refresh again or change it. Its `current` link is relative, so it stays inside."""
    import dataclasses

    from orchestration.settings import WarehousePaths

    shutil.copytree(demo.paths.home, target, symlinks=True)

    def moved(path: Path | None) -> Path | None:
        return target / path.relative_to(demo.paths.home) if path is not None else None

    outcome = dataclasses.replace(demo.outcome, snapshot=moved(demo.outcome.snapshot), log=moved(demo.outcome.log))
    return DemoWarehouse(WarehousePaths(target).ensure(), demo.export, outcome)


@pytest.fixture(scope="module")
def demo_warehouse_copy(demo_warehouse, tmp_path_factory) -> Iterator[DemoWarehouse]:
    """A copy of the demo warehouse for one test module, with WAREHOUSE_HOME pointing at it."""
    copy = copy_demo_warehouse(demo_warehouse, tmp_path_factory.mktemp("demo-copy") / "warehouse")
    with warehouse_environment(copy.paths.home):
        yield copy


@pytest.fixture
def demo_environment(demo_warehouse) -> Iterator[DemoWarehouse]:
    """WAREHOUSE_HOME pointing at the shared demo warehouse for one test (CLI reads, `warehouse sql`)."""
    with warehouse_environment(demo_warehouse.paths.home):
        yield demo_warehouse
