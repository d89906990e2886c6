"""Suite for every raw file: the shape ingest promises to staging, whatever the file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def suite(columns: Sequence[str], path: str, rows_expected: int | None = None) -> Any:
    """Lineage columns complete and unique, the contract's columns (``columns``) present and no
    other, every row from ``path``; the caller passes the contract, so this module stands alone."""

    def build(gxe: Any) -> list[Any]:
        expectations = [
            gxe.ExpectTableColumnsToMatchSet(column_set=[*columns, "_export_id", "_file", "_line"], exact_match=True),
            gxe.ExpectColumnValuesToNotBeNull(column="_line"),
            gxe.ExpectColumnValuesToBeUnique(column="_line"),
            gxe.ExpectColumnValuesToNotBeNull(column="_export_id"),
            gxe.ExpectColumnValuesToBeInSet(column="_file", value_set=[path]),
        ]
        if rows_expected is not None:
            expectations.append(gxe.ExpectTableRowCountToEqual(value=rows_expected))
        return expectations

    return build
