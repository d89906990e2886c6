"""Suite for adam.adsl: one row per enrolled patient, counted in the intermediate layer.

The model's own rules (keys, populations, arms, date order) are dbt tests beside the model
(`column_rules_adsl`); this suite checks what ADSL cannot see of itself: that every enrolled
patient reached it.
"""

from __future__ import annotations

from typing import Any


def suite(enrolled: int) -> Any:
    def build(gxe: Any) -> list[Any]:
        return [gxe.ExpectTableRowCountToEqual(value=enrolled)]

    return build
