"""The follow-up export: the same trial a month later, with the changes real exports have."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pandas as pd
import pytest

from orchestration.loading.contract import INPUT_FILES
from orchestration.loading.readers import open_export
from orchestration.synthetic.follow_up import describe_follow_up, write_follow_up
from orchestration.synthetic.generator import generate_export


def frame(folder, path: str) -> pd.DataFrame:
    data = (folder / path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    root = tmp_path_factory.mktemp("follow_up")
    first = generate_export(root / "first", patients=78, seed=1)
    second = write_follow_up(first.path, root / "second", days=30)
    return first, second


def test_the_follow_up_is_a_complete_export_thirty_days_later(exports):
    first, second = exports
    export = open_export(second.path, [f.path for f in INPUT_FILES])
    assert not export.problems
    assert export.export_id == second.export_id != first.export_id
    assert second.previous_export_id == first.export_id
    assert second.exported_at - first.exported_at == timedelta(days=30)
    manifest = json.loads((second.path / "manifest.json").read_text())
    assert {f["path"]: f["rows"] for f in manifest["files"]} == second.rows


def test_the_follow_up_keeps_each_files_encoding(exports):
    first, second = exports
    for spec in INPUT_FILES:
        old, new = (first.path / spec.path).read_bytes(), (second.path / spec.path).read_bytes()
        assert old.startswith(b"\xef\xbb\xbf") == new.startswith(b"\xef\xbb\xbf"), spec.path
    with pytest.raises(UnicodeDecodeError):  # ae.csv stays Windows-1252 (its French verbatims)
        (second.path / "edc/ae.csv").read_bytes().decode("utf-8")


def test_new_scans_fall_inside_the_new_window_and_repeat_the_last_lesions(exports):
    first, second = exports
    assert second.new_scans
    old_cut, new_cut = first.exported_at.date(), second.exported_at.date()
    before, after = frame(first.path, "imaging/lesions.csv"), frame(second.path, "imaging/lesions.csv")
    for subject, scan in second.new_scans.items():
        assert old_cut < date.fromisoformat(scan) <= new_cut
        last = before[before.SUBJID == subject].SCAN_DAT.max()
        old_ids = set(before[(before.SUBJID == subject) & (before.SCAN_DAT == last)].LESION_ID)
        assert set(after[(after.SUBJID == subject) & (after.SCAN_DAT == scan)].LESION_ID) == old_ids
    timepoints = frame(second.path, "imaging/timepoints.csv")
    assert len(timepoints) == len(frame(first.path, "imaging/timepoints.csv")) + len(second.new_scans)


def test_one_responder_is_read_as_a_confirmed_complete_response(exports):
    _, second = exports
    subject = second.complete_response
    assert subject in second.new_scans
    timepoints = frame(second.path, "imaging/timepoints.csv")
    last_two = timepoints[timepoints.SUBJID == subject].sort_values("SCAN_DAT").tail(2)
    assert list(last_two.READER_OVERALL) == ["CR", "CR"]
    gap = date.fromisoformat(last_two.SCAN_DAT.iloc[1]) - date.fromisoformat(last_two.SCAN_DAT.iloc[0])
    assert gap >= timedelta(days=28)  # confirm_min_days


def test_corrections_deletion_and_late_death_are_where_the_result_says(exports):
    first, second = exports
    subject, number, old, new = second.corrected_grade
    grade = lambda folder: frame(folder, "edc/ae.csv").set_index(["SUBJID", "AESPID"]).loc[(subject, number), "AETOXGR"]  # noqa: E731
    assert (grade(first.path), grade(second.path)) == (old, new) and int(new) == int(old) + 1
    subject, seq, old, new = second.corrected_dose
    ex = lambda folder: frame(folder, "edc/ex.csv").drop_duplicates().set_index(["SUBJID", "EXSEQ"])  # noqa: E731
    assert (ex(first.path).loc[(subject, seq), "EXDOSE"], ex(second.path).loc[(subject, seq), "EXDOSE"]) == (old, new)
    path, _ = second.deleted_duplicate
    assert frame(first.path, path).duplicated().sum() == frame(second.path, path).duplicated().sum() + 1
    subject, died = second.late_death
    surv = frame(second.path, "edc/surv.csv")
    assert ((surv.SUBJID == subject) & (surv.STATUS == "DEAD")).sum() == 1
    assert first.exported_at.date() < date.fromisoformat(died) <= second.exported_at.date()
    for subject in second.new_adverse_events:
        assert subject not in {second.late_death[0], second.corrected_grade[0]}
    assert "late death" in describe_follow_up(second)


def test_the_same_arguments_write_the_same_follow_up(exports, tmp_path):
    first, second = exports
    again = write_follow_up(first.path, tmp_path / "again", days=30)
    for spec in INPUT_FILES:
        assert (again.path / spec.path).read_bytes() == (second.path / spec.path).read_bytes()


def test_a_follow_up_needs_at_least_one_day(exports, tmp_path):
    first, _ = exports
    with pytest.raises(ValueError, match="at least 1"):
        write_follow_up(first.path, tmp_path / "none", days=0)
    assert write_follow_up(
        first.path, tmp_path / "one", days=1
    ).exported_at.date() == first.exported_at.date() + timedelta(days=1)
