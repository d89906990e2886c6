"""A later export of the same trial: what the sites and the core lab send a month after an export.

``write_follow_up`` reads an export folder (one ``generate_export`` wrote, or any export in the EDC
and imaging layout) and writes the next one, the way real exports change between two data
transfers:

- the cut-off moves ``days`` later (the manifest's ``exported_at``);
- patients still on study (alive, not off study, not progressed, no new therapy) get their next
  scheduled scan when it falls inside the new window: the last scan's lesions measured again at
  the next visit (WEEK n + 6 until week 48, then + 12);
- one responder's tumour is read as a complete response: the core lab re-reads the last scan (no
  viable tumour left) and the new scan confirms it, so the patient's confirmed best response
  changes from PR to CR;
- patients still on treatment get a new mild adverse event in the window, and patients in
  survival follow-up a new contact;
- a few values are corrected: one adverse event's grade goes up by one (the patient's worst
  grade), one lenvatinib starting dose that broke the weight rule is corrected (its data query is
  then resolved);
- a duplicate row is deleted (the first exact duplicate found, EDC files before imaging);
- a patient in follow-up dies inside the window (survival contact, end of study, open lenvatinib
  period closed).

Every file keeps its encoding (UTF-8 with or without BOM, Windows-1252) and the manifest is
written last, with new hashes and row counts. What was changed is returned, so tests and the demo
can point at it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from orchestration.loading.contract import INPUT_FILES
from orchestration.settings import DEFAULT_SEED
from orchestration.synthetic.generator import lenvatinib_starting_dose

EDC_DATE = "%d %b %Y"
WEEKLY_SCHEDULE_UNTIL_WEEK = 48  # 42-day interval until day 336, then 84 days (SPEC section 5)


@dataclass
class _File:
    """One CSV file of the export as text rows, with the encoding it was written in."""

    columns: list[str]
    rows: list[list[str]]
    encoding: str
    bom: bool

    def column(self, name: str) -> int:
        return self.columns.index(name)

    def records(self) -> list[dict[str, str]]:
        return [dict(zip(self.columns, row, strict=False)) for row in self.rows]

    def append(self, record: dict[str, str]) -> None:
        self.rows.append([record.get(name, "") for name in self.columns])


@dataclass(frozen=True)
class FollowUpExport:
    """What ``write_follow_up`` wrote, and each deliberate change, so that it can be found again."""

    path: Path
    export_id: str
    previous_export_id: str
    exported_at: datetime
    rows: dict[str, int]
    new_scans: dict[str, str] = field(default_factory=dict)  # SUBJID -> new scan date (ISO)
    complete_response: str | None = None  # SUBJID whose confirmed best response becomes CR
    new_adverse_events: dict[str, str] = field(default_factory=dict)  # SUBJID -> new AESPID
    corrected_grade: tuple[str, str, str, str] | None = None  # SUBJID, AESPID, old, new AETOXGR
    corrected_dose: tuple[str, str, str, str] | None = None  # SUBJID, EXSEQ, old, new EXDOSE
    deleted_duplicate: tuple[str, int] | None = None  # file, line number in the previous export
    late_death: tuple[str, str] | None = None  # SUBJID, death date (ISO)


def _read(path: Path) -> _File:
    data = path.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("cp1252"), "cp1252"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return _File(rows[0], rows[1:], encoding, bom)


def _write(path: Path, table: _File) -> tuple[str, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    data = (b"\xef\xbb\xbf" if table.bom else b"") + buffer.getvalue().encode(table.encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), len(table.rows)


def _edc_date(text: str) -> date | None:
    try:
        return datetime.strptime(text.strip().title(), EDC_DATE).date()
    except ValueError:
        return None  # partial or spoilt: not used to decide anything


def _iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _edc_text(day: date) -> str:
    return day.strftime(EDC_DATE).upper()


def _next_visit(visit: str, scan: date) -> tuple[str, date]:
    """The scheduled visit after ``visit`` (WEEK n) and its date counted from the last scan."""
    match = re.fullmatch(r"WEEK (\d+)", visit.strip())
    week = int(match.group(1)) if match else WEEKLY_SCHEDULE_UNTIL_WEEK
    step = 6 if week < WEEKLY_SCHEDULE_UNTIL_WEEK else 12
    return f"WEEK {week + step}", scan + timedelta(days=step * 7)


def _int(text: str, default: int = 0) -> int:
    try:
        return int(float(text))
    except ValueError:
        return default


def write_follow_up(
    previous_dir: Path, out_dir: Path, days: int = 30, seed: int = DEFAULT_SEED, export_id: str | None = None
) -> FollowUpExport:
    """Write the export that follows ``previous_dir`` by ``days`` days into ``out_dir``."""
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    previous_dir, out_dir = Path(previous_dir), Path(out_dir)
    manifest = json.loads((previous_dir / "manifest.json").read_text(encoding="utf-8"))
    previous_at = datetime.fromisoformat(manifest["exported_at"])
    exported_at = previous_at + timedelta(days=days)
    old_cut, new_cut = previous_at.date(), exported_at.date()
    export_id = export_id or f"{manifest['export_id']}-followup-{new_cut.isoformat()}"
    files = {spec.path: _read(previous_dir / spec.path) for spec in INPUT_FILES}
    rng = np.random.default_rng([seed, days])

    status = _patient_status(files)
    deleted_duplicate = _delete_duplicate(files)
    corrected_dose = _correct_starting_dose(files)
    new_scans, complete_response = _new_scans(files, status, old_cut, new_cut)
    busy = set(new_scans)
    corrected_grade = _correct_grade(files, rng, busy)
    if corrected_grade:
        busy.add(corrected_grade[0])
    new_adverse_events = _new_adverse_events(files, status, rng, old_cut, new_cut, busy)
    busy |= set(new_adverse_events)
    late_death = _late_death(files, status, rng, old_cut, new_cut, busy)
    if late_death:
        busy.add(late_death[0])
    _new_contacts(files, status, rng, old_cut, new_cut, busy)

    manifest_path = out_dir / "manifest.json"
    manifest_path.unlink(missing_ok=True)  # incomplete until the new manifest is written
    rows, listed = {}, []
    for spec in INPUT_FILES:
        sha, count = _write(out_dir / spec.path, files[spec.path])
        rows[spec.path] = count
        listed.append({"path": spec.path, "sha256": sha, "rows": count})
    new_manifest = {"export_id": export_id, "exported_at": exported_at.isoformat(), "files": listed}
    temporary = manifest_path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(new_manifest, indent=2) + "\n", encoding="utf-8")
    temporary.replace(manifest_path)
    return FollowUpExport(
        out_dir,
        export_id,
        manifest["export_id"],
        exported_at,
        rows,
        new_scans=new_scans,
        complete_response=complete_response,
        new_adverse_events=new_adverse_events,
        corrected_grade=corrected_grade,
        corrected_dose=corrected_dose,
        deleted_duplicate=deleted_duplicate,
        late_death=late_death,
    )


# --- who is where in the trial ------------------------------------------------------------------------


@dataclass
class _Status:
    dead: set[str]
    off_study: set[str]
    off_treatment: set[str]
    progressed: set[str]
    new_therapy: set[str]
    in_survival_follow_up: set[str]
    scans: dict[str, list[dict[str, str]]]  # SUBJID -> timepoint rows, oldest first

    def on_study(self, subject: str) -> bool:
        return subject not in self.dead and subject not in self.off_study

    def still_scanned(self, subject: str) -> bool:
        return self.on_study(subject) and subject not in self.progressed and subject not in self.new_therapy


def _patient_status(files: dict[str, _File]) -> _Status:
    surv = files["edc/surv.csv"].records()
    ds = files["edc/ds.csv"].records()
    scans: dict[str, list[dict[str, str]]] = {}
    for row in files["imaging/timepoints.csv"].records():
        if _iso_date(row["SCAN_DAT"]) is not None:
            scans.setdefault(row["SUBJID"], []).append(row)
    for rows in scans.values():
        rows.sort(key=lambda r: r["SCAN_DAT"])
    return _Status(
        dead={r["SUBJID"] for r in surv if r["STATUS"] == "DEAD"}
        | {r["SUBJID"] for r in ds if r["DSDECOD"] == "DEATH"},
        off_study={r["SUBJID"] for r in ds if r["DSCAT"] == "END OF STUDY"},
        off_treatment={r["SUBJID"] for r in ds if r["DSCAT"] == "END OF TREATMENT"},
        progressed={s for s, rows in scans.items() if any(r["READER_OVERALL"] == "PD" for r in rows)},
        new_therapy={r["SUBJID"] for r in files["edc/ct.csv"].records()},
        in_survival_follow_up={r["SUBJID"] for r in surv},
        scans=scans,
    )


# --- the changes --------------------------------------------------------------------------------------


def _delete_duplicate(files: dict[str, _File]) -> tuple[str, int] | None:
    """Drop the second copy of the first row that appears twice verbatim (line numbers from 2)."""
    for spec in INPUT_FILES:
        table = files[spec.path]
        seen: set[tuple[str, ...]] = set()
        for index, row in enumerate(table.rows):
            if tuple(row) in seen:
                del table.rows[index]
                return spec.path, index + 2
            seen.add(tuple(row))
    return None


def _correct_starting_dose(files: dict[str, _File]) -> tuple[str, str, str, str] | None:
    """The site corrects the first lenvatinib starting dose that breaks the study's weight rule."""
    weights = {r["SUBJID"]: r["WEIGHT_KG"] for r in files["edc/dm.csv"].records()}
    ex = files["edc/ex.csv"]
    first: dict[str, int] = {}
    for index, record in enumerate(ex.records()):
        if record["EXTRT"] == "LENVATINIB":
            seq = _int(record["EXSEQ"], 10**9)
            if record["SUBJID"] not in first or seq < _int(ex.rows[first[record["SUBJID"]]][ex.column("EXSEQ")], 10**9):
                first[record["SUBJID"]] = index
    for subject in sorted(first):
        row = ex.rows[first[subject]]
        try:
            expected = str(int(lenvatinib_starting_dose(float(weights[subject]))))
            dose = float(row[ex.column("EXDOSE")])
        except (KeyError, ValueError):
            continue
        if dose != float(expected):
            old = row[ex.column("EXDOSE")]
            row[ex.column("EXDOSE")] = expected
            return subject, row[ex.column("EXSEQ")], old, expected
    return None


def _new_scans(
    files: dict[str, _File], status: _Status, old_cut: date, new_cut: date
) -> tuple[dict[str, str], str | None]:
    """Each patient still scanned gets the next scheduled scan when it falls in (old cut-off, new cut-off].

    The lesions are measured as at the last scan. One patient whose last scan is a partial response
    is re-read as a complete response (last scan and new scan), which confirms a CR.
    """
    lesions, timepoints = files["imaging/lesions.csv"], files["imaging/timepoints.csv"]
    by_scan: dict[tuple[str, str], list[dict[str, str]]] = {}
    for record in lesions.records():
        by_scan.setdefault((record["SUBJID"], record["SCAN_DAT"]), []).append(record)
    planned = {}
    for subject, rows in sorted(status.scans.items()):
        if not status.still_scanned(subject):
            continue
        last = rows[-1]
        visit, when = _next_visit(last["VISIT"], date.fromisoformat(last["SCAN_DAT"]))
        if old_cut < when <= new_cut and by_scan.get((subject, last["SCAN_DAT"])):
            planned[subject] = (last, visit, when)
    complete = next(
        (
            s
            for s, (last, _, when) in planned.items()
            if last["READER_OVERALL"] == "PR" and when - date.fromisoformat(last["SCAN_DAT"]) >= timedelta(days=28)
        ),
        None,
    )
    for subject, (last, visit, when) in planned.items():
        previous = by_scan[(subject, last["SCAN_DAT"])]
        reread = subject == complete
        if reread:  # the core lab's re-read of the last scan: no viable tumour, non-targets gone
            for index, row in enumerate(lesions.rows):
                if row[lesions.column("SUBJID")] == subject and row[lesions.column("SCAN_DAT")] == last["SCAN_DAT"]:
                    lesions.rows[index] = _as_complete_response(lesions, row)
            for index, row in enumerate(timepoints.rows):
                if (
                    row[timepoints.column("SUBJID")] == subject
                    and row[timepoints.column("SCAN_DAT")] == last["SCAN_DAT"]
                ):
                    timepoints.rows[index] = _complete_verdict(timepoints, row, previous)
        for record in previous:
            copy = dict(record, VISIT=visit, SCAN_DAT=when.isoformat())
            row = [copy[c] for c in lesions.columns]
            lesions.rows.append(_as_complete_response(lesions, row) if reread else row)
        verdict = dict(last, VISIT=visit, SCAN_DAT=when.isoformat())
        row = [verdict[c] for c in timepoints.columns]
        timepoints.rows.append(_complete_verdict(timepoints, row, previous) if reread else row)
    return {s: when.isoformat() for s, (_, _, when) in planned.items()}, complete


def _as_complete_response(lesions: _File, row: list[str]) -> list[str]:
    row = list(row)
    kind = row[lesions.column("LESION_CLASS")]
    if kind == "TARGET" and row[lesions.column("VIABLE_DIAM_MM")]:
        row[lesions.column("VIABLE_DIAM_MM")] = "0"
    if kind == "NON-TARGET":
        row[lesions.column("NT_STATUS")] = "ABSENT"
    return row


def _complete_verdict(timepoints: _File, row: list[str], lesions: list[dict[str, str]]) -> list[str]:
    row = list(row)
    has_nontargets = any(r["LESION_CLASS"] == "NON-TARGET" for r in lesions)
    row[timepoints.column("READER_TARGET")] = "CR"
    row[timepoints.column("READER_NONTARGET")] = "CR" if has_nontargets else "ND"
    row[timepoints.column("READER_NEW")] = "N"
    row[timepoints.column("READER_OVERALL")] = "CR"
    return row


def _correct_grade(
    files: dict[str, _File], rng: np.random.Generator, busy: set[str]
) -> tuple[str, str, str, str] | None:
    """One adverse event of grade 1-3 that is its patient's worst is corrected one grade up."""
    ae = files["edc/ae.csv"]
    worst: dict[str, int] = {}
    for record in ae.records():
        worst[record["SUBJID"]] = max(worst.get(record["SUBJID"], 0), _int(record["AETOXGR"]))
    candidates = [
        index
        for index, row in enumerate(ae.records())
        if row["SUBJID"] not in busy
        and row["AETOXGR"] in ("1", "2", "3")
        and int(row["AETOXGR"]) == worst[row["SUBJID"]]
        and _edc_date(row["AESTDAT"]) is not None
    ]
    if not candidates:
        return None
    row = ae.rows[candidates[int(rng.integers(len(candidates)))]]
    old = row[ae.column("AETOXGR")]
    row[ae.column("AETOXGR")] = str(int(old) + 1)
    return row[ae.column("SUBJID")], row[ae.column("AESPID")], old, row[ae.column("AETOXGR")]


def _new_adverse_events(
    files: dict[str, _File], status: _Status, rng: np.random.Generator, old_cut: date, new_cut: date, busy: set[str]
) -> dict[str, str]:
    """About half the patients still on treatment report a new grade 1-2 event, like one they had before."""
    ae = files["edc/ae.csv"]
    by_subject: dict[str, list[dict[str, str]]] = {}
    for row in ae.records():
        by_subject.setdefault(row["SUBJID"], []).append(row)
    added = {}
    for subject, rows in sorted(by_subject.items()):
        if subject in busy or not status.on_study(subject) or subject in status.off_treatment:
            continue
        if rng.random() >= 0.5:
            continue
        template = rows[int(rng.integers(len(rows)))]
        start = old_cut + timedelta(days=int(rng.integers(1, (new_cut - old_cut).days + 1)))
        number = str(max(_int(r["AESPID"]) for r in rows) + 1)
        ae.append(
            dict(
                template,
                AESPID=number,
                AESTDAT=_edc_text(start),
                AEENDAT="",
                AETOXGR=str(int(rng.integers(1, 3))),
                AESER="N",
                AEACN_LEN="DOSE NOT CHANGED",
                AEOUT="NOT RECOVERED",
            )
        )
        added[subject] = number
    return added


def _late_death(
    files: dict[str, _File], status: _Status, rng: np.random.Generator, old_cut: date, new_cut: date, busy: set[str]
) -> tuple[str, str] | None:
    """A patient in survival follow-up (progressed ones first) dies inside the new window."""
    candidates = sorted(
        s for s in status.in_survival_follow_up if status.on_study(s) and s not in busy and s not in status.dead
    )
    candidates = [s for s in candidates if s in status.progressed] or candidates
    if not candidates:
        return None
    subject = candidates[int(rng.integers(len(candidates)))]
    window = (new_cut - old_cut).days
    died = old_cut + timedelta(days=int(rng.integers(1, max(window, 2))))
    surv = files["edc/surv.csv"]
    contacts = [r for r in surv.records() if r["SUBJID"] == subject]
    surv.append(
        dict(
            SUBJID=subject,
            CONTACT_SEQ=str(max(_int(r["CONTACT_SEQ"]) for r in contacts) + 1),
            CONTACT_DAT=_edc_text(min(died + timedelta(days=1), new_cut)),
            STATUS="DEAD",
            DEATH_DAT=_edc_text(died),
            DEATH_CAUSE="DISEASE PROGRESSION",
        )
    )
    ds = files["edc/ds.csv"]
    for category in ("END OF TREATMENT", "END OF STUDY"):
        if category == "END OF TREATMENT" and subject in status.off_treatment:
            continue
        ds.append(dict(SUBJID=subject, DSCAT=category, DSDECOD="DEATH", DSSTDAT=_edc_text(died)))
    ex = files["edc/ex.csv"]
    for row in ex.rows:  # an open lenvatinib period ends with the death
        if (
            row[ex.column("SUBJID")] == subject
            and row[ex.column("EXTRT")] == "LENVATINIB"
            and not row[ex.column("EXENDAT")]
        ):
            row[ex.column("EXENDAT")] = _edc_text(died)
            row[ex.column("EXADJ")] = "DISCONTINUED"
    return subject, died.isoformat()


def _new_contacts(
    files: dict[str, _File], status: _Status, rng: np.random.Generator, old_cut: date, new_cut: date, busy: set[str]
) -> None:
    """Patients alive in survival follow-up are contacted once in the window."""
    surv = files["edc/surv.csv"]
    last_seq: dict[str, int] = {}
    for row in surv.records():
        last_seq[row["SUBJID"]] = max(last_seq.get(row["SUBJID"], 0), _int(row["CONTACT_SEQ"]))
    window = (new_cut - old_cut).days
    for subject in sorted(last_seq):
        if subject in busy or not status.on_study(subject) or subject in status.dead:
            continue
        contact = old_cut + timedelta(days=int(rng.integers(1, window + 1)))
        surv.append(
            dict(
                SUBJID=subject,
                CONTACT_SEQ=str(last_seq[subject] + 1),
                CONTACT_DAT=_edc_text(contact),
                STATUS="ALIVE",
                DEATH_DAT="",
                DEATH_CAUSE="",
            )
        )


def describe_follow_up(export: FollowUpExport) -> str:
    """What the follow-up changed, in words, for the `warehouse generate` output."""
    lines = [f"  follows {export.previous_export_id}; cut-off {export.exported_at.date().isoformat()}"]
    if export.new_scans:
        lines.append(f"  new scans: {', '.join(f'{s} ({d})' for s, d in export.new_scans.items())}")
    if export.complete_response:
        lines.append(f"  re-read as a complete response, confirmed by the new scan: {export.complete_response}")
    if export.new_adverse_events:
        lines.append(
            f"  new adverse events: {', '.join(f'{s} AESPID {n}' for s, n in export.new_adverse_events.items())}"
        )
    if export.corrected_grade:
        subject, number, old, new = export.corrected_grade
        lines.append(f"  corrected AE grade: {subject} AESPID {number} AETOXGR {old} -> {new}")
    if export.corrected_dose:
        subject, seq, old, new = export.corrected_dose
        lines.append(f"  corrected lenvatinib starting dose: {subject} EXSEQ {seq} EXDOSE {old} -> {new}")
    if export.deleted_duplicate:
        lines.append(f"  deleted duplicate: {export.deleted_duplicate[0]} line {export.deleted_duplicate[1]}")
    if export.late_death:
        lines.append(f"  late death: {export.late_death[0]} on {export.late_death[1]}")
    return "\n".join(lines)
