"""Every output of the clinical study report in one place: number, template code, title,
population and footnotes with the statistical method. The reporting tables, the HTML report and
the RTF files all read it; the title printed carries the population and its N (`title_lines`).

Numbers follow ICH E3 section 14 (14.1 demographic, 14.2 efficacy, 14.3 safety); CSR order is the
order of the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

POPULATIONS = {
    "enrolled": "All enrolled patients, by planned arm (TRT01P)",
    "fas": "Full analysis set (FASFL = Y), by planned arm (TRT01P)",
    "safety": "Safety population (SAFFL = Y), by actual treatment (TRT01A)",
}

KM_METHOD = (
    "Kaplan-Meier estimates; quartiles and their 95% CI as R survival quantile.survfit "
    "(Brookmeyer-Crowley, log-log transformation). Event-free rates with log-log 95% CI."
)
COX_METHOD = (
    "Hazard ratio of {treated} vs {reference} from a Cox model (Efron ties): unadjusted with Wald 95% CI and the "
    "two-sided log-rank p; IPTW with stabilised inverse-probability-of-treatment weights and the robust "
    "(sandwich) 95% CI and Wald p."
)
NOT_REACHED = (
    "NR: not reached. Median follow-up by reverse Kaplan-Meier (censoring taken as the event); NR when fewer than "
    "half of the arm's patients are censored, so the reverse curve never falls to 50%."
)


@dataclass(frozen=True)
class TableSpec:
    number: str  # ICH E3 numbering, e.g. 14.1.2
    code: str  # the tern / chevron template it follows, e.g. DMT01
    name: str  # the reporting table: reporting.<name>
    title: str
    population: str  # a key of POPULATIONS
    footnotes: tuple[str, ...]
    kind: str = "table"  # or "listing"
    stub: str = ""  # the heading of the row-label column

    @property
    def file_stem(self) -> str:
        kind = "l" if self.kind == "listing" else "t"
        return f"{kind}_{self.number.replace('.', '_')}_{self.name.removeprefix('tlg_')}"


def _tte(number: str, paramcd: str, label: str, extra: str = "") -> TableSpec:
    return TableSpec(
        number,
        "TTET01",
        f"tlg_ttet01_{paramcd.lower()}",
        f"Time to event: {label}",
        "fas",
        (
            *((extra,) if extra else ()),
            KM_METHOD,
            COX_METHOD,
            NOT_REACHED,
            "Landmark rates are left empty beyond the arm's longest follow-up.",
        ),
    )


CATALOGUE: tuple[TableSpec, ...] = (
    TableSpec(
        "14.1.1",
        "DST01",
        "tlg_dst01",
        "Patient disposition",
        "enrolled",
        (
            "Percentages of the arm's enrolled patients. End of treatment and end of study from the disposition "
            "form (ADSL EOTSTT/DCTREAS, EOSSTT/DCSREAS); ongoing: no disposition record at the data cut-off.",
        ),
    ),
    TableSpec(
        "14.1.2",
        "DMT01",
        "tlg_dmt01",
        "Demographics and baseline characteristics",
        "fas",
        (
            "Continuous: n, mean (SD), median, Q1 - Q3 (SAS QNTLDEF=5), min - max, missing. Categorical: n (%) "
            "of the column's N; Missing counted as a category.",
            "SMD: absolute standardised mean difference, {treated} vs {reference}, before weighting "
            "(continuous: Austin and Stuart; categorical: Yang and Dalton); |SMD| >= 0.1 marks imbalance.",
        ),
        stub="Characteristic",
    ),
    TableSpec(
        "14.2.1",
        "RSPT01",
        "tlg_rspt01",
        "Best overall response (mRECIST)",
        "fas",
        (
            "Confirmed best overall response (CBOR): CR and PR confirmed at least 28 days later; unconfirmed (BOR) "
            "shown for reference. Patients without a post-baseline assessment are Missing and count as non-responders.",
            "95% CI for rates: exact Clopper-Pearson. Difference in rates ({treated} minus {reference}, percentage "
            "points): Newcombe hybrid score 95% CI and two-sided Fisher exact p; IPTW: stabilised weights, "
            "robust (sandwich) 95% CI and Wald p.",
            "ORR: CR + PR. DCR: CR + PR + SD + NON-CR/NON-PD.",
        ),
        stub="Response",
    ),
    _tte("14.2.2", "PFS", "Progression-free survival (months)"),
    _tte("14.2.3", "OS", "Overall survival (months)"),
    _tte(
        "14.2.4",
        "DOR",
        "Duration of response (months)",
        "Patients with a confirmed response (CRSP = Y); N in the header is the arm's full analysis set.",
    ),
    TableSpec(
        "14.3.1",
        "EXT01",
        "tlg_ext01",
        "Study treatment exposure",
        "safety",
        (
            "n: patients with the parameter (lenvatinib parameters: patients who received lenvatinib; SIRT "
            "parameters: patients who had SIRT). Quartiles: linear interpolation (R type 7).",
            "Relative dose intensity: cumulative dose / (weight-rule starting dose x days on lenvatinib) x 100.",
        ),
        stub="Parameter",
    ),
    TableSpec(
        "14.3.2",
        "AET01",
        "tlg_aet01",
        "Overview of treatment-emergent adverse events",
        "safety",
        (
            "Treatment-emergent: starting on or after the first dose and up to 30 days after the last. A patient "
            "is counted once per row. Severity by NCI CTCAE v5.0.",
        ),
    ),
    TableSpec(
        "14.3.3",
        "AET02",
        "tlg_aet02",
        "Treatment-emergent adverse events by system organ class and preferred term",
        "safety",
        (
            "A patient is counted once per system organ class and once per preferred term. Sorted by decreasing "
            "frequency over all arms. MedDRA coding as recorded.",
        ),
        stub="System organ class\n  Preferred term",
    ),
    TableSpec(
        "14.3.4",
        "AET04",
        "tlg_aet04",
        "Treatment-emergent adverse events by highest NCI CTCAE grade",
        "safety",
        (
            "A patient is counted once per system organ class and preferred term, at the highest grade among "
            "their events there (ADAE AOCCSIFL / AOCCPIFL).",
        ),
        stub="System organ class\n  Preferred term\n    Highest grade",
    ),
    TableSpec(
        "14.3.5",
        "AEL03",
        "tlg_ael_serious",
        "Listing of serious adverse events",
        "safety",
        ("All serious adverse events (AESER = Y) of the safety population, treatment-emergent or not (TRTEMFL).",),
        kind="listing",
    ),
    TableSpec(
        "14.3.6",
        "AEL04",
        "tlg_ael_fatal",
        "Listing of fatal adverse events",
        "safety",
        ("Adverse events with a fatal outcome (FATALFL = Y: outcome FATAL or CTCAE grade 5).",),
        kind="listing",
    ),
)

# The figures written beside the tables (section of the report they come from).
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("14.2.5", "waterfall", "Best percent change of the target lesion sum (waterfall plot)"),
    ("14.2.6", "km_pfs", "Kaplan-Meier plot of progression-free survival"),
    ("14.2.7", "km_os", "Kaplan-Meier plot of overall survival"),
    ("14.2.8", "km_dor", "Kaplan-Meier plot of duration of response"),
    ("14.2.9", "forest", "Forest plot of unadjusted and IPTW-adjusted effects"),
)

BY_NAME = {spec.name: spec for spec in CATALOGUE}


def title_lines(spec: TableSpec, n: int | None) -> list[str]:
    """`Table 14.1.2 (DMT01)`, the title, and `Full analysis set ... (N = 78)`."""
    kind = "Listing" if spec.kind == "listing" else "Table"
    population = POPULATIONS[spec.population] + (f" (N = {n})" if n is not None else "")
    return [f"{kind} {spec.number} ({spec.code})", spec.title, population]


def footnotes(spec: TableSpec, treated: str = "", reference: str = "") -> list[str]:
    """The footnotes with the comparison's arms filled in."""
    return [note.format(treated=treated or "treated", reference=reference or "reference") for note in spec.footnotes]
