"""The XPORT v5 writer of the submission package (orchestration/publishing/submission/xport.py)
writes the files pyreadstat writes, byte for byte."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from orchestration.publishing.submission import xport

pyreadstat = pytest.importorskip("pyreadstat")


@pytest.mark.parametrize(
    ("value", "word"),
    [
        (1.0, 0x4110000000000000),
        (-118.625, 0xC276A00000000000),  # the worked example of IBM's System/370 reference
        (0.0, 0),
        (0.1, 0x401999999999999A),  # IEEE's 53 bits of 0.1, exactly, under exponent 16^0
        (np.nan, 0x2E00000000000000),  # SAS missing
    ],
)
def test_ibm_doubles(value, word):
    assert int(xport.ibm_doubles(np.array([value]))[0]) == word


def _write_frame(
    frame: pd.DataFrame, target: Path, *, labels: dict[str, str], formats: dict[str, str], **header
) -> None:
    """A frame as pyreadstat takes it (float64 columns numeric, the others text, str() of what is
    not text, the longest value's bytes as a text variable's length) through the writer."""
    numeric = {name: frame[name].dtype.kind == "f" for name in frame.columns}
    arrays, variables = [], []
    for name in frame.columns:
        if numeric[name]:
            values = pa.array(frame[name].to_numpy(dtype="float64", na_value=np.nan))
            length = 8
        else:
            try:
                values = pa.array(frame[name], type=pa.large_string(), from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                values = pa.array(frame[name].map(str), type=pa.large_string())
            length = max(int((pc.max(pc.binary_length(values)).as_py() if len(values) else 0) or 0), 1)
        arrays.append(values)
        variables.append(xport.XportVariable(name, labels.get(name, ""), length, numeric[name], formats.get(name)))
    with xport.XportWriter(target, variables, **header) as writer:
        writer.write(arrays)


def _timestamps_blanked(data: bytes) -> bytes:
    blanked = bytearray(data)
    for record, start in ((1, 64), (2, 0), (5, 64), (6, 0)):
        blanked[record * 80 + start : record * 80 + start + 16] = b"X" * 16
    return bytes(blanked)


def _frame(rows: int) -> pd.DataFrame:
    generator = np.random.default_rng(7)
    numbers = generator.normal(0, 1e3, rows)
    numbers[::7] = np.nan
    numbers[1::11] = 0.0
    numbers[2::13] = -generator.uniform(1e-8, 1e-3, len(numbers[2::13]))
    days = generator.integers(-5000, 30000, rows).astype("float64")
    days[::5] = np.nan
    words = np.array(["CR", "PR", "", "Ménétrier", "LEN+SIRT", "progressive disease, new lesion"], dtype=object)
    return pd.DataFrame(
        {
            "USUBJID": [f"LENSIRT-{i:05d}" for i in range(rows)],
            "AVAL": numbers,
            "ADT": days,
            "AVALC": words[generator.integers(0, len(words), rows)],
            "CNSR": generator.integers(0, 2, rows).astype("float64"),
            "EMPTY": [""] * rows,
        }
    )


@pytest.mark.parametrize("rows", [0, 1, 3, 1000])
def test_the_file_is_pyreadstats_byte_for_byte(tmp_path: Path, rows: int):
    frame = _frame(rows)
    labels = {"USUBJID": "Unique Subject Identifier", "AVAL": "Analysis Value", "ADT": "Analysis Date"}
    formats = {"ADT": "DATE9."}
    pyreadstat.write_xport(
        frame,
        str(tmp_path / "theirs.xpt"),
        file_label="Response Analysis Dataset",
        column_labels=labels,
        table_name="ADRS",
        file_format_version=5,
        variable_format=formats,
    )
    _write_frame(
        frame,
        tmp_path / "ours.xpt",
        labels=labels,
        formats=formats,
        table_name="ADRS",
        file_label="Response Analysis Dataset",
        created=datetime(2026, 12, 3, 7, 0, 0),
    )
    ours, theirs = (tmp_path / "ours.xpt").read_bytes(), (tmp_path / "theirs.xpt").read_bytes()
    assert _timestamps_blanked(ours) == _timestamps_blanked(theirs)
    back, meta = pyreadstat.read_xport(str(tmp_path / "ours.xpt"))
    assert meta.table_name == "ADRS" and meta.column_names_to_labels["AVAL"] == "Analysis Value"
    assert back["USUBJID"].tolist() == frame["USUBJID"].tolist()
    assert np.allclose(back["AVAL"].to_numpy(dtype=float), frame["AVAL"].to_numpy(), equal_nan=True, rtol=1e-15)


def test_text_longer_than_xport_allows_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="longer than 200 bytes"):
        _write_frame(
            pd.DataFrame({"AETERM": ["x" * 201]}),
            tmp_path / "ae.xpt",
            labels={},
            formats={},
            table_name="ADAE",
            file_label="",
        )
