"""Suite for adam.adsl: one row per enrolled patient with the population flags SPEC section 5 sets."""

from __future__ import annotations

from typing import Any


def suite(arms: list[str], enrolled: int) -> Any:
    def build(gxe: Any) -> list[Any]:
        return [
            gxe.ExpectTableRowCountToEqual(value=enrolled),
            gxe.ExpectColumnValuesToBeUnique(column="USUBJID"),
            gxe.ExpectColumnValuesToNotBeNull(column="USUBJID"),
            gxe.ExpectColumnValuesToBeInSet(column="TRT01P", value_set=arms),
            gxe.ExpectColumnValuesToBeInSet(column="TRT01A", value_set=arms, mostly=1.0),
            gxe.ExpectColumnValuesToBeInSet(column="FASFL", value_set=["Y"]),
            gxe.ExpectColumnValuesToBeInSet(column="SAFFL", value_set=["Y", "N"]),
            gxe.ExpectColumnValuesToNotBeNull(column="STARTDT"),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="LSTALVDT", column_B="ENRLDT", or_equal=True, ignore_row_if="either_value_is_missing"
            ),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="DTHDT", column_B="ENRLDT", or_equal=True, ignore_row_if="either_value_is_missing"
            ),
        ]

    return build
