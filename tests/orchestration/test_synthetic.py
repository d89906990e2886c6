"""The synthetic export generator: contract, determinism, realism and deliberate messiness."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from orchestration.loading.contract import INPUT_FILES, INPUT_FILES_BY_PATH, InputFile, codelists
from orchestration.synthetic.generator import GeneratedExport, Messiness, generate_export

PATHS = [f.path for f in INPUT_FILES]
PARTIAL = r"^UN (JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|UNK) [0-9]{4}$"


def read_text(export: GeneratedExport, path: str, messiness: Messiness) -> str:
    raw = (export.path / path).read_bytes()
    if path in messiness.windows_1252_files:
        return raw.decode("cp1252")
    return raw.decode("utf-8-sig")


def read_frame(export: GeneratedExport, path: str, messiness: Messiness) -> pd.DataFrame:
    text = read_text(export, path, messiness)
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def violations(frame: pd.DataFrame, spec: InputFile, cutoff: pd.Timestamp) -> pd.Series:
    """Rows breaking any column rule of the contract (dates after the cut-off included)."""
    lists = codelists()
    bad = pd.Series(False, index=frame.index)
    for column in spec.columns:
        values = frame[column.name]
        empty = values == ""
        if column.required:
            bad |= empty
        if column.kind == "code":
            bad |= ~empty & ~values.isin(lists[column.codelist])
        if column.pattern:
            bad |= ~empty & ~values.str.match(column.pattern)
        if column.kind in ("int", "decimal"):
            number = pd.to_numeric(values.where(~empty), errors="coerce")
            if column.kind == "int":
                bad |= ~empty & ~values.str.fullmatch(r"-?[0-9]+")
            bad |= ~empty & (number.isna() | (number < column.minimum) | (number > column.maximum))
        if column.kind in ("edc_date", "iso_date"):
            layout = "%d %b %Y" if column.kind == "edc_date" else "%Y-%m-%d"
            full = pd.to_datetime(values.where(~empty), format=layout, errors="coerce")
            partial = values.str.match(PARTIAL) if column.partial_ok else pd.Series(False, index=frame.index)
            bad |= ~empty & full.isna() & ~partial
            bad |= (full > cutoff).fillna(False)
    return bad


def edc_date(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="%d %b %Y", errors="coerce")


def iso_date(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")


def km_median(days: np.ndarray, event: np.ndarray) -> float:
    order = np.lexsort((~event, days))
    days, event = days[order], event[order]
    at_risk = np.arange(days.size, 0, -1)
    survival = np.cumprod(1 - event / at_risk)
    below = np.flatnonzero(survival <= 0.5)
    return float(days[below[0]]) if below.size else float("inf")


# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_export(tmp_path_factory) -> GeneratedExport:
    return generate_export(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="module")
def messy_export(tmp_path_factory) -> GeneratedExport:
    return generate_export(tmp_path_factory.mktemp("messy"), patients=1500, seed=11)


@pytest.fixture(scope="module")
def clean_export(tmp_path_factory) -> GeneratedExport:
    return generate_export(tmp_path_factory.mktemp("clean"), patients=2000, seed=7, messiness=Messiness.none())


@pytest.fixture(scope="module")
def clean(clean_export) -> dict[str, pd.DataFrame]:
    return {path: read_frame(clean_export, path, Messiness.none()) for path in PATHS}


# --- contract, manifest, determinism ----------------------------------------------------------------


def test_default_export_is_the_78_patient_trial(default_export):
    assert default_export.rows["edc/dm.csv"] == 78
    assert default_export.export_id == "LENSIRT-2025-06-30-s1-n78"
    assert default_export.exported_at == datetime(2025, 6, 30, 18, 0, tzinfo=UTC)
    assert set(default_export.rows) == set(PATHS)


def test_same_arguments_give_byte_identical_files(default_export, tmp_path):
    again = generate_export(tmp_path / "again")
    for path in [*PATHS, "manifest.json"]:
        assert (again.path / path).read_bytes() == (default_export.path / path).read_bytes(), path


def test_another_seed_gives_another_export(default_export, tmp_path):
    other = generate_export(tmp_path / "other", seed=20240502)
    assert other.export_id != default_export.export_id
    for path in PATHS:
        assert (other.path / path).read_bytes() != (default_export.path / path).read_bytes(), path


def test_manifest_lists_every_file_with_its_hash_and_rows(default_export):
    manifest = json.loads((default_export.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["export_id"] == default_export.export_id
    assert datetime.fromisoformat(manifest["exported_at"]) == default_export.exported_at
    assert [entry["path"] for entry in manifest["files"]] == PATHS
    for entry in manifest["files"]:
        data = (default_export.path / entry["path"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        text = read_text(default_export, entry["path"], Messiness())
        assert entry["rows"] == len(list(csv.reader(io.StringIO(text)))) - 1 == default_export.rows[entry["path"]]
    written_last = (default_export.path / "manifest.json").stat().st_mtime_ns
    assert all((default_export.path / p).stat().st_mtime_ns <= written_last for p in PATHS)


def test_every_file_has_exactly_the_contract_columns_and_crlf(default_export):
    for spec in INPUT_FILES:
        text = read_text(default_export, spec.path, Messiness())
        assert next(csv.reader(io.StringIO(text))) == spec.column_names, spec.path
        assert text.count("\r\n") == text.count("\n"), spec.path


def test_clean_export_follows_the_contract_row_by_row(clean_export, clean):
    cutoff = pd.Timestamp(clean_export.exported_at.date())
    for spec in INPUT_FILES:
        frame = clean[spec.path]
        assert not violations(frame, spec, cutoff).any(), spec.path
        assert not frame.duplicated(list(spec.key)).any(), spec.path
    assert sum(clean_export.injected.values()) == 0
    dm = clean["edc/dm.csv"]
    assert (dm.SUBJID.str[:3] == dm.SITEID).all()
    for spec in INPUT_FILES[1:]:
        assert clean[spec.path].SUBJID.isin(dm.SUBJID).all(), spec.path


def test_a_given_export_date_moves_the_whole_trial(tmp_path):
    exported_at = datetime(2024, 3, 31, 7, 30, tzinfo=UTC)
    export = generate_export(
        tmp_path / "early",
        patients=300,
        seed=5,
        messiness=Messiness.none(),
        exported_at=exported_at,
        export_id="TEST-1",
    )
    assert export.export_id == "TEST-1"
    for spec in INPUT_FILES:
        frame = read_frame(export, spec.path, Messiness.none())
        assert not violations(frame, spec, pd.Timestamp(exported_at.date())).any(), spec.path


def test_patient_count_is_bounded(tmp_path):
    with pytest.raises(ValueError, match="patients"):
        generate_export(tmp_path / "none", patients=0)


# --- realism ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def start_dates(clean) -> pd.Series:
    """STARTDT per SPEC 5: SIRT date, else first lenvatinib dose, else enrolment."""
    dm, ex = clean["edc/dm.csv"].set_index("SUBJID"), clean["edc/ex.csv"]
    ex = ex.assign(start=edc_date(ex.EXSTDAT))
    sirt = ex[ex.EXTRT == "SIRT"].groupby("SUBJID").start.min()
    lenvatinib = ex[ex.EXTRT == "LENVATINIB"].groupby("SUBJID").start.min()
    return sirt.combine_first(lenvatinib).reindex(dm.index).fillna(edc_date(dm.ENRLDAT))


def test_arms_are_one_to_one_with_some_baseline_imbalance(clean):
    dm = clean["edc/dm.csv"]
    assert dm.ARM.value_counts().to_dict() == {"LEN+SIRT": 1000, "LEN": 1000}
    share = lambda column, value: dm.assign(x=dm[column] == value).groupby("ARM").x.mean()  # noqa: E731
    assert 0.03 < share("MVI", "Y")["LEN"] - share("MVI", "Y")["LEN+SIRT"] < 0.25
    assert 0.03 < share("BCLC", "C")["LEN"] - share("BCLC", "C")["LEN+SIRT"] < 0.30
    assert 0.70 < (dm.SEX == "M").mean() < 0.90
    assert 0.20 < (dm.AFP_NGML.astype(float) >= 400).mean() < 0.40
    assert 60 < dm.AGE.astype(int).mean() < 70


def test_lenvatinib_starting_dose_follows_the_weight_rule(clean):
    dm, ex = clean["edc/dm.csv"].set_index("SUBJID"), clean["edc/ex.csv"]
    lenvatinib = ex[ex.EXTRT == "LENVATINIB"].assign(seq=lambda f: f.EXSEQ.astype(int)).sort_values(["SUBJID", "seq"])
    first_dose = lenvatinib.groupby("SUBJID").EXDOSE.first()
    expected = np.where(dm.WEIGHT_KG.astype(float).reindex(first_dose.index) >= 60, "12", "8")
    assert 0.95 <= (first_dose.to_numpy() == expected).mean() < 1.0  # a few deviations are queried downstream


def test_lenvatinib_starts_three_to_seven_days_after_sirt(clean):
    ex = clean["edc/ex.csv"].assign(start=lambda f: edc_date(f.EXSTDAT))
    sirt = ex[ex.EXTRT == "SIRT"].groupby("SUBJID").start.min()
    lenvatinib = ex[ex.EXTRT == "LENVATINIB"].groupby("SUBJID").start.min()
    gap = (lenvatinib - sirt).dropna().dt.days
    assert len(gap) > 800
    assert 0.90 <= gap.between(3, 7).mean() < 1.0
    assert gap.between(3, 9).all()


def test_lenvatinib_periods_do_not_overlap_and_only_the_last_is_open(clean):
    ex = clean["edc/ex.csv"]
    ex = ex[ex.EXTRT == "LENVATINIB"].assign(
        start=edc_date(ex.EXSTDAT), end=edc_date(ex.EXENDAT), seq=ex.EXSEQ.astype(int)
    )
    ex = ex.sort_values(["SUBJID", "seq"])
    following = ex.groupby("SUBJID").start.shift(-1)
    assert (following.isna() | (following > ex.end)).all()
    assert ((ex.end.isna()) <= following.isna()).all()
    assert (ex.end.isna() | (ex.end >= ex.start)).all()
    assert set(ex.EXDOSE) <= {"12", "8", "4"}


def test_tumour_response_is_better_with_sirt(clean, start_dates):
    dm, lesions = clean["edc/dm.csv"].set_index("SUBJID"), clean["imaging/lesions.csv"]
    targets = lesions[lesions.LESION_CLASS == "TARGET"].assign(viable=lambda f: pd.to_numeric(f.VIABLE_DIAM_MM))
    sums = targets.groupby(["SUBJID", "VISIT", "SCAN_DAT"]).viable.sum().reset_index()
    baseline = sums[sums.VISIT == "BASELINE"].set_index("SUBJID").viable
    best = sums[sums.VISIT != "BASELINE"].groupby("SUBJID").viable.min()
    shrunk = (best / baseline.reindex(best.index) <= 0.7).groupby(dm.ARM.reindex(best.index)).mean()
    assert shrunk["LEN+SIRT"] > shrunk["LEN"] + 0.1
    assert 0.3 < shrunk["LEN"] < 0.55 and 0.5 < shrunk["LEN+SIRT"] < 0.75


def test_survival_is_longer_with_sirt(clean, start_dates):
    dm, surv = clean["edc/dm.csv"].set_index("SUBJID"), clean["edc/surv.csv"]
    dead = surv[surv.STATUS == "DEAD"].set_index("SUBJID")
    death = edc_date(dead.DEATH_DAT).reindex(dm.index)
    last_contact = edc_date(surv.CONTACT_DAT).groupby(surv.SUBJID).max().reindex(dm.index)
    scans = (
        iso_date(clean["imaging/lesions.csv"].SCAN_DAT)
        .groupby(clean["imaging/lesions.csv"].SUBJID)
        .max()
        .reindex(dm.index)
    )
    last_alive = pd.concat([last_contact, scans, start_dates], axis=1).max(axis=1)
    days = (death.fillna(last_alive) - start_dates).dt.days.to_numpy() + 1
    months = {
        arm: km_median(days[mask], death.notna().to_numpy()[mask]) / 30.4375
        for arm in ("LEN", "LEN+SIRT")
        for mask in [(dm.ARM == arm).to_numpy()]
    }
    assert 10 < months["LEN"] < 18 and 15 < months["LEN+SIRT"] < 25
    assert months["LEN+SIRT"] > months["LEN"] + 2
    # A death is never before the progression the reader saw.
    timepoints = clean["imaging/timepoints.csv"]
    progression = iso_date(timepoints.SCAN_DAT)[timepoints.READER_OVERALL == "PD"].groupby(timepoints.SUBJID).min()
    assert (death.reindex(progression.index).dropna() >= progression.reindex(death.dropna().index).dropna()).all()


def test_nothing_is_dated_after_the_export(clean_export, clean):
    cutoff = pd.Timestamp(clean_export.exported_at.date())
    for spec in INPUT_FILES:
        for column in spec.columns:
            if column.kind == "edc_date":
                assert not (edc_date(clean[spec.path][column.name]) > cutoff).any(), (spec.path, column.name)
            if column.kind == "iso_date":
                assert not (iso_date(clean[spec.path][column.name]) > cutoff).any(), (spec.path, column.name)


def test_scans_follow_the_imaging_schedule(clean, start_dates):
    lesions = clean["imaging/lesions.csv"]
    scans = lesions.drop_duplicates(["SUBJID", "SCAN_DAT"]).assign(date=lambda f: iso_date(f.SCAN_DAT))
    scans = scans.assign(day=(scans.date - start_dates.reindex(scans.SUBJID).to_numpy()).dt.days)
    baseline = scans[scans.VISIT == "BASELINE"]
    assert baseline.day.between(-28, 0).all()
    assert 0.95 < baseline.SUBJID.nunique() / len(start_dates) < 1.0
    scheduled = scans[scans.VISIT.str.startswith("WEEK")]
    planned = scheduled.VISIT.str[5:].astype(int) * 7
    assert (scheduled.day - planned).abs().le(7).all()
    assert (scans.VISIT == "UNSCHEDULED").any()
    # Every follow-up scan has the reader's verdict; the baseline scan has none.
    timepoints = clean["imaging/timepoints.csv"]
    assert len(timepoints) == (scans.VISIT != "BASELINE").sum()
    assert timepoints.VISIT.ne("BASELINE").all()


def test_lesions_cover_the_mrecist_situations(clean):
    lesions, timepoints = clean["imaging/lesions.csv"], clean["imaging/timepoints.csv"]
    baseline_targets = lesions[(lesions.LESION_CLASS == "TARGET") & (lesions.VISIT == "BASELINE")]
    per_patient = baseline_targets.groupby("SUBJID").size()
    assert per_patient.between(1, 5).mean() > 0.99
    assert (baseline_targets.groupby("SUBJID").ORGAN.first() == "LIVER").all()
    assert (lesions.NE_REASON != "").any() and (lesions.loc[lesions.NE_REASON != "", "VIABLE_DIAM_MM"] == "").all()
    assert (lesions.NT_STATUS == "UNEQUIVOCAL PROGRESSION").any()
    new = lesions[lesions.LESION_CLASS == "NEW"]
    assert (new.ORGAN != "LIVER").any() and (new.TYPICAL == "N").any()
    equivocal_then_not = new.groupby(["SUBJID", "LESION_ID"]).SCAN_DAT.nunique() > 1
    assert equivocal_then_not.any()
    assert set(timepoints.READER_OVERALL) == {"CR", "PR", "SD", "PD", "NE"}
    assert set(timepoints.READER_NEW) == {"Y", "N", "EQUIVOCAL"}
    assert ((lesions.LESION_CLASS == "TARGET") & (lesions.VIABLE_DIAM_MM == "0")).any()


def test_safety_profile(clean):
    dm, ae = clean["edc/dm.csv"], clean["edc/ae.csv"]
    grade = ae.AETOXGR.astype(int)
    severe_share = ae[grade >= 3].SUBJID.nunique() / len(dm)
    assert 0.2 < severe_share < 0.4
    fatal = ae[grade == 5]
    assert len(fatal) > 0 and (fatal.AEOUT == "FATAL").all() and (fatal.AESER == "Y").all()
    deaths = clean["edc/surv.csv"].query("STATUS == 'DEAD'").set_index("SUBJID")
    assert (deaths.loc[fatal.SUBJID, "DEATH_CAUSE"] == "ADVERSE EVENT").all()
    len_arm = ae.SUBJID.isin(dm.SUBJID[dm.ARM == "LEN"])
    assert (ae.AEREL_SIRT[len_arm] == "NOT APPLICABLE").all()
    assert {"Hypertension", "Diarrhoea", "Palmar-plantar erythrodysaesthesia syndrome"} <= set(ae.AEDECOD)
    assert (ae.AEENDAT == "").any()
    ae_start = edc_date(ae.AESTDAT)
    ae_end = edc_date(ae.AEENDAT)
    assert (ae_end.isna() | (ae_end >= ae_start)).all()


def test_disposition_follow_up_and_new_therapy(clean, start_dates):
    ds, ct, timepoints = clean["edc/ds.csv"], clean["edc/ct.csv"], clean["imaging/timepoints.csv"]
    assert {"PROGRESSIVE DISEASE", "ADVERSE EVENT", "DEATH"} <= set(ds.DSDECOD[ds.DSCAT == "END OF TREATMENT"])
    assert {"DEATH", "LOST TO FOLLOW-UP", "WITHDRAWAL BY SUBJECT"} <= set(ds.DSDECOD[ds.DSCAT == "END OF STUDY"])
    progression = iso_date(timepoints.SCAN_DAT)[timepoints.READER_OVERALL == "PD"].groupby(timepoints.SUBJID).min()
    first_therapy = edc_date(ct.CTSTDAT).groupby(ct.SUBJID).min()
    treated_after = (first_therapy.reindex(progression.index) > progression).mean()
    assert 0.2 < treated_after < 0.5
    before = (first_therapy < progression.reindex(first_therapy.index).fillna(pd.Timestamp.max)).sum()
    assert 0.01 * len(start_dates) < before < 0.06 * len(start_dates)


# --- messiness --------------------------------------------------------------------------------------


def test_default_messiness_is_present_and_counted(messy_export):
    messiness = Messiness()
    cutoff = pd.Timestamp(messy_export.exported_at.date())
    assert messy_export.injected["edc/dm.csv"] == 0
    assert sum(messy_export.injected.values()) > 0
    for spec in INPUT_FILES:
        frame = read_frame(messy_export, spec.path, messiness)
        bad = violations(frame, spec, cutoff).sum() + frame.duplicated().sum()
        assert bad == messy_export.injected[spec.path], spec.path
        assert bad <= 0.02 * len(frame), spec.path
    ae = read_frame(messy_export, "edc/ae.csv", messiness)
    assert ae.AESTDAT.str.match(PARTIAL).any() and ae.AEENDAT.str.match(PARTIAL).any()


def test_dm_stays_clean_with_default_messiness(messy_export):
    dm = read_frame(messy_export, "edc/dm.csv", Messiness())
    spec = INPUT_FILES_BY_PATH["edc/dm.csv"]
    assert not violations(dm, spec, pd.Timestamp(messy_export.exported_at.date())).any()
    assert not dm.SUBJID.duplicated().any()


def test_encodings(messy_export, clean_export):
    ae = (messy_export.path / "edc/ae.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        ae.decode("utf-8")
    assert any(ord(char) > 127 for char in ae.decode("cp1252"))
    assert (messy_export.path / "edc/dm.csv").read_bytes().startswith(b"\xef\xbb\xbfSUBJID,")
    for path in PATHS:
        data = (clean_export.path / path).read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf"), path
        data.decode("utf-8")


def test_messiness_dirties_the_same_trial(default_export, tmp_path):
    clean_twin = generate_export(tmp_path / "twin", messiness=Messiness.none())
    cutoff = pd.Timestamp(default_export.exported_at.date())
    surv = read_frame(default_export, "edc/surv.csv", Messiness())
    # When the death date is partial, END OF STUDY is dated when the death became known.
    partial_death = set(surv.SUBJID[surv.DEATH_DAT.str.match(PARTIAL)])
    for spec in INPUT_FILES:
        messy = read_frame(default_export, spec.path, Messiness())
        clean = read_frame(clean_twin, spec.path, Messiness.none())
        usable = messy[~violations(messy, spec, cutoff) & ~messy.duplicated()]
        # Partial dates aside, every usable messy row is a clean row.
        partial = usable.apply(lambda column: column.str.match(PARTIAL)).any(axis=1)
        if spec.path == "edc/ds.csv":
            partial |= usable.SUBJID.isin(partial_death) & (usable.DSDECOD == "DEATH")
        clean_rows = set(map(tuple, clean.to_numpy()))
        assert all(row in clean_rows for row in map(tuple, usable[~partial].to_numpy())), spec.path
        assert len(clean) - len(usable) <= default_export.injected[spec.path], spec.path


def test_messiness_none_turns_everything_off():
    none = Messiness.none()
    assert (none.partial_date_rate, none.duplicate_rate, none.out_of_range_rate) == (0, 0, 0)
    assert none.windows_1252_files == () and none.bom_files == ()
