"""Synthetic LEN+SIRT exports in the input contract (SPEC sections 1, 3 and 8).

``generate_export`` simulates a whole trial and writes it the way the EDC system and the imaging core
laboratory would: the eight files of SPEC section 3 with the columns of ``orchestration.loading.contract``, then
``manifest.json`` last. Everything is drawn from one ``numpy`` generator seeded with ``seed``, and
every default is fixed (the export date included), so the same arguments give byte-identical files.

The simulation, per patient and vectorised over patients:

- enrolment 3.5 to 1 years before the data cut-off, arm 1:1, baseline covariates with a moderate
  imbalance (LEN+SIRT patients have less macrovascular invasion and extrahepatic spread, so fewer
  BCLC C), which the propensity weighting of SPEC section 6 has to correct;
- a tumour trajectory: the viable (mRECIST) target sum falls linearly to a nadir (0 for complete
  responders) and then stays there until progression, which shows at the first scan after the true
  progression time as target growth, a new lesion (sometimes equivocal one scan earlier) or
  unequivocal non-target progression;
- progression, death and drop-out times (Weibull / exponential, arm and covariate dependent), which
  drive the imaging schedule (42 days until day 336, then 84), treatment discontinuation, survival
  follow-up, subsequent therapy and disposition;
- lenvatinib periods with dose reductions and interruptions, and adverse events, some of them linked
  to those dose changes, to discontinuation or to a death.

EXADJ says why a lenvatinib period ended: ``DOSE REDUCED`` or ``RE-ESCALATED`` (the next period
starts the next day at the new dose), ``INTERRUPTED`` (a gap follows; the next period may restart at a
lower dose), ``DISCONTINUED`` (the last period), empty while the period is ongoing at the cut-off.

Clinical inconsistencies that a data manager would query are part of realistic data and are always
generated at low rates (about 2 % lenvatinib starting doses off the weight rule, 4 % SIRT-to-
lenvatinib gaps of 8-9 days, a few patients with three liver targets or a target missing at a
follow-up scan). The core-lab reader's verdicts are written from each patient's true course, not
from the lesion values as written: where measurement noise, rounding or a missing target make the
warehouse's mRECIST computation differ, that is a data query, as in a real trial; the reader also
sees about 3 % of scans differently (``READER_DISAGREEMENT_RATE``). Data errors (exact duplicate rows
and values outside the contract) are controlled by ``Messiness`` and counted in
``GeneratedExport.injected``; ``dm.csv`` never gets any.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from orchestration.loading.contract import INPUT_FILES, SUBJECT_FILE
from orchestration.settings import DEFAULT_SEED, dbt_project_vars

# --- schedule ---------------------------------------------------------------------------------------

DEFAULT_CUTOFF = date(2025, 6, 30)
EXPORT_TIME_OF_DAY = time(18, 0, tzinfo=UTC)
ENROLMENT_FIRST_DAYS_BEFORE_CUTOFF = 1275  # about 2022-01-03 for the default cut-off
ENROLMENT_LAST_DAYS_BEFORE_CUTOFF = 367  # about 2024-06-28
MAX_PATIENTS = 400_000  # SUBJID is SSS-PPP: at most 999 patients at each of sites 101..999

EPOCH = date(1970, 1, 1)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
ARMS = ("LEN+SIRT", "LEN")  # index 0 / 1 everywhere below
VISIT_INTERVAL_EARLY, VISIT_SWITCH_DAY, VISIT_INTERVAL_LATE = 42, 336, 84
N_SCHEDULED_VISITS = 8 + 13  # day 42 .. 336, then every 84 days up to week 204 (> 3.5 years)
WRITE_CHUNK_ROWS = 200_000

# True effects by arm (LEN+SIRT, LEN). Calibrated so that the derived endpoints come out near SPEC
# section 8: ORR about 50 % vs 30 %, median PFS about 9 vs 6 and OS about 19 vs 14 months.
P_RESPONSE = (0.66, 0.47)
P_COMPLETE_GIVEN_RESPONSE = (0.30, 0.12)
PROGRESSION_MEDIAN_DAYS = (225.0, 165.0)
PROGRESSION_SHAPE = 1.25
POST_PROGRESSION_MEDIAN_DAYS = (290.0, 250.0)
DEATH_WITHOUT_PROGRESSION_MEDIAN_DAYS = 2600.0
DROPOUT_MEDIAN_DAYS = 9000.0
# The core-lab reader sees this share of follow-up scans differently from the patient's true course.
READER_DISAGREEMENT_RATE = 0.03


@dataclass(frozen=True)
class Messiness:
    """How much deliberate mess goes into an export (dm.csv always stays clean)."""

    partial_date_rate: float = (
        0.03  # share of AE start/end dates and death dates written partial (UN day, or UN UNK month)
    )
    duplicate_rate: float = 0.003  # share of rows (not in dm.csv) repeated verbatim at another place in the file
    out_of_range_rate: float = 0.002  # share of rows (not in dm.csv) with one value outside its contract
    windows_1252_files: tuple[str, ...] = ("edc/ae.csv",)  # files written in cp1252 (with non-ASCII text in them)
    bom_files: tuple[str, ...] = ("edc/dm.csv",)  # files written as UTF-8 with BOM

    @classmethod
    def none(cls) -> Messiness:
        return cls(
            partial_date_rate=0.0,
            duplicate_rate=0.0,
            out_of_range_rate=0.0,
            windows_1252_files=(),
            bom_files=(),
        )


@dataclass(frozen=True)
class GeneratedExport:
    """What ``generate_export`` wrote: where, under which id, and how many rows (and bad rows) per file."""

    path: Path
    export_id: str
    exported_at: datetime
    rows: dict[str, int]  # file path -> data rows written (injected rows included)
    injected: dict[str, int]  # file path -> deliberately bad rows (duplicates + out-of-range values)

    def describe(self) -> str:
        """Rows per file (and how many are deliberately bad), then the total."""
        lines = []
        for path, rows in self.rows.items():
            bad = self.injected.get(path, 0)
            lines.append(f"  {path:<24} {rows:>10,} rows" + (f"  ({bad} deliberately bad)" if bad else ""))
        lines.append(f"  {'total':<24} {sum(self.rows.values()):>10,} rows")
        return "\n".join(lines)


def default_exported_at(cutoff: date = DEFAULT_CUTOFF) -> datetime:
    return datetime.combine(cutoff, EXPORT_TIME_OF_DAY)


def generate_export(
    out_dir: Path,
    patients: int = 78,
    seed: int = DEFAULT_SEED,
    messiness: Messiness | None = None,
    export_id: str | None = None,
    exported_at: datetime | None = None,
) -> GeneratedExport:
    """Simulate the trial and write an export folder (data files first, ``manifest.json`` last).

    The data cut-off is the date of ``exported_at``; enrolment runs from about 3.5 to 1 years before
    it. Nothing is dated after the cut-off except deliberately out-of-range values.
    """
    messiness = Messiness() if messiness is None else messiness
    if not 1 <= patients <= MAX_PATIENTS:
        raise ValueError(f"patients must be between 1 and {MAX_PATIENTS}, got {patients}")
    exported_at = exported_at or default_exported_at()
    cutoff = exported_at.date()
    export_id = export_id or f"LENSIRT-{cutoff.isoformat()}-s{seed}-n{patients}"
    out_dir = Path(out_dir)
    for sub in ("edc", "imaging"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / "manifest.json"
    manifest_path.unlink(missing_ok=True)  # the folder is incomplete until the new manifest is written

    # Two streams: the trial is the same whatever the messiness; the mess has its own draws.
    trial_seed, mess_seed = np.random.SeedSequence(seed).spawn(2)
    rng, mess_rng = np.random.default_rng(trial_seed), np.random.default_rng(mess_seed)
    cut = (cutoff - EPOCH).days
    trial = _simulate(rng, patients, cut)
    dates = _DateText(cut - ENROLMENT_FIRST_DAYS_BEFORE_CUTOFF - 400, cut + 800)
    tables = _build_tables(trial, rng, mess_rng, dates, messiness)

    rows: dict[str, int] = {}
    injected: dict[str, int] = {}
    files_meta = []
    for spec in INPUT_FILES:
        table = tables[spec.path]
        bad = 0
        if spec.path != "edc/dm.csv":
            table, bad = _inject_errors(table, spec.path, mess_rng, messiness, dates, cut)
        sha, n_rows = _write_csv(
            out_dir / spec.path,
            spec.column_names,
            table,
            encoding="cp1252" if spec.path in messiness.windows_1252_files else "utf-8",
            bom=spec.path in messiness.bom_files,
        )
        rows[spec.path] = n_rows
        injected[spec.path] = bad
        files_meta.append({"path": spec.path, "sha256": sha, "rows": n_rows})

    manifest = {"export_id": export_id, "exported_at": exported_at.isoformat(), "files": files_meta}
    tmp = manifest_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    tmp.replace(manifest_path)
    return GeneratedExport(out_dir, export_id, exported_at, rows, injected)


@functools.cache
def _weight_rule() -> tuple[float, int, int]:
    """(threshold kg, high dose mg, low dose mg), read once per process from the study's dbt vars."""
    rule = dbt_project_vars()
    return (
        float(rule["lenvatinib_weight_threshold_kg"]),
        int(rule["lenvatinib_dose_high_mg"]),
        int(rule["lenvatinib_dose_low_mg"]),
    )


def lenvatinib_starting_dose(weight_kg):
    """The protocol's lenvatinib starting dose in mg for a baseline weight in kg (scalar or array).

    The study's rule (dbt vars ``lenvatinib_*``, SPEC section 1), the one ADEX checks against:
    the high dose at or above the weight threshold, the low dose below it.
    """
    threshold, high, low = _weight_rule()
    return np.where(np.asarray(weight_kg) >= threshold, high, low)


# --- small helpers ----------------------------------------------------------------------------------


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of the given sizes: the group of each member and its position inside the group."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner]


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """1-based position of each element inside its run of equal (sorted) group values."""
    if groups.size == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.r_[True, groups[1:] != groups[:-1]]
    starts = np.flatnonzero(new)
    run = np.cumsum(new) - 1
    return np.arange(groups.size) - starts[run] + 1


def _choice(rng: np.random.Generator, probabilities, size) -> np.ndarray:
    p = np.asarray(probabilities, dtype=float)
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(size), side="right").clip(0, p.size - 1)


def _obj(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _lookup(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    return table[np.asarray(index, dtype=np.int64)]


_INT_TEXT = _obj([str(i) for i in range(10_000)])
_TENTHS_TEXT = _obj([str(i // 10) if i % 10 == 0 else f"{i // 10}.{i % 10}" for i in range(0, 4001)])


def _int_text(values: np.ndarray) -> np.ndarray:
    return _lookup(_INT_TEXT, values)


def _tenths_text(tenths: np.ndarray) -> np.ndarray:
    """Millimetres (or kg) held in tenths -> `12` or `12.3`."""
    return _lookup(_TENTHS_TEXT, np.clip(tenths, 0, 4000))


class _DateText:
    """Day numbers (days since 1970-01-01) -> `07 MAR 2025` and `2025-03-07`, by table lookup."""

    def __init__(self, first: int, last: int) -> None:
        self.first = first
        days = [EPOCH + timedelta(days=d) for d in range(first, last + 1)]
        self._edc = _obj([f"{d.day:02d} {MONTHS[d.month - 1]} {d.year}" for d in days])
        self._iso = _obj([d.isoformat() for d in days])

    def edc(self, days: np.ndarray) -> np.ndarray:
        return self._edc[np.asarray(days, dtype=np.int64) - self.first]

    def iso(self, days: np.ndarray) -> np.ndarray:
        return self._iso[np.asarray(days, dtype=np.int64) - self.first]

    def edc_or_empty(self, days: np.ndarray, present: np.ndarray) -> np.ndarray:
        out = np.full(len(days), "", dtype=object)
        out[present] = self.edc(np.asarray(days)[present])
        return out


# --- the trial --------------------------------------------------------------------------------------


class _Trial:
    """Arrays describing the simulated trial; patient arrays have one entry per patient (SUBJID order).

    Filled in step by step by the `_simulate_*` functions (and the table builders), in this order.
    """

    n: int  # patients
    cut: int  # the data cut-off (day number)
    # patients (_simulate_patients)
    site_no: np.ndarray
    patient_no: np.ndarray
    french_site: np.ndarray
    enrol: np.ndarray
    arm: np.ndarray
    male: np.ndarray
    age: np.ndarray
    weight_tenths: np.ndarray
    ecog: np.ndarray
    child_pugh: np.ndarray
    mvi: np.ndarray
    ehs: np.ndarray
    bclc: np.ndarray
    etiology: np.ndarray
    afp: np.ndarray
    prior_tace: np.ndarray
    # outcomes (_simulate_outcomes)
    score: np.ndarray
    treated: np.ndarray
    sirt_rx: np.ndarray
    start: np.ndarray
    len_start: np.ndarray
    cutoff_day: np.ndarray
    responder: np.ndarray
    nadir_ratio: np.ndarray
    nadir_day: np.ndarray
    lesion_growth: np.ndarray
    progression_day: np.ndarray
    death_day: np.ndarray
    died_before_progression: np.ndarray
    dropout_day: np.ndarray
    dropout_lost: np.ndarray
    pd_type: np.ndarray
    # imaging schedule (_simulate_imaging_schedule): s_* have one entry per scan
    visit_week: np.ndarray
    has_pd_scan: np.ndarray
    pd_scan_day: np.ndarray
    s_pat: np.ndarray
    s_day: np.ndarray
    s_kind: np.ndarray
    s_visit: np.ndarray
    s_is_pd: np.ndarray
    has_baseline: np.ndarray
    s_rank: np.ndarray
    early_ct_day: np.ndarray
    early_ct: np.ndarray
    # treatment (_simulate_treatment)
    eot_reason: np.ndarray
    stopped: np.ndarray
    len_given: np.ndarray
    last_dose: np.ndarray
    start_dose: np.ndarray
    dose_events: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # (patient, day, kind) per dose change
    periods: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # start, end, dose, reason, ok
    sirt_gbq: np.ndarray
    # follow-up (_simulate_follow_up)
    death_known: np.ndarray
    dropped: np.ndarray
    fatal_ae: np.ndarray
    contacts: np.ndarray
    contacts_ok: np.ndarray
    dead_contact: np.ndarray
    death_cause: np.ndarray
    ct1: np.ndarray
    ct1_day: np.ndarray
    ct2: np.ndarray
    ct2_day: np.ndarray
    # the tables (_build_tables, _ae_table)
    subjid: np.ndarray
    ae_fatal: np.ndarray


def _simulate(rng: np.random.Generator, n: int, cut: int) -> _Trial:
    t = _Trial()
    t.n, t.cut = n, cut
    _simulate_patients(t, rng)
    _simulate_outcomes(t, rng)
    _simulate_imaging_schedule(t, rng)
    _simulate_treatment(t, rng)
    _simulate_follow_up(t, rng)
    return t


def _simulate_patients(t: _Trial, rng: np.random.Generator) -> None:
    n, cut = t.n, t.cut
    n_sites = max(int(rng.integers(3, 6)), -(-n // 450))
    site_weight = rng.uniform(0.5, 1.5, n_sites)
    site = _choice(rng, site_weight, n)
    enrol = rng.integers(cut - ENROLMENT_FIRST_DAYS_BEFORE_CUTOFF, cut - ENROLMENT_LAST_DAYS_BEFORE_CUTOFF + 1, n)
    order = np.lexsort((enrol, site))
    site, enrol = site[order], enrol[order]
    number = _rank_within(site)
    if number.max() > 999:
        raise ValueError("more than 999 patients at one site; SUBJID cannot hold them")
    t.site_no = 101 + site
    t.patient_no = number
    t.french_site = site % 3 == 2  # every third site writes its verbatim AE terms in French
    t.enrol = enrol

    arm = np.zeros(n, dtype=np.int64)
    arm[n // 2 :] = 1
    t.arm = rng.permutation(arm) if n % 2 == 0 else rng.permutation(np.r_[arm[:-1], rng.integers(0, 2)])
    lensirt = t.arm == 0

    t.male = rng.random(n) < 0.80
    age = SUBJECT_FILE.column("AGE")  # the eligible ages are the contract's
    t.age = np.clip(np.rint(rng.normal(65.0 - 1.5 * lensirt, 10.0)), age.minimum, age.maximum).astype(np.int64)
    weight = np.clip(rng.normal(np.where(t.male, 71.0, 60.0), 12.0), 38.0, 160.0)
    whole_kg = rng.random(n) < 0.4  # many sites record whole kilograms
    t.weight_tenths = np.where(whole_kg, np.rint(weight) * 10, np.rint(weight * 10)).astype(np.int64)
    t.ecog = np.where(lensirt, _choice(rng, (0.58, 0.37, 0.05), n), _choice(rng, (0.50, 0.42, 0.08), n))
    t.child_pugh = np.where(lensirt, _choice(rng, (0.58, 0.34, 0.08), n), _choice(rng, (0.52, 0.36, 0.12), n))
    t.mvi = rng.random(n) < np.where(lensirt, 0.20, 0.30)
    t.ehs = rng.random(n) < np.where(lensirt, 0.15, 0.25)
    u = rng.random(n)
    t.bclc = np.where(t.mvi | t.ehs, 2, np.where(t.ecog >= 1, np.where(u < 0.5, 2, 1), np.where(u < 0.06, 0, 1)))
    t.etiology = _choice(rng, (0.32, 0.22, 0.20, 0.18, 0.08), n)
    t.afp = np.clip(np.exp(rng.normal(4.6 + 0.9 * t.mvi, 2.2)), 1.0, 2_000_000.0)
    t.prior_tace = 1 + np.minimum(rng.poisson(1.3, n), 5)

    # Prognostic score (log hazard), centred on the trial population.
    score = (
        0.35 * t.mvi
        + 0.30 * t.ehs
        + 0.25 * (t.ecog >= 1)
        + 0.20 * (t.ecog == 2)
        + 0.10 * (t.child_pugh == 1)
        + 0.35 * (t.child_pugh == 2)
        + 0.30 * (t.afp >= 400)
    )
    t.score = score - score.mean()

    # Treatment start (STARTDT): SIRT needs a planning angiography first.
    t.treated = rng.random(n) >= 0.01
    t.sirt_rx = lensirt & t.treated & (rng.random(n) >= 0.03)
    t.start = np.where(t.treated, t.enrol + np.where(lensirt, rng.integers(5, 22, n), rng.integers(1, 11, n)), t.enrol)
    gap = rng.integers(3, 8, n)
    deviant_gap = rng.random(n) < 0.04
    gap[deviant_gap] = rng.integers(8, 10, int(deviant_gap.sum()))
    t.len_start = np.where(t.sirt_rx, gap, 0)  # lenvatinib start, days after STARTDT
    t.cutoff_day = cut - t.start  # the cut-off in days after STARTDT


def _simulate_outcomes(t: _Trial, rng: np.random.Generator) -> None:
    n = t.n
    arm = t.arm
    p = np.take(P_RESPONSE, arm)
    logit = np.log(p / (1 - p)) - 0.6 * t.score
    t.responder = rng.random(n) < 1 / (1 + np.exp(-logit))
    complete = t.responder & (rng.random(n) < np.take(P_COMPLETE_GIVEN_RESPONSE, arm))
    # Depth of response: ratio of the viable target sum at nadir to baseline.
    t.nadir_ratio = np.where(
        complete, 0.0, np.where(t.responder, rng.uniform(0.08, 0.62, n), rng.uniform(0.74, 1.06, n))
    )
    t.nadir_day = np.where(t.responder, rng.uniform(50, 230, n), rng.uniform(40, 150, n))
    t.lesion_growth = rng.uniform(1.3, 1.9, n)

    shape = PROGRESSION_SHAPE
    median = np.take(PROGRESSION_MEDIAN_DAYS, arm) * np.where(t.responder, 1.5, 0.8)
    scale = median / np.log(2) ** (1 / shape) * np.exp(-t.score / shape)
    t.progression_day = np.maximum(scale * rng.weibull(shape, n), 20.0)
    post = rng.exponential(np.take(POST_PROGRESSION_MEDIAN_DAYS, arm) / np.log(2) * np.exp(-0.5 * t.score), n)
    early = rng.exponential(DEATH_WITHOUT_PROGRESSION_MEDIAN_DAYS / np.log(2) * np.exp(-t.score), n)
    t.death_day = np.maximum(np.ceil(np.minimum(t.progression_day + 14 + post, early)), 10).astype(np.int64)
    t.died_before_progression = early < t.progression_day + 14 + post
    drop = np.ceil(rng.exponential(DROPOUT_MEDIAN_DAYS / np.log(2), n)).astype(np.int64) + 10
    never = ~t.treated
    drop[never] = rng.integers(3, 21, int(never.sum()))
    t.dropout_day = drop
    t.dropout_lost = rng.random(n) < 0.5  # LOST TO FOLLOW-UP, else WITHDRAWAL BY SUBJECT
    # How progression shows: 0 target growth, 1 new lesion, 2 non-target progression.
    t.pd_type = _choice(rng, (0.45, 0.40, 0.15), n)


def _simulate_imaging_schedule(t: _Trial, rng: np.random.Generator) -> None:
    n, V = t.n, N_SCHEDULED_VISITS
    k = np.arange(1, V + 1)
    planned = np.where(k <= 8, VISIT_INTERVAL_EARLY * k, VISIT_SWITCH_DAY + VISIT_INTERVAL_LATE * (k - 8))
    t.visit_week = planned // 7
    jitter = np.clip(np.rint(rng.normal(0, 3, (n, V))), -7, 7).astype(np.int64)
    day = planned[None, :] + jitter
    on_study = (
        (day <= t.cutoff_day[:, None])
        & (day < t.death_day[:, None])
        & (day <= t.dropout_day[:, None])
        & t.treated[:, None]
    )
    skipped = rng.random((n, V)) < 0.05
    available = on_study & ~skipped
    after_progression = available & (day >= t.progression_day[:, None])
    has_pd = after_progression.any(axis=1)
    pd_visit = np.where(has_pd, after_progression.argmax(axis=1), V)
    # A few patients miss the two scans before their progression (SPEC 5: censored for missed scans).
    gap = has_pd & (pd_visit >= 4) & (rng.random(n) < 0.03)
    rows = np.flatnonzero(gap)
    skipped[rows, pd_visit[rows] - 1] = True
    skipped[rows, pd_visit[rows] - 2] = True
    available = on_study & ~skipped & (k[None, :] - 1 <= pd_visit[:, None])
    t.has_pd_scan = has_pd
    t.pd_scan_day = np.where(has_pd, day[np.arange(n), np.minimum(pd_visit, V - 1)], 10**6)

    baseline = t.treated & (rng.random(n) >= 0.02) | (~t.treated & (rng.random(n) < 0.7))
    baseline_day = -rng.integers(1, 29, n)  # 1..28 days before STARTDT
    # An unscheduled scan between two scheduled ones for a few patients.
    n_avail = available.sum(axis=1)
    unscheduled = (n_avail >= 2) & (rng.random(n) < 0.04)
    pick = np.floor(rng.random(n) * np.maximum(n_avail - 1, 1)).astype(np.int64)
    avail_rank = np.cumsum(available, axis=1) - 1
    col = np.where(available & (avail_rank == pick[:, None]), 1, 0).argmax(axis=1)
    unscheduled_day = day[np.arange(n), col] + rng.integers(14, 22, n)

    # Flatten: column 0 baseline, 1..V scheduled, V+1 unscheduled.
    all_day = np.concatenate([baseline_day[:, None], day, unscheduled_day[:, None]], axis=1)
    all_ok = np.concatenate([baseline[:, None], available, unscheduled[:, None]], axis=1)
    kind = np.concatenate([np.zeros((n, 1)), np.ones((n, V)), np.full((n, 1), 2)], axis=1).astype(np.int64)
    visit = np.concatenate([np.zeros((n, 1)), k[None, :].repeat(n, 0), np.zeros((n, 1))], axis=1).astype(np.int64)
    patient = np.repeat(np.arange(n), V + 2).reshape(n, V + 2)
    sel = all_ok.ravel()
    s_pat, s_day = patient.ravel()[sel], all_day.ravel()[sel]
    s_kind, s_visit = kind.ravel()[sel], visit.ravel()[sel]
    order = np.lexsort((s_day, s_pat))
    t.s_pat, t.s_day, t.s_kind, t.s_visit = s_pat[order], s_day[order], s_kind[order], s_visit[order]
    t.s_is_pd = t.has_pd_scan[t.s_pat] & (t.s_day == t.pd_scan_day[t.s_pat]) & (t.s_kind == 1)
    t.has_baseline = baseline
    t.s_rank = _rank_within(t.s_pat)  # 1-based position of the scan inside the patient


def _simulate_treatment(t: _Trial, rng: np.random.Generator) -> None:
    n = t.n
    # New anticancer therapy before documented progression (curative or locoregional) for a few.
    documented_pd_day = np.where(t.has_pd_scan, t.pd_scan_day, 10**6)
    horizon = np.minimum.reduce([documented_pd_day, t.death_day, t.dropout_day, t.cutoff_day + 1])
    early_ct = t.treated & (rng.random(n) < 0.03) & (horizon > 130)
    t.early_ct_day = np.where(early_ct, rng.integers(84, np.maximum(horizon - 20, 85)), 10**6)
    t.early_ct = early_ct & (t.early_ct_day < horizon)

    # Candidate last-dose days (days after STARTDT); the earliest wins.
    candidates = np.stack(
        [
            np.where(t.has_pd_scan, t.pd_scan_day + rng.integers(0, 15, n), 10**6),  # PROGRESSIVE DISEASE
            np.ceil(rng.exponential(1800, n)).astype(np.int64) + t.len_start + 14,  # ADVERSE EVENT
            np.where(t.dropout_lost, 10**6, t.dropout_day - rng.integers(0, 10, n)),  # WITHDRAWAL BY SUBJECT
            np.where(t.dropout_lost, t.dropout_day - rng.integers(0, 10, n), 10**6),  # LOST TO FOLLOW-UP
            t.death_day - rng.integers(0, 8, n),  # DEATH
            np.where(
                t.early_ct,
                t.early_ct_day - rng.integers(3, 15, n),
                np.ceil(rng.exponential(9000, n)).astype(np.int64) + 60,
            ),  # PHYSICIAN DECISION
        ],
        axis=1,
    )
    t.eot_reason = candidates.argmin(axis=1)
    last = candidates.min(axis=1)
    t.stopped = t.treated & (last <= t.cutoff_day)
    last = np.where(t.stopped, last, t.cutoff_day)
    last = np.where(t.sirt_rx, last, np.maximum(last, t.len_start + 1))  # LEN patients get at least two days
    t.len_given = t.treated & (last >= t.len_start + 1)
    t.last_dose = np.where(t.len_given, np.maximum(last, t.len_start + 1), 0)

    # Lenvatinib periods: up to four dose changes, each a reduction, an interruption or a re-escalation.
    # The weight rule is the study's (dbt var lenvatinib_*, SPEC section 1), the one ADEX checks against.
    deviant = rng.random(n) < 0.02  # about 2 % start on the other dose (data query LEN_START_DOSE)
    expected = lenvatinib_starting_dose(t.weight_tenths / 10)
    _, high, low = _weight_rule()
    t.start_dose = np.where(deviant, low + high - expected, expected)  # the other of the two doses
    P = 5
    p_start = np.zeros((n, P), dtype=np.int64)
    p_end = np.zeros((n, P), dtype=np.int64)
    p_dose = np.zeros((n, P), dtype=np.int64)
    p_reason = np.zeros((n, P), dtype=np.int64)  # 0 none, 1 reduced, 2 interrupted, 3 re-escalated, 4 discontinued
    p_ok = np.zeros((n, P), dtype=bool)
    p_start[:, 0], p_dose[:, 0], p_ok[:, 0] = t.len_start, t.start_dose, t.len_given
    dose = t.start_dose.copy()
    start = t.len_start.copy()
    active = t.len_given & (rng.random(n) < 0.6)  # the others never change their dose
    t.dose_events = []  # (patient, day, kind) for the adverse events behind them
    for j in range(1, P):
        when = start + 14 + np.ceil(rng.exponential(90, n)).astype(np.int64)
        u = rng.random(n)
        kind = np.where((dose < t.start_dose) & (u < 0.08), 3, np.where((dose > 4) & (u < 0.60), 1, 2))
        gap = np.where(kind == 2, rng.integers(4, 22, n), 1)
        restart = when + gap
        ok = active & (restart + 10 < t.last_dose)
        new_dose = np.where(kind == 1, dose - 4, np.where(kind == 3, np.minimum(dose + 4, t.start_dose), dose))
        lower_on_restart = (kind == 2) & (dose > 4) & (rng.random(n) < 0.35)
        new_dose = np.where(lower_on_restart, dose - 4, new_dose)
        p_end[ok, j - 1] = when[ok]
        p_reason[ok, j - 1] = kind[ok]
        p_start[ok, j] = restart[ok]
        p_dose[ok, j] = new_dose[ok]
        p_ok[ok, j] = True
        t.dose_events.append((np.flatnonzero(ok & (kind != 3)), when[ok & (kind != 3)], kind[ok & (kind != 3)]))
        dose = np.where(ok, new_dose, dose)
        start = np.where(ok, restart, start)
        active = ok
    n_periods = p_ok.sum(axis=1)
    last_col = np.maximum(n_periods - 1, 0)
    rows = np.flatnonzero(t.len_given)
    p_end[rows, last_col[rows]] = t.last_dose[rows]
    p_reason[rows, last_col[rows]] = np.where(t.stopped[rows], 4, 0)
    t.periods = (p_start, p_end, p_dose, p_reason, p_ok)
    t.sirt_gbq = np.round(rng.uniform(1.0, 3.0, n), 2)


def _simulate_follow_up(t: _Trial, rng: np.random.Generator) -> None:
    n = t.n
    t.death_known = (t.death_day <= t.cutoff_day) & (t.death_day <= t.dropout_day) & t.treated
    t.dropped = (t.dropout_day <= t.cutoff_day) & (t.dropout_day < t.death_day)
    t.fatal_ae = t.death_known & t.died_before_progression & (t.death_day <= t.last_dose + 30) & (rng.random(n) < 0.5)
    # Survival contacts every 2-3 months once off treatment.
    C = 24
    first = np.where(t.stopped, t.last_dose + rng.integers(20, 60, n), 10**6)
    steps = rng.integers(56, 92, (n, C))
    steps[:, 0] = 0
    contact = first[:, None] + np.cumsum(steps, axis=1)
    limit = np.minimum.reduce([t.death_day, t.cutoff_day + 1, t.dropout_day])
    t.contacts = contact
    t.contacts_ok = (contact < limit[:, None]) & t.treated[:, None]
    t.dead_contact = np.minimum(t.death_day + rng.integers(0, 22, n), t.cutoff_day)
    cause = np.where(
        t.fatal_ae,
        1,
        np.where(
            t.died_before_progression, _choice(rng, (0.0, 0.0, 0.6, 0.4), n), _choice(rng, (0.9, 0.0, 0.04, 0.06), n)
        ),
    )
    t.death_cause = cause  # index into DEATH_CAUSE codes

    # Subsequent anticancer therapy after documented progression (about a third), second lines for some.
    alive_after = t.has_pd_scan & (t.death_day > t.pd_scan_day + 21)
    t.ct1 = alive_after & (rng.random(n) < 0.40)
    t.ct1_day = t.pd_scan_day + rng.integers(14, 75, n)
    t.ct2 = t.ct1 & (rng.random(n) < 0.25)
    t.ct2_day = t.ct1_day + rng.integers(60, 240, n)


# --- vocabularies -----------------------------------------------------------------------------------

ETIOLOGY = ("HBV", "HCV", "ALCOHOL", "MASLD", "OTHER")
CHILD_PUGH = ("A5", "A6", "B7")
BCLC = ("A", "B", "C")
DEATH_CAUSE = ("DISEASE PROGRESSION", "ADVERSE EVENT", "OTHER", "UNKNOWN")
EOT_REASON = (
    "PROGRESSIVE DISEASE",
    "ADVERSE EVENT",
    "WITHDRAWAL BY SUBJECT",
    "LOST TO FOLLOW-UP",
    "DEATH",
    "PHYSICIAN DECISION",
)
EXADJ = ("", "DOSE REDUCED", "INTERRUPTED", "RE-ESCALATED", "DISCONTINUED")

SOC_GEN = "General disorders and administration site conditions"
SOC_GI = "Gastrointestinal disorders"
SOC_INV = "Investigations"
SOC_HEP = "Hepatobiliary disorders"

# decod, soc, weight on lenvatinib, weight after SIRT, share of grade >= 3, chronic, English verbatims, French verbatim
AE_TERMS: tuple[tuple, ...] = (
    (
        "Hypertension",
        "Vascular disorders",
        0.42,
        0.0,
        0.30,
        True,
        ("Hypertension", "High blood pressure", "HTN", "Arterial hypertension"),
        "Hypertension artérielle",
    ),
    ("Diarrhoea", SOC_GI, 0.39, 0.0, 0.06, False, ("Diarrhoea", "Diarrhea", "Loose stools"), "Diarrhée"),
    (
        "Decreased appetite",
        "Metabolism and nutrition disorders",
        0.34,
        0.0,
        0.06,
        False,
        ("Decreased appetite", "Loss of appetite", "Anorexia"),
        "Perte d'appétit",
    ),
    ("Weight decreased", SOC_INV, 0.31, 0.0, 0.08, True, ("Weight loss", "Weight decreased"), "Perte de poids"),
    ("Fatigue", SOC_GEN, 0.30, 0.30, 0.06, False, ("Fatigue", "Tiredness", "Fatigue, intermittent"), "Fatigue"),
    (
        "Palmar-plantar erythrodysaesthesia syndrome",
        "Skin and subcutaneous tissue disorders",
        0.27,
        0.0,
        0.07,
        False,
        ("Hand-foot syndrome", "Hand–foot skin reaction", "PPE"),
        "Syndrome main-pied",
    ),
    (
        "Proteinuria",
        "Renal and urinary disorders",
        0.25,
        0.0,
        0.12,
        True,
        ("Proteinuria", "Protein in urine"),
        "Protéinurie",
    ),
    (
        "Dysphonia",
        "Respiratory, thoracic and mediastinal disorders",
        0.24,
        0.0,
        0.0,
        True,
        ("Dysphonia", "Hoarseness"),
        "Dysphonie",
    ),
    ("Nausea", SOC_GI, 0.20, 0.25, 0.03, False, ("Nausea", "Nausea, intermittent"), "Nausées"),
    (
        "Platelet count decreased",
        SOC_INV,
        0.18,
        0.05,
        0.15,
        False,
        ("Thrombocytopenia", "Low platelets"),
        "Thrombopénie",
    ),
    (
        "Abdominal pain",
        SOC_GI,
        0.17,
        0.40,
        0.06,
        False,
        ("Abdominal pain", "Right upper quadrant pain", "Epigastric pain"),
        "Douleur abdominale",
    ),
    (
        "Hypothyroidism",
        "Endocrine disorders",
        0.16,
        0.0,
        0.0,
        True,
        ("Hypothyroidism", "Low thyroid function"),
        "Hypothyroïdie",
    ),
    ("Constipation", SOC_GI, 0.16, 0.0, 0.01, False, ("Constipation",), "Constipation"),
    ("Vomiting", SOC_GI, 0.16, 0.10, 0.03, False, ("Vomiting",), "Vomissements"),
    (
        "Blood bilirubin increased",
        SOC_INV,
        0.15,
        0.10,
        0.20,
        False,
        ("Bilirubin increased", "Hyperbilirubinaemia"),
        "Hyperbilirubinémie",
    ),
    (
        "Aspartate aminotransferase increased",
        SOC_INV,
        0.14,
        0.08,
        0.15,
        False,
        ("AST increased", "Elevated AST"),
        "Élévation des ASAT",
    ),
    ("Asthenia", SOC_GEN, 0.12, 0.05, 0.05, False, ("Asthenia", "Weakness"), "Asthénie"),
    ("Stomatitis", SOC_GI, 0.11, 0.0, 0.02, False, ("Stomatitis", "Mouth ulcers"), "Stomatite"),
    ("Pyrexia", SOC_GEN, 0.10, 0.10, 0.01, False, ("Fever", "Pyrexia"), "Fièvre"),
    (
        "Epistaxis",
        "Respiratory, thoracic and mediastinal disorders",
        0.10,
        0.0,
        0.01,
        False,
        ("Nosebleed", "Epistaxis"),
        "Épistaxis",
    ),
    (
        "Rash",
        "Skin and subcutaneous tissue disorders",
        0.10,
        0.0,
        0.01,
        False,
        ("Rash", "Skin rash"),
        "Éruption cutanée",
    ),
    ("Headache", "Nervous system disorders", 0.10, 0.0, 0.01, False, ("Headache",), "Céphalées"),
    (
        "Arthralgia",
        "Musculoskeletal and connective tissue disorders",
        0.10,
        0.0,
        0.01,
        False,
        ("Joint pain", "Arthralgia"),
        "Arthralgies",
    ),
    ("Ascites", SOC_GI, 0.06, 0.05, 0.20, False, ("Ascites",), "Ascite"),
    ("Hepatitis", SOC_HEP, 0.02, 0.04, 0.30, False, ("Hepatitis", "Radiation hepatitis"), "Hépatite"),
    (
        "Hepatic failure",
        SOC_HEP,
        0.01,
        0.03,
        0.70,
        False,
        ("Radioembolisation-induced liver disease", "REILD", "Liver failure"),
        "Insuffisance hépatique",
    ),
    (
        "Gastrointestinal ulcer",
        SOC_GI,
        0.0,
        0.02,
        0.50,
        False,
        ("Gastric ulcer", "Duodenal ulcer"),
        "Ulcère gastro-duodénal",
    ),
)
AE_DECOD = _obj([a[0] for a in AE_TERMS])
AE_SOC = _obj([a[1] for a in AE_TERMS])
AE_W_LEN = np.array([a[2] for a in AE_TERMS])
AE_W_SIRT = np.array([a[3] for a in AE_TERMS])
AE_P_SEVERE = np.array([a[4] for a in AE_TERMS])
AE_CHRONIC = np.array([a[5] for a in AE_TERMS])
AE_LEN_PROFILE = AE_W_LEN >= 0.1
AE_SIRT_PROFILE = AE_W_SIRT >= 0.05
AE_INDEX = {a[0]: i for i, a in enumerate(AE_TERMS)}
_MAX_VERBATIMS = max(len(a[6]) for a in AE_TERMS)
AE_VERBATIM = np.array([[a[6][j % len(a[6])] for j in range(_MAX_VERBATIMS)] for a in AE_TERMS], dtype=object)
AE_VERBATIM_FR = _obj([a[7] for a in AE_TERMS])
DOSE_LIMITING_TERMS = np.array(
    [
        AE_INDEX[x]
        for x in (
            "Hypertension",
            "Proteinuria",
            "Palmar-plantar erythrodysaesthesia syndrome",
            "Fatigue",
            "Diarrhoea",
            "Decreased appetite",
            "Platelet count decreased",
            "Aspartate aminotransferase increased",
        )
    ]
)
PRE_TREATMENT_TERMS = np.array(
    [AE_INDEX[x] for x in ("Abdominal pain", "Fatigue", "Ascites", "Asthenia", "Decreased appetite")]
)
FATAL_TERMS = (
    ("Hepatic failure", SOC_HEP, "Hepatic failure", "Insuffisance hépatique terminale"),
    ("Gastrointestinal haemorrhage", SOC_GI, "Variceal bleeding", "Hémorragie digestive"),
    ("Sepsis", "Infections and infestations", "Sepsis", "Sepsis"),
    ("Hepatic encephalopathy", "Nervous system disorders", "Hepatic encephalopathy", "Encéphalopathie hépatique"),
    ("Pneumonia", "Infections and infestations", "Pneumonia", "Pneumopathie"),
)

ORGANS = ("LIVER", "LUNG", "LYMPH NODE", "BONE", "ADRENAL", "PERITONEUM", "OTHER")
LIVER, LUNG, NODE, BONE, ADRENAL, PERITONEUM = range(6)
LOCATIONS = {
    LIVER: (
        "segment I",
        "segment II",
        "segment III",
        "segment IVa",
        "segment IVb",
        "segment IV – dome",
        "segment V",
        "segment VI",
        "segment VII",
        "segment VIII",
        "segment VII/VIII",
        "segment V/VI",
    ),
    LUNG: ("right upper lobe", "right middle lobe", "right lower lobe", "left upper lobe", "left lower lobe"),
    NODE: ("porta hepatis", "portocaval", "coeliac", "para-aortic", "hepatoduodenal ligament"),
    BONE: ("T10 vertebra", "L2 vertebra", "left iliac bone", "right rib 7", "sacrum"),
    ADRENAL: ("right adrenal", "left adrenal"),
    PERITONEUM: ("peritoneal nodule", "omentum", "pelvic peritoneum"),
}
_LOC_WIDTH = max(len(v) for v in LOCATIONS.values())
LOCATION_TABLE = np.array(
    [
        [LOCATIONS.get(o, ("",))[j % len(LOCATIONS.get(o, ("",)))] for j in range(_LOC_WIDTH)]
        for o in range(len(ORGANS))
    ],
    dtype=object,
)
# Extrahepatic target patterns for patients with extrahepatic spread (at most two per organ).
EXTRAHEPATIC_TARGETS = (
    (),
    (LUNG,),
    (NODE,),
    (ADRENAL,),
    (LUNG, LUNG),
    (LUNG, NODE),
    (NODE, NODE),
    (LUNG, ADRENAL),
    (LUNG, LUNG, NODE),
    (LUNG, NODE, ADRENAL),
)
EXTRAHEPATIC_TARGET_P = (0.35, 0.18, 0.14, 0.06, 0.08, 0.07, 0.04, 0.03, 0.03, 0.02)
NE_REASONS = _obj(["ARTEFACT", "NOT IMAGED", "POOR CONTRAST", "MOTION ARTEFACT"])
RESPONSES = ("CR", "PR", "SD", "PD", "NE")  # target / overall
NT_RESPONSES = ("CR", "NON-CR/NON-PD", "PD", "NE", "ND")


# --- tables -----------------------------------------------------------------------------------------


def _build_tables(
    t: _Trial,
    rng: np.random.Generator,
    mess_rng: np.random.Generator,
    dates: _DateText,
    mess: Messiness,
) -> dict[str, dict[str, np.ndarray]]:
    subjid = _obj([f"{s:03d}-{p:03d}" for s, p in zip(t.site_no.tolist(), t.patient_no.tolist())])
    t.subjid = subjid
    tables = {
        "edc/dm.csv": _dm_table(t, dates),
        "edc/ex.csv": _ex_table(t, dates),
    }
    tables["edc/ae.csv"] = _ae_table(t, rng, dates)
    for column in ("AESTDAT", "AEENDAT"):
        _make_partial(tables["edc/ae.csv"][column], ~t.ae_fatal, mess_rng, mess.partial_date_rate)
    death_partial = t.death_known & (mess_rng.random(t.n) < mess.partial_date_rate)
    tables["edc/ds.csv"] = _ds_table(t, dates, death_partial)
    tables["edc/surv.csv"] = _surv_table(t, mess_rng, dates, death_partial)
    tables["edc/ct.csv"] = _ct_table(t, rng, dates)
    tables["imaging/lesions.csv"], tables["imaging/timepoints.csv"] = _imaging_tables(t, rng, dates)
    return tables


def _dm_table(t: _Trial, dates: _DateText) -> dict[str, np.ndarray]:
    return {
        "SUBJID": t.subjid,
        "SITEID": _obj([f"{s:03d}" for s in t.site_no.tolist()]),
        "ARM": _lookup(_obj(ARMS), t.arm),
        "ENRLDAT": dates.edc(t.enrol),
        "AGE": _int_text(t.age),
        "SEX": np.where(t.male, "M", "F").astype(object),
        "WEIGHT_KG": _tenths_text(t.weight_tenths),
        "ECOG": _int_text(t.ecog),
        "CHILD_PUGH": _lookup(_obj(CHILD_PUGH), t.child_pugh),
        "BCLC": _lookup(_obj(BCLC), t.bclc),
        "ETIOLOGY": _lookup(_obj(ETIOLOGY), t.etiology),
        "AFP_NGML": _obj([f"{a:.1f}" if a < 1000 else f"{a:.0f}" for a in t.afp.tolist()]),
        "PRIOR_TACE_N": _int_text(t.prior_tace),
        "MVI": np.where(t.mvi, "Y", "N").astype(object),
        "EHS": np.where(t.ehs, "Y", "N").astype(object),
    }


def _ex_table(t: _Trial, dates: _DateText) -> dict[str, np.ndarray]:
    p_start, p_end, p_dose, p_reason, p_ok = t.periods
    pat_l = np.nonzero(p_ok)[0]
    start_l = t.start[pat_l] + p_start[p_ok]
    ongoing = p_reason[p_ok] == 0
    end_l = t.start[pat_l] + p_end[p_ok]
    dose_l = p_dose[p_ok]
    reason_l = p_reason[p_ok]
    pat_s = np.flatnonzero(t.sirt_rx)
    pat = np.r_[pat_s, pat_l]
    day = np.r_[t.start[pat_s], start_l]
    order = np.lexsort((day, pat))
    is_sirt = np.r_[np.ones(pat_s.size, bool), np.zeros(pat_l.size, bool)][order]
    pat, day = pat[order], day[order]
    end = np.r_[t.start[pat_s], end_l][order]
    has_end = np.r_[np.ones(pat_s.size, bool), ~ongoing][order]
    gbq = _obj([f"{g:.2f}" for g in t.sirt_gbq[pat_s].tolist()])
    dose = np.r_[gbq, _int_text(dose_l)][order]
    return {
        "SUBJID": t.subjid[pat],
        "EXSEQ": _int_text(_rank_within(pat)),
        "EXTRT": np.where(is_sirt, "SIRT", "LENVATINIB").astype(object),
        "EXDOSE": dose,
        "EXDOSU": np.where(is_sirt, "GBq", "mg").astype(object),
        "EXSTDAT": dates.edc(day),
        "EXENDAT": dates.edc_or_empty(end, has_end),
        "EXADJ": _lookup(_obj(EXADJ), np.r_[np.zeros(pat_s.size, np.int64), reason_l][order]),
    }


def _ae_table(t: _Trial, rng: np.random.Generator, dates: _DateText) -> dict[str, np.ndarray]:
    n = t.n
    # Upper bound of any AE start (days after STARTDT): cut-off, death, drop-out.
    bound = np.minimum.reduce([t.cutoff_day, t.death_day, t.dropout_day])
    window_end = np.minimum(np.where(t.stopped, t.last_dose + 30, t.cutoff_day), bound)
    parts: list[dict[str, np.ndarray]] = []

    def part(pat, term, start, grade, acn, kind, end=None):
        pat = np.asarray(pat, np.int64)
        parts.append(
            dict(
                pat=pat,
                term=np.asarray(term, np.int64),
                start=np.asarray(start, np.int64),
                grade=np.asarray(grade, np.int64),
                acn=np.asarray(acn, np.int64),
                kind=np.full(pat.size, kind, np.int64),
                end=np.full(pat.size, -(10**6), np.int64) if end is None else np.asarray(end, np.int64),
            )
        )

    # Background AEs over the treatment-emergent window, more of them the longer the exposure.
    exposure = np.clip(window_end, 0, None)
    lam = np.where(t.treated & (window_end > 0), 1.5 + 4.5 * np.minimum(exposure / 240, 1.6), 0.0)
    count = rng.poisson(lam)
    pat, _ = _expand(count)
    on_len = t.len_given[pat]
    term = np.empty(pat.size, np.int64)
    term[on_len] = _choice(rng, AE_W_LEN, int(on_len.sum()))
    term[~on_len] = _choice(rng, AE_W_SIRT + 0.05, int((~on_len).sum()))
    start = np.floor(exposure[pat] * rng.beta(0.8, 2.2, pat.size)).astype(np.int64)
    # A few after the 30-day window (not treatment-emergent) when there is room.
    late = t.stopped[pat] & (bound[pat] > t.last_dose[pat] + 45) & (rng.random(pat.size) < 0.03)
    start[late] = rng.integers(t.last_dose[pat[late]] + 31, bound[pat[late]] + 1)
    severe = rng.random(pat.size) < AE_P_SEVERE[term] * 0.2
    grade = np.where(severe, np.where(rng.random(pat.size) < 0.9, 3, 4), np.where(rng.random(pat.size) < 0.62, 1, 2))
    dosing = t.len_given[pat] & (start >= t.len_start[pat]) & (start <= t.last_dose[pat])
    part(pat, term, start, grade, np.where(dosing, 0, 4), 0)

    # SIRT-specific early events (post-embolisation symptoms, later liver and GI toxicity).
    pat = _expand(np.where(t.sirt_rx, rng.poisson(1.0, n), 0))[0]
    term = _choice(rng, AE_W_SIRT, pat.size)
    late_term = np.isin(term, [AE_INDEX["Hepatic failure"], AE_INDEX["Hepatitis"], AE_INDEX["Gastrointestinal ulcer"]])
    start = np.where(late_term, rng.integers(21, 90, pat.size), rng.integers(0, 14, pat.size))
    severe = rng.random(pat.size) < AE_P_SEVERE[term] * 0.5
    grade = np.where(severe, 3, np.where(rng.random(pat.size) < 0.6, 1, 2))
    dosing = t.len_given[pat] & (start >= t.len_start[pat]) & (start <= t.last_dose[pat])
    part(pat, term, start, grade, np.where(dosing, 0, 4), 1)

    # AEs behind dose reductions and interruptions.
    for pat, when, kind in t.dose_events:
        term = DOSE_LIMITING_TERMS[_choice(rng, (3, 2, 2, 1.5, 1.5, 1, 1, 1), pat.size)]
        grade = np.where(rng.random(pat.size) < 0.12, 3, 2)
        start = np.maximum(when - rng.integers(0, 7, pat.size), t.len_start[pat])
        part(pat, term, start, grade, np.where(kind == 1, 1, 2), 2)

    # AEs behind discontinuation.
    pat = np.flatnonzero(t.stopped & t.len_given & (t.eot_reason == 1))
    term = DOSE_LIMITING_TERMS[_choice(rng, (2, 2, 1, 2, 1, 1, 1, 1), pat.size)]
    grade = _choice(rng, (0, 0.45, 0.47, 0.08), pat.size) + 1
    start = np.maximum(t.last_dose[pat] - rng.integers(0, 10, pat.size), t.len_start[pat])
    part(pat, term, start, grade, np.full(pat.size, 3), 3)

    # Fatal AEs (grade 5), matching a death.
    pat = np.flatnonzero(t.fatal_ae)
    fatal_term = rng.integers(0, len(FATAL_TERMS), pat.size)
    start = np.maximum(t.death_day[pat] - rng.integers(0, 10, pat.size), 0)
    on_drug = t.len_given[pat] & (start <= t.last_dose[pat])
    part(pat, len(AE_TERMS) + fatal_term, start, np.full(pat.size, 5), np.where(on_drug, 3, 4), 4, end=t.death_day[pat])

    # A few AEs before treatment start (not treatment-emergent).
    room = t.treated & (t.start - t.enrol >= 2)
    pat = np.flatnonzero(room & (rng.random(n) < 0.12))
    term = PRE_TREATMENT_TERMS[rng.integers(0, PRE_TREATMENT_TERMS.size, pat.size)]
    start = -rng.integers(1, t.start[pat] - t.enrol[pat] + 1)
    part(pat, term, start, rng.integers(1, 3, pat.size), np.full(pat.size, 4), 5)

    ae = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    keep = (ae["start"] <= bound[ae["pat"]]) & (ae["start"] >= t.enrol[ae["pat"]] - t.start[ae["pat"]])
    keep &= (ae["kind"] == 4) | (ae["start"] < t.death_day[ae["pat"]])
    ae = {k: v[keep] for k, v in ae.items()}
    order = np.lexsort((ae["term"], ae["start"], ae["pat"]))
    ae = {k: v[order] for k, v in ae.items()}
    pat, term, start, grade, kind = ae["pat"], ae["term"], ae["start"], ae["grade"], ae["kind"]
    m = pat.size
    fatal = kind == 4
    ordinary = ~fatal
    base_term = np.where(fatal, 0, term)

    # End dates and outcome.
    duration = np.ceil(rng.lognormal(np.log(np.where(grade >= 3, 12.0, 18.0)), 0.8)).astype(np.int64) + 1
    chronic = AE_CHRONIC[base_term] & ordinary & (rng.random(m) < 0.5)
    end = start + duration
    alive_until = np.minimum.reduce([t.cutoff_day, t.death_day - 1, t.dropout_day])[pat]
    ongoing = ordinary & (chronic | (end > alive_until))
    end = np.where(fatal, ae["end"], end)
    outcome = np.where(fatal, "FATAL", "RECOVERED").astype(object)
    lost = t.dropped[pat] & (end > t.dropout_day[pat])
    outcome[ongoing] = np.where(rng.random(int(ongoing.sum())) < 0.7, "NOT RECOVERED", "RECOVERING")
    outcome[ongoing & lost] = "UNKNOWN"

    # Seriousness and relatedness.
    serious = np.where(grade >= 5, True, rng.random(m) < np.choose(np.minimum(grade, 4) - 1, [0.02, 0.05, 0.4, 0.7]))
    pre = kind == 5
    len_given = t.len_given[pat]
    after_len_start = start >= t.len_start[pat]
    rel_len = np.where(
        ~len_given,
        2,
        np.where(
            pre | ~after_len_start,
            1,
            np.where(rng.random(m) < np.where(AE_LEN_PROFILE[base_term] & ordinary, 0.85, 0.3), 0, 1),
        ),
    )
    rel_len = np.where(np.isin(kind, (2, 3)), 0, rel_len)
    sirt = t.sirt_rx[pat]
    rel_sirt = np.where(
        ~sirt,
        2,
        np.where(
            pre,
            1,
            np.where(
                (start <= 90) & AE_SIRT_PROFILE[base_term] & ordinary & (rng.random(m) < 0.85),
                0,
                np.where((start <= 60) & (rng.random(m) < 0.1), 0, 1),
            ),
        ),
    )
    acn = np.where(len_given & ~pre, ae["acn"], 4)

    french = t.french_site[pat]
    verb = AE_VERBATIM[np.minimum(base_term, len(AE_TERMS) - 1), rng.integers(0, _MAX_VERBATIMS, m)]
    verb = np.where(french, AE_VERBATIM_FR[np.minimum(base_term, len(AE_TERMS) - 1)], verb)
    decod = AE_DECOD[np.minimum(base_term, len(AE_TERMS) - 1)].copy()
    soc = AE_SOC[np.minimum(base_term, len(AE_TERMS) - 1)].copy()
    if fatal.any():
        f = term[fatal] - len(AE_TERMS)
        decod[fatal] = _obj([FATAL_TERMS[i][0] for i in f])
        soc[fatal] = _obj([FATAL_TERMS[i][1] for i in f])
        verb[fatal] = _obj([FATAL_TERMS[i][3] if fr else FATAL_TERMS[i][2] for i, fr in zip(f, french[fatal])])

    t.ae_fatal = fatal  # their dates match the death and stay complete
    return {
        "SUBJID": t.subjid[pat],
        "AESPID": _int_text(_rank_within(pat)),
        "AETERM": verb,
        "AEDECOD": decod,
        "AESOC": soc,
        "AESTDAT": dates.edc(t.start[pat] + start),
        "AEENDAT": dates.edc_or_empty(t.start[pat] + end, ~ongoing),
        "AETOXGR": _int_text(grade),
        "AESER": np.where(serious, "Y", "N").astype(object),
        "AEREL_LEN": _lookup(_obj(("RELATED", "NOT RELATED", "NOT APPLICABLE")), rel_len),
        "AEREL_SIRT": _lookup(_obj(("RELATED", "NOT RELATED", "NOT APPLICABLE")), rel_sirt),
        "AEACN_LEN": _lookup(
            _obj(("DOSE NOT CHANGED", "DOSE REDUCED", "DRUG INTERRUPTED", "DRUG WITHDRAWN", "NOT APPLICABLE")), acn
        ),
        "AEOUT": outcome,
    }


def _make_partial(text: np.ndarray, eligible: np.ndarray, rng: np.random.Generator, rate: float) -> None:
    """Rewrite a share of the (non-empty) `dd MMM yyyy` dates in place as `UN MMM yyyy` or `UN UNK yyyy`."""
    chosen = np.flatnonzero(eligible & (text != "") & (rng.random(text.size) < rate))
    no_month = rng.random(chosen.size) < 0.2
    for i, drop_month in zip(chosen.tolist(), no_month.tolist()):
        value = text[i]
        text[i] = f"UN UNK {value[-4:]}" if drop_month else f"UN {value[3:]}"


def _ds_table(t: _Trial, dates: _DateText, death_partial: np.ndarray) -> dict[str, np.ndarray]:
    eot = np.flatnonzero(t.stopped)
    eos_death = t.death_known
    eos_drop = t.dropped & ~eos_death
    eos = np.flatnonzero(eos_death | eos_drop)
    eos_day = np.where(eos_death, np.where(death_partial, t.dead_contact, t.death_day), t.dropout_day)
    eos_reason = np.where(
        eos_death, "DEATH", np.where(t.dropout_lost, "LOST TO FOLLOW-UP", "WITHDRAWAL BY SUBJECT")
    ).astype(object)
    pat = np.r_[eot, eos]
    cat = np.r_[np.zeros(eot.size, np.int64), np.ones(eos.size, np.int64)]
    day = np.r_[t.last_dose[eot], eos_day[eos]]
    decod = np.r_[_lookup(_obj(EOT_REASON), t.eot_reason[eot]), eos_reason[eos]]
    order = np.lexsort((cat, pat))
    pat, cat, day, decod = pat[order], cat[order], day[order], decod[order]
    return {
        "SUBJID": t.subjid[pat],
        "DSCAT": _lookup(_obj(("END OF TREATMENT", "END OF STUDY")), cat),
        "DSDECOD": decod,
        "DSSTDAT": dates.edc(t.start[pat] + day),
    }


def _surv_table(
    t: _Trial,
    mess_rng: np.random.Generator,
    dates: _DateText,
    death_partial: np.ndarray,
) -> dict[str, np.ndarray]:
    ok = t.contacts_ok
    pat_a = np.nonzero(ok)[0]
    day_a = t.contacts[ok]
    pat_d = np.flatnonzero(t.death_known)
    pat = np.r_[pat_a, pat_d]
    day = np.r_[day_a, t.dead_contact[pat_d]]
    dead = np.r_[np.zeros(pat_a.size, bool), np.ones(pat_d.size, bool)]
    order = np.lexsort((dead, day, pat))
    pat, day, dead = pat[order], day[order], dead[order]
    death_text = dates.edc_or_empty(t.start[pat] + t.death_day[pat], dead)
    _make_partial(death_text, dead & death_partial[pat], mess_rng, 1.0)
    cause = np.full(pat.size, "", dtype=object)
    cause[dead] = _lookup(_obj(DEATH_CAUSE), t.death_cause[pat[dead]])
    return {
        "SUBJID": t.subjid[pat],
        "CONTACT_SEQ": _int_text(_rank_within(pat)),
        "CONTACT_DAT": dates.edc(t.start[pat] + day),
        "STATUS": np.where(dead, "DEAD", "ALIVE").astype(object),
        "DEATH_DAT": death_text,
        "DEATH_CAUSE": cause,
    }


SYSTEMIC_NAMES = (
    "SORAFENIB",
    "REGORAFENIB",
    "ATEZOLIZUMAB + BEVACIZUMAB",
    "CABOZANTINIB",
    "DURVALUMAB + TREMELIMUMAB",
    "RAMUCIRUMAB",
    "Atezolizumab, bevacizumab",
)
CT_AFTER_PD = (
    ("SYSTEMIC", None, 0.70),
    ("TACE", "cTACE", 0.10),
    ("RADIOTHERAPY", "SBRT", 0.08),
    ("SIRT", "Y-90 radioembolisation", 0.05),
    ("TACE", "DEB-TACE", 0.04),
    ("ABLATION", "Microwave ablation", 0.03),
)
CT_BEFORE_PD = (
    ("TACE", "DEB-TACE", 0.35),
    ("ABLATION", "Microwave ablation", 0.2),
    ("SURGERY", "Hepatectomy", 0.2),
    ("TRANSPLANT", "Liver transplantation", 0.1),
    ("RADIOTHERAPY", "SBRT", 0.15),
)


def _ct_table(t: _Trial, rng: np.random.Generator, dates: _DateText) -> dict[str, np.ndarray]:
    limit = np.minimum.reduce([t.death_day - 1, t.cutoff_day, t.dropout_day])
    rows_pat, rows_day, rows_type, rows_name = [], [], [], []

    def add(pat, day, catalogue):
        keep = day <= limit[pat]
        pat, day = pat[keep], day[keep]
        which = _choice(rng, [c[2] for c in catalogue], pat.size)
        names = _obj([c[1] or "" for c in catalogue])[which]
        systemic = names == ""
        names[systemic] = _lookup(
            _obj(SYSTEMIC_NAMES), _choice(rng, (0.25, 0.15, 0.3, 0.1, 0.12, 0.05, 0.03), int(systemic.sum()))
        )
        rows_pat.append(pat)
        rows_day.append(day)
        rows_type.append(_obj([c[0] for c in catalogue])[which])
        rows_name.append(names)

    p1 = np.flatnonzero(t.ct1)
    add(p1, t.ct1_day[p1], CT_AFTER_PD)
    p2 = np.flatnonzero(t.ct2)
    add(p2, t.ct2_day[p2], CT_AFTER_PD)
    p0 = np.flatnonzero(t.early_ct)
    add(p0, t.early_ct_day[p0], CT_BEFORE_PD)
    pat, day = np.concatenate(rows_pat), np.concatenate(rows_day)
    ctype, name = np.concatenate(rows_type), np.concatenate(rows_name)
    order = np.lexsort((day, pat))
    pat, day, ctype, name = pat[order], day[order], ctype[order], name[order]
    return {
        "SUBJID": t.subjid[pat],
        "CTSEQ": _int_text(_rank_within(pat)),
        "CTTYPE": ctype,
        "CTNAME": name,
        "CTSTDAT": dates.edc(t.start[pat] + day),
    }


def _imaging_tables(t: _Trial, rng: np.random.Generator, dates: _DateText) -> tuple[dict, dict]:
    """lesions.csv and timepoints.csv: every lesion at every scan, and the reader's verdict per scan."""
    base = _baseline_lesions(t, rng)
    scans = _tumour_course(t, base)
    targets = _target_measurements(t, rng, base, scans)
    nontargets = _nontarget_assessments(t, rng, base, scans)
    new = _new_lesions(t, rng, base, scans)
    verdict = _reader_verdicts(t, rng, base, scans, targets, nontargets, new)
    return _lesion_file(t, dates, base, scans, targets, nontargets, new), _timepoint_file(t, dates, scans, verdict)


def _baseline_lesions(t: _Trial, rng: np.random.Generator) -> SimpleNamespace:
    """Targets (1-5, at most 2 per organ, mostly liver) and non-targets (0-3) of each patient."""
    n = t.n
    n_liver = np.where(rng.random(n) < 0.5, 1, 2)
    n_liver[rng.random(n) < 0.004] = 3  # protocol deviation: three liver targets (a data query)
    pattern = np.where(t.ehs, _choice(rng, EXTRAHEPATIC_TARGET_P, n), 0)
    pattern_len = np.array([len(p) for p in EXTRAHEPATIC_TARGETS])[pattern]
    n_targets = n_liver + pattern_len
    tpat, tpos = _expand(n_targets)
    padded = np.array([p + (-1,) * (3 - len(p)) for p in EXTRAHEPATIC_TARGETS])
    organ = np.where(tpos < n_liver[tpat], LIVER, padded[pattern[tpat], np.clip(tpos - n_liver[tpat], 0, 2)])
    m = tpat.size
    total = np.where(
        organ == LIVER,
        np.clip(rng.lognormal(np.log(42), 0.45, m), 15, 160),
        np.where(organ == NODE, rng.uniform(15, 35, m), np.clip(rng.lognormal(np.log(20), 0.35, m), 10, 70)),
    )
    # After TACE part of a liver tumour is necrotic: the viable (enhancing) diameter is smaller.
    viable = np.where(organ == LIVER, np.maximum(total * rng.uniform(0.45, 1.0, m), rng.uniform(10, 14, m)), total)

    # Non-targets: portal vein tumour thrombus, further liver nodules, extrahepatic disease.
    slots = np.full((n, 3), -1)
    slots[:, 0] = np.where(t.mvi, LIVER, -1)
    slots[:, 1] = np.where(rng.random(n) < 0.35, LIVER, -1)
    extrahepatic_organ = _choice(rng, (0, 0.3, 0.2, 0.4, 0, 0.1), n)
    slots[:, 2] = np.where(t.ehs & ((pattern_len == 0) | (rng.random(n) < 0.3)), extrahepatic_organ, -1)
    present = slots >= 0
    nt_slot = np.nonzero(present)[1]
    n_nt = present.sum(axis=1)
    nt_organ = slots[present]
    nt_location = LOCATION_TABLE[nt_organ, rng.integers(0, _LOC_WIDTH, nt_organ.size)]
    nt_location[nt_slot == 0] = "portal vein"
    nt_location[(nt_slot == 1) & (rng.random(nt_organ.size) < 0.3)] = "multiple small nodules"
    return SimpleNamespace(
        n_targets=n_targets,
        first_target=np.cumsum(n_targets) - n_targets,
        organ=organ,
        location=LOCATION_TABLE[organ, rng.integers(0, _LOC_WIDTH, m)],
        total=total,
        viable=viable,
        response_exponent=rng.uniform(0.8, 1.25, m),  # lesions respond a little differently
        total_shrink=np.where(organ == LIVER, rng.uniform(0.1, 0.45, m), 1.0),
        node_floor=rng.uniform(5, 9.5, m),  # short axis of a lymph node once normal (< 10 mm)
        noise=rng.lognormal(0, 0.03, m),
        n_nt=n_nt,
        first_nt=np.cumsum(n_nt) - n_nt,
        nt_organ=nt_organ,
        nt_location=nt_location,
        nt_resolves=(rng.random(nt_organ.size) < 0.7) & (nt_slot != 0),
        # Non-target progression needs a non-target; otherwise progression shows as a new lesion.
        pd_type=np.where((t.pd_type == 2) & (n_nt == 0), 1, t.pd_type),
        decimals=rng.random(n) < 0.4,  # some readers give one decimal, others whole millimetres
    )


def _tumour_course(t: _Trial, base: SimpleNamespace) -> SimpleNamespace:
    """Viable-sum ratio to baseline at each scan (and at the scan before): linear fall to the nadir."""
    pat, day, post = t.s_pat, t.s_day, t.s_kind != 0
    fall = np.clip(1 - day / t.nadir_day[pat], 0, 1)
    ratio = np.where(post, t.nadir_ratio[pat] + (1 - t.nadir_ratio[pat]) * fall, 1.0)
    same_patient_before = np.r_[False, pat[1:] == pat[:-1]]
    ratio_before = np.where(same_patient_before, np.r_[1.0, ratio[:-1]], 1.0)
    return SimpleNamespace(
        pat=pat,
        day=day,
        post=post,
        n=pat.size,
        pd=t.s_is_pd,
        ratio=ratio,
        ratio_before=ratio_before,
        same_patient_before=same_patient_before,
        growth=t.s_is_pd & (base.pd_type[pat] == 0),
    )


def _target_measurements(
    t: _Trial, rng: np.random.Generator, base: SimpleNamespace, scans: SimpleNamespace
) -> SimpleNamespace:
    """Each target at each scan: viable and total diameter in tenths of mm, NE and missing flags."""
    scan, position = _expand(base.n_targets[scans.pat])
    lesion = base.first_target[scans.pat[scan]] + position
    M = scan.size
    pat = scans.pat[scan]
    post = scans.post[scan]
    exponent = base.response_exponent[lesion]
    now = np.where(scans.ratio[scan] > 0, scans.ratio[scan] ** exponent, 0.0)
    before = np.where(scans.ratio_before[scan] > 0, scans.ratio_before[scan] ** exponent, 0.0)
    # Measurement noise: per scan while the tumour shrinks, then fixed per lesion at the plateau, so
    # that rounding of small residues does not make spurious progression.
    shrinking = scans.day[scan] < t.nadir_day[pat]
    noise = np.where(post, base.noise[lesion] * np.where(shrinking, rng.lognormal(0, 0.03, M), 1.0), 1.0)
    grow = scans.growth[scan]
    relative = np.where(grow, before * t.lesion_growth[pat], now) * noise
    # After a complete response, target progression is a local recurrence in the first target.
    recurrence = grow & (scans.ratio_before[scan] == 0)
    relative = np.where(
        recurrence, np.where(position == 0, rng.uniform(10, 25, M) / base.viable[lesion], 0.0), relative
    )
    is_node = base.organ[lesion] == NODE
    viable = base.viable[lesion] * relative
    viable = np.where(is_node, np.maximum(viable, base.node_floor[lesion]), viable)
    # The total (viable + necrotic) diameter of a liver target shrinks less than its viable part.
    shrink = np.minimum(np.where(grow, before, now), 1.0)
    liver_total = (
        base.total[lesion] * (1 - base.total_shrink[lesion] * (1 - shrink)) * np.where(grow, t.lesion_growth[pat], 1.0)
    )
    total = np.maximum(np.where(base.organ[lesion] == LIVER, liver_total * noise, viable), viable)
    viable10 = np.rint(viable * 10).astype(np.int64)
    total10 = np.rint(total * 10).astype(np.int64)
    whole = ~base.decimals[pat]
    viable10[whole] = np.rint(viable10[whole] / 10).astype(np.int64) * 10
    total10[whole] = np.rint(total10[whole] / 10).astype(np.int64) * 10
    viable10 = np.clip(viable10, 0, 4000)
    return SimpleNamespace(
        scan=scan,
        position=position,
        lesion=lesion,
        is_node=is_node,
        viable10=viable10,
        ne_reason=NE_REASONS[rng.integers(0, NE_REASONS.size, M)],
        total10=np.clip(np.maximum(total10, viable10), 0, 4000),
        # Not evaluable at a few follow-up scans (never at the progression scan).
        ne=post & ~scans.pd[scan] & (rng.random(M) < 0.01),
        # A target other than T01 left out at a follow-up scan now and then (a data query downstream).
        missing=post & ~scans.pd[scan] & (position > 0) & (rng.random(M) < 0.004),
    )


NT_PRESENT, NT_ABSENT, NT_PROGRESSION, NT_NOT_ASSESSED = range(4)


def _nontarget_assessments(
    t: _Trial, rng: np.random.Generator, base: SimpleNamespace, scans: SimpleNamespace
) -> SimpleNamespace:
    scan, position = _expand(base.n_nt[scans.pat])
    lesion = base.first_nt[scans.pat[scan]] + position
    complete = (scans.ratio[scan] == 0) & scans.post[scan]
    status = np.where(complete & base.nt_resolves[lesion], NT_ABSENT, NT_PRESENT)
    progression = scans.pd[scan] & (base.pd_type[scans.pat[scan]] == 2) & (position == 0)
    status = np.where(progression, NT_PROGRESSION, status)
    not_assessed = scans.post[scan] & ~scans.pd[scan] & (rng.random(scan.size) < 0.01)
    status = np.where(not_assessed, NT_NOT_ASSESSED, status)
    return SimpleNamespace(scan=scan, position=position, lesion=lesion, status=status)


def _new_lesions(t: _Trial, rng: np.random.Generator, base: SimpleNamespace, scans: SimpleNamespace) -> SimpleNamespace:
    """New lesions: at progression (hepatic or extrahepatic), equivocal one scan before some of them
    (same LESION_ID), and transient equivocal findings that never become unequivocal."""
    parts = []  # (scan, number, organ, size in mm, typical: 0 N, 1 Y, 2 not applicable)

    def add(scan, number, organ, size, typical):
        parts.append((scan, np.broadcast_to(number, scan.shape), organ, size, typical))

    at_pd = np.flatnonzero(scans.pd & (base.pd_type[scans.pat] == 1))
    k = at_pd.size
    organ = np.where(rng.random(k) < 0.55, LIVER, _choice(rng, (0, 0.35, 0.15, 0.3, 0.08, 0.12), k))
    add(
        at_pd,
        1,
        organ,
        np.where(organ == LIVER, rng.uniform(10, 35, k), rng.uniform(8, 30, k)),
        np.where(organ == LIVER, 1, 2),
    )
    second = rng.random(k) < 0.25
    organ2 = np.where(rng.random(k) < 0.6, LIVER, _choice(rng, (0, 0.4, 0.2, 0.3, 0.1, 0.0), k))[second]
    add(
        at_pd[second],
        2,
        organ2,
        np.where(organ2 == LIVER, rng.uniform(10, 25, organ2.size), rng.uniform(8, 20, organ2.size)),
        np.where(organ2 == LIVER, 1, 2),
    )
    previous_is_follow_up = (t.s_rank[at_pd] >= 2) & (t.s_kind[np.maximum(at_pd - 1, 0)] != 0)
    earlier = at_pd[(organ == LIVER) & previous_is_follow_up & (rng.random(k) < 0.35)] - 1
    small = rng.random(earlier.size) < 0.6  # < 10 mm, or >= 10 mm but not typical
    add(
        earlier,
        1,
        np.zeros(earlier.size, np.int64),
        np.where(small, rng.uniform(5, 9.5, earlier.size), rng.uniform(10, 16, earlier.size)),
        np.where(small, 1, 0),
    )
    with_new_pd = np.zeros(t.n, bool)
    with_new_pd[scans.pat[at_pd]] = True
    transient = np.flatnonzero(scans.post & ~scans.pd & ~with_new_pd[scans.pat] & (rng.random(scans.n) < 0.008))
    transient = (
        transient[np.r_[True, scans.pat[transient][1:] != scans.pat[transient][:-1]]] if transient.size else transient
    )
    small = rng.random(transient.size) < 0.5
    add(
        transient,
        1,
        np.zeros(transient.size, np.int64),
        np.where(small, rng.uniform(4, 9.5, transient.size), rng.uniform(10, 14, transient.size)),
        np.where(small, 1, 0),
    )

    scan, number, organ, size, typical = (np.concatenate(column) for column in zip(*parts))
    size10 = np.rint(size * 10).astype(np.int64)
    return SimpleNamespace(
        scan=scan,
        number=number.astype(np.int64),
        organ=organ,
        size10=size10,
        typical=typical,
        location=LOCATION_TABLE[organ, rng.integers(0, _LOC_WIDTH, scan.size)],
        unequivocal=(organ != LIVER) | ((typical == 1) & (size10 >= 100)),
    )


CR, PR, SD, PD, NE = range(5)  # RESPONSES order
NT_CR, NT_NON_CR_NON_PD, NT_PD, NT_NE, NT_ND = range(5)  # NT_RESPONSES order
NEW_Y, NEW_N, NEW_EQUIVOCAL = range(3)
PR_RATIO = 0.7  # a partial response: the viable target sum at least 30 % below baseline


def _reader_verdicts(t, rng, base, scans, targets, nontargets, new) -> SimpleNamespace:
    """The core-lab reader's verdict per scan, from the simulated patient's true course.

    The reader sees the tumour as it is (the viable-sum ratio to baseline before measurement noise and
    rounding, which lesions could not be assessed, how a progression showed), not the values written
    to lesions.csv: mRECIST on those is the warehouse's job (dbt, SPEC 5), and where the two differ
    the data query RESPONSE_DIFFERS asks why. On top of that the reader sees a share of scans
    (``READER_DISAGREEMENT_RATE``) differently: CR->PR, PR->SD|CR, SD->PR|PD, PD->SD, NE->SD.
    """
    S = scans.n
    pat = scans.pat
    per_scan = lambda scan_index, mask: np.bincount(scan_index[mask], minlength=S) > 0  # noqa: E731
    complete = scans.post & (scans.ratio == 0)
    not_evaluable = per_scan(targets.scan, targets.ne)
    target = np.select(
        [~t.has_baseline[pat], scans.growth, not_evaluable, complete, scans.ratio <= PR_RATIO],
        [NE, PD, NE, CR, PR],
        SD,
    )
    resolved = np.ones(t.n, bool)  # every non-target of the patient goes away with a complete response
    np.logical_and.at(resolved, np.repeat(np.arange(t.n), base.n_nt), base.nt_resolves)
    nontarget = np.select(
        [
            base.n_nt[pat] == 0,
            scans.pd & (base.pd_type[pat] == 2),
            per_scan(nontargets.scan, nontargets.status == NT_NOT_ASSESSED),
            complete & resolved[pat],
        ],
        [NT_ND, NT_PD, NT_NE, NT_CR],
        NT_NON_CR_NON_PD,
    )
    new_y = scans.pd & (base.pd_type[pat] == 1)
    new_finding = np.select([new_y, per_scan(new.scan, ~new.unequivocal)], [NEW_Y, NEW_EQUIVOCAL], NEW_N)
    overall = np.select(
        [scans.pd, target == NE, (target == CR) & np.isin(nontarget, (NT_CR, NT_ND)), np.isin(target, (CR, PR))],
        [PD, NE, CR, PR],
        SD,
    )
    disagree = scans.post & (rng.random(S) < READER_DISAGREEMENT_RATE)
    shift = np.array([[PR, PR], [SD, CR], [PR, PD], [SD, SD], [SD, SD]])
    reader = np.where(disagree, shift[overall, rng.integers(0, 2, S)], overall)
    # ... and then gives the matching target verdict when targets drove the overall one.
    reader_target = target.copy()
    by_target = disagree & (target != NE) & (nontarget != NT_PD) & ~new_y
    reader_target[by_target] = reader[by_target]
    return SimpleNamespace(target=reader_target, nontarget=nontarget, new=new_finding, overall=reader)


def _visit_labels(t: _Trial) -> np.ndarray:
    labels = np.where(t.s_kind == 0, "BASELINE", "UNSCHEDULED").astype(object)
    scheduled = t.s_kind == 1
    labels[scheduled] = _obj([f"WEEK {w}" for w in t.visit_week.tolist()])[t.s_visit[scheduled] - 1]
    return labels


def _lesion_file(t, dates, base, scans, targets, nontargets, new) -> dict[str, np.ndarray]:
    def empty(k):
        return np.full(k, "", dtype=object)

    ids = {prefix: _obj([f"{prefix}{i:02d}" for i in range(1, 100)]) for prefix in ("T", "NT", "N")}
    organ_text = _obj(ORGANS)
    keep = ~targets.missing
    k = int(keep.sum())
    viable_text = _tenths_text(targets.viable10)
    total_text = _tenths_text(targets.total10)
    ne_reason = empty(targets.scan.size)
    ne_reason[targets.ne] = targets.ne_reason[targets.ne]
    viable_text[targets.ne] = ""
    total_text[targets.ne] = ""
    K = nontargets.scan.size
    nt_reason = empty(K)
    nt_reason[nontargets.status == NT_NOT_ASSESSED] = "NOT IMAGED"
    J = new.scan.size
    blocks = [
        dict(
            scan=targets.scan[keep],
            order=targets.position[keep],
            LESION_ID=ids["T"][targets.position[keep]],
            LESION_CLASS=np.full(k, "TARGET", dtype=object),
            ORGAN=organ_text[base.organ[targets.lesion[keep]]],
            LOCATION=base.location[targets.lesion[keep]],
            VIABLE_DIAM_MM=viable_text[keep],
            TOTAL_DIAM_MM=total_text[keep],
            NT_STATUS=empty(k),
            TYPICAL=empty(k),
            NE_REASON=ne_reason[keep],
        ),
        dict(
            scan=nontargets.scan,
            order=100 + nontargets.position,
            LESION_ID=ids["NT"][nontargets.position],
            LESION_CLASS=np.full(K, "NON-TARGET", dtype=object),
            ORGAN=organ_text[base.nt_organ[nontargets.lesion]],
            LOCATION=base.nt_location[nontargets.lesion],
            VIABLE_DIAM_MM=empty(K),
            TOTAL_DIAM_MM=empty(K),
            NT_STATUS=_obj(("PRESENT", "ABSENT", "UNEQUIVOCAL PROGRESSION", ""))[nontargets.status],
            TYPICAL=empty(K),
            NE_REASON=nt_reason,
        ),
        dict(
            scan=new.scan,
            order=200 + new.number,
            LESION_ID=ids["N"][new.number - 1],
            LESION_CLASS=np.full(J, "NEW", dtype=object),
            ORGAN=organ_text[new.organ],
            LOCATION=new.location,
            VIABLE_DIAM_MM=empty(J),
            TOTAL_DIAM_MM=_tenths_text(new.size10),
            NT_STATUS=empty(J),
            TYPICAL=_obj(("N", "Y", ""))[new.typical],
            NE_REASON=empty(J),
        ),
    ]
    rows = {column: np.concatenate([b[column] for b in blocks]) for column in blocks[0]}
    order = np.lexsort((rows["order"], rows["scan"]))
    scan = rows["scan"][order]
    visit = _visit_labels(t)
    scan_date = dates.iso(t.start[scans.pat] + scans.day)
    return {
        "SUBJID": t.subjid[scans.pat[scan]],
        "VISIT": visit[scan],
        "SCAN_DAT": scan_date[scan],
        **{
            c: rows[c][order]
            for c in (
                "LESION_ID",
                "LESION_CLASS",
                "ORGAN",
                "LOCATION",
                "VIABLE_DIAM_MM",
                "TOTAL_DIAM_MM",
                "NT_STATUS",
                "TYPICAL",
                "NE_REASON",
            )
        },
    }


def _timepoint_file(t, dates, scans, verdict) -> dict[str, np.ndarray]:
    """Post-baseline scans only: the baseline scan has no response."""
    sel = np.flatnonzero(scans.post)
    return {
        "SUBJID": t.subjid[scans.pat[sel]],
        "VISIT": _visit_labels(t)[sel],
        "SCAN_DAT": dates.iso(t.start[scans.pat[sel]] + scans.day[sel]),
        "READER_TARGET": _obj(RESPONSES)[verdict.target[sel]],
        "READER_NONTARGET": _obj(NT_RESPONSES)[verdict.nontarget[sel]],
        "READER_NEW": _obj(("Y", "N", "EQUIVOCAL"))[verdict.new[sel]],
        "READER_OVERALL": _obj(RESPONSES)[verdict.overall[sel]],
    }


# --- deliberate errors ------------------------------------------------------------------------------
# Each maker returns k replacement values: (rng, k, dates, cut) -> list[str].


def _constant(value: str):
    return lambda rng, k, dates, cut: [value] * k


def _impossible_edc_date(rng, k, dates: _DateText, cut: int) -> list[str]:
    year = (EPOCH + timedelta(days=cut)).year - 1
    days = ("31 FEB", "30 FEB", "31 APR", "31 JUN", "31 SEP", "31 NOV", "00 MAR", "32 JAN")
    return [f"{days[i]} {year}" for i in rng.integers(0, len(days), k)]


def _impossible_iso_date(rng, k, dates: _DateText, cut: int) -> list[str]:
    year = (EPOCH + timedelta(days=cut)).year - 1
    days = ("02-30", "02-31", "04-31", "06-31", "13-01")
    return [f"{year}-{days[i]}" for i in rng.integers(0, len(days), k)]


def _future_edc_date(rng, k, dates: _DateText, cut: int) -> list[str]:
    return dates.edc(cut + rng.integers(20, 400, k)).tolist()


def _future_iso_date(rng, k, dates: _DateText, cut: int) -> list[str]:
    return dates.iso(cut + rng.integers(20, 400, k)).tolist()


# file -> the (column, maker) pairs one of which spoils a chosen row
OUT_OF_RANGE: dict[str, tuple] = {
    "edc/ex.csv": (
        ("EXSTDAT", _impossible_edc_date),
        ("EXDOSE", _constant("-8")),
        ("EXTRT", _constant("SORAFENIB")),
        ("EXENDAT", _future_edc_date),
    ),
    "edc/ae.csv": (
        ("AETOXGR", _constant("6")),
        ("AESTDAT", _impossible_edc_date),
        ("AEREL_LEN", _constant("POSSIBLY RELATED")),
        ("AESTDAT", _future_edc_date),
    ),
    "edc/ds.csv": (("DSDECOD", _constant("TRANSFERRED")), ("DSSTDAT", _impossible_edc_date)),
    "edc/surv.csv": (
        ("CONTACT_DAT", _future_edc_date),
        ("STATUS", _constant("UNKNOWN")),
        ("CONTACT_DAT", _impossible_edc_date),
    ),
    "edc/ct.csv": (("CTTYPE", _constant("IMMUNOTHERAPY")), ("CTSTDAT", _impossible_edc_date)),
    "imaging/lesions.csv": (
        ("VIABLE_DIAM_MM", _constant("-5")),
        ("ORGAN", _constant("SPLEEN")),
        ("SCAN_DAT", _future_iso_date),
        ("TOTAL_DIAM_MM", _constant("-12.5")),
    ),
    "imaging/timepoints.csv": (
        ("READER_OVERALL", _constant("iUPD")),
        ("SCAN_DAT", _impossible_iso_date),
        ("SCAN_DAT", _future_iso_date),
    ),
}
MAX_BAD_SHARE = 0.02  # keeps every file far below the 5 % blocking threshold of SPEC section 4


def _inject_errors(
    table: dict[str, np.ndarray], path: str, rng: np.random.Generator, mess: Messiness, dates: _DateText, cut: int
) -> tuple[dict[str, np.ndarray], int]:
    """Spoil one value in some rows and repeat other rows verbatim elsewhere; return the bad-row count.

    Small files get none: their cap (MAX_BAD_SHARE of the rows) rounds down to zero.
    """
    n = len(next(iter(table.values())))
    cap = int(n * MAX_BAD_SHARE)
    n_bad = min(int(rng.binomial(n, mess.out_of_range_rate)), cap)
    n_dup = min(int(rng.binomial(n, mess.duplicate_rate)), cap - n_bad)
    if n_bad + n_dup == 0:
        return table, 0
    table = {column: values.copy() for column, values in table.items()}
    rows = rng.choice(n, size=n_bad + n_dup, replace=False)
    bad_rows, dup_rows = np.sort(rows[:n_bad]), np.sort(rows[n_bad:])
    spoilers = OUT_OF_RANGE[path]
    which = rng.integers(0, len(spoilers), n_bad)
    for j, (column, make) in enumerate(spoilers):
        chosen = bad_rows[which == j]
        if chosen.size:
            table[column][chosen] = _obj(make(rng, chosen.size, dates, cut))
    index = np.insert(np.arange(n), rng.integers(0, n + 1, n_dup), dup_rows)
    return {column: values[index] for column, values in table.items()}, n_bad + n_dup


# --- writing ----------------------------------------------------------------------------------------


def _write_csv(
    path: Path, columns: list[str], table: dict[str, np.ndarray], encoding: str, bom: bool
) -> tuple[str, int]:
    """Write header and rows with minimal quoting and CRLF; return the SHA-256 of the bytes and the row count."""
    digest = hashlib.sha256()
    n = len(table[columns[0]])
    with path.open("wb") as handle:

        def emit(text: str) -> None:
            data = text.encode(encoding)
            if bom and handle.tell() == 0:
                data = b"\xef\xbb\xbf" + data
            handle.write(data)
            digest.update(data)

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for first in range(0, n, WRITE_CHUNK_ROWS):
            writer.writerows(zip(*(table[c][first : first + WRITE_CHUNK_ROWS].tolist() for c in columns)))
            emit(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell() or n == 0:
            emit(buffer.getvalue())
    return digest.hexdigest(), n
