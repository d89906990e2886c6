"""Imports follow the data flow: the plain packages never reach into the Dagster wiring.

`analysis/` (statistics and the report) and `expectations/` (Great Expectations suites) take
DataFrames, connections and plain values in; they import nothing from `orchestration/` and not
Dagster itself. The plain stages inside `orchestration/` (loading, publishing, the generator, the
change audit, the reporting tables) may use the study settings and each other, never Dagster or
the wiring that calls them.
An AST walk, so the rule holds for imports inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from orchestration.settings import REPO_ROOT

DAGSTER = ("dagster", "dagster_dbt", "dagster_webserver")
# The Dagster wiring and the entry points: what the plain stages are called by, never what they call.
WIRING = tuple(
    f"orchestration.{name}"
    for name in (
        "assets",
        "definitions",
        "resources",
        "automation",
        "check_history",
        "progress",
        "event_log",
        "cli",
        "refresh",
        "dbt_runner",
        "summary",
    )
)
FORBIDDEN = {
    "analysis": ("orchestration", *DAGSTER),
    "expectations": ("orchestration", *DAGSTER),
    "orchestration/loading": (*DAGSTER, *WIRING, "orchestration.publishing", "orchestration.synthetic"),
    "orchestration/publishing": (*DAGSTER, *WIRING, "orchestration.synthetic"),
    "orchestration/synthetic": (*DAGSTER, *WIRING, "orchestration.publishing"),
    "orchestration/changes": (*DAGSTER, *WIRING, "orchestration.synthetic"),
    "orchestration/reporting": (*DAGSTER, *WIRING, "orchestration.publishing", "orchestration.synthetic"),
}


def forbidden(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_plain_packages_do_not_import_the_orchestration(package):
    breaches = [
        f"{path.relative_to(REPO_ROOT)}:{line} imports {module}"
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        for line, module in imported_modules(path)
        if forbidden(module, FORBIDDEN[package])
    ]
    assert not breaches, "\n".join(breaches)


def test_the_walk_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from orchestration.loading.contract import INPUT_FILES\n    import dagster as dg\n"
    )
    assert imported_modules(module) == [(2, "orchestration.loading.contract"), (3, "dagster")]
