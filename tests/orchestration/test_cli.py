"""The `warehouse` command line: help, version, the light `sql` path and the query output."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from orchestration.cli import build_parser, main
from orchestration.loading.readers import export_tags
from orchestration.publishing.snapshot import prune_snapshots, switch_current
from orchestration.settings import WarehousePaths
from orchestration.sql_output import cell, write_csv, write_table


def test_every_option_has_help_and_defaults_are_shown(capsys):
    for command in ("demo", "generate", "refresh", "sql", "ui"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert "(default: None)" not in out
    parser = build_parser()
    for action in parser._subparsers._group_actions[0].choices["demo"]._actions:  # noqa: SLF001
        assert action.help, action.dest
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    assert "(default: 78)" in capsys.readouterr().out


def test_version_names_the_package_and_commit(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("warehouse 0.1.0")


def home_with_an_empty_snapshot(tmp_path: Path) -> Path:
    import duckdb

    home = tmp_path / "home"
    snapshot = home / "snapshots" / "20260101T000000Z_x"
    snapshot.mkdir(parents=True)
    duckdb.connect(str(snapshot / "warehouse.duckdb")).close()
    (home / "current").symlink_to("snapshots/20260101T000000Z_x")
    return home


def test_sql_path_imports_neither_dagster_nor_pandas(tmp_path):
    """`warehouse sql` answers a trivial query without the heavy libraries (about 0.2 s)."""
    home = home_with_an_empty_snapshot(tmp_path)
    script = (
        "import sys; from orchestration.cli import main; status = main(['sql', 'select 42 as answer']); "
        "heavy = [m for m in ('dagster', 'pandas', 'numpy', 'great_expectations', 'lifelines') if m in sys.modules]; "
        "print(status, heavy)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"WAREHOUSE_HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[-1] == "0 []"
    assert "42" in completed.stdout


def test_output_piped_into_head_stops_without_a_traceback(tmp_path):
    """`warehouse sql ... | head -1`: when the reader goes away the command ends quietly (exit 141)."""
    home = home_with_an_empty_snapshot(tmp_path)
    command = [sys.executable, "-c", "import sys; from orchestration.cli import main; sys.exit(main(sys.argv[1:]))"]
    writer = subprocess.Popen(
        [*command, "sql", "select range as n from range(200000)", "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"WAREHOUSE_HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    assert writer.stdout is not None and writer.stderr is not None
    first = writer.stdout.readline()
    writer.stdout.close()  # what `head -1` does after its line
    status = writer.wait(timeout=60)
    errors = writer.stderr.read().decode()
    assert first.strip() and "Traceback" not in errors, errors
    assert status == 141


def test_cells_are_null_one_way_and_numbers_at_full_precision():
    assert cell(None) == "NULL"
    assert cell(1 / 3) == "0.3333333333333333"
    assert cell(float("nan")) == "NaN"
    assert cell(date(2025, 1, 2)) == "2025-01-02"
    assert cell(True) == "true"


def test_table_output_aligns_numbers_and_counts_the_rows_left_out():
    out = io.StringIO()
    write_table(out, ["name", "n"], [("a", 1), ("bb", None), ("c", 300)], max_rows=2)
    lines = out.getvalue().splitlines()
    assert lines[0] == "name     n"
    assert lines[2:4] == ["a        1", "bb    NULL"]
    assert lines[-1].startswith("... 1 more rows (3 in all")
    out = io.StringIO()
    write_csv(out, ["a", "b"], [(None, 0.1)])
    assert out.getvalue() == "a,b\n,0.1\n"


def test_retention_keeps_the_newest_and_never_the_current(tmp_path):
    paths = WarehousePaths(tmp_path / "home").ensure()
    names = [f"2026010{i}T000000000000Z_export" for i in range(1, 6)]
    for name in names:
        (paths.snapshots / name).mkdir()
    switch_current(paths, paths.snapshots / names[0])  # an analyst pinned an old one as current
    removed = prune_snapshots(paths, keep=2)
    assert removed == names[1:3]
    assert sorted(p.name for p in paths.snapshots.iterdir()) == [names[0], *names[3:]]
    assert prune_snapshots(paths, keep=2) == []


def test_keep_snapshots_reads_its_setting(monkeypatch, tmp_path):
    paths = WarehousePaths(tmp_path)
    monkeypatch.setenv("WAREHOUSE_KEEP_SNAPSHOTS", "3")
    assert paths.keep_snapshots == 3
    monkeypatch.setenv("WAREHOUSE_KEEP_SNAPSHOTS", "many")
    with pytest.raises(ValueError, match="WAREHOUSE_KEEP_SNAPSHOTS must be a whole number"):
        _ = paths.keep_snapshots


def test_run_tags_name_the_export(tmp_path):
    folder = tmp_path / "export-2025-06-30"
    folder.mkdir()
    assert export_tags(folder) == {"export": "export-2025-06-30"}
    (folder / "manifest.json").write_text(json.dumps({"export_id": "LENSIRT-42"}))
    assert export_tags(Path(folder)) == {"export": "export-2025-06-30", "export_id": "LENSIRT-42"}
