"""Suite for adam.adex: one row per treated patient and parameter, plausible values."""

from __future__ import annotations

from typing import Any

PARAMETERS = [
    "TRTDURD",
    "STDOSE",
    "EXPSTDOS",
    "STDOSDFL",
    "CUMDOSE",
    "RDI",
    "NREDUC",
    "REDUCFL",
    "NINTRP",
    "INTRPFL",
    "SIRTACT",
    "SIRTLGAP",
]


def suite(arms: list[str]) -> Any:
    def build(gxe: Any) -> list[Any]:
        from great_expectations.expectations.row_conditions import Column  # noqa: PLC0415 - gx is loaded now

        def where(paramcd: str) -> dict[str, Any]:
            return {"row_condition": Column("PARAMCD") == paramcd}

        return [
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["USUBJID", "PARAMCD"]),
            gxe.ExpectColumnValuesToBeInSet(column="PARAMCD", value_set=PARAMETERS),
            gxe.ExpectColumnValuesToBeInSet(column="SAFFL", value_set=["Y"]),
            gxe.ExpectColumnValuesToBeInSet(column="TRT01A", value_set=arms),
            gxe.ExpectColumnValuesToNotBeNull(column="AVAL"),
            gxe.ExpectColumnValuesToBeBetween(column="AVAL", min_value=1, **where("TRTDURD")),
            gxe.ExpectColumnValuesToBeBetween(column="AVAL", min_value=1, max_value=24, **where("STDOSE")),
            gxe.ExpectColumnValuesToBeBetween(column="AVAL", min_value=0, max_value=300, **where("RDI")),
            gxe.ExpectColumnValuesToBeBetween(column="AVAL", min_value=0, **where("NREDUC")),
            gxe.ExpectColumnValuesToBeBetween(column="AVAL", min_value=0, **where("NINTRP")),
            gxe.ExpectColumnValuesToBeBetween(column="AVAL", min_value=0.1, max_value=20, **where("SIRTACT")),
            gxe.ExpectColumnValuesToBeInSet(column="AVALC", value_set=["Y", "N"], **where("REDUCFL")),
        ]

    return build
