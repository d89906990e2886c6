"""The input contract of SPEC section 3, as data.

Every file of an export is described once here: its path, its key, and each column's type and
rule. Ingest turns these descriptions into set-based DuckDB checks (see ``row_rules.py``); the
generator writes files that follow them. Code lists live in the dbt seed ``codelists.csv`` so that
the SQL models and the row checks read the same values.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
CODELISTS_CSV = DBT_PROJECT_DIR / "seeds" / "codelists.csv"

SUBJID_PATTERN = r"^[0-9]{3}-[0-9]{3}$"
VISIT_PATTERN = r"^(BASELINE|WEEK [0-9]{1,3}|UNSCHEDULED|END OF TREATMENT)$"
LESION_ID_PATTERN = r"^(T|NT|N)[0-9]{2}$"


@dataclass(frozen=True)
class Column:
    """One column of an input file and the rule its values must follow.

    kind is one of ``text``, ``code`` (value from ``codelist``), ``int``/``decimal`` (within
    ``minimum``..``maximum``), ``edc_date`` (``dd MMM yyyy``, unknown parts ``UN``/``UNK`` only
    when ``partial_ok``), ``iso_date`` (``yyyy-mm-dd``) and ``iso8601`` (an SDTM --DTC value:
    ``yyyy``, ``yyyy-mm``, ``yyyy-mm-dd`` or a date-time, partial only when ``partial_ok``).
    ``may_be_absent``: the column may be missing from the header (read as empty), for SDTM
    columns that are permissible rather than required. ``description`` says what the value means;
    the rule is described from the fields above (``dbt_sources.py`` writes both for dbt).
    """

    name: str
    kind: str = "text"
    required: bool = True
    codelist: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    partial_ok: bool = False
    may_be_absent: bool = False
    description: str = ""


@dataclass(frozen=True)
class InputFile:
    """One file of the export: where it lives, its key, its columns and cross-column rules."""

    domain: str  # e.g. "dm"
    source: str  # "edc", "imaging" or "sdtm"
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    title: str = ""  # what one row is, for a reader of the dbt docs
    # (column, condition on other columns) pairs: column must be filled when condition holds.
    required_when: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # The column naming the patient (checked against the layout's subject file).
    subject_column: str = "SUBJID"
    # Subject file only: the column holding the patient's enrolment date.
    enrolment_column: str | None = None
    # Date columns that cannot lie before the patient's enrolment (a death before enrolment is an
    # impossible date, SPEC 4): compared at the precision recorded, so a partial date is refused
    # only when even its latest possible day is before enrolment.
    not_before_enrolment: tuple[str, ...] = ()

    @property
    def layout(self) -> str:
        """The input layout (var input_source) the file belongs to: ``edc`` or ``sdtm``."""
        return "sdtm" if self.source == "sdtm" else "edc"

    @property
    def path(self) -> str:
        """Default path inside the export (SDTM: `<domain>.csv` at the top, as SDTM packages ship)."""
        if self.source == "sdtm":
            return f"{self.domain}.csv"
        return f"{self.source}/{self.domain}.csv"

    @property
    def raw_table(self) -> str:
        return f"{self.source}_{self.domain}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _subjid() -> Column:
    return Column(
        "SUBJID", pattern=SUBJID_PATTERN, description="Subject identifier, `<site>-<patient>` (e.g. `101-001`)"
    )


def _code(name: str, codelist: str, description: str, required: bool = True) -> Column:
    return Column(name, "code", required=required, codelist=codelist, description=description)


EDC_FILES: tuple[InputFile, ...] = (
    InputFile(
        "dm",
        "edc",
        key=("SUBJID",),
        title="Enrolment and baseline",
        columns=(
            _subjid(),
            Column("SITEID", pattern=r"^[0-9]{3}$", description="Site identifier"),
            _code("ARM", "ARM", "Planned arm"),
            Column("ENRLDAT", "edc_date", description="Enrolment date"),
            Column("AGE", "int", minimum=18, maximum=100, description="Age at enrolment, years"),
            _code("SEX", "SEX", "Sex"),
            Column("WEIGHT_KG", "decimal", minimum=25, maximum=250, description="Baseline body weight, kg"),
            Column("ECOG", "int", minimum=0, maximum=2, description="Baseline ECOG performance status"),
            _code("CHILD_PUGH", "CHILD_PUGH", "Baseline Child-Pugh class and score"),
            _code("BCLC", "BCLC", "Baseline BCLC stage"),
            _code("ETIOLOGY", "ETIOLOGY", "Liver disease aetiology"),
            Column(
                "AFP_NGML", "decimal", minimum=0, maximum=10_000_000, description="Baseline alpha-fetoprotein, ng/mL"
            ),
            Column("PRIOR_TACE_N", "int", minimum=1, maximum=50, description="Number of prior TACE procedures"),
            _code("MVI", "NY", "Macrovascular invasion incl. portal vein tumour thrombus"),
            _code("EHS", "NY", "Extrahepatic spread"),
        ),
        enrolment_column="ENRLDAT",
    ),
    InputFile(
        "ex",
        "edc",
        key=("SUBJID", "EXSEQ"),
        title="Study treatment, one row per SIRT procedure or constant-dose lenvatinib period",
        columns=(
            _subjid(),
            Column(
                "EXSEQ",
                "int",
                minimum=1,
                maximum=999,
                description="Sequence number of the treatment record within the subject",
            ),
            _code("EXTRT", "EXTRT", "Treatment"),
            Column(
                "EXDOSE",
                "decimal",
                minimum=0,
                maximum=100,
                description="Dose: mg per day (lenvatinib) or GBq activity (SIRT)",
            ),
            _code("EXDOSU", "EXDOSU", "Dose unit"),
            Column("EXSTDAT", "edc_date", description="Start date of the dosing period (SIRT: procedure date)"),
            Column(
                "EXENDAT",
                "edc_date",
                required=False,
                description="End date of the lenvatinib dosing period; empty while ongoing",
            ),
            _code("EXADJ", "EXADJ", "Dose adjustment", required=False),
        ),
    ),
    InputFile(
        "ae",
        "edc",
        key=("SUBJID", "AESPID"),
        title="Adverse events",
        columns=(
            _subjid(),
            Column(
                "AESPID", "int", minimum=1, maximum=9999, description="Sponsor-defined AE identifier within the subject"
            ),
            Column("AETERM", description="Reported (verbatim) AE term"),
            Column("AEDECOD", description="MedDRA preferred term"),
            Column("AESOC", description="MedDRA system organ class"),
            Column("AESTDAT", "edc_date", partial_ok=True, description="AE start date"),
            Column(
                "AEENDAT", "edc_date", required=False, partial_ok=True, description="AE end date; empty while ongoing"
            ),
            Column("AETOXGR", "int", minimum=1, maximum=5, description="NCI CTCAE v5.0 grade"),
            _code("AESER", "NY", "Serious AE"),
            _code("AEREL_LEN", "AEREL", "Relationship to lenvatinib"),
            _code("AEREL_SIRT", "AEREL", "Relationship to SIRT"),
            _code("AEACN_LEN", "AEACN", "Action taken with lenvatinib"),
            _code("AEOUT", "AEOUT", "Outcome of the AE"),
        ),
    ),
    InputFile(
        "ds",
        "edc",
        key=("SUBJID", "DSCAT"),
        title="Disposition: end of treatment and end of study",
        columns=(
            _subjid(),
            _code("DSCAT", "DSCAT", "Disposition category"),
            _code("DSDECOD", "DSDECOD", "Disposition reason (standardised)"),
            Column("DSSTDAT", "edc_date", description="Disposition date"),
        ),
    ),
    InputFile(
        "surv",
        "edc",
        key=("SUBJID", "CONTACT_SEQ"),
        title="Survival follow-up contacts",
        columns=(
            _subjid(),
            Column(
                "CONTACT_SEQ",
                "int",
                minimum=1,
                maximum=999,
                description="Sequence number of the survival follow-up contact",
            ),
            Column("CONTACT_DAT", "edc_date", description="Date of the contact"),
            _code("STATUS", "STATUS", "Vital status at the contact"),
            Column("DEATH_DAT", "edc_date", required=False, partial_ok=True, description="Date of death"),
            _code("DEATH_CAUSE", "DEATH_CAUSE", "Cause of death", required=False),
        ),
        required_when=(("DEATH_DAT", "STATUS = 'DEAD'"),),
        not_before_enrolment=("DEATH_DAT",),
    ),
    InputFile(
        "ct",
        "edc",
        key=("SUBJID", "CTSEQ"),
        title="New anticancer therapy after study treatment",
        columns=(
            _subjid(),
            Column("CTSEQ", "int", minimum=1, maximum=999, description="Sequence number of the new anticancer therapy"),
            _code("CTTYPE", "CTTYPE", "Type of new anticancer therapy"),
            Column("CTNAME", description="Name of the new anticancer therapy"),
            Column("CTSTDAT", "edc_date", description="Start date of the new anticancer therapy"),
        ),
    ),
)

IMAGING_FILES: tuple[InputFile, ...] = (
    InputFile(
        "lesions",
        "imaging",
        key=("SUBJID", "SCAN_DAT", "LESION_ID"),
        title="One row per lesion per assessment",
        columns=(
            _subjid(),
            Column("VISIT", pattern=VISIT_PATTERN, description="Imaging visit"),
            Column("SCAN_DAT", "iso_date", description="Scan date"),
            Column(
                "LESION_ID",
                pattern=LESION_ID_PATTERN,
                description="Lesion identifier, stable over time: `Tnn` target, `NTnn` non-target, `Nnn` new",
            ),
            _code("LESION_CLASS", "LESION_CLASS", "Lesion class"),
            _code("ORGAN", "ORGAN", "Organ of the lesion"),
            Column("LOCATION", required=False, description="Free-text location (e.g. `segment VII`, `portal vein`)"),
            Column(
                "VIABLE_DIAM_MM",
                "decimal",
                required=False,
                minimum=0,
                maximum=400,
                description="Targets: longest diameter of the viable (arterially enhancing) tumour, mm; 0 when no "
                "enhancement remains; lymph-node targets: short axis",
            ),
            Column(
                "TOTAL_DIAM_MM",
                "decimal",
                required=False,
                minimum=0,
                maximum=400,
                description="Longest total diameter, mm (RECIST 1.1 style); new lesions: size",
            ),
            _code("NT_STATUS", "NT_STATUS", "Non-target status", required=False),
            _code(
                "TYPICAL", "NY", "New liver lesions: `Y` when arterial hyper-enhancement with washout", required=False
            ),
            Column(
                "NE_REASON",
                required=False,
                description="Why the lesion could not be assessed (its measurement is then empty)",
            ),
        ),
    ),
    InputFile(
        "timepoints",
        "imaging",
        key=("SUBJID", "SCAN_DAT"),
        title="The core-lab reader's own timepoint verdicts",
        columns=(
            _subjid(),
            Column("VISIT", pattern=VISIT_PATTERN, description="Imaging visit"),
            Column("SCAN_DAT", "iso_date", description="Scan date"),
            _code("READER_TARGET", "TARGET_RESPONSE", "Core-lab reader's target response"),
            _code("READER_NONTARGET", "NONTARGET_RESPONSE", "Core-lab reader's non-target response"),
            _code("READER_NEW", "NEW_LESION", "Core-lab reader's new-lesion verdict"),
            _code("READER_OVERALL", "OVERALL_RESPONSE", "Core-lab reader's overall timepoint response"),
        ),
    ),
)


# --- SDTM datasets (SPEC section 3, "SDTM profile") ------------------------------------------
# Only the variables the derivations read are required; every other SDTM variable is kept out of
# raw and reported as "extra columns ignored". Dates are ISO 8601 --DTC text, partial allowed
# where SDTM allows it. Code lists are not enforced: SDTM controlled terminology is the sender's.
USUBJID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"


def _usubjid() -> Column:
    return Column("USUBJID", pattern=USUBJID_PATTERN)


def _dtc(name: str, required: bool = True) -> Column:
    return Column(name, "iso8601", required=required, partial_ok=True)


def _sdtm(domain: str, title: str, key: tuple[str, ...], *columns: Column) -> InputFile:
    return InputFile(
        domain,
        "sdtm",
        key=key,
        columns=(Column("STUDYID"), _usubjid(), *columns),
        title=title,
        subject_column="USUBJID",
    )


SDTM_FILES: tuple[InputFile, ...] = (
    _sdtm(
        "dm",
        "Demographics",
        ("USUBJID",),
        Column("SUBJID"),
        Column("SITEID"),
        _dtc("RFSTDTC", required=False),
        _dtc("RFXSTDTC", required=False),
        _dtc("DTHDTC", required=False),
        Column("DTHFL", required=False),
        Column("AGE", "int", required=False, minimum=0, maximum=130),
        Column("SEX", required=False),
        Column("ARMCD", required=False),
        Column("ARM", required=False),
        Column("ACTARMCD", required=False),
        Column("ACTARM", required=False),
    ),
    _sdtm(
        "ex",
        "Exposure",
        ("USUBJID", "EXSEQ"),
        Column("EXSEQ", "int", minimum=1, maximum=99999),
        Column("EXTRT"),
        Column("EXDOSE", "decimal", required=False, minimum=0),
        Column("EXDOSU", required=False),
        _dtc("EXSTDTC"),
        _dtc("EXENDTC", required=False),
    ),
    _sdtm(
        "ae",
        "Adverse events",
        ("USUBJID", "AESEQ"),
        Column("AESEQ", "int", minimum=1, maximum=99999),
        Column("AETERM"),
        Column("AEDECOD", required=False),
        Column("AESOC", required=False),
        Column("AESEV", required=False),
        Column("AETOXGR", "int", required=False, minimum=1, maximum=5, may_be_absent=True),
        Column("AESER", required=False),
        Column("AEREL", required=False),
        Column("AEACN", required=False),
        Column("AEOUT", required=False),
        _dtc("AESTDTC", required=False),
        _dtc("AEENDTC", required=False),
    ),
    _sdtm(
        "ds",
        "Disposition",
        ("USUBJID", "DSSEQ"),
        Column("DSSEQ", "int", minimum=1, maximum=99999),
        Column("DSDECOD"),
        Column("DSCAT", required=False),
        _dtc("DSSTDTC", required=False),
    ),
    _sdtm(
        "tu",
        "Tumor/lesion identification",
        ("USUBJID", "TUSEQ"),
        Column("TUSEQ", "int", minimum=1, maximum=99999),
        Column("TULNKID"),
        Column("TUTESTCD"),
        Column("TUSTRESC", required=False),
        Column("TULOC", required=False),
        Column("TUEVAL", required=False),
        Column("TUEVALID", required=False, may_be_absent=True),
        Column("VISIT", required=False),
        Column("TUDTC", "iso8601", required=False, partial_ok=True, may_be_absent=True),
    ),
    _sdtm(
        "tr",
        "Tumor/lesion results",
        ("USUBJID", "TRSEQ"),
        Column("TRSEQ", "int", minimum=1, maximum=9999999),
        Column("TRGRPID", required=False),
        Column("TRLNKID", required=False),
        Column("TRTESTCD"),
        Column("TRSTRESC", required=False),
        Column("TRSTRESN", "decimal", required=False, minimum=0),
        Column("TRSTAT", required=False, may_be_absent=True),
        Column("TREVAL", required=False),
        Column("TREVALID", required=False, may_be_absent=True),
        Column("VISIT", required=False),
        _dtc("TRDTC", required=False),
    ),
    _sdtm(
        "rs",
        "Disease response",
        ("USUBJID", "RSSEQ"),
        Column("RSSEQ", "int", minimum=1, maximum=9999999),
        Column("RSTESTCD"),
        Column("RSSTRESC", required=False),
        Column("RSEVAL", required=False),
        Column("RSEVALID", required=False, may_be_absent=True),
        Column("VISIT", required=False),
        _dtc("RSDTC", required=False),
    ),
)

# INPUT_FILES: the EDC layout (the default); ALL_INPUT_FILES: every raw table of the asset graph.
INPUT_FILES: tuple[InputFile, ...] = EDC_FILES + IMAGING_FILES
ALL_INPUT_FILES: tuple[InputFile, ...] = INPUT_FILES + SDTM_FILES
INPUT_FILES_BY_PATH: dict[str, InputFile] = {f.path: f for f in INPUT_FILES}
SUBJECT_FILE = INPUT_FILES_BY_PATH["edc/dm.csv"]
SDTM_SUBJECT_FILE = SDTM_FILES[0]
SUBJECT_FILES = (SUBJECT_FILE, SDTM_SUBJECT_FILE)
LAYOUTS = ("edc", "sdtm")


def layout_files(layout: str) -> tuple[InputFile, ...]:
    """The files an export of one input layout (var input_source) consists of."""
    if layout not in LAYOUTS:
        raise ValueError(f"input_source must be one of {', '.join(LAYOUTS)}, got '{layout}'")
    return tuple(f for f in ALL_INPUT_FILES if f.layout == layout)


def subject_file(spec: InputFile) -> InputFile:
    return SDTM_SUBJECT_FILE if spec.layout == "sdtm" else SUBJECT_FILE


def file_path(spec: InputFile, parameters: dict) -> str:
    """Where the file is inside the export: the default path, or the profile's `sdtm_files` name.

    The pharmaverse reference ships several RS/TU/TR variants (rs_onco_recist.csv, rs_onco.csv);
    the study configuration says which one the export means. A `.xpt` name is read as SAS XPORT.
    """
    names = parameters.get("sdtm_files") or {}
    if spec.source == "sdtm" and names.get(spec.domain):
        return str(names[spec.domain])
    return spec.path


@cache
def codelists() -> dict[str, tuple[str, ...]]:
    """Code list name -> allowed codes, read from the dbt seed (the single source)."""
    lists: dict[str, list[str]] = {}
    with CODELISTS_CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            lists.setdefault(row["codelist"], []).append(row["code"])
    return {name: tuple(codes) for name, codes in lists.items()}
