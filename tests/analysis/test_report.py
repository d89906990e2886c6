"""The HTML report builder on small hand-made tables: every section, missing tables, escaping."""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest

from analysis.plots import WATERFALL_MAX_BARS, waterfall
from analysis.report import SECTIONS, TABLES, ReportData, build_report, read_report_data
from tests.analysis.report_frames import PROVENANCE, sample_report_data, sample_tables

SECTION_KEYS = [key for key, _, _ in SECTIONS]


@pytest.fixture(scope="module")
def full_report():
    return build_report(sample_report_data())


def test_every_section_renders_from_the_interface_tables(full_report):
    assert full_report.sections_rendered == SECTION_KEYS
    assert full_report.sections_missing == [] and full_report.sections_failed == []
    for key in SECTION_KEYS:
        assert f'<section class="report" id="{key}">' in full_report.html
    assert "Not available in this snapshot" not in full_report.html


def test_header_carries_the_provenance(full_report):
    header = full_report.html.split("</header>")[0]
    for value in (PROVENANCE.study, PROVENANCE.export_id, PROVENANCE.data_cutoff, PROVENANCE.code_version,
                  PROVENANCE.run_id, PROVENANCE.generated_at):
        assert value in header


def test_the_file_is_self_contained(full_report):
    html = full_report.html
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert html.count("<style>") == 1


def test_every_plot_has_a_size(full_report):
    svgs = re.findall(r"<svg[^>]*>", full_report.html)
    assert len(svgs) == 1 + 1 + 3 + 1 + 1  # waterfall, swimmer, KM x3, forest, balance
    for tag in svgs:
        width, height = re.search(r'width="(\d+)"', tag), re.search(r'height="(\d+)"', tag)
        assert width and height and int(width.group(1)) > 300 and int(height.group(1)) > 150
        assert "viewBox" in tag


def test_tables_show_the_numbers(full_report):
    html = full_report.html
    assert "6/12 (50.0 %)" in html  # ORR LEN+SIRT
    assert "25.0 (-5.0–53.0)" in html and "p = 0.035" in html  # unadjusted difference
    assert "64 (57-71)" in html and "0.21" in html  # baseline display and SMD
    assert "Hypertension" in html and "Grade &gt;= 3 TEAE" in html
    assert "Lenvatinib duration (months)" in html and "5 (41.7 %)" in html
    assert "invalid_date" in html and "AE_END_BEFORE_START" in html
    assert "1 scan(s)" in html  # response discrepancies
    assert "NR" in html  # a median not reached


def test_text_from_the_data_is_escaped(full_report):
    assert "Nausea &amp; vomiting" in full_report.html
    assert "Nausea & vomiting" not in full_report.html


def test_unbalanced_covariates_are_named(full_report):
    assert "IPTW did not balance MVIFL" in full_report.html


def test_balanced_covariates_say_so():
    data = sample_report_data()
    data.tables["balance"] = data.tables["balance"].assign(SMD_IPTW=0.02)
    html = build_report(data).html
    assert "IPTW balanced every covariate" in html and "did not balance" not in html


@pytest.mark.parametrize(
    ("missing", "section"),
    [
        (("baseline_characteristics",), "baseline"),
        (("response_rates",), "response"),
        (("adtr",), "waterfall"),
        (("adrs",), "swimmer"),
        (("km_curves",), "survival"),
        (("tte_comparisons", "response_differences"), "forest"),
        (("balance",), "balance"),
        (("ae_overview", "ae_by_soc_pt"), "adverse_events"),
        (("exposure_summary",), "exposure"),
    ],
)
def test_a_missing_table_gives_a_notice_not_a_crash(missing, section):
    report = build_report(sample_report_data(missing=missing))
    assert section in report.sections_missing
    assert report.sections_failed == []
    body = report.html.split(f'id="{section}">')[1].split("</section>")[0]
    assert "Not available in this snapshot" in body
    for name in missing:
        assert ".".join(TABLES[name]) in body


def test_partly_missing_tables_keep_the_rest_of_a_section():
    report = build_report(sample_report_data(missing=("response_differences", "tte_summary", "quarantine")))
    assert "response" in report.sections_rendered and "survival" in report.sections_rendered
    assert "reporting.response_differences" in report.html and "reporting.tte_summary" in report.html
    assert "quality.quarantine" in report.html


def test_an_empty_warehouse_still_gives_a_report():
    data = ReportData(PROVENANCE, {name: None for name in TABLES})
    report = build_report(data)
    assert report.sections_rendered == [] and report.sections_missing == SECTION_KEYS
    assert PROVENANCE.export_id in report.html


def test_a_section_that_breaks_is_reported_and_the_rest_renders():
    data = sample_report_data()
    data.tables["exposure_summary"] = pd.DataFrame({"unexpected": [1]})
    report = build_report(data)
    assert report.sections_failed == ["exposure"]
    assert "could not be drawn" in report.html
    assert "baseline" in report.sections_rendered


def test_read_report_data_reads_what_exists_and_this_exports_quarantine():
    tables = sample_tables()
    con = duckdb.connect()
    for schema in ("adam", "reporting", "quality"):
        con.execute(f"create schema {schema}")
    con.register("frame", tables["response_rates"])
    con.execute("create table reporting.response_rates as select * from frame")
    quarantine = pd.concat([tables["quarantine"], tables["quarantine"].assign(export_id="OLDER")])
    con.register("frame", quarantine)
    con.execute("create table quality.quarantine as select * from frame")
    data = read_report_data(con, PROVENANCE)
    assert len(data.get("response_rates")) == len(tables["response_rates"])
    assert set(data.get("quarantine").export_id) == {PROVENANCE.export_id}
    assert data.get("km_curves") is None and data.get("adsl") is None


@pytest.mark.parametrize(("patients", "drawn"), [(WATERFALL_MAX_BARS, None), (WATERFALL_MAX_BARS + 1, WATERFALL_MAX_BARS)])
def test_a_large_waterfall_draws_evenly_spaced_ranks_and_says_so(patients, drawn):
    best = pd.DataFrame({"TRT01P": "LEN", "PCHG": [100 - 200 * i / patients for i in range(patients)], "CBOR": "SD"})
    svg = str(waterfall(best, ["LEN"], {"LEN": "#000"}))
    title = f"LEN (n = {patients:,}" + (f"; {drawn:,} evenly spaced ranks drawn)" if drawn else ")")
    assert title in svg
