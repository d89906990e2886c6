"""Suite for adam.adae: one row per AE, coded values, treatment-emergent and worst-grade flags."""

from __future__ import annotations

from typing import Any


def suite(arms: list[str]) -> Any:
    def build(gxe: Any) -> list[Any]:
        from great_expectations.expectations.row_conditions import Column  # noqa: PLC0415 - gx is loaded now

        return [
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["USUBJID", "AESPID"]),
            gxe.ExpectColumnValuesToNotBeNull(column="ASTDT"),
            gxe.ExpectColumnValuesToNotBeNull(column="AEDECOD"),
            gxe.ExpectColumnValuesToNotBeNull(column="AESOC"),
            gxe.ExpectColumnValuesToBeInSet(column="TRT01A", value_set=arms),
            gxe.ExpectColumnValuesToBeInSet(column="ATOXGR", value_set=[1, 2, 3, 4, 5]),
            gxe.ExpectColumnValuesToBeInSet(column="TRTEMFL", value_set=["Y"]),
            gxe.ExpectColumnValuesToBeInSet(column="ASTDTF", value_set=["D", "M"]),
            gxe.ExpectColumnValuesToBeInSet(column="AESER", value_set=["Y", "N"]),
            gxe.ExpectColumnValuesToBeInSet(column="FATALFL", value_set=["Y", "N"]),
            gxe.ExpectColumnValuesToBeInSet(column="AOCCIFL", value_set=["Y"]),
            # A TEAE starts on or after the start of treatment.
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="ASTDT",
                column_B="TRTSDT",
                or_equal=True,
                row_condition=Column("TRTEMFL") == "Y",
            ),
            # Worst-grade flags only on TEAEs; at most one AOCCIFL per patient.
            gxe.ExpectColumnValuesToNotBeNull(
                column="TRTEMFL",
                row_condition=Column("AOCCPIFL") == "Y",
            ),
            gxe.ExpectColumnValuesToBeUnique(
                column="USUBJID",
                row_condition=Column("AOCCIFL") == "Y",
            ),
        ]

    return build
