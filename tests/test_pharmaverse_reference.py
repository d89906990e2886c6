"""The SDTM profile against the pharmaverse reference ADaM (issue 8), through the real refresh.

`warehouse refresh --export ../shared/reference/pharmaverse/sdtm --profile pharmaverse`, then a
subject-by-subject comparison of ADRS and ADTTE with adrs_onco.csv and adtte_onco.csv. Every
differing value must be a row of tests/reference/explained_differences.csv (reasons in
docs/pharmaverse_validation.md), and every row there must still differ: the list is exact.
"""

from __future__ import annotations

import os

import duckdb
import pytest

from orchestration.refresh import run_refresh
from orchestration.settings import WarehousePaths
from tests.reference.pharmaverse import REFERENCE, compared_values, differences, explained_differences

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (REFERENCE / "sdtm").is_dir(), reason="pharmaverse reference not present"),
]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    home = tmp_path_factory.mktemp("pharmaverse") / "warehouse"
    saved = {k: os.environ.get(k) for k in ("WAREHOUSE_HOME", "DAGSTER_HOME")}
    os.environ["WAREHOUSE_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    paths = WarehousePaths(home).ensure()
    outcome = run_refresh(paths, REFERENCE / "sdtm", profile="pharmaverse", progress=False)
    yield paths, outcome
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def test_refresh_publishes_the_cdisc_pilot(published):
    paths, outcome = published
    assert outcome.published, outcome.problems
    with duckdb.connect(str(paths.current_database), read_only=True) as con:
        assert con.execute("select count(*) from adam.adsl").fetchone() == (254,)
        arms = dict(con.execute("select TRT01P, count(*) from adam.adsl group by 1").fetchall())
        assert arms == {"Placebo": 86, "Xanomeline High Dose": 84, "Xanomeline Low Dose": 84}
        assert con.execute("select count(*) from quality.quarantine").fetchone() == (0,)
        assert con.execute("select bool_and(reconciled) from quality.row_reconciliation").fetchone() == (True,)


def test_every_difference_from_the_reference_is_explained(published):
    paths, _ = published
    values = compared_values(paths.current_database)
    found = differences(values)
    explained = explained_differences()
    key = ["USUBJID", "PARAMCD", "ITEM", "REFERENCE", "OURS"]
    assert found[key].values.tolist() == explained.sort_values(key[:3])[key].values.tolist()
    # The figure of the closing note: values compared, equal, explained.
    assert (len(values), int(values.EQUAL.sum()), len(explained)) == (4331, 3691, 640)


def test_response_parameters_match_for_every_randomised_subject(published):
    paths, _ = published
    values = compared_values(paths.current_database)
    explained = explained_differences()
    unexplained_response = values[(~values.EQUAL) & values.PARAMCD.isin(["BOR", "CBOR", "RSP", "CRSP", "CB", "CCB"])]
    assert set(unexplained_response.USUBJID) <= set(explained[explained.REASON == "SCREEN_FAILURE"].USUBJID)
    tte = values[values.PARAMCD.isin(["PFS", "RSD"])]
    assert tte.EQUAL.all()
    assert values[(values.PARAMCD == "OS") & (values.ITEM == "EVENT")].EQUAL.all()


def test_response_dates_match_the_reference(published):
    # Issue 14: RSP is dated at the first CR or PR (derive_param_response), not at the best
    # response. 01-701-1115: PR on 2013-01-11, CR on 2013-02-01.
    paths, _ = published
    values = compared_values(paths.current_database)
    dates = values[(values.ITEM == "ADT") & values.PARAMCD.isin(["BOR", "CBOR", "RSP", "CRSP", "CCB", "PD", "DEATH"])]
    assert len(dates) > 0 and dates.EQUAL.all()
    rsp = values[(values.USUBJID == "01-701-1115") & (values.ITEM == "ADT")].set_index("PARAMCD").OURS
    assert (rsp["RSP"], rsp["BOR"]) == ("2013-01-11", "2013-02-01")
    assert values[values.PARAMCD.isin(["PFS", "RSD"]) & (values.ITEM == "ADT")].EQUAL.all()


def test_the_sdtm_profile_publishes_the_same_submission_package(published):
    """The pharmaverse snapshot carries XPORT, Dataset-JSON and define.xml too: the files hold the
    tables, define.xml is valid and describes them, and no conformance finding blocks."""
    import json

    from orchestration.publishing.submission.spec import read_specification
    from tests.submission_roundtrip import (
        assert_define_describes_files,
        assert_define_valid,
        assert_package_matches_tables,
    )

    paths, _ = published
    folder = paths.current / "submission"
    with duckdb.connect(str(paths.current_database), read_only=True) as con:
        (parameters,) = con.execute("select parameters from audit.runs where outcome = 'published'").fetchall()[0]
        specification = read_specification(dbt_vars=json.loads(parameters))
        assert_package_matches_tables(con, folder, specification)
        failed = con.execute(
            "select rule_id, dataset, severity from quality.conformance where not passed order by all"
        ).fetchall()
    assert failed == [("HAS_RECORDS", "ADEX", "warning")]  # no exposure parameters from SDTM EX yet
    assert_define_valid(folder / "define.xml")
    assert_define_describes_files(folder)
    define = (folder / "define.xml").read_text(encoding="utf-8")
    # its own arms (the methods' text may still name LEN+SIRT)
    assert '<EnumeratedItem CodedValue="Xanomeline High Dose"' in define and 'CodedValue="LEN+SIRT"' not in define


def test_the_csr_tables_cover_the_three_arms_with_placebo_as_reference(published):
    """Issue 18: the SDTM profile gets the same catalogue, with its three arms, a Total column and
    the comparisons against Placebo."""
    from analysis.tlg.catalogue import CATALOGUE

    paths, _ = published
    arms = ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]
    with duckdb.connect(str(paths.current_database), read_only=True) as con:
        catalogue = con.execute("select TABLE_NAME, BIGN from reporting.tlg_catalogue order by CSR_ORDER").fetchall()
        assert [name for name, _ in catalogue] == [spec.name for spec in CATALOGUE]
        for name in ("tlg_dst01", "tlg_dmt01", "tlg_rspt01", "tlg_aet02"):
            columns = [c for c, _ in con.execute(f"select distinct COLUMN_LABEL, COLUMN_ORDER from reporting.{name} "
                                                 "order by COLUMN_ORDER").fetchall()]  # fmt: skip
            assert columns[:4] == [*arms, "Total"], name
        enrolled = con.execute(
            "select COLUMN_LABEL, VALUE from reporting.tlg_dst01 where ROW_LABEL = 'Enrolled'"
        ).fetchall()
        assert dict(enrolled) == {"Placebo": 86, "Xanomeline Low Dose": 84, "Xanomeline High Dose": 84, "Total": 254}
        # The comparison is the first arm that is not the reference (Xanomeline Low Dose) vs Placebo.
        compared = con.execute(
            "select distinct COLUMN_LABEL from reporting.tlg_rspt01 where STATISTIC = 'difference'"
        ).fetchall()
        assert compared == [("Xanomeline Low Dose",)]
        assert con.execute("select count(*) from reporting.tlg_ttet01_pfs").fetchone()[0] > 0
    tlf = sorted(p.name for p in (paths.current / "tlf").iterdir())
    assert all(f"{spec.file_stem}.rtf" in tlf for spec in CATALOGUE)


def test_an_sdtm_death_with_a_partial_or_missing_date_is_a_query_not_a_stop(tmp_path, monkeypatch):
    """SPEC 4 and 5: a partial death date is imputed and flagged, a death flag without a date is a
    data query; neither stops the refresh of an SDTM export."""
    import shutil

    import pandas as pd

    export = tmp_path / "sdtm"
    shutil.copytree(REFERENCE / "sdtm", export)
    dm = pd.read_csv(export / "dm.csv", dtype=str, keep_default_na=False)
    deaths = dm[dm.DTHFL == "Y"].USUBJID.tolist()
    partial, undated = deaths[0], deaths[1]
    dm.loc[dm.USUBJID == partial, "DTHDTC"] = dm.loc[dm.USUBJID == partial, "DTHDTC"].str[:7]  # YYYY-MM
    dm.loc[dm.USUBJID == undated, "DTHDTC"] = ""
    dm.to_csv(export / "dm.csv", index=False, quoting=1)
    home = tmp_path / "warehouse"
    monkeypatch.setenv("WAREHOUSE_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    paths = WarehousePaths(home).ensure()
    outcome = run_refresh(paths, export, profile="pharmaverse", progress=False)
    assert outcome.published, outcome.problems
    with duckdb.connect(str(paths.current_database), read_only=True) as con:
        adsl = dict(
            (row[0], row[1:])
            for row in con.execute(
                "select USUBJID, strftime(DTHDT, '%Y-%m'), DTHDTF from adam.adsl where USUBJID in (?, ?)",
                [partial, undated],
            ).fetchall()
        )
        queries = {
            (subject, rule)
            for subject, rule in con.execute("select USUBJID, RULE from quality.data_queries").fetchall()
            if subject in (partial, undated)
        }
    month = dm.loc[dm.USUBJID == partial, "DTHDTC"].iloc[0]
    if partial in adsl:  # a randomised patient
        assert adsl[partial] == (month, "D")
        assert (partial, "DEATH_DATE_PARTIAL") in queries
    if undated in adsl:
        assert (undated, "DEATH_FLAG_DATE_INCONSISTENT") in queries
    assert partial in adsl or undated in adsl
