"""SDTM datasets as SAS XPORT (.xpt) load exactly like their CSV export."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from orchestration.loading.contract import SDTM_FILES
from orchestration.loading.readers import ExportError, read_csv, read_xport

PHARMAVERSE_SDTM = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "pharmaverse" / "sdtm"
pyreadstat = pytest.importorskip("pyreadstat")


@pytest.mark.skipif(not PHARMAVERSE_SDTM.exists(), reason="the pharmaverse reference is not beside the repository")
@pytest.mark.parametrize("domain", ["dm", "ae"])
def test_xpt_dataset_reads_like_its_csv(tmp_path, domain):
    spec = next(s for s in SDTM_FILES if s.domain == domain)
    csv_bytes = (PHARMAVERSE_SDTM / f"{domain}.csv").read_bytes()
    frame = pd.read_csv(PHARMAVERSE_SDTM / f"{domain}.csv", dtype=str, keep_default_na=False)
    frame = frame[[c for c in spec.column_names if c in frame.columns]].head(50)
    xpt = tmp_path / f"{domain}.xpt"
    pyreadstat.write_xport(frame, str(xpt), file_format_version=5, table_name=domain.upper())

    from_xpt = read_xport(spec, xpt.read_bytes(), f"sdtm/{domain}.xpt").table.to_pandas()
    from_csv = read_csv(spec, csv_bytes, f"sdtm/{domain}.csv").table.to_pandas().head(50)
    assert from_xpt["_line"].tolist() == list(range(2, 52))
    for column in frame.columns:
        assert from_xpt[column].tolist() == from_csv[column].tolist(), column


def test_a_file_that_is_not_xport_is_refused(tmp_path):
    spec = next(s for s in SDTM_FILES if s.domain == "dm")
    with pytest.raises(ExportError, match=r"sdtm/dm\.xpt: not a readable SAS XPORT file"):
        read_xport(spec, b"USUBJID,AGE\n01-701-1015,63\n", "sdtm/dm.xpt")
