"""The input contract of SPEC section 3, as data.

Every file of an export is described once here: its path, its key, and each column's type and
rule. Ingest turns these descriptions into set-based DuckDB checks (see ``validation.py``); the
generator writes files that follow them. Code lists live in the dbt seed ``codelists.csv`` so that
the SQL models and the row checks read the same values.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
CODELISTS_CSV = DBT_PROJECT_DIR / "seeds" / "codelists.csv"

SUBJID_PATTERN = r"^[0-9]{3}-[0-9]{3}$"
VISIT_PATTERN = r"^(BASELINE|WEEK [0-9]{1,3}|UNSCHEDULED|END OF TREATMENT)$"
LESION_ID_PATTERN = r"^(T|NT|N)[0-9]{2}$"


@dataclass(frozen=True)
class Column:
    """One column of an input file and the rule its values must follow.

    kind is one of ``text``, ``code`` (value from ``codelist``), ``int``/``decimal`` (within
    ``minimum``..``maximum``), ``edc_date`` (``dd MMM yyyy``, unknown parts ``UN``/``UNK`` only
    when ``partial_ok``) and ``iso_date`` (``yyyy-mm-dd``).
    """

    name: str
    kind: str = "text"
    required: bool = True
    codelist: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    partial_ok: bool = False


@dataclass(frozen=True)
class InputFile:
    """One file of the export: where it lives, its key, its columns and cross-column rules."""

    domain: str  # e.g. "dm"
    source: str  # "edc" or "imaging"
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    # (column, condition on other columns) pairs: column must be filled when condition holds.
    required_when: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def path(self) -> str:
        return f"{self.source}/{self.domain}.csv"

    @property
    def raw_table(self) -> str:
        return f"{self.source}_{self.domain}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _subjid() -> Column:
    return Column("SUBJID", pattern=SUBJID_PATTERN)


def _code(name: str, codelist: str, required: bool = True) -> Column:
    return Column(name, "code", required=required, codelist=codelist)


EDC_FILES: tuple[InputFile, ...] = (
    InputFile(
        "dm",
        "edc",
        key=("SUBJID",),
        columns=(
            _subjid(),
            Column("SITEID", pattern=r"^[0-9]{3}$"),
            _code("ARM", "ARM"),
            Column("ENRLDAT", "edc_date"),
            Column("AGE", "int", minimum=18, maximum=100),
            _code("SEX", "SEX"),
            Column("WEIGHT_KG", "decimal", minimum=25, maximum=250),
            Column("ECOG", "int", minimum=0, maximum=2),
            _code("CHILD_PUGH", "CHILD_PUGH"),
            _code("BCLC", "BCLC"),
            _code("ETIOLOGY", "ETIOLOGY"),
            Column("AFP_NGML", "decimal", minimum=0, maximum=10_000_000),
            Column("PRIOR_TACE_N", "int", minimum=1, maximum=50),
            _code("MVI", "NY"),
            _code("EHS", "NY"),
        ),
    ),
    InputFile(
        "ex",
        "edc",
        key=("SUBJID", "EXSEQ"),
        columns=(
            _subjid(),
            Column("EXSEQ", "int", minimum=1, maximum=999),
            _code("EXTRT", "EXTRT"),
            Column("EXDOSE", "decimal", minimum=0, maximum=100),
            _code("EXDOSU", "EXDOSU"),
            Column("EXSTDAT", "edc_date"),
            Column("EXENDAT", "edc_date", required=False),
            _code("EXADJ", "EXADJ", required=False),
        ),
    ),
    InputFile(
        "ae",
        "edc",
        key=("SUBJID", "AESPID"),
        columns=(
            _subjid(),
            Column("AESPID", "int", minimum=1, maximum=9999),
            Column("AETERM"),
            Column("AEDECOD"),
            Column("AESOC"),
            Column("AESTDAT", "edc_date", partial_ok=True),
            Column("AEENDAT", "edc_date", required=False, partial_ok=True),
            Column("AETOXGR", "int", minimum=1, maximum=5),
            _code("AESER", "NY"),
            _code("AEREL_LEN", "AEREL"),
            _code("AEREL_SIRT", "AEREL"),
            _code("AEACN_LEN", "AEACN"),
            _code("AEOUT", "AEOUT"),
        ),
    ),
    InputFile(
        "ds",
        "edc",
        key=("SUBJID", "DSCAT"),
        columns=(
            _subjid(),
            _code("DSCAT", "DSCAT"),
            _code("DSDECOD", "DSDECOD"),
            Column("DSSTDAT", "edc_date"),
        ),
    ),
    InputFile(
        "surv",
        "edc",
        key=("SUBJID", "CONTACT_SEQ"),
        columns=(
            _subjid(),
            Column("CONTACT_SEQ", "int", minimum=1, maximum=999),
            Column("CONTACT_DAT", "edc_date"),
            _code("STATUS", "STATUS"),
            Column("DEATH_DAT", "edc_date", required=False, partial_ok=True),
            _code("DEATH_CAUSE", "DEATH_CAUSE", required=False),
        ),
        required_when=(("DEATH_DAT", "STATUS = 'DEAD'"),),
    ),
    InputFile(
        "ct",
        "edc",
        key=("SUBJID", "CTSEQ"),
        columns=(
            _subjid(),
            Column("CTSEQ", "int", minimum=1, maximum=999),
            _code("CTTYPE", "CTTYPE"),
            Column("CTNAME"),
            Column("CTSTDAT", "edc_date"),
        ),
    ),
)

IMAGING_FILES: tuple[InputFile, ...] = (
    InputFile(
        "lesions",
        "imaging",
        key=("SUBJID", "SCAN_DAT", "LESION_ID"),
        columns=(
            _subjid(),
            Column("VISIT", pattern=VISIT_PATTERN),
            Column("SCAN_DAT", "iso_date"),
            Column("LESION_ID", pattern=LESION_ID_PATTERN),
            _code("LESION_CLASS", "LESION_CLASS"),
            _code("ORGAN", "ORGAN"),
            Column("LOCATION", required=False),
            Column("VIABLE_DIAM_MM", "decimal", required=False, minimum=0, maximum=400),
            Column("TOTAL_DIAM_MM", "decimal", required=False, minimum=0, maximum=400),
            _code("NT_STATUS", "NT_STATUS", required=False),
            _code("TYPICAL", "NY", required=False),
            Column("NE_REASON", required=False),
        ),
    ),
    InputFile(
        "timepoints",
        "imaging",
        key=("SUBJID", "SCAN_DAT"),
        columns=(
            _subjid(),
            Column("VISIT", pattern=VISIT_PATTERN),
            Column("SCAN_DAT", "iso_date"),
            _code("READER_TARGET", "TARGET_RESPONSE"),
            _code("READER_NONTARGET", "NONTARGET_RESPONSE"),
            _code("READER_NEW", "NEW_LESION"),
            _code("READER_OVERALL", "OVERALL_RESPONSE"),
        ),
    ),
)

INPUT_FILES: tuple[InputFile, ...] = EDC_FILES + IMAGING_FILES
INPUT_FILES_BY_PATH: dict[str, InputFile] = {f.path: f for f in INPUT_FILES}
SUBJECT_FILE = INPUT_FILES_BY_PATH["edc/dm.csv"]


@cache
def codelists() -> dict[str, tuple[str, ...]]:
    """Code list name -> allowed codes, read from the dbt seed (the single source)."""
    lists: dict[str, list[str]] = {}
    with CODELISTS_CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            lists.setdefault(row["codelist"], []).append(row["code"])
    return {name: tuple(codes) for name, codes in lists.items()}
