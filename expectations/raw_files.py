"""Suite for every raw file: the shape ingest promises to staging, whatever the file."""

from __future__ import annotations

from typing import Any

from orchestration.contract import InputFile


def suite(spec: InputFile, rows_expected: int | None = None, path: str | None = None) -> Any:
    """Lineage columns complete and unique, contract columns present, SUBJID always filled."""

    def build(gxe: Any) -> list[Any]:
        expectations = [
            gxe.ExpectTableColumnsToMatchSet(
                column_set=[*spec.column_names, "_export_id", "_file", "_line"], exact_match=True
            ),
            gxe.ExpectColumnValuesToNotBeNull(column="_line"),
            gxe.ExpectColumnValuesToBeUnique(column="_line"),
            gxe.ExpectColumnValuesToNotBeNull(column="_export_id"),
            gxe.ExpectColumnValuesToBeInSet(column="_file", value_set=[path or spec.path]),
        ]
        if rows_expected is not None:
            expectations.append(gxe.ExpectTableRowCountToEqual(value=rows_expected))
        return expectations

    return build
