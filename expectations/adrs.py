"""Suite for the subject-level rows of adam.adrs: every FAS patient has each parameter once."""

from __future__ import annotations

from typing import Any

RESPONSE_CODES = ["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "MISSING"]
SUBJECT_PARAMETERS = ["BOR", "CBOR", "RSP", "CRSP", "CCB", "PD", "DEATH", "LSTA", "MDIS"]


def suite(fas_patients: int) -> Any:
    """For `adrs` rows with PARAMCD other than OVR."""

    def build(gxe: Any) -> list[Any]:
        return [
            gxe.ExpectTableRowCountToEqual(value=fas_patients * len(SUBJECT_PARAMETERS)),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["USUBJID", "PARAMCD"]),
            gxe.ExpectColumnValuesToBeInSet(column="PARAMCD", value_set=SUBJECT_PARAMETERS),
            gxe.ExpectColumnValuesToNotBeNull(column="AVALC"),
            gxe.ExpectColumnValuesToBeInSet(column="AVALC", value_set=[*RESPONSE_CODES, "Y", "N"]),
            gxe.ExpectColumnValuesToBeBetween(column="AVAL", min_value=0, max_value=7),
        ]

    return build
