"""ADRS and ADTTE end to end on a tiny hand-made export (SPEC section 5).

The dbt unit tests (int_response_*, int_tte_progression, adrs, adtte) pin each rule on its
boundaries with hand-made intermediate rows; this test runs the whole chain, raw -> staging ->
intermediate -> adam, on seven patients built so that each one exercises one rule end to end:
which assessments count (cut-off, new therapy, first PD), confirmation, a partial death date, and
the PFS censoring codes. The endpoints read the reader's verdicts (var response_source `reader`);
the lesion measurements agree with them, so the computed mRECIST responses give the same
endpoints.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt.cli.main import dbtRunner, dbtRunnerResult

from orchestration.loading.contract import DBT_PROJECT_DIR
from tests.dbt.test_dbt_project import create_raw_tables, failures

EXPORT_ID = "EXP-TEST-RESPONSE"
EXPORT_DATE = "2025-06-30"


def dm(subjid: str, arm: str, enrolled: str) -> dict[str, str]:
    return dict(
        SUBJID=subjid,
        SITEID=subjid[:3],
        ARM=arm,
        ENRLDAT=enrolled,
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


def dose(subjid: str, seq: int, treatment: str, start: str, end: str | None) -> dict[str, str | None]:
    unit, amount = ("GBq", "1.8") if treatment == "SIRT" else ("mg", "12")
    return dict(SUBJID=subjid, EXSEQ=str(seq), EXTRT=treatment, EXDOSE=amount, EXDOSU=unit, EXSTDAT=start, EXENDAT=end)


def alive(subjid: str, seq: int, contact: str) -> dict[str, str]:
    return dict(SUBJID=subjid, CONTACT_SEQ=str(seq), CONTACT_DAT=contact, STATUS="ALIVE")


# Reader verdict -> viable diameter of the single liver target (baseline 50 mm), so that the
# computed mRECIST response agrees: PR <= 35 mm, PD >= 1.2 x nadir.
VIABLE_MM = {"BASELINE": "50", "PR": "30", "SD": "45", "PD": "60"}


def scan(subjid: str, visit: str, date: str, response: str) -> tuple[dict, dict | None]:
    lesion = dict(
        SUBJID=subjid,
        VISIT=visit,
        SCAN_DAT=date,
        LESION_ID="T01",
        LESION_CLASS="TARGET",
        ORGAN="LIVER",
        LOCATION="segment VII",
        VIABLE_DIAM_MM=VIABLE_MM[response],
        TOTAL_DIAM_MM="60",
    )
    if response == "BASELINE":
        return lesion, None
    verdict = dict(
        SUBJID=subjid,
        VISIT=visit,
        SCAN_DAT=date,
        READER_TARGET=response,
        READER_NONTARGET="ND",
        READER_NEW="N",
        READER_OVERALL=response,
    )
    return lesion, verdict


SCANS = [
    # 101-001, LEN+SIRT from 13 JAN: PR day 43 confirmed by PR day 85, PD day 127; the SD after
    # the cut-off is not used.
    ("101-001", "BASELINE", "2025-01-03", "BASELINE"),
    ("101-001", "WEEK 6", "2025-02-24", "PR"),
    ("101-001", "WEEK 12", "2025-04-07", "PR"),
    ("101-001", "WEEK 18", "2025-05-19", "PD"),
    ("101-001", "WEEK 24", "2025-07-07", "SD"),
    # 101-002, LEN from 20 JAN: SD, SD, died UN MAY 2025 (imputed 01 MAY 2025).
    ("101-002", "BASELINE", "2025-01-10", "BASELINE"),
    ("101-002", "WEEK 6", "2025-03-03", "SD"),
    ("101-002", "WEEK 12", "2025-04-14", "SD"),
    # 102-001, LEN from 03 FEB: SD, new therapy 01 APR, then a PD that is ignored.
    ("102-001", "BASELINE", "2025-01-25", "BASELINE"),
    ("102-001", "WEEK 6", "2025-03-17", "SD"),
    ("102-001", "WEEK 12", "2025-04-28", "PD"),
    # 102-002, LEN from 10 FEB: SD, SD, PD after the cut-off.
    ("102-002", "BASELINE", "2025-02-01", "BASELINE"),
    ("102-002", "WEEK 6", "2025-03-24", "SD"),
    ("102-002", "WEEK 12", "2025-05-05", "SD"),
    ("102-002", "WEEK 18", "2025-07-01", "PD"),
    # 103-001, LEN+SIRT from 01 MAR: no baseline scan.
    ("103-001", "WEEK 6", "2025-04-12", "SD"),
    # 103-002, LEN from 01 JUN: baseline only.
    ("103-002", "BASELINE", "2025-05-25", "BASELINE"),
    # 104-001, LEN from 06 JAN: SD day 43, then PD 92 days later (two scans missed).
    ("104-001", "BASELINE", "2024-12-30", "BASELINE"),
    ("104-001", "WEEK 6", "2025-02-17", "SD"),
    ("104-001", "WEEK 18", "2025-05-20", "PD"),
]

ROWS: dict[str, list[dict]] = {
    "edc_dm": [
        dm("101-001", "LEN+SIRT", "06 JAN 2025"),
        dm("101-002", "LEN", "13 JAN 2025"),
        dm("102-001", "LEN", "27 JAN 2025"),
        dm("102-002", "LEN", "03 FEB 2025"),
        dm("103-001", "LEN+SIRT", "20 FEB 2025"),
        dm("103-002", "LEN", "26 MAY 2025"),
        dm("104-001", "LEN", "02 JAN 2025"),
    ],
    "edc_ex": [
        dose("101-001", 1, "SIRT", "13 JAN 2025", "13 JAN 2025"),
        dose("101-001", 2, "LENVATINIB", "17 JAN 2025", None),
        dose("101-002", 1, "LENVATINIB", "20 JAN 2025", "30 APR 2025"),
        dose("102-001", 1, "LENVATINIB", "03 FEB 2025", "15 APR 2025"),
        dose("102-002", 1, "LENVATINIB", "10 FEB 2025", None),
        dose("103-001", 1, "SIRT", "01 MAR 2025", "01 MAR 2025"),
        dose("103-001", 2, "LENVATINIB", "05 MAR 2025", None),
        dose("103-002", 1, "LENVATINIB", "01 JUN 2025", None),
        dose("104-001", 1, "LENVATINIB", "06 JAN 2025", "20 MAY 2025"),
    ],
    "edc_surv": [
        alive("101-001", 1, "01 JUN 2025"),
        dict(
            SUBJID="101-002",
            CONTACT_SEQ="1",
            CONTACT_DAT="20 MAY 2025",
            STATUS="DEAD",
            DEATH_DAT="UN MAY 2025",
            DEATH_CAUSE="DISEASE PROGRESSION",
        ),
        alive("102-001", 1, "20 JUN 2025"),
        alive("102-002", 1, "25 JUN 2025"),
    ],
    "edc_ct": [
        dict(SUBJID="102-001", CTSEQ="1", CTTYPE="SYSTEMIC", CTNAME="SORAFENIB", CTSTDAT="01 APR 2025"),
    ],
    "imaging_lesions": [scan(*s)[0] for s in SCANS],
    "imaging_timepoints": [v for s in SCANS if (v := scan(*s)[1]) is not None],
}


def run_dbt(home: Path, *args: str) -> dbtRunnerResult:
    project = str(DBT_PROJECT_DIR)
    study_vars = {"export_id": EXPORT_ID, "export_date": EXPORT_DATE, "response_source": "reader"}
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
            yaml.safe_dump(study_vars),
        ]
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, request) -> Path:
    home = tmp_path_factory.mktemp("response_tte_home")
    monkeypatch = pytest.MonkeyPatch()
    request.addfinalizer(monkeypatch.undo)
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    create_raw_tables(home / "warehouse.duckdb", ROWS, [])
    # Models and data tests (unit tests run in test_dbt_project).
    for command in (["seed"], ["build", "--exclude", "resource_type:seed", "resource_type:unit_test"]):
        result = run_dbt(home, *command)
        assert result.success, failures(result)
    return home


def query(warehouse: Path, sql: str) -> list[dict]:
    with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
        cursor = con.execute(sql)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def adrs(warehouse: Path) -> dict[tuple[str, str], dict]:
    rows = query(warehouse, "select * from adam.adrs where PARAMCD <> 'OVR'")
    return {(r["SUBJID"], r["PARAMCD"]): r for r in rows}


def adtte(warehouse: Path) -> dict[tuple[str, str], dict]:
    rows = query(warehouse, "select * from adam.adtte")
    return {(r["SUBJID"], r["PARAMCD"]): r for r in rows}


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_counted_assessments(warehouse: Path) -> None:
    ovr = query(warehouse, "select SUBJID, ADT, AVALC from adam.adrs where PARAMCD = 'OVR' order by SUBJID, ADT")
    counted = {(r["SUBJID"], r["ADT"].isoformat(), r["AVALC"]) for r in ovr}
    # After the cut-off (101-001 SD, 102-002 PD) and after a new therapy (102-001 PD): not counted.
    assert ("101-001", "2025-07-07", "SD") not in counted
    assert ("102-002", "2025-07-01", "PD") not in counted
    assert ("102-001", "2025-04-28", "PD") not in counted
    assert ("101-001", "2025-05-19", "PD") in counted
    assert len(counted) == 11


def test_best_overall_response_and_responders(warehouse: Path) -> None:
    rows = adrs(warehouse)
    assert rows[("101-001", "CBOR")]["AVALC"] == "PR" and rows[("101-001", "CBOR")]["ADT"] == day("2025-02-24")
    assert rows[("101-001", "CRSP")]["AVALC"] == "Y" and rows[("101-001", "PD")]["ADT"] == day("2025-05-19")
    assert rows[("101-002", "CBOR")]["AVALC"] == "SD" and rows[("101-002", "CCB")]["AVALC"] == "Y"
    assert rows[("101-002", "DEATH")]["ADT"] == day("2025-05-01")
    assert rows[("102-001", "PD")]["AVALC"] == "N" and rows[("102-002", "PD")]["AVALC"] == "N"
    # No baseline scan: NE (non-responder) without a date; no post-baseline scan: MISSING.
    assert rows[("103-001", "CBOR")]["AVALC"] == "NE" and rows[("103-001", "CBOR")]["ADT"] is None
    assert rows[("103-001", "MDIS")]["AVALC"] == "N"
    assert rows[("103-002", "BOR")]["AVALC"] == "MISSING" and rows[("103-002", "BOR")]["AVAL"] == 7
    assert rows[("103-002", "LSTA")]["AVALC"] == "MISSING"
    responders = query(warehouse, "select SUBJID from adam.adrs where PARAMCD = 'CRSP' and AVALC = 'Y'")
    assert [r["SUBJID"] for r in responders] == ["101-001"]


def test_progression_free_survival(warehouse: Path) -> None:
    rows = adtte(warehouse)
    expected = {
        "101-001": (0, "2025-05-19", 127),  # PD
        "101-002": (0, "2025-05-01", 102),  # death, UN MAY 2025 imputed to 01 MAY
        "102-001": (3, "2025-03-17", 43),  # new therapy before the (ignored) PD
        "102-002": (5, "2025-05-05", 85),  # alive, PD after the cut-off
        "103-001": (1, "2025-03-01", 1),  # no baseline scan
        "103-002": (2, "2025-06-01", 1),  # no post-baseline scan
        "104-001": (4, "2025-02-17", 43),  # PD 92 days after the last adequate scan
    }
    actual = {s: (r["CNSR"], r["ADT"].isoformat(), r["AVAL"]) for (s, p), r in rows.items() if p == "PFS"}
    assert actual == expected
    assert rows[("101-002", "PFS")]["ADTF"] == "D" and rows[("101-002", "PFS")]["EVNTDESC"] == "DEATH"


def test_overall_survival_and_response_times(warehouse: Path) -> None:
    rows = adtte(warehouse)
    assert (rows[("101-002", "OS")]["CNSR"], rows[("101-002", "OS")]["AVAL"]) == (0, 102)
    assert rows[("101-002", "OS")]["ADTF"] == "D"
    censored = rows[("101-001", "OS")]
    assert (censored["CNSR"], censored["ADT"], censored["AVAL"]) == (1, day("2025-06-01"), 140)
    assert (censored["SRCDOM"], censored["SRCVAR"], censored["SRCSEQ"]) == ("SURV", "CONTACT_DAT", 1)
    dor, ttr = rows[("101-001", "DOR")], rows[("101-001", "TTR")]
    assert (dor["STARTDT"], dor["ADT"], dor["AVAL"], dor["CNSR"]) == (day("2025-02-24"), day("2025-05-19"), 85, 0)
    assert (ttr["STARTDT"], ttr["ADT"], ttr["AVAL"], ttr["CNSR"]) == (day("2025-01-13"), day("2025-02-24"), 43, 0)
    assert {p for (s, p) in rows if p in ("DOR", "TTR")} == {"DOR", "TTR"}
    assert {s for (s, p) in rows if p in ("DOR", "TTR")} == {"101-001"}
