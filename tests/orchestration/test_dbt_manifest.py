"""The dbt manifest dagster-dbt reads (orchestration/refresh.py `ensure_dbt_manifest`): parsed when a
project file is newer, and by one process at a time."""

from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest

from orchestration import refresh
from orchestration.loading import contract


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A dbt project folder with one model, and a `dbt parse` that takes a while and counts itself."""
    folder = tmp_path / "dbt_project"
    (folder / "models").mkdir(parents=True)
    (folder / "models" / "adsl.sql").write_text("select 1")
    monkeypatch.setattr(contract, "DBT_PROJECT_DIR", folder)
    parses = []

    def parse(command, **_):
        parses.append(command)
        time.sleep(0.3)
        (folder / "target" / "manifest.json").write_text("{}")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(refresh.subprocess, "run", parse)
    return folder, parses


def test_the_manifest_is_parsed_when_missing_or_older_than_a_project_file(project):
    folder, parses = project
    refresh.ensure_dbt_manifest()
    refresh.ensure_dbt_manifest()
    assert len(parses) == 1 and parses[0][1] == "parse"
    manifest = folder / "target" / "manifest.json"
    os.utime(manifest, (manifest.stat().st_mtime - 10,) * 2)  # the model changed after the parse
    refresh.ensure_dbt_manifest()
    assert len(parses) == 2


def test_two_processes_that_need_the_manifest_at_once_parse_once(project):
    _, parses = project
    both = [threading.Thread(target=refresh.ensure_dbt_manifest) for _ in range(2)]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join()
    assert len(parses) == 1  # the second waited for the first's parse and found the manifest fresh


def test_a_failed_parse_says_what_dbt_said(project, monkeypatch):
    def failing(command, **_):
        return subprocess.CompletedProcess(command, 1, "", "Compilation Error in model adsl")

    monkeypatch.setattr(refresh.subprocess, "run", failing)
    with pytest.raises(RuntimeError, match="dbt parse failed:\nCompilation Error in model adsl"):
        refresh.ensure_dbt_manifest()


def test_a_project_under_a_folder_named_target_is_still_watched(tmp_path, monkeypatch):
    folder = tmp_path / "target" / "dbt_project"
    (folder / "models").mkdir(parents=True)
    (folder / "models" / "adsl.sql").write_text("select 1")
    (folder / "target").mkdir()
    manifest = folder / "target" / "manifest.json"
    manifest.write_text("{}")
    os.utime(manifest, (manifest.stat().st_mtime - 10,) * 2)
    assert not refresh._manifest_is_fresh(folder, manifest)
