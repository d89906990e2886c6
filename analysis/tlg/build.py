"""All tables of the catalogue from one set of input frames: what the `reporting/tlg_*` assets write."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis import efficacy, safety
from analysis.tlg import adverse_events, demographics, disposition, exposure, response, time_to_event
from analysis.tlg.catalogue import CATALOGUE, POPULATIONS, footnotes, title_lines

CATALOGUE_TABLE = "tlg_catalogue"
ADSL_COLUMNS = tuple(
    dict.fromkeys((*efficacy.ADSL_COLUMNS, *disposition.ADSL_COLUMNS, *safety.ADSL_COLUMNS, "TRT01PN"))
)
ADRS_PARAMETERS = ("CBOR", "BOR")


@dataclass(frozen=True)
class Inputs:
    """The ADaM and reporting frames the tables are laid out from."""

    adsl: pd.DataFrame  # ADSL_COLUMNS (those the study has)
    baseline_sum: pd.DataFrame  # USUBJID, BASE_SUM (ADTR SDIAM at baseline)
    adrs: pd.DataFrame  # USUBJID, PARAMCD, AVALC of ADRS_PARAMETERS
    adae: pd.DataFrame  # adverse_events.ADAE_COLUMNS
    adex: pd.DataFrame  # exposure.ADEX_COLUMNS
    response_rates: pd.DataFrame
    response_differences: pd.DataFrame
    tte_summary: pd.DataFrame
    tte_landmarks: pd.DataFrame
    tte_comparisons: pd.DataFrame
    baseline_characteristics: pd.DataFrame


def population_n(adsl: pd.DataFrame, population: str) -> int:
    """The N of a population of `catalogue.POPULATIONS`."""
    if population == "fas":
        return int(adsl.FASFL.eq("Y").sum())
    if population == "safety":
        return int(adsl.SAFFL.eq("Y").sum())
    return len(adsl)


def build_tables(inputs: Inputs, arms: efficacy.Arms) -> dict[str, pd.DataFrame]:
    """reporting table name -> table, for every entry of the catalogue."""
    adsl = inputs.adsl
    fas = adsl[adsl.FASFL.eq("Y")]
    fas_n = {arm: int(fas.TRT01P.eq(arm).sum()) for arm in arms.order}
    tables = {
        "tlg_dst01": disposition.dst01(adsl, arms),
        "tlg_dmt01": demographics.dmt01(adsl, inputs.baseline_sum, inputs.baseline_characteristics, arms),
        "tlg_rspt01": response.rspt01(inputs.adrs, adsl, inputs.response_rates, inputs.response_differences, arms),
        "tlg_ext01": exposure.ext01(adsl, inputs.adex),
        **adverse_events.ae_tables(adsl, inputs.adae),
        "tlg_ael_serious": adverse_events.ae_listing(adsl, inputs.adae, "serious"),
        "tlg_ael_fatal": adverse_events.ae_listing(adsl, inputs.adae, "fatal"),
    }
    for paramcd in efficacy.TTE_PARAMETERS:
        tables[f"tlg_ttet01_{paramcd.lower()}"] = time_to_event.ttet01(
            paramcd, inputs.tte_summary, inputs.tte_landmarks, inputs.tte_comparisons, arms, fas_n
        )
    return {spec.name: tables[spec.name] for spec in CATALOGUE}


def catalogue_table(adsl: pd.DataFrame, arms: efficacy.Arms) -> pd.DataFrame:
    """reporting.tlg_catalogue: one row per output with its number, title, population and N, and
    footnotes (one per line), in CSR order."""
    rows = []
    for order, spec in enumerate(CATALOGUE, start=1):
        n = population_n(adsl, spec.population)
        rows.append(
            (
                order,
                spec.number,
                spec.code,
                spec.name,
                spec.kind,
                spec.title,
                POPULATIONS[spec.population],
                n,
                " | ".join(title_lines(spec, n)),
                "\n".join(footnotes(spec, arms.treated, arms.reference)),
                spec.file_stem,
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "CSR_ORDER",
            "NUMBER",
            "CODE",
            "TABLE_NAME",
            "KIND",
            "TITLE",
            "POPULATION",
            "BIGN",
            "HEADING",
            "FOOTNOTES",
            "FILE_STEM",
        ],
    )
