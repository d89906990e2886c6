"""Property-based tests of the mRECIST timepoint responses, BOR/CBOR and PFS (SPEC section 5).

Hypothesis draws many patients (targets, non-targets, scans, an optional unequivocal new lesion,
an optional death); they are written as raw rows, dbt builds the warehouse once for the module,
and each test asserts a property over every patient:

- BOR is never better than the best timepoint response; confirmation never improves it (CBOR is
  never better than BOR, a confirmed responder is an unconfirmed one);
- every time-to-event AVAL is >= 1 and equals ADT - STARTDT + 1;
- removing the scans after a progression never changes PFS: each patient with a new lung lesion
  (unequivocal, so PD at that scan at the latest) has a twin without the scans after it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt.cli.main import dbtRunner, dbtRunnerResult
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from orchestration.loading.contract import DBT_PROJECT_DIR
from tests.dbt.test_dbt_project import EXPORT_ID, create_raw_tables, failures

EXPORT_DATE = "2025-06-30"
PATIENTS = 60
ORDER = ["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING"]  # best first


def edc(day: dt.date) -> str:
    return day.strftime("%d %b %Y").upper()


@st.composite
def patient(draw):
    enrolled = dt.date(2023, 1, 2) + dt.timedelta(days=draw(st.integers(0, 400)))
    start = enrolled + dt.timedelta(days=3)
    targets = draw(st.integers(0, 3))
    nontargets = draw(st.integers(0 if targets else 1, 2))
    baseline_day = start - dt.timedelta(days=draw(st.integers(1, 20)))
    baseline = [draw(st.integers(10, 80)) for _ in range(targets)]
    scans = [(baseline_day, "BASELINE", baseline, ["PRESENT"] * nontargets)]
    for visit in range(1, draw(st.integers(0, 7)) + 1):
        day = start + dt.timedelta(days=42 * visit + draw(st.integers(-7, 7)))
        # Relative to baseline, so that CR, PR, SD and PD all occur; now and then not assessed.
        factors = st.sampled_from([None, 0, 0.2, 0.5, 0.6, 0.8, 1.0, 1.1, 1.3, 1.8])
        diameters = [None if (f := draw(factors)) is None else round(size * f) for size in baseline]
        statuses = [
            draw(st.sampled_from(["PRESENT", "PRESENT", "ABSENT", "UNEQUIVOCAL PROGRESSION", None]))
            for _ in range(nontargets)
        ]
        scans.append((day, f"WEEK {6 * visit}", diameters, statuses))
    followups = len(scans) - 1
    new_lesion_at = draw(st.one_of(st.none(), st.integers(1, followups))) if followups else None
    death_after = draw(st.one_of(st.none(), st.integers(1, 200)))
    return dict(enrolled=enrolled, start=start, scans=scans, new_lesion_at=new_lesion_at, death_after=death_after)


def raw_rows(patients: list[dict]) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {"edc_dm": [], "edc_ex": [], "edc_surv": [], "imaging_lesions": []}
    for number, drawn in enumerate(patients, start=1):
        twins = [(f"101-{number:03d}", len(drawn["scans"]))]
        if drawn["new_lesion_at"] is not None:
            twins.append((f"901-{number:03d}", drawn["new_lesion_at"] + 1))  # no scans after the new lesion
        for subjid, kept in twins:
            rows["edc_dm"].append(
                dict(
                    SUBJID=subjid,
                    SITEID=subjid[:3],
                    ARM="LEN",
                    ENRLDAT=edc(drawn["enrolled"]),
                    AGE="65",
                    SEX="M",
                    WEIGHT_KG="70",
                    ECOG="0",
                    CHILD_PUGH="A5",
                    BCLC="B",
                    ETIOLOGY="HBV",
                    AFP_NGML="20",
                    PRIOR_TACE_N="1",
                    MVI="N",
                    EHS="N",
                )
            )
            rows["edc_ex"].append(
                dict(
                    SUBJID=subjid,
                    EXSEQ="1",
                    EXTRT="LENVATINIB",
                    EXDOSE="12",
                    EXDOSU="mg",
                    EXSTDAT=edc(drawn["start"]),
                    EXENDAT=None,
                )
            )
            last_seen = max(drawn["scans"][-1][0], drawn["start"])  # the same follow-up for both twins
            if drawn["death_after"] is None:
                rows["edc_surv"].append(
                    dict(
                        SUBJID=subjid,
                        CONTACT_SEQ="1",
                        CONTACT_DAT=edc(last_seen + dt.timedelta(days=5)),
                        STATUS="ALIVE",
                    )
                )
            else:
                death = edc(last_seen + dt.timedelta(days=drawn["death_after"]))
                rows["edc_surv"].append(
                    dict(
                        SUBJID=subjid,
                        CONTACT_SEQ="1",
                        CONTACT_DAT=death,
                        STATUS="DEAD",
                        DEATH_DAT=death,
                        DEATH_CAUSE="UNKNOWN",
                    )
                )
            for index, (day, visit, diameters, statuses) in enumerate(drawn["scans"][:kept]):
                common = dict(SUBJID=subjid, VISIT=visit, SCAN_DAT=day.isoformat(), ORGAN="LIVER")
                for t, diameter in enumerate(diameters, start=1):
                    rows["imaging_lesions"].append(
                        dict(
                            common,
                            LESION_ID=f"T{t:02d}",
                            LESION_CLASS="TARGET",
                            VIABLE_DIAM_MM=None if diameter is None else str(diameter),
                            TOTAL_DIAM_MM=None if diameter is None else str(diameter + 5),
                            NE_REASON="ARTEFACT" if diameter is None else None,
                        )
                    )
                for n, status in enumerate(statuses, start=1):
                    rows["imaging_lesions"].append(
                        dict(
                            common,
                            LESION_ID=f"NT{n:02d}",
                            LESION_CLASS="NON-TARGET",
                            NT_STATUS=status,
                            NE_REASON="NOT IMAGED" if status is None else None,
                        )
                    )
                if drawn["new_lesion_at"] is not None and index >= drawn["new_lesion_at"]:
                    # Extrahepatic: unequivocal from its first scan, so PD there at the latest.
                    rows["imaging_lesions"].append(
                        dict(common, ORGAN="LUNG", LESION_ID="N01", LESION_CLASS="NEW", TOTAL_DIAM_MM="15")
                    )
    return rows


def draw_patients() -> list[dict]:
    """Patients from many hypothesis examples (its first examples are the simplest ones, so a single
    example would be mostly patients without follow-up); derandomised, so the sample is stable."""
    drawn: list[dict] = []

    @settings(
        max_examples=40,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(patient(), min_size=1, max_size=6))
    def capture(patients):
        drawn.extend(patients)

    capture()
    return drawn[-PATIENTS:]


def run_dbt(home: Path, *args: str) -> dbtRunnerResult:
    project = str(DBT_PROJECT_DIR)
    return dbtRunner().invoke(
        [
            *args,
            "--project-dir",
            project,
            "--profiles-dir",
            project,
            "--target-path",
            str(home / "target"),
            "--log-path",
            str(home / "logs"),
            "--vars",
            yaml.safe_dump({"export_id": EXPORT_ID, "export_date": EXPORT_DATE}),
        ]
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, request) -> tuple[Path, dbtRunnerResult]:
    home = tmp_path_factory.mktemp("response_properties_home")
    monkeypatch = pytest.MonkeyPatch()
    request.addfinalizer(monkeypatch.undo)
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    create_raw_tables(home / "warehouse.duckdb", raw_rows(draw_patients()), [])
    seeded = run_dbt(home, "seed")
    assert seeded.success, failures(seeded)
    # Models first, then the data tests: a failing data test is its own test below and does not
    # keep the marts the properties read from being built.
    built = run_dbt(home, "run")
    assert built.success, failures(built)
    return home, run_dbt(home, "test", "--exclude-resource-type", "unit_test")


def rows(warehouse, sql: str) -> list[dict]:
    home, _ = warehouse
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:  # dbt keeps a read-write one open
        cursor = con.execute(sql)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def by_patient(records: list[dict], parameter: str) -> dict[str, dict]:
    return {r["SUBJID"]: r for r in records if r["PARAMCD"] == parameter}


def test_generated_patients_pass_every_data_test(warehouse):
    _, built = warehouse
    assert failures(built) == []


def test_the_sample_exercises_every_response(warehouse):
    found = {r["AVALC"] for r in rows(warehouse, "select distinct AVALC from adam.adrs where PARAMCD = 'OVR'")}
    assert {"PR", "SD", "PD", "NE"} <= found, found
    best = {r["AVALC"] for r in rows(warehouse, "select distinct AVALC from adam.adrs where PARAMCD = 'CBOR'")}
    assert {"SD", "PD"} <= best, best


def test_bor_is_never_better_than_the_best_timepoint(warehouse):
    adrs = rows(warehouse, "select SUBJID, PARAMCD, AVALC, AVAL from adam.adrs")
    best_timepoint: dict[str, int] = {}
    for r in adrs:
        if r["PARAMCD"] == "OVR":
            best_timepoint[r["SUBJID"]] = min(best_timepoint.get(r["SUBJID"], 99), ORDER.index(r["AVALC"]))
    bor = by_patient(adrs, "BOR")
    assert len(bor) == len({r["SUBJID"] for r in adrs})  # one BOR per patient
    for subjid, record in bor.items():
        if record["AVALC"] in ("MISSING",):
            continue
        assert subjid in best_timepoint, record
        assert ORDER.index(record["AVALC"]) >= best_timepoint[subjid], (subjid, record, best_timepoint[subjid])


def test_confirmation_never_improves_the_response(warehouse):
    adrs = rows(
        warehouse,
        "select SUBJID, PARAMCD, AVALC, AVAL from adam.adrs where PARAMCD in ('BOR', 'CBOR', 'RSP', 'CRSP', 'CCB')",
    )
    bor, cbor = by_patient(adrs, "BOR"), by_patient(adrs, "CBOR")
    rsp, crsp, ccb = by_patient(adrs, "RSP"), by_patient(adrs, "CRSP"), by_patient(adrs, "CCB")
    for subjid in bor:
        assert ORDER.index(cbor[subjid]["AVALC"]) >= ORDER.index(bor[subjid]["AVALC"]), (
            subjid,
            bor[subjid],
            cbor[subjid],
        )
        if crsp[subjid]["AVALC"] == "Y":
            assert rsp[subjid]["AVALC"] == "Y" and cbor[subjid]["AVALC"] in ("CR", "PR")
        # DCR counts NON-CR/NON-PD, the SD of patients without target lesions (adrs.sql, step 4)
        assert (ccb[subjid]["AVALC"] == "Y") == (cbor[subjid]["AVALC"] in ("CR", "PR", "SD", "NON-CR/NON-PD"))
        assert rsp[subjid]["AVALC"] == ("Y" if bor[subjid]["AVALC"] in ("CR", "PR") else "N")


def test_every_time_to_event_is_at_least_one_day(warehouse):
    adtte = rows(warehouse, "select SUBJID, PARAMCD, AVAL, ADT, STARTDT, CNSR from adam.adtte")
    assert adtte
    for r in adtte:
        assert r["AVAL"] >= 1 and r["AVAL"] == (r["ADT"] - r["STARTDT"]).days + 1, r
        assert r["CNSR"] >= 0


def test_removing_scans_after_progression_never_changes_pfs(warehouse):
    pfs = by_patient(rows(warehouse, "select * from adam.adtte where PARAMCD = 'PFS'"), "PFS")
    twins = [s for s in pfs if s.startswith("901-")]
    assert len(twins) >= 10, "the sample should hold patients with a new lesion"
    compared = ("AVAL", "ADT", "CNSR", "EVNTDESC", "CNSDTDSC")
    for twin in twins:
        original = "101-" + twin[4:]
        assert {k: pfs[original][k] for k in compared} == {k: pfs[twin][k] for k in compared}, original
