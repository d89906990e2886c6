"""Subject-by-subject comparison of our ADaM with the pharmaverse reference (issue 8).

Pure functions: the reference CSVs and our published tables in, one row per compared value out.
The test (tests/test_pharmaverse_reference.py) asserts that every value differing from the
reference is exactly one of the documented differences in ``explained_differences.csv``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

# ../shared/reference/pharmaverse from the repository root (as the issue names it).
REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "pharmaverse"
EXPLAINED = Path(__file__).resolve().parent / "explained_differences.csv"

# ADRS parameters compared, with ours: the same PARAMCD except CB (unconfirmed clinical benefit),
# which this warehouse does not publish as a parameter: it is BOR in CR/PR/SD/NON-CR/NON-PD.
ADRS_PARAMETERS = ("BOR", "CBOR", "RSP", "CRSP", "CB", "CCB", "PD", "DEATH", "MDIS")
# ADT is compared wherever the reference or we have one, except for CB (not a parameter of ours:
# its date would be derived here, not by the warehouse).
ADRS_DATED_PARAMETERS = tuple(p for p in ADRS_PARAMETERS if p != "CB")
# ADTTE: our DOR with var dor_start = first_response is the reference's RSD.
ADTTE_PARAMETERS = {"PFS": "PFS", "OS": "OS", "RSD": "DOR"}
CLINICAL_BENEFIT = ("CR", "PR", "SD", "NON-CR/NON-PD")


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "adam" / name, keep_default_na=False, na_values=[""], dtype=str)


def compared_values(database: Path) -> pd.DataFrame:
    """One row per compared value: USUBJID, PARAMCD, ITEM, REFERENCE, OURS, EQUAL.

    ITEM is AVALC, ADT (ADRS), AVAL, EVENT or ADT (ADTTE); an ADT row exists where either side
    has a date.
    """
    with duckdb.connect(str(database), read_only=True) as con:
        adrs = con.execute(
            "select USUBJID, PARAMCD, AVALC, strftime(ADT, '%Y-%m-%d') as ADT from adam.adrs where PARAMCD <> 'OVR'"
        ).df()
        adtte = con.execute(
            "select USUBJID, PARAMCD, AVAL, CNSR, strftime(ADT, '%Y-%m-%d') as ADT from adam.adtte"
        ).df()
    bor = adrs[adrs.PARAMCD == "BOR"].copy()
    bor["PARAMCD"] = "CB"
    bor["AVALC"] = bor.AVALC.isin(CLINICAL_BENEFIT).map({True: "Y", False: "N"})
    ours_rs = pd.concat([adrs, bor]).set_index(["USUBJID", "PARAMCD"]).AVALC
    ours_rs_date = adrs.set_index(["USUBJID", "PARAMCD"]).ADT

    reference_rs = _read("adrs_onco.csv")
    reference_rs = reference_rs[reference_rs.PARAMCD.isin(ADRS_PARAMETERS)]
    rows = [
        (r.USUBJID, r.PARAMCD, "AVALC", r.AVALC, ours_rs.get((r.USUBJID, r.PARAMCD))) for r in reference_rs.itertuples()
    ]
    for r in reference_rs[reference_rs.PARAMCD.isin(ADRS_DATED_PARAMETERS)].itertuples():
        ours_date = _date(ours_rs_date.get((r.USUBJID, r.PARAMCD)))
        if isinstance(r.ADT, str) or ours_date is not None:
            rows.append((r.USUBJID, r.PARAMCD, "ADT", r.ADT if isinstance(r.ADT, str) else None, ours_date))

    ours_tte = adtte.set_index(["USUBJID", "PARAMCD"])
    reference_tte = _read("adtte_onco.csv")
    for r in reference_tte.itertuples():
        key = (r.USUBJID, ADTTE_PARAMETERS[r.PARAMCD])
        found = key in ours_tte.index
        aval = str(int(ours_tte.loc[key, "AVAL"])) if found else None
        event = ("EVENT" if int(ours_tte.loc[key, "CNSR"]) == 0 else "CENSORED") if found else None
        rows.append((r.USUBJID, r.PARAMCD, "AVAL", str(int(float(r.AVAL))), aval))
        rows.append((r.USUBJID, r.PARAMCD, "EVENT", "EVENT" if r.CNSR == "0" else "CENSORED", event))
        rows.append((r.USUBJID, r.PARAMCD, "ADT", r.ADT, _date(ours_tte.loc[key, "ADT"]) if found else None))
    # Our responders without a reference row (a DOR the reference does not have) would show here.
    for (usubjid, paramcd), row in ours_tte.iterrows():
        reference_code = {v: k for k, v in ADTTE_PARAMETERS.items()}.get(paramcd)
        if (
            reference_code
            and not ((reference_tte.USUBJID == usubjid) & (reference_tte.PARAMCD == reference_code)).any()
        ):
            rows.append((usubjid, reference_code, "AVAL", None, str(int(row.AVAL))))

    values = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "ITEM", "REFERENCE", "OURS"])
    values["EQUAL"] = values.REFERENCE.fillna("<none>") == values.OURS.fillna("<none>")
    return values


def _date(value: object) -> str | None:
    return value if isinstance(value, str) else None


def differences(values: pd.DataFrame) -> pd.DataFrame:
    columns = ["USUBJID", "PARAMCD", "ITEM", "REFERENCE", "OURS"]
    return values.loc[~values.EQUAL, columns].fillna("").sort_values(columns[:3]).reset_index(drop=True)


def explained_differences() -> pd.DataFrame:
    return pd.read_csv(EXPLAINED, dtype=str, keep_default_na=False)
