"""Suite for adam.adtte: one row per patient per parameter, censoring codes of SPEC section 5."""

from __future__ import annotations

from typing import Any


def suite() -> Any:
    def build(gxe: Any) -> list[Any]:
        return [
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["USUBJID", "PARAMCD"]),
            gxe.ExpectColumnValuesToBeInSet(column="PARAMCD", value_set=["PFS", "OS", "DOR", "TTR"]),
            gxe.ExpectColumnValuesToBeInSet(column="CNSR", value_set=[0, 1, 2, 3, 4, 5]),
            gxe.ExpectColumnValuesToBeBetween(column="AVAL", min_value=1),
            gxe.ExpectColumnValuesToNotBeNull(column="ADT"),
            gxe.ExpectColumnValuesToNotBeNull(column="STARTDT"),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="ADT", column_B="STARTDT", or_equal=True),
            gxe.ExpectColumnValuesToBeInSet(column="AVALU", value_set=["DAYS"]),
        ]

    return build
