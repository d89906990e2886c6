"""A six-patient study whose CSR tables can be written down by hand (tests of analysis.tlg and
the report).

LEN+SIRT: P1 (50 y, M), P2 (60 y, F), P3 (age missing, M, never treated).
LEN:      P4 (70 y, F), P5 (55 y, M), P6 (65 y, M).
"""

from __future__ import annotations

import pandas as pd

from analysis import efficacy
from analysis.tlg import build

ARMS = efficacy.Arms.from_config(["LEN+SIRT", "LEN"], "LEN")

ADSL = pd.DataFrame(
    [
        ("P1", "LEN+SIRT", 1, "Y", "Y", 50, "M", "LEN+SIRT", 1, "DISCONTINUED", "PROGRESSIVE DISEASE", "DISCONTINUED", "DEATH", "Y"),
        ("P2", "LEN+SIRT", 1, "Y", "Y", 60, "F", "LEN+SIRT", 1, "ONGOING", None, "ONGOING", None, None),
        ("P3", "LEN+SIRT", 1, "Y", "N", None, "M", None, None, None, None, "ONGOING", None, None),
        ("P4", "LEN", 2, "Y", "Y", 70, "F", "LEN", 2, "DISCONTINUED", "ADVERSE EVENT", "ONGOING", None, None),
        ("P5", "LEN", 2, "Y", "Y", 55, "M", "LEN", 2, "DISCONTINUED", "PROGRESSIVE DISEASE", "DISCONTINUED", "LOST TO FOLLOW-UP", None),
        ("P6", "LEN", 2, "Y", "Y", 65, "M", "LEN", 2, "ONGOING", None, "ONGOING", None, None),
    ],
    columns=[
        "USUBJID", "TRT01P", "TRT01PN", "FASFL", "SAFFL", "AGE", "SEX", "TRT01A", "TRT01AN",
        "EOTSTT", "DCTREAS", "EOSSTT", "DCSREAS", "DTHFL",
    ],
)  # fmt: skip
BASELINE_SUM = pd.DataFrame({"USUBJID": ["P1", "P2", "P4", "P5", "P6"], "BASE_SUM": [40.0, 50.0, 60.0, 30.0, 20.0]})


CBOR = {"P1": "PR", "P2": "SD", "P3": "MISSING", "P4": "CR", "P5": "PD", "P6": "NE"}
BOR = CBOR | {"P2": "PR"}  # P2's PR was not confirmed


VASC, GEN = "Vascular disorders", "General disorders"


def _ae(usubjid, arm, spid, soc, term, grade, flags, serious="N", fatal="N", emergent="Y"):  # noqa: ANN001, ANN202
    overall, by_soc, by_term = flags
    return dict(
        USUBJID=usubjid, SAFFL="Y", TRT01A=arm, AESPID=spid, AESOC=soc, AEDECOD=term, AETERM=term.lower(),
        ATOXGR=grade, TRTEMFL=emergent, AESER=serious, FATALFL=fatal, AEACNLEN="DOSE NOT CHANGED",
        AERELLEN="RELATED", AERELSRT="NOT RELATED", AEOUT="FATAL" if fatal == "Y" else "RECOVERED",
        AOCCIFL=overall, AOCCSIFL=by_soc, AOCCPIFL=by_term, ASTDT=pd.Timestamp("2025-01-01") + pd.Timedelta(days=spid),
        ASTDY=spid, AENDT=None,
    )  # fmt: skip


ADAE = pd.DataFrame(
    [
        _ae("P1", "LEN+SIRT", 1, VASC, "Hypertension", 2, ("N", "N", "N")),
        _ae("P1", "LEN+SIRT", 2, VASC, "Hypertension", 3, ("Y", "Y", "Y"), serious="Y"),
        _ae("P2", "LEN+SIRT", 3, GEN, "Fatigue", 1, ("Y", "Y", "Y")),
        _ae("P4", "LEN", 4, GEN, "Fatigue", 5, ("Y", "Y", "Y"), serious="Y", fatal="Y"),
        _ae("P4", "LEN", 5, VASC, "Hypertension", 4, ("N", "Y", "Y")),
        _ae("P5", "LEN", 6, GEN, "Fatigue", 2, ("N", "N", "N"), emergent="N"),  # before treatment: not counted
    ]
)


def adrs() -> pd.DataFrame:
    """CBOR and BOR as above, and the patient-level flags they give (CRSP, CCB, RSP)."""
    flags = {
        "CRSP": {k for k, v in CBOR.items() if v in ("CR", "PR")},
        "CCB": {k for k, v in CBOR.items() if v in ("CR", "PR", "SD", "NON-CR/NON-PD")},
        "RSP": {k for k, v in BOR.items() if v in ("CR", "PR")},
    }
    return pd.DataFrame(
        [(s, "CBOR", v) for s, v in CBOR.items()]
        + [(s, "BOR", v) for s, v in BOR.items()]
        + [(s, p, "Y" if s in members else "N") for p, members in flags.items() for s in CBOR],
        columns=["USUBJID", "PARAMCD", "AVALC"],
    )


def adtte() -> pd.DataFrame:
    """PFS, OS and DOR in days: P1-P3 events at 30, 60 and 90 days, P4-P6 censored at 45 then events."""
    rows = []
    for paramcd in ("PFS", "OS", "DOR"):
        for usubjid, aval, cnsr in (
            ("P1", 30, 0),
            ("P2", 60, 0),
            ("P3", 90, 0),
            ("P4", 45, 1),
            ("P5", 50, 0),
            ("P6", 80, 0),
        ):
            rows.append((usubjid, paramcd, aval, cnsr))
    return pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVAL", "CNSR"])


ADEX = pd.DataFrame(
    [
        (s, "Y", arm, n, 1, "TRTDURD", "Lenvatinib Duration of Treatment (days)", d, None)
        for s, arm, n, d in (("P1", "LEN+SIRT", 1, 10.0), ("P2", "LEN+SIRT", 1, 20.0), ("P4", "LEN", 2, 30.0))
    ]
    + [
        (s, "Y", arm, n, 8, "REDUCFL", "Any Lenvatinib Dose Reduction", float(y == "Y"), y)
        for s, arm, n, y in (("P1", "LEN+SIRT", 1, "Y"), ("P2", "LEN+SIRT", 1, "N"), ("P4", "LEN", 2, "N"))
    ],
    columns=["USUBJID", "SAFFL", "TRT01A", "TRT01AN", "PARAMN", "PARAMCD", "PARAM", "AVAL", "AVALC"],
)
SMD = pd.DataFrame({"VARIABLE": ["AGE", "SEX"], "SMD": [0.1234, 0.0]})


def inputs() -> build.Inputs:
    """Every input of analysis.tlg.build, the reporting tables computed by analysis.efficacy."""
    weights = ADSL[["USUBJID"]].assign(WEIGHT=1.0)
    responses, times = adrs(), adtte()
    return build.Inputs(
        adsl=ADSL,
        baseline_sum=BASELINE_SUM,
        adrs=responses,
        adae=ADAE,
        adex=ADEX,
        response_rates=efficacy.response_rates(responses, ADSL, ARMS),
        response_differences=efficacy.response_differences(responses, ADSL, weights, ARMS),
        tte_summary=efficacy.tte_summary(times, ADSL, ARMS, 30.4375),
        tte_landmarks=efficacy.tte_landmarks(times, ADSL, ARMS, 30.4375),
        tte_comparisons=efficacy.tte_comparisons(times, ADSL, weights, ARMS, 30.4375),
        baseline_characteristics=SMD,
    )


def tables() -> dict[str, pd.DataFrame]:
    """Every CSR table of the study and the catalogue, as reporting.tlg_* holds them."""
    study = inputs()
    return build.build_tables(study, ARMS) | {build.CATALOGUE_TABLE: build.catalogue_table(ADSL, ARMS)}
