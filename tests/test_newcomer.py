"""The README's two commands, run as a newcomer's machine would run them.

A fresh clone of the committed tree, an empty HOME (so no uv, pip or uv cache of ours), the
distribution's `/usr/bin/python3` first on PATH where it exists (Debian and Ubuntu mark it
externally managed: PEP 668), and nothing inherited from the virtual environment running this test.
The test command runs with `--collect-only` (through PYTEST_ADDOPTS, so the command itself is the
README's): it proves the install and every test module's imports, without running the suite twice;
its second run collects one module (it proves that uv installs nothing the second time).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from orchestration.settings import REPO_ROOT

pytestmark = pytest.mark.slow

# Variables that would let the newcomer's commands lean on this machine's set-up.
_INHERITED = (
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "CONDA_PREFIX",
    "WAREHOUSE_HOME",
    "DAGSTER_HOME",
    "WAREHOUSE_DBT_RECORDINGS",
    "PYTEST_ADDOPTS",
    "PYTEST_CURRENT_TEST",
)


def readme_commands() -> tuple[str, str]:
    """The demo and test commands, exactly as the README's "Two commands" section shows them."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)
    assert len(blocks) == 2, "the README's 'Two commands' section must hold two bash blocks"
    demo, test = (block.strip() for block in blocks)
    assert demo.endswith("warehouse demo") and test.endswith("pytest")
    return demo, test


def test_ci_runs_exactly_the_readme_test_command():
    _, test = readme_commands()
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == test


def _newcomer_env(home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _INHERITED and not key.startswith(("UV_", "PIP_REQUIRE"))
    }
    env["HOME"] = str(home)
    system_first = [folder for folder in ("/usr/bin", "/bin") if Path(folder, "python3").exists()]
    rest = [
        folder
        for folder in env.get("PATH", "").split(os.pathsep)
        if folder and folder not in system_first and "/.venv/" not in folder + "/" and ".tools" not in folder
    ]
    env["PATH"] = os.pathsep.join(system_first + rest)
    return env


def _run(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=1800, check=False
    )


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path_factory.mktemp("newcomer")
    clone = root / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True, timeout=120)
    home = root / "home"
    home.mkdir()
    return clone, _newcomer_env(home)


def test_readme_demo_command_on_a_fresh_machine(newcomer):
    clone, env = newcomer
    demo, _ = readme_commands()
    completed = _run(demo, clone, env)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "Published in" in completed.stdout
    assert (clone / ".warehouse" / "current" / "report.html").exists()
    # the project environment was made by uv from the lock, not by pip into a system Python
    assert (clone / ".venv" / "bin" / "warehouse").exists()
    assert (clone / ".tools" / "bin" / "uv").exists()


def test_readme_test_command_on_a_fresh_machine_and_a_second_run_installs_nothing(newcomer):
    clone, env = newcomer
    _, test = readme_commands()
    env = {**env, "PYTEST_ADDOPTS": "--collect-only -q"}
    first = _run(test, clone, env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert re.search(r"\d+ tests collected", first.stdout), first.stdout[-2000:]
    # The second run is about uv (it installs nothing): collecting one module is enough.
    second = _run(test, clone, {**env, "PYTEST_ADDOPTS": "--collect-only -q tests/test_newcomer.py"})
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    # uv reports every package it installs ("Installed N packages"); pip says nothing with --quiet
    assert "Installed" not in second.stderr and "Downloading" not in second.stderr, second.stderr
