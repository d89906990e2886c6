"""The HTML report builder on small hand-made tables: every section, missing tables, escaping."""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest

from analysis.plots import WATERFALL_MAX_BARS, waterfall
from analysis.report import (
    CHECKS_SHOWN,
    SECTIONS,
    TABLES,
    ReportData,
    build_report,
    check_outcome,
    failing_rows_in_words,
)
from orchestration.assets.report import read_report_data
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
    for value in (
        PROVENANCE.study,
        PROVENANCE.export_id,
        PROVENANCE.data_cutoff,
        PROVENANCE.code_version,
        PROVENANCE.run_id,
        PROVENANCE.generated_at,
    ):
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
    # The CSR tables of tests/analysis/tlg_study.py (their figures are pinned in test_tlg.py).
    assert "Responders (ORR)" in html and "(4.3, 77.7)" in html  # ORR, Total column's exact CI
    assert "55.0 (7.1)" in html and "0.12" in html  # age mean (SD) and SMD
    assert "Hypertension" in html and "Grade &gt;= 3 TEAE" in html and "Grade 1-2" in html
    assert "Lenvatinib Duration of Treatment (days)" in html and "12.5 - 17.5" in html
    assert "invalid_date" in html and "AE_END_BEFORE_START" in html
    assert "1 scan(s)" in html  # response discrepancies
    assert "NR" in html  # a median not reached


def test_the_csr_tables_appear_numbered_and_in_csr_order(full_report):
    from analysis.tlg.catalogue import CATALOGUE

    html = full_report.html
    positions = [
        html.find(f"{'Listing' if spec.kind == 'listing' else 'Table'} {spec.number} ({spec.code})")
        for spec in CATALOGUE
    ]
    assert -1 not in positions and positions == sorted(positions)
    assert "Full analysis set (FASFL = Y), by planned arm (TRT01P) (N = 6)" in html  # population and its N
    assert "Percentages of the arm&#39;s enrolled patients" in html  # a footnote from the catalogue
    assert html.find("Figure 14.2.5.") < html.find("Figure 14.2.6.") < html.find("Figure 14.2.9.")


def test_text_from_the_data_is_escaped():
    data = sample_report_data()
    aet02 = data.tables["tlg_aet02"]
    data.tables["tlg_aet02"] = aet02.assign(ROW_LABEL=aet02.ROW_LABEL.replace("Fatigue", "Nausea & <vomiting>"))
    html = build_report(data).html
    assert "Nausea &amp; &lt;vomiting&gt;" in html
    assert "Nausea & <vomiting>" not in html


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
        (("tlg_dst01",), "disposition"),
        (("tlg_dmt01",), "baseline"),
        (("tlg_rspt01",), "response"),
        (("adtr",), "waterfall"),
        (("adrs",), "swimmer"),
        (("km_curves",), "survival"),
        (("tte_comparisons", "response_differences"), "forest"),
        (("balance",), "balance"),
        (("tlg_aet01", "tlg_aet02", "tlg_aet04", "tlg_ael_serious", "tlg_ael_fatal"), "adverse_events"),
        (("tlg_ext01",), "exposure"),
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
    report = build_report(sample_report_data(missing=("tlg_ttet01_os", "tte_comparisons", "quarantine")))
    assert "response" in report.sections_rendered and "survival" in report.sections_rendered
    assert "reporting.tlg_ttet01_os" in report.html and "reporting.tte_comparisons" in report.html
    assert "Table 14.2.2 (TTET01)" in report.html
    assert "quality.quarantine" in report.html


def test_an_empty_warehouse_still_gives_a_report():
    data = ReportData(PROVENANCE, {name: None for name in TABLES})
    report = build_report(data)
    assert report.sections_rendered == [] and report.sections_missing == SECTION_KEYS
    assert PROVENANCE.export_id in report.html


def test_a_section_that_breaks_is_reported_and_the_rest_renders():
    data = sample_report_data()
    data.tables["tlg_ext01"] = pd.DataFrame({"unexpected": [1]})
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


@pytest.mark.parametrize(
    ("patients", "drawn"), [(WATERFALL_MAX_BARS, None), (WATERFALL_MAX_BARS + 1, WATERFALL_MAX_BARS)]
)
def test_a_large_waterfall_draws_evenly_spaced_ranks_and_says_so(patients, drawn):
    best = pd.DataFrame({"TRT01P": "LEN", "PCHG": [100 - 200 * i / patients for i in range(patients)], "CBOR": "SD"})
    svg = str(waterfall(best, ["LEN"], {"LEN": "#000"}))
    title = f"LEN (n = {patients:,}" + (f"; {drawn:,} evenly spaced ranks drawn)" if drawn else ")")
    assert title in svg


# --- data quality: this run's checks only -----------------------------------------------------------

OTHER_RUN = "ea5a4306-failed-run"
WARNING = (
    "9 covariate(s) with |SMD| >= 0.1 after weighting: Age, years, ECOG 0, ECOG 2, Child-Pugh A6, "
    "Child-Pugh B7, BCLC B, BCLC C, AFP >= 400 ng/mL, Macrovascular invasion"
)


def _check(
    run_id: str,
    asset: str,
    name: str,
    outcome: str,
    severity: str | None = "ERROR",
    description: str | None = None,
    failing_rows: str | None = None,
    blocking: bool | None = True,
) -> dict:
    return dict(
        run_id=run_id,
        export_id="E",
        asset_key=asset,
        check_name=name,
        outcome=outcome,
        passed=None if outcome == "not evaluated" else outcome == "passed",
        severity=severity,
        blocking=blocking,
        description=description,
        failing_rows=failing_rows,
        evaluated_at=None,
    )


def _two_runs() -> pd.DataFrame:
    """A failed refresh of another export (many checks never ran, a few failed with long row lists),
    then this report's run: every check passed but one non-blocking warning."""
    failed = [
        _check(
            OTHER_RUN,
            f"adam/adae_{i // 40}",
            f"accepted_values_adae_AESER__Y__N_{i}",
            "not evaluated",
            None,
            "an upstream step failed before this check ran",
        )
        for i in range(1514)
    ]
    failed += [
        _check(
            OTHER_RUN,
            "raw/edc_dm",
            f"quarantine_within_limit_{i}",
            "failed",
            "ERROR",
            "3 of 78 rows quarantined",
            "; ".join(f"line {n}: ARM code_list (LEN+TACE) NaT <NA>" for n in range(60)),
        )
        for i in range(5)
    ]
    passed = [_check(PROVENANCE.run_id, f"staging/stg_{i // 50}", f"not_null_{i}", "passed") for i in range(518)]
    passed.append(
        _check(PROVENANCE.run_id, "reporting/balance", "covariates_balanced", "failed", "WARN", WARNING, None, False)
    )
    return pd.DataFrame(failed + passed)


def _quality_section(html: str) -> str:
    return html.split('id="quality">')[1].split("</section>")[0]


def _outcome_counts(section: str) -> dict[str, int]:
    return {
        name: int(count.replace(",", ""))
        for name, count in re.findall(
            r"<tr[^>]*><td>(passed|failed|warning|not evaluated)</td><td class=\"num\">([\d,]+)</td></tr>", section
        )
    }


@pytest.fixture(scope="module")
def two_runs_report():
    from orchestration.check_history import CHECK_RESULTS_DDL

    con = duckdb.connect()
    con.execute(CHECK_RESULTS_DDL)
    con.register("frame", _two_runs())
    con.execute("insert into quality.check_results select * from frame")
    data = sample_report_data()
    data.tables["check_results"] = read_report_data(con, PROVENANCE).get("check_results")
    return _quality_section(build_report(data).html)


def test_quality_section_counts_only_this_runs_checks_with_warnings_apart(two_runs_report):
    assert _outcome_counts(two_runs_report) == {"passed": 518, "failed": 0, "warning": 1, "not evaluated": 0}
    assert "Checks of this run: 519" in two_runs_report and PROVENANCE.run_id in two_runs_report


def test_quality_section_has_no_trace_of_the_other_run(two_runs_report):
    for text in (
        OTHER_RUN,
        "accepted_values_adae",
        "quarantine_within_limit",
        "upstream step failed",
        "NaT",
        "&lt;NA&gt;",
        "Not passed:",
    ):
        assert text not in two_runs_report


def test_checks_that_did_not_pass_are_a_table_in_words(two_runs_report):
    table = two_runs_report.split("Checks of this run that did not pass: 1")[1]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("</table>")[0], re.S)
    header = re.findall(r"<th[^>]*>(.*?)</th>", rows[0])
    assert header == ["Asset", "Check", "Severity", "Outcome", "Description", "Failing rows"]
    assert '<tr class="warning"><td>reporting/balance</td>' in table
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rows[1], re.S)
    assert cells == [
        "reporting/balance",
        "covariates_balanced",
        "WARN",
        "warning",
        WARNING.replace("&", "&amp;").replace(">", "&gt;"),
        "–",
    ]
    assert len(rows) == 2


def test_only_the_reports_run_is_read_from_check_results():
    from orchestration.check_history import CHECK_RESULTS_DDL

    con = duckdb.connect()
    con.execute(CHECK_RESULTS_DDL)
    con.register("frame", _two_runs())
    con.execute("insert into quality.check_results select * from frame")
    checks = read_report_data(con, PROVENANCE).get("check_results")
    assert set(checks.run_id) == {PROVENANCE.run_id} and len(checks) == 519


@pytest.mark.parametrize(
    ("outcome", "severity", "expected"),
    [
        ("failed", "WARN", "warning"),
        ("failed", "ERROR", "failed"),
        ("failed", None, "failed"),
        ("passed", "WARN", "passed"),
        ("passed", "ERROR", "passed"),
        ("not evaluated", None, "not evaluated"),
    ],
)
def test_a_check_that_did_not_pass_at_severity_warn_is_a_warning(outcome, severity, expected):
    assert check_outcome(outcome, severity) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "–"),
        ("none", "–"),
        # dbt: the total comes first; 10 rows are listed, 3 shown, the rest counted from the total
        (
            "25 failing rows: " + "; ".join(f"USUBJID=LENSIRT-{i:03d}, PARAMCD=PFS" for i in range(10)) + " …",
            "25 failing rows: USUBJID=LENSIRT-000, PARAMCD=PFS; USUBJID=LENSIRT-001, PARAMCD=PFS; "
            "USUBJID=LENSIRT-002, PARAMCD=PFS; and 22 more",
        ),
        ("1 failing row: USUBJID=LENSIRT-007, PARAMCD=OS", "1 failing row: USUBJID=LENSIRT-007, PARAMCD=OS"),
        ("4 failing rows returned by test.lensirt.not_null_adsl_TRTSDT", "4 failing rows"),
        # ingest: lines, then how many more lines it left out
        (
            "edc/dm.csv line 3: ARM code_list (LEN+TACE); line 5: AGE out_of_range (150); line 9: SEX code_list (X); "
            "line 12: AGE out_of_range (-1); and 12 more lines",
            "edc/dm.csv line 3: ARM code_list (LEN+TACE); line 5: AGE out_of_range (150); line 9: SEX code_list (X); and 13 more",
        ),
        # exactly as many as shown: nothing more
        ("line 1: a; line 2: b; line 3: c", "line 1: a; line 2: b; line 3: c"),
        ("line 1: a; line 2: b; line 3: c; line 4: d", "line 1: a; line 2: b; line 3: c; and 1 more"),
        # Great Expectations: one markdown bullet per failed expectation
        (
            "- `expect_column_values_to_not_be_null` on USUBJID: 2 unexpected\n- `expect_table_row_count_to_equal` on table: 77",
            "expect_column_values_to_not_be_null on USUBJID: 2 unexpected; expect_table_row_count_to_equal on table: 77",
        ),
    ],
)
def test_failing_rows_are_named_and_the_rest_counted(text, expected):
    assert failing_rows_in_words(text) == expected


def test_a_long_failing_row_is_cut_at_a_word():
    words = failing_rows_in_words("line 3: " + "value " * 60)
    assert words.endswith(" …") and len(words) <= 142 and "valu …" not in words


def test_many_checks_that_did_not_pass_are_trimmed_with_a_count():
    frame = pd.DataFrame(
        [
            _check(PROVENANCE.run_id, "adam/adsl", f"check_{i:02d}", "failed", description="d " * 400)
            for i in range(CHECKS_SHOWN + 5)
        ]
    )
    section = _quality_section(build_report(ReportData(PROVENANCE, {**sample_tables(), "check_results": frame})).html)
    table = section.split("Checks of this run that did not pass:")[1].split("</table>")[0]
    assert table.count("<tr") == CHECKS_SHOWN + 1
    assert "5 more not shown" in section and "check_00" in table and f"check_{CHECKS_SHOWN:02d}" not in table
    assert len(section) < 40_000


def test_a_run_without_recorded_checks_says_so():
    frame = _two_runs()
    frame = frame[frame.run_id == OTHER_RUN].iloc[0:0]
    section = _quality_section(build_report(ReportData(PROVENANCE, {**sample_tables(), "check_results": frame})).html)
    assert f"No check result is recorded for this run ({PROVENANCE.run_id})" in section


def test_all_checks_passed_says_so():
    frame = _two_runs()
    frame = frame[(frame.run_id == PROVENANCE.run_id) & (frame.outcome == "passed")]
    section = _quality_section(build_report(ReportData(PROVENANCE, {**sample_tables(), "check_results": frame})).html)
    assert "All 518 checks of this run passed." in section and "Checks of this run that did not pass" not in section


# --- populations: each N says whom it counts ---------------------------------------------------------


def test_each_n_names_its_population_and_arm_variable():
    html = build_report(ReportData(PROVENANCE, sample_tables())).html
    # tests/analysis/tlg_study.py: 6 enrolled (3 / 3), all in the FAS, 5 treated (2 / 3).
    enrolled = "All enrolled patients, by planned arm (TRT01P) (N = 6)"
    fas = "Full analysis set (FASFL = Y), by planned arm (TRT01P) (N = 6)"
    safety = "Safety population (SAFFL = Y), by actual treatment (TRT01A) (N = 5)"
    for section, label, times in (
        ("disposition", enrolled, 1),
        ("baseline", fas, 1),
        ("response", fas, 1),
        ("survival", fas, 3),
        ("exposure", safety, 1),
        ("adverse_events", safety, 5),
    ):
        body = html.split(f'id="{section}">')[1].split("</section>")[0]
        assert body.count(label) == times, section
    baseline = html.split('id="baseline">')[1].split("</section>")[0]
    assert "LEN+SIRT<br>(N=3)" in baseline or "LEN+SIRT\n(N=3)" in baseline
    survival = html.split('id="survival">')[1].split("</section>")[0]
    assert "Patients with a confirmed response (CRSP = Y)" in survival  # DOR's own population
    assert "Confirmed responders (CRSP = Y) of the full analysis set" in survival


@pytest.mark.parametrize(("blocking", "shown"), [(True, "ERROR, blocking"), (False, "ERROR"), (None, "ERROR")])
def test_severity_says_whether_the_check_blocks_publishing(blocking, shown):
    con = duckdb.connect()
    from orchestration.check_history import CHECK_RESULTS_DDL

    con.execute(CHECK_RESULTS_DDL)  # read back through DuckDB: a nullable boolean column
    con.execute(
        "insert into quality.check_results (run_id, asset_key, check_name, outcome, passed, severity, blocking) "
        "values (?, 'adam/adsl', 'great_expectations', 'failed', false, 'ERROR', ?)",
        [PROVENANCE.run_id, blocking],
    )
    checks = read_report_data(con, PROVENANCE).get("check_results")
    section = _quality_section(build_report(ReportData(PROVENANCE, {**sample_tables(), "check_results": checks})).html)
    assert f"<td>great_expectations</td><td>{shown}</td><td>failed</td>" in section


def test_a_long_listing_shows_its_first_events_and_says_where_the_rest_are(monkeypatch):
    import analysis.report as report

    data = sample_report_data()
    monkeypatch.setattr(report, "LISTING_ROWS_SHOWN", 1)
    html = build_report(data).html
    body = html.split('id="adverse_events">')[1].split("</section>")[0]
    assert "The first 1 of 2 events; every event is in reporting.tlg_ael_serious." in body
