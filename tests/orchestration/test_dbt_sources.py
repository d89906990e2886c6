"""dbt's `_sources.yml` and macro `input_files` are generated from the input contract; the committed
files are the generated ones."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from orchestration.loading import dbt_sources
from orchestration.loading.contract import ALL_INPUT_FILES, INPUT_FILES_BY_PATH, LAYOUTS, SUBJECT_FILE, layout_files


def test_committed_files_are_the_generated_ones() -> None:
    """Fails after a change to the contract, a code list or the quarantine table until
    `python -m orchestration.loading.dbt_sources` has been run and its output committed."""
    for path, generate in dbt_sources.GENERATED.items():
        assert path.read_text(encoding="utf-8") == generate(), (
            f"{path}: run python -m orchestration.loading.dbt_sources"
        )


def test_input_files_macro_lists_each_layout_in_contract_order() -> None:
    macro = dbt_sources.render_macro()
    for layout in LAYOUTS:
        block = macro.split(f"'{layout}': [", 1)[1].split("],", 1)[0]
        listed = [line.split("'raw_table': '", 1)[1].split("'", 1)[0] for line in block.strip().splitlines()]
        assert listed == [f.raw_table for f in layout_files(layout)]
    assert macro.count("'subject_file': true") == 2


def test_sources_list_the_contract_columns_and_the_quarantine_table() -> None:
    sources = {s["name"]: s for s in yaml.safe_load(dbt_sources.render())["sources"]}
    declared = {t["name"]: [c["name"] for c in t["columns"]] for t in sources["raw"]["tables"]}
    assert declared == {f.raw_table: [*f.column_names, "_export_id", "_file", "_line"] for f in ALL_INPUT_FILES}
    (quarantine,) = sources["quality"]["tables"]
    assert [c["name"] for c in quarantine["columns"]] == dbt_sources.quarantine_columns()
    assert "subjid" in dbt_sources.quarantine_columns()


def test_rules_are_described_from_the_contract() -> None:
    age = SUBJECT_FILE.column("AGE")
    assert dbt_sources.column_description(age, SUBJECT_FILE) == "Age at enrolment, years. Integer 18-100; required."
    wider = replace(age, minimum=16, maximum=99)
    assert dbt_sources.rule_text(wider, SUBJECT_FILE) == "Integer 16-99; required."
    surv = INPUT_FILES_BY_PATH["edc/surv.csv"]
    assert dbt_sources.rule_text(surv.column("DEATH_DAT"), surv) == (
        "Date `dd MMM yyyy`, day and month may be unknown (`UN`, `UNK`); required when STATUS = 'DEAD'; "
        "not before enrolment."
    )
    assert (
        dbt_sources.rule_text(SUBJECT_FILE.column("SEX"), SUBJECT_FILE) == "One of `M`, `F` (code list SEX); required."
    )


def test_check_mode_reports_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources, macro = tmp_path / "_sources.yml", tmp_path / "input_files.sql"
    sources.write_text(dbt_sources.render().replace("Integer 18-100", "Integer 18-99"), encoding="utf-8")
    macro.write_text(dbt_sources.render_macro(), encoding="utf-8")
    monkeypatch.setattr(dbt_sources, "GENERATED", {sources: dbt_sources.render, macro: dbt_sources.render_macro})
    assert dbt_sources.main(["--check"]) == 1
    assert dbt_sources.main([]) == 0 and dbt_sources.main(["--check"]) == 0
    assert "Integer 18-100" in sources.read_text(encoding="utf-8")
