"""The dbt project end to end on a tiny hand-made export.

Builds the raw and quarantine tables the ingest would write (every contract column VARCHAR plus
lineage), runs `dbt seed` and `dbt build` (models, data tests and unit tests) into a temporary
WAREHOUSE_HOME, and checks ADSL values that exercise the SPEC section 5 rules.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt.cli.main import dbtRunner, dbtRunnerResult

from orchestration.loading.contract import ALL_INPUT_FILES, DBT_PROJECT_DIR
from tests.dbt.conftest import use_home

EXPORT_ID = "EXP-TEST-001"
EXPORT_DATE = "2025-06-30"

# Hand-made export: (raw table, {column: value}) in file order; lines start at 2 (header = 1).
ROWS: dict[str, list[dict[str, str | None]]] = {
    "edc_dm": [
        # LEN+SIRT with SIRT; AFP exactly 400 -> AFP400FL Y.
        dict(
            SUBJID="101-001",
            SITEID="101",
            ARM="LEN+SIRT",
            ENRLDAT="06 JAN 2025",
            AGE="64",
            SEX="M",
            WEIGHT_KG="72.5",
            ECOG="0",
            CHILD_PUGH="A5",
            BCLC="B",
            ETIOLOGY="HBV",
            AFP_NGML="400",
            PRIOR_TACE_N="2",
            MVI="N",
            EHS="N",
        ),
        # LEN+SIRT who never had SIRT: starts at lenvatinib, analysed as LEN; died UN MAR 2025.
        dict(
            SUBJID="101-002",
            SITEID="101",
            ARM="LEN+SIRT",
            ENRLDAT="08 JAN 2025",
            AGE="71",
            SEX="F",
            WEIGHT_KG="55",
            ECOG="1",
            CHILD_PUGH="A6",
            BCLC="C",
            ETIOLOGY="HCV",
            AFP_NGML="399.9",
            PRIOR_TACE_N="3",
            MVI="Y",
            EHS="N",
        ),
        # LEN, treated; discontinued treatment for progression.
        dict(
            SUBJID="102-001",
            SITEID="102",
            ARM="LEN",
            ENRLDAT="01 FEB 2025",
            AGE="58",
            SEX="M",
            WEIGHT_KG="80",
            ECOG="0",
            CHILD_PUGH="A5",
            BCLC="B",
            ETIOLOGY="ALCOHOL",
            AFP_NGML="12.3",
            PRIOR_TACE_N="1",
            MVI="N",
            EHS="Y",
        ),
        # LEN, enrolled but never treated.
        dict(
            SUBJID="102-002",
            SITEID="102",
            ARM="LEN",
            ENRLDAT="15 FEB 2025",
            AGE="66",
            SEX="F",
            WEIGHT_KG="61",
            ECOG="2",
            CHILD_PUGH="B7",
            BCLC="C",
            ETIOLOGY="MASLD",
            AFP_NGML="1500",
            PRIOR_TACE_N="1",
            MVI="Y",
            EHS="Y",
        ),
    ],
    "edc_ex": [
        dict(
            SUBJID="101-001",
            EXSEQ="1",
            EXTRT="SIRT",
            EXDOSE="1.8",
            EXDOSU="GBq",
            EXSTDAT="13 JAN 2025",
            EXENDAT="13 JAN 2025",
        ),
        dict(
            SUBJID="101-001",
            EXSEQ="2",
            EXTRT="LENVATINIB",
            EXDOSE="12",
            EXDOSU="mg",
            EXSTDAT="17 JAN 2025",
            EXENDAT=None,
        ),
        dict(
            SUBJID="101-002",
            EXSEQ="1",
            EXTRT="LENVATINIB",
            EXDOSE="8",
            EXDOSU="mg",
            EXSTDAT="20 JAN 2025",
            EXENDAT="10 MAR 2025",
            EXADJ="DISCONTINUED",
        ),
        dict(
            SUBJID="102-001",
            EXSEQ="1",
            EXTRT="LENVATINIB",
            EXDOSE="12",
            EXDOSU="mg",
            EXSTDAT="03 FEB 2025",
            EXENDAT="20 APR 2025",
            EXADJ="DOSE REDUCED",
        ),
        dict(
            SUBJID="102-001",
            EXSEQ="2",
            EXTRT="LENVATINIB",
            EXDOSE="8",
            EXDOSU="mg",
            EXSTDAT="21 APR 2025",
            EXENDAT="02 MAY 2025",
            EXADJ="DISCONTINUED",
        ),
        # Quarantined by ingest (impossible date): must not make 102-002 treated.
        dict(
            SUBJID="102-002",
            EXSEQ="1",
            EXTRT="LENVATINIB",
            EXDOSE="12",
            EXDOSU="mg",
            EXSTDAT="31 FEB 2025",
            EXENDAT=None,
        ),
        # After the cut-off: ignored.
        dict(
            SUBJID="102-001",
            EXSEQ="3",
            EXTRT="LENVATINIB",
            EXDOSE="8",
            EXDOSU="mg",
            EXSTDAT="01 JUL 2025",
            EXENDAT=None,
        ),
    ],
    "edc_ae": [
        dict(
            SUBJID="101-001",
            AESPID="1",
            AETERM="tiredness",
            AEDECOD="Fatigue",
            AESOC="General disorders and administration site conditions",
            AESTDAT="UN FEB 2025",
            AEENDAT=None,
            AETOXGR="2",
            AESER="N",
            AEREL_LEN="RELATED",
            AEREL_SIRT="NOT RELATED",
            AEACN_LEN="DOSE NOT CHANGED",
            AEOUT="NOT RECOVERED",
        ),
        dict(
            SUBJID="102-001",
            AESPID="1",
            AETERM="high blood pressure",
            AEDECOD="Hypertension",
            AESOC="Vascular disorders",
            AESTDAT="10 FEB 2025",
            AEENDAT="12 MAY 2025",
            AETOXGR="3",
            AESER="N",
            AEREL_LEN="RELATED",
            AEREL_SIRT="NOT APPLICABLE",
            AEACN_LEN="DOSE REDUCED",
            AEOUT="RECOVERED",
        ),
    ],
    "edc_ds": [
        dict(SUBJID="101-002", DSCAT="END OF TREATMENT", DSDECOD="ADVERSE EVENT", DSSTDAT="10 MAR 2025"),
        dict(SUBJID="101-002", DSCAT="END OF STUDY", DSDECOD="DEATH", DSSTDAT="20 MAR 2025"),
        dict(SUBJID="102-001", DSCAT="END OF TREATMENT", DSDECOD="PROGRESSIVE DISEASE", DSSTDAT="02 MAY 2025"),
    ],
    "edc_surv": [
        dict(SUBJID="101-001", CONTACT_SEQ="1", CONTACT_DAT="01 JUN 2025", STATUS="ALIVE"),
        dict(
            SUBJID="101-002",
            CONTACT_SEQ="1",
            CONTACT_DAT="20 MAR 2025",
            STATUS="DEAD",
            DEATH_DAT="UN MAR 2025",
            DEATH_CAUSE="DISEASE PROGRESSION",
        ),
        dict(SUBJID="102-001", CONTACT_SEQ="1", CONTACT_DAT="20 JUN 2025", STATUS="ALIVE"),
        # Death after the cut-off: ignored, the patient is alive at the cut-off.
        dict(
            SUBJID="102-001",
            CONTACT_SEQ="2",
            CONTACT_DAT="15 JUL 2025",
            STATUS="DEAD",
            DEATH_DAT="10 JUL 2025",
            DEATH_CAUSE="DISEASE PROGRESSION",
        ),
    ],
    "edc_ct": [
        dict(SUBJID="102-001", CTSEQ="1", CTTYPE="SYSTEMIC", CTNAME="ATEZOLIZUMAB", CTSTDAT="15 MAY 2025"),
    ],
    "imaging_lesions": [
        dict(
            SUBJID="101-001",
            VISIT="BASELINE",
            SCAN_DAT="2025-01-03",
            LESION_ID="T01",
            LESION_CLASS="TARGET",
            ORGAN="LIVER",
            LOCATION="segment VII",
            VIABLE_DIAM_MM="45",
            TOTAL_DIAM_MM="52",
        ),
        dict(
            SUBJID="101-001",
            VISIT="WEEK 6",
            SCAN_DAT="2025-02-24",
            LESION_ID="T01",
            LESION_CLASS="TARGET",
            ORGAN="LIVER",
            LOCATION="segment VII",
            VIABLE_DIAM_MM="20",
            TOTAL_DIAM_MM="50",
        ),
        dict(
            SUBJID="101-001",
            VISIT="WEEK 12",
            SCAN_DAT="2025-04-07",
            LESION_ID="T01",
            LESION_CLASS="TARGET",
            ORGAN="LIVER",
            LOCATION="segment VII",
            VIABLE_DIAM_MM="12",
            TOTAL_DIAM_MM="48",
        ),
        # 101-002: the only scan before the start (20 JAN 2025) is 29 days before it: no
        # baseline, no measurable disease; the follow-up scan is NE and a data query.
        dict(
            SUBJID="101-002",
            VISIT="BASELINE",
            SCAN_DAT="2024-12-22",
            LESION_ID="T01",
            LESION_CLASS="TARGET",
            ORGAN="LIVER",
            VIABLE_DIAM_MM="30",
            TOTAL_DIAM_MM="35",
        ),
        dict(
            SUBJID="101-002",
            VISIT="WEEK 6",
            SCAN_DAT="2025-03-03",
            LESION_ID="T01",
            LESION_CLASS="TARGET",
            ORGAN="LIVER",
            VIABLE_DIAM_MM="20",
            TOTAL_DIAM_MM="35",
        ),
        # 102-001 (start 03 FEB 2025): baseline 24 days before with a liver and a lymph-node
        # target and a non-target; a small typical liver lesion (equivocal) at week 6 that is
        # 14 mm (unequivocal) at week 12: PD dated back to week 6, where the reader said SD.
        dict(
            SUBJID="102-001",
            VISIT="BASELINE",
            SCAN_DAT="2025-01-10",
            LESION_ID="NT01",
            LESION_CLASS="NON-TARGET",
            ORGAN="LIVER",
            LOCATION="portal vein",
            NT_STATUS="PRESENT",
        ),
        dict(
            SUBJID="102-001",
            VISIT="BASELINE",
            SCAN_DAT="2025-01-10",
            LESION_ID="T01",
            LESION_CLASS="TARGET",
            ORGAN="LIVER",
            VIABLE_DIAM_MM="40",
            TOTAL_DIAM_MM="50",
        ),
        dict(
            SUBJID="102-001",
            VISIT="BASELINE",
            SCAN_DAT="2025-01-10",
            LESION_ID="T02",
            LESION_CLASS="TARGET",
            ORGAN="LYMPH NODE",
            VIABLE_DIAM_MM="20",
            TOTAL_DIAM_MM="20",
        ),
        dict(
            SUBJID="102-001",
            VISIT="WEEK 6",
            SCAN_DAT="2025-03-17",
            LESION_ID="N01",
            LESION_CLASS="NEW",
            ORGAN="LIVER",
            LOCATION="segment II",
            TOTAL_DIAM_MM="8",
            TYPICAL="Y",
        ),
        dict(
            SUBJID="102-001",
            VISIT="WEEK 6",
            SCAN_DAT="2025-03-17",
            LESION_ID="NT01",
            LESION_CLASS="NON-TARGET",
            ORGAN="LIVER",
            LOCATION="portal vein",
            NT_STATUS="PRESENT",
        ),
        dict(
            SUBJID="102-001",
            VISIT="WEEK 6",
            SCAN_DAT="2025-03-17",
            LESION_ID="T01",
            LESION_CLASS="TARGET",
            ORGAN="LIVER",
            VIABLE_DIAM_MM="36",
            TOTAL_DIAM_MM="50",
        ),
        dict(
            SUBJID="102-001",
            VISIT="WEEK 6",
            SCAN_DAT="2025-03-17",
            LESION_ID="T02",
            LESION_CLASS="TARGET",
            ORGAN="LYMPH NODE",
            VIABLE_DIAM_MM="18",
            TOTAL_DIAM_MM="18",
        ),
        dict(
            SUBJID="102-001",
            VISIT="WEEK 12",
            SCAN_DAT="2025-04-28",
            LESION_ID="N01",
            LESION_CLASS="NEW",
            ORGAN="LIVER",
            LOCATION="segment II",
            TOTAL_DIAM_MM="14",
            TYPICAL="Y",
        ),
        dict(
            SUBJID="102-001",
            VISIT="WEEK 12",
            SCAN_DAT="2025-04-28",
            LESION_ID="NT01",
            LESION_CLASS="NON-TARGET",
            ORGAN="LIVER",
            LOCATION="portal vein",
            NT_STATUS="PRESENT",
        ),
        dict(
            SUBJID="102-001",
            VISIT="WEEK 12",
            SCAN_DAT="2025-04-28",
            LESION_ID="T01",
            LESION_CLASS="TARGET",
            ORGAN="LIVER",
            VIABLE_DIAM_MM="35",
            TOTAL_DIAM_MM="50",
        ),
    ],
    "imaging_timepoints": [
        dict(
            SUBJID="101-001",
            VISIT="WEEK 6",
            SCAN_DAT="2025-02-24",
            READER_TARGET="PR",
            READER_NONTARGET="ND",
            READER_NEW="N",
            READER_OVERALL="PR",
        ),
        dict(
            SUBJID="101-001",
            VISIT="WEEK 12",
            SCAN_DAT="2025-04-07",
            READER_TARGET="PR",
            READER_NONTARGET="ND",
            READER_NEW="N",
            READER_OVERALL="PR",
        ),
        dict(
            SUBJID="102-001",
            VISIT="WEEK 6",
            SCAN_DAT="2025-03-17",
            READER_TARGET="SD",
            READER_NONTARGET="NON-CR/NON-PD",
            READER_NEW="EQUIVOCAL",
            READER_OVERALL="SD",
        ),
        dict(
            SUBJID="102-001",
            VISIT="WEEK 12",
            SCAN_DAT="2025-04-28",
            READER_TARGET="NE",
            READER_NONTARGET="NON-CR/NON-PD",
            READER_NEW="Y",
            READER_OVERALL="PD",
        ),
        # After the cut-off: not a last-alive date.
        dict(
            SUBJID="101-001",
            VISIT="WEEK 24",
            SCAN_DAT="2025-07-07",
            READER_TARGET="PR",
            READER_NONTARGET="ND",
            READER_NEW="N",
            READER_OVERALL="PR",
        ),
    ],
}

# (raw table, line, column, value, rule): the ingest's verdicts on the rows above.
QUARANTINE = [
    ("edc_ex", 7, "EXSTDAT", "31 FEB 2025", "edc_date"),
]

FILES = {f.raw_table: f for f in ALL_INPUT_FILES}


def create_raw_tables(database: Path, rows: dict[str, list[dict]], quarantine: list) -> None:
    """Write raw.<table> and quality.quarantine as the ingest does (all VARCHAR + lineage)."""
    with duckdb.connect(str(database)) as con:
        con.execute("create schema if not exists raw")
        con.execute("create schema if not exists quality")
        for table, input_file in FILES.items():
            columns = ", ".join(f'"{name}" varchar' for name in input_file.column_names)
            con.execute(
                f"create or replace table raw.{table} ({columns}, _export_id varchar, _file varchar, _line integer)"
            )
            for line, row in enumerate(rows.get(table, []), start=2):
                values = [row.get(name) for name in input_file.column_names]
                con.execute(
                    f"insert into raw.{table} values ({', '.join('?' for _ in range(len(values) + 3))})",
                    [*values, EXPORT_ID, input_file.path, line],
                )
        con.execute(
            "create or replace table quality.quarantine (export_id varchar, file varchar, "
            "line integer, column_name varchar, value varchar, rule varchar, message varchar)"
        )
        for table, line, column, value, rule in quarantine:
            con.execute(
                "insert into quality.quarantine values (?, ?, ?, ?, ?, ?, ?)",
                [EXPORT_ID, FILES[table].path, line, column, value, rule, f"bad {column}"],
            )


def run_dbt(tmp: Path, *args: str) -> dbtRunnerResult:
    project = str(DBT_PROJECT_DIR)
    return dbtRunner().invoke(
        [
            *args,
            "--project-dir",
            project,
            "--profiles-dir",
            project,
            "--target-path",
            str(tmp / "target"),
            "--log-path",
            str(tmp / "logs"),
            "--vars",
            yaml.safe_dump({"export_id": EXPORT_ID, "export_date": EXPORT_DATE}),
        ]
    )


def failures(result: dbtRunnerResult) -> list[str]:
    if result.exception is not None:
        return [repr(result.exception)]
    return [
        f"{r.node.unique_id}: {r.status} {r.message}"
        for r in (result.result or [])
        if str(r.status) not in ("success", "pass")
    ]


@pytest.fixture(scope="module")
def warehouse(built_warehouse: Path, request) -> Path:
    return use_home(built_warehouse, request)


def adsl(warehouse: Path) -> dict[str, dict]:
    with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
        frame = con.execute("select * from adam.adsl").fetchdf()
    return {row["SUBJID"]: row for row in frame.to_dict("records")}


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def as_date(value) -> dt.date | None:
    return None if value is None or value != value else value.date() if hasattr(value, "date") else value


def test_adsl_has_one_row_per_enrolled_patient(warehouse: Path) -> None:
    rows = adsl(warehouse)
    assert sorted(rows) == ["101-001", "101-002", "102-001", "102-002"]
    assert {r["USUBJID"] for r in rows.values()} == {
        "LENSIRT-101-001",
        "LENSIRT-101-002",
        "LENSIRT-102-001",
        "LENSIRT-102-002",
    }
    assert {r["FASFL"] for r in rows.values()} == {"Y"}
    assert {as_date(r["DCUTDT"]) for r in rows.values()} == {day(EXPORT_DATE)}


def test_adsl_treatment_start_and_actual_arm(warehouse: Path) -> None:
    rows = adsl(warehouse)
    with_sirt, without_sirt, len_arm, untreated = (rows["101-001"], rows["101-002"], rows["102-001"], rows["102-002"])
    assert as_date(with_sirt["TRTSDT"]) == day("2025-01-13")
    assert with_sirt["TRT01A"] == "LEN+SIRT" and with_sirt["TRT01AN"] == 1
    # Lenvatinib ongoing at the cut-off: dosing up to the cut-off.
    assert as_date(with_sirt["LENEDT"]) == day(EXPORT_DATE)
    assert as_date(without_sirt["TRTSDT"]) == day("2025-01-20")
    assert without_sirt["TRT01P"] == "LEN+SIRT" and without_sirt["TRT01A"] == "LEN"
    assert as_date(len_arm["TRTSDT"]) == day("2025-02-03")
    # The period starting after the cut-off is ignored.
    assert as_date(len_arm["TRTEDT"]) == day("2025-05-02")
    assert len_arm["EOTSTT"] == "DISCONTINUED" and len_arm["DCTREAS"] == "PROGRESSIVE DISEASE"
    # Quarantined dose row left out: never treated.
    assert untreated["SAFFL"] == "N" and untreated["TRT01A"] is None
    assert as_date(untreated["TRTSDT"]) is None
    assert as_date(untreated["STARTDT"]) == day("2025-02-15")


def test_adsl_death_and_last_known_alive(warehouse: Path) -> None:
    rows = adsl(warehouse)
    # UN MAR 2025, last alive 10 MAR 2025 (last dose) -> 11 MAR 2025, day imputed.
    assert as_date(rows["101-002"]["DTHDT"]) == day("2025-03-11")
    assert rows["101-002"]["DTHDTF"] == "D" and rows["101-002"]["DTHFL"] == "Y"
    assert as_date(rows["101-002"]["LSTALVDT"]) == day("2025-03-10")
    # Death after the cut-off ignored; last alive is the contact of 20 JUN 2025.
    assert rows["102-001"]["DTHFL"] is None
    assert as_date(rows["102-001"]["LSTALVDT"]) == day("2025-06-20")
    # Scan after the cut-off ignored; the alive contact of 01 JUN 2025 is the latest.
    assert as_date(rows["101-001"]["LSTALVDT"]) == day("2025-06-01")
    assert rows["101-001"]["AFP400FL"] == "Y" and rows["101-002"]["AFP400FL"] == "N"


def table(warehouse: Path, sql: str) -> list[dict]:
    with duckdb.connect(str(warehouse / "warehouse.duckdb")) as con:
        return con.execute(sql).fetchdf().to_dict("records")


def test_adsl_measurable_disease_and_response_evaluable(warehouse: Path) -> None:
    rows = adsl(warehouse)
    assert {s: (r["MDISFL"], r["RESPEVFL"]) for s, r in rows.items()} == {
        "101-001": ("Y", "Y"),
        # Scan 29 days before the start: no baseline.
        "101-002": ("N", "N"),
        "102-001": ("Y", "Y"),
        "102-002": ("N", "N"),
    }


def test_overall_response_from_the_lesions(warehouse: Path) -> None:
    responses = {
        (r["SUBJID"], as_date(r["ADT"]).isoformat()): r
        for r in table(warehouse, "select * from intermediate.int_overall_response")
    }
    computed = {key: r["OVR_COMPUTED"] for key, r in responses.items()}
    assert computed == {
        ("101-001", "2025-02-24"): "PR",
        ("101-001", "2025-04-07"): "PR",
        # After the cut-off, still derived: the response models leave the cut-off to ADRS.
        ("101-001", "2025-07-07"): "NE",
        ("101-002", "2025-03-03"): "NE",
        # Equivocal new lesion at week 6, unequivocal at week 12: PD dated back to week 6.
        ("102-001", "2025-03-17"): "PD",
        ("102-001", "2025-04-28"): "PD",
    }
    week6 = responses[("102-001", "2025-03-17")]
    assert (week6["TRGRESP"], week6["NTRGRESP"], week6["NEWLESION"]) == ("SD", "NON-CR/NON-PD", "Y")
    assert week6["OVR_READER"] == "SD" and week6["AVALC"] == "PD"
    # The lymph-node target is missing at week 12: targets NE, PD from the new lesion.
    assert responses[("102-001", "2025-04-28")]["TRGRESP"] == "NE"


def test_discrepancies_and_imaging_queries(warehouse: Path) -> None:
    discrepancies = table(warehouse, "select SUBJID, ADT, OVR_COMPUTED, OVR_READER from quality.response_discrepancies")
    assert [
        (r["SUBJID"], as_date(r["ADT"]).isoformat(), r["OVR_COMPUTED"], r["OVR_READER"]) for r in discrepancies
    ] == [("102-001", "2025-03-17", "PD", "SD")]
    queries = table(warehouse, "select SUBJID, RULE, MESSAGE from quality.dq_tumour order by SUBJID, RULE")
    assert [(q["SUBJID"], q["RULE"]) for q in queries] == [
        ("101-002", "NO_BASELINE_SCAN"),
        ("102-001", "RESPONSE_DIFFERS"),
        ("102-001", "TARGET_MISSING"),
    ]
    assert "baseline target T02 (LYMPH NODE) has no record" in queries[2]["MESSAGE"]
    assert "2025-04-28" in queries[2]["MESSAGE"]
    rules = {r["RULE"] for r in table(warehouse, "select RULE from quality.data_queries where DOMAIN = 'IMAGING'")}
    assert rules == {"NO_BASELINE_SCAN", "RESPONSE_DIFFERS", "TARGET_MISSING"}


def test_adtr_sums_and_best_percent_change(warehouse: Path) -> None:
    rows = table(warehouse, "select * from adam.adtr where SUBJID = '101-001' and PARAMCD = 'SDIAM' order by ADT")
    assert [(r["ADY"], r["AVAL"], r["ABLFL"], r["BESTFL"]) for r in rows] == [
        (-10, 45.0, "Y", None),
        (43, 20.0, None, None),
        (85, 12.0, None, "Y"),
    ]
    assert round(rows[2]["PCHG"], 4) == round(100 * (12 - 45) / 45, 4)
    assert rows[2]["NADIR"] == 20.0 and rows[2]["PCHGNAD"] == -40.0
    # 102-001: analysed up to the first PD (week 6); the incomplete week-12 sum is not evaluable.
    rows = table(warehouse, "select * from adam.adtr where SUBJID = '102-001' and PARAMCD = 'SDIAM' order by ADT")
    assert [(r["AVAL"], r["ANL01FL"], r["BESTFL"]) for r in rows[:2]] == [(60.0, "Y", None), (54.0, "Y", "Y")]
    assert rows[2]["AVAL"] != rows[2]["AVAL"] and rows[2]["ANL01FL"] is None  # NaN: not evaluable


def test_unit_tests_pass(warehouse: Path) -> None:
    result = run_dbt(warehouse, "test", "--select", "test_type:unit")
    assert result.success, failures(result)
    assert len(result.result) >= 40


def test_build_on_empty_raw_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An export whose files hold only headers builds: empty tables, every test passes."""
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path))
    create_raw_tables(tmp_path / "warehouse.duckdb", {}, [])
    result = run_dbt(tmp_path, "build", "--exclude-resource-type", "unit_test")
    assert result.success, failures(result)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        assert con.execute("select count(*) from adam.adsl").fetchone() == (0,)


def test_study_configuration_vars() -> None:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    study = project["vars"]
    assert study["study_id"] == "LENSIRT"
    assert study["arms"] == ["LEN+SIRT", "LEN"] and study["reference_arm"] == "LEN"
    assert study["data_cutoff"] is None and study["input_source"] == "edc"
