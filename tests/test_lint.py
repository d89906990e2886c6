"""The code stays clean: ruff's lint rules and its formatter and mypy on the plain packages
(configured in pyproject.toml), and sqlfluff on the dbt SQL (configured in .sqlfluff)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.settings import REPO_ROOT

RUFF = Path(sys.executable).with_name("ruff")


@pytest.mark.parametrize(
    "command", [["check", "--no-cache"], ["format", "--check", "--no-cache"]], ids=["lint", "format"]
)
def test_ruff(command):
    if not RUFF.exists():
        pytest.skip("ruff is not installed beside this Python (it is a dev dependency: uv sync)")
    completed = subprocess.run([str(RUFF), *command, "."], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr


MYPY = Path(sys.executable).with_name("mypy")


def test_mypy_on_the_plain_packages():
    """The packages in [tool.mypy] `files` (analysis, expectations and the plain stages) type-check."""
    if not MYPY.exists():
        pytest.skip("mypy is not installed beside this Python (it is a dev dependency: uv sync)")
    completed = subprocess.run([str(MYPY)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr


SQLFLUFF = Path(sys.executable).with_name("sqlfluff")
SQL_FOLDERS = ["dbt_project/models", "dbt_project/macros", "dbt_project/tests"]


def test_sqlfluff():
    """The dbt SQL is clean by the rules of .sqlfluff (jinja templater with dbt's builtins: no
    database, no profile). One process: two hung the CI once."""
    if not SQLFLUFF.exists():
        pytest.skip("sqlfluff is not installed beside this Python (it is a dev dependency: uv sync)")
    completed = subprocess.run(
        [str(SQLFLUFF), "lint", *SQL_FOLDERS, "--processes", "1", "--disable-progress-bar", "--nocolor"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
