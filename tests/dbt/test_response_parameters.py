"""The blocking data tests of the response models read the same study parameters as the rules (issue 14).

With `bor_requires_baseline: false` (an SDTM study without baseline tumour assessments, as the
pharmaverse profile) BOR / CBOR are derived from the post-baseline assessments alone; the data
tests of int_response_best used to assert the LEN+SIRT rule (no baseline: undated NE) and so
stopped the refresh. The tiny export of test_dbt_project has such a patient (101-002: one scan,
no baseline scan).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml
from dbt.cli.main import dbtRunner

from orchestration.loading.contract import DBT_PROJECT_DIR
from tests.dbt.test_dbt_project import EXPORT_DATE, EXPORT_ID, QUARANTINE, ROWS, create_raw_tables, failures


def build_response_models(home: Path, study_vars: dict) -> None:
    project = str(DBT_PROJECT_DIR)
    common = [
        "--project-dir",
        project,
        "--profiles-dir",
        project,
        "--target-path",
        str(home / "target"),
        "--log-path",
        str(home / "logs"),
        "--vars",
        yaml.safe_dump({"export_id": EXPORT_ID, "export_date": EXPORT_DATE, **study_vars}),
    ]
    for command in (
        ["seed"],
        [
            "build",
            "--select",
            "+int_response_best",
            "--indirect-selection",
            "cautious",
            "--exclude-resource-type",
            "unit_test",
        ],
    ):
        result = dbtRunner().invoke([*command, *common])
        assert result.success, failures(result)


@pytest.mark.parametrize(
    "study_vars",
    [
        {"bor_requires_baseline": False},
        {"bor_requires_baseline": False, "missing_as_ne": True, "assessments_on_start_date": True},
    ],
    ids=["no baseline rule", "admiralonco options"],
)
def test_response_data_tests_pass_without_the_baseline_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, study_vars: dict
):
    monkeypatch.setenv("WAREHOUSE_HOME", str(tmp_path))
    create_raw_tables(tmp_path / "warehouse.duckdb", ROWS, QUARANTINE)
    build_response_models(tmp_path, study_vars)  # data tests of int_response_best included
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        rows = dict(
            con.execute(
                "select USUBJID, (BOR, BORDT is not null, ASSESSMENTS) from intermediate.int_response_best"
            ).fetchall()
        )
    # 101-002: no baseline, one counted scan: judged on that scan and dated (not the undated NE of SPEC 5).
    bor, dated, assessments = rows["LENSIRT-101-002"]
    assert assessments == 1 and dated and bor != "MISSING"
    # 102-002: never treated, nothing counted: MISSING, or NE with missing_as_ne; undated either way.
    expected = "NE" if study_vars.get("missing_as_ne") else "MISSING"
    assert rows["LENSIRT-102-002"] == (expected, False, 0)
