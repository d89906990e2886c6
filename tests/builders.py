"""Small hand-made exports for tests: two clean patients, then whatever a test changes."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
from pathlib import Path

from orchestration.loading.contract import INPUT_FILES

EXPORTED_AT = "2025-06-30T18:00:00+00:00"


def clean_rows() -> dict[str, list[dict[str, str]]]:
    """Two treated patients, one per arm, with every file populated and every rule satisfied."""
    return copy.deepcopy(
        {
            "edc/dm.csv": [
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
                    AFP_NGML="812.4",
                    PRIOR_TACE_N="2",
                    MVI="N",
                    EHS="N",
                ),
                dict(
                    SUBJID="101-002",
                    SITEID="101",
                    ARM="LEN",
                    ENRLDAT="13 JAN 2025",
                    AGE="58",
                    SEX="F",
                    WEIGHT_KG="55",
                    ECOG="1",
                    CHILD_PUGH="A6",
                    BCLC="C",
                    ETIOLOGY="HCV",
                    AFP_NGML="12",
                    PRIOR_TACE_N="3",
                    MVI="Y",
                    EHS="N",
                ),
            ],
            "edc/ex.csv": [
                dict(
                    SUBJID="101-001",
                    EXSEQ="1",
                    EXTRT="SIRT",
                    EXDOSE="1.8",
                    EXDOSU="GBq",
                    EXSTDAT="20 JAN 2025",
                    EXENDAT="20 JAN 2025",
                    EXADJ="",
                ),
                dict(
                    SUBJID="101-001",
                    EXSEQ="2",
                    EXTRT="LENVATINIB",
                    EXDOSE="12",
                    EXDOSU="mg",
                    EXSTDAT="24 JAN 2025",
                    EXENDAT="",
                    EXADJ="",
                ),
                dict(
                    SUBJID="101-002",
                    EXSEQ="1",
                    EXTRT="LENVATINIB",
                    EXDOSE="8",
                    EXDOSU="mg",
                    EXSTDAT="20 JAN 2025",
                    EXENDAT="10 APR 2025",
                    EXADJ="DISCONTINUED",
                ),
            ],
            "edc/ae.csv": [
                dict(
                    SUBJID="101-001",
                    AESPID="1",
                    AETERM="High blood pressure",
                    AEDECOD="Hypertension",
                    AESOC="Vascular disorders",
                    AESTDAT="03 FEB 2025",
                    AEENDAT="",
                    AETOXGR="3",
                    AESER="N",
                    AEREL_LEN="RELATED",
                    AEREL_SIRT="NOT RELATED",
                    AEACN_LEN="DOSE REDUCED",
                    AEOUT="RECOVERING",
                ),
                dict(
                    SUBJID="101-002",
                    AESPID="1",
                    AETERM="Tiredness",
                    AEDECOD="Fatigue",
                    AESOC="General disorders and administration site conditions",
                    AESTDAT="UN FEB 2025",
                    AEENDAT="",
                    AETOXGR="2",
                    AESER="N",
                    AEREL_LEN="RELATED",
                    AEREL_SIRT="NOT APPLICABLE",
                    AEACN_LEN="DOSE NOT CHANGED",
                    AEOUT="NOT RECOVERED",
                ),
            ],
            "edc/ds.csv": [
                dict(SUBJID="101-002", DSCAT="END OF TREATMENT", DSDECOD="PROGRESSIVE DISEASE", DSSTDAT="10 APR 2025"),
                dict(SUBJID="101-002", DSCAT="END OF STUDY", DSDECOD="DEATH", DSSTDAT="02 JUN 2025"),
            ],
            "edc/surv.csv": [
                dict(
                    SUBJID="101-001",
                    CONTACT_SEQ="1",
                    CONTACT_DAT="20 JUN 2025",
                    STATUS="ALIVE",
                    DEATH_DAT="",
                    DEATH_CAUSE="",
                ),
                dict(
                    SUBJID="101-002",
                    CONTACT_SEQ="1",
                    CONTACT_DAT="05 MAY 2025",
                    STATUS="ALIVE",
                    DEATH_DAT="",
                    DEATH_CAUSE="",
                ),
                dict(
                    SUBJID="101-002",
                    CONTACT_SEQ="2",
                    CONTACT_DAT="03 JUN 2025",
                    STATUS="DEAD",
                    DEATH_DAT="02 JUN 2025",
                    DEATH_CAUSE="DISEASE PROGRESSION",
                ),
            ],
            "edc/ct.csv": [
                dict(SUBJID="101-002", CTSEQ="1", CTTYPE="SYSTEMIC", CTNAME="Sorafenib", CTSTDAT="20 APR 2025"),
            ],
            "imaging/lesions.csv": [
                dict(
                    SUBJID="101-001",
                    VISIT="BASELINE",
                    SCAN_DAT="2025-01-10",
                    LESION_ID="T01",
                    LESION_CLASS="TARGET",
                    ORGAN="LIVER",
                    LOCATION="segment VII",
                    VIABLE_DIAM_MM="52",
                    TOTAL_DIAM_MM="60",
                    NT_STATUS="",
                    TYPICAL="",
                    NE_REASON="",
                ),
                dict(
                    SUBJID="101-001",
                    VISIT="WEEK 6",
                    SCAN_DAT="2025-03-03",
                    LESION_ID="T01",
                    LESION_CLASS="TARGET",
                    ORGAN="LIVER",
                    LOCATION="segment VII",
                    VIABLE_DIAM_MM="30",
                    TOTAL_DIAM_MM="55",
                    NT_STATUS="",
                    TYPICAL="",
                    NE_REASON="",
                ),
                dict(
                    SUBJID="101-002",
                    VISIT="BASELINE",
                    SCAN_DAT="2025-01-14",
                    LESION_ID="T01",
                    LESION_CLASS="TARGET",
                    ORGAN="LIVER",
                    LOCATION="segment IV",
                    VIABLE_DIAM_MM="41",
                    TOTAL_DIAM_MM="45",
                    NT_STATUS="",
                    TYPICAL="",
                    NE_REASON="",
                ),
                dict(
                    SUBJID="101-002",
                    VISIT="WEEK 6",
                    SCAN_DAT="2025-03-03",
                    LESION_ID="T01",
                    LESION_CLASS="TARGET",
                    ORGAN="LIVER",
                    LOCATION="segment IV",
                    VIABLE_DIAM_MM="55",
                    TOTAL_DIAM_MM="58",
                    NT_STATUS="",
                    TYPICAL="",
                    NE_REASON="",
                ),
            ],
            "imaging/timepoints.csv": [
                dict(
                    SUBJID="101-001",
                    VISIT="WEEK 6",
                    SCAN_DAT="2025-03-03",
                    READER_TARGET="PR",
                    READER_NONTARGET="ND",
                    READER_NEW="N",
                    READER_OVERALL="PR",
                ),
                dict(
                    SUBJID="101-002",
                    VISIT="WEEK 6",
                    SCAN_DAT="2025-03-03",
                    READER_TARGET="PD",
                    READER_NONTARGET="ND",
                    READER_NEW="N",
                    READER_OVERALL="PD",
                ),
            ],
        }
    )


def csv_bytes(columns: list[str], rows: list[dict[str, str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def write_export(
    folder: Path,
    rows: dict[str, list[dict[str, str]]] | None = None,
    *,
    manifest: bool = True,
    export_id: str = "TEST-001",
    raw_files: dict[str, bytes] | None = None,
) -> Path:
    """Write an export folder; `raw_files` replaces a file's bytes verbatim (for broken files)."""
    rows = clean_rows() if rows is None else rows
    raw_files = raw_files or {}
    entries = []
    for spec in INPUT_FILES:
        path = folder / spec.path
        path.parent.mkdir(parents=True, exist_ok=True)
        data = raw_files.get(spec.path)
        if data is None:
            data = csv_bytes(spec.column_names, rows.get(spec.path, []))
        path.write_bytes(data)
        entries.append(
            {
                "path": spec.path,
                "sha256": hashlib.sha256(data).hexdigest(),
                "rows": max(data.count(b"\n") - 1, 0) if spec.path in raw_files else len(rows.get(spec.path, [])),
            }
        )
    if manifest:
        (folder / "manifest.json").write_text(
            json.dumps({"export_id": export_id, "exported_at": EXPORTED_AT, "files": entries}, indent=2)
        )
    return folder


def reseal(folder: Path, export_id: str | None = None) -> Path:
    """Rewrite manifest.json after a test changed files of an export (hashes and row counts)."""
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        data = (folder / entry["path"]).read_bytes()
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        entry["rows"] = sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace")))) - 1
    if export_id is not None:
        manifest["export_id"] = export_id
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return folder


def add_death_before_enrolment(folder: Path, subjid: str | None = None) -> str:
    """Append to surv.csv a death five days before enrolment for a patient alive in the export."""
    import datetime as dt

    dm_text = (folder / "edc" / "dm.csv").read_bytes().decode("utf-8-sig")
    surv_path = folder / "edc" / "surv.csv"
    surv = list(csv.DictReader(io.StringIO(surv_path.read_bytes().decode("utf-8-sig"))))
    dead = {row["SUBJID"] for row in surv if row["STATUS"] == "DEAD"}
    patient = next(
        row
        for row in csv.DictReader(io.StringIO(dm_text))
        if row["SUBJID"] not in dead and (subjid is None or row["SUBJID"] == subjid)
    )
    enrolled = dt.datetime.strptime(patient["ENRLDAT"], "%d %b %Y").date()
    death = (enrolled - dt.timedelta(days=5)).strftime("%d %b %Y").upper()
    last_seq = max((int(row["CONTACT_SEQ"]) for row in surv if row["SUBJID"] == patient["SUBJID"]), default=0)
    data = surv_path.read_bytes()
    ending = b"" if data.endswith(b"\n") else b"\r\n"
    surv_path.write_bytes(
        data + ending + f"{patient['SUBJID']},{last_seq + 1},{death},DEAD,{death},UNKNOWN\r\n".encode()
    )
    return patient["SUBJID"]
