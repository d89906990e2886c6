"""Suite for adam.adex: plausible values of the doses and activities a site records.

Keys, parameters, populations and the derivation identities are dbt tests beside the model
(`column_rules_adex`); this suite holds the plausibility limits a data manager would query:
a starting dose of at most 24 mg, a relative dose intensity of at most 300 %, a SIRT activity of
0.1 to 20 GBq.
"""

from __future__ import annotations

from typing import Any


def suite() -> Any:
    def build(gxe: Any) -> list[Any]:
        from great_expectations.expectations.row_conditions import Column  # noqa: PLC0415 - gx is loaded now

        def where(paramcd: str) -> dict[str, Any]:
            return {"row_condition": Column("PARAMCD") == paramcd}

        return [
            gxe.ExpectColumnValuesToBeBetween(column="AVAL", min_value=1, max_value=24, **where("STDOSE")),
            gxe.ExpectColumnValuesToBeBetween(column="AVAL", min_value=0, max_value=300, **where("RDI")),
            gxe.ExpectColumnValuesToBeBetween(column="AVAL", min_value=0.1, max_value=20, **where("SIRTACT")),
        ]

    return build
