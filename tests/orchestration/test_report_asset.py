"""The report asset on a small warehouse: its data-quality section shows the run that built it, not
the failed refresh before it, and a check still to run says so."""

from __future__ import annotations

import re

import dagster as dg
import duckdb
import pandas as pd

from orchestration.assets.analysis import ANALYSIS_ASSETS, ANALYSIS_CHECKS
from orchestration.assets.report import PENDING, checks_pending_at_report_time, report_asset
from orchestration.check_history import CHECK_RESULTS_DDL
from tests.orchestration.test_analysis_assets import warehouse  # noqa: F401  (the fixture)

FAILED_RUN = "0b5e-earlier-failed-run"


def _seed_an_earlier_failed_run(database) -> None:  # noqa: ANN001
    with duckdb.connect(str(database)) as con:
        # Columns the report reads beyond what the analysis assets need (values do not matter here).
        for table, column, kind in (
            ("adsl", "STUDYID", "varchar default 'LENSIRT-01'"),
            ("adrs", "ADT", "date"),
            ("adrs", "ADY", "integer"),
            ("adtr", "TRT01P", "varchar"),
            ("adtr", "PCHG", "double"),
            ("adtr", "BESTFL", "varchar"),
        ):
            con.execute(f"alter table adam.{table} add column if not exists {column} {kind}")
        con.execute(CHECK_RESULTS_DDL)
        con.executemany(
            "insert into quality.check_results (run_id, export_id, asset_key, check_name, outcome, passed, severity, "
            "blocking, description, failing_rows) values (?, 'E0', ?, ?, ?, ?, ?, true, ?, ?)",
            [
                [
                    FAILED_RUN,
                    "adam/adae",
                    f"accepted_values_{i}",
                    "not evaluated",
                    None,
                    None,
                    "an upstream step failed before this check ran",
                    None,
                ]
                for i in range(200)
            ]
            + [
                [
                    FAILED_RUN,
                    "raw/edc_dm",
                    "quarantine_within_limit",
                    "failed",
                    False,
                    "ERROR",
                    "3 of 78 rows quarantined",
                    "edc/dm.csv line 3: ARM code_list (LEN+TACE)",
                ]
            ],
        )


def test_the_report_shows_the_checks_of_its_own_run(warehouse):  # noqa: F811
    _seed_an_earlier_failed_run(warehouse.paths.database)
    result = dg.materialize([*ANALYSIS_ASSETS, *ANALYSIS_CHECKS, report_asset], resources={"warehouse": warehouse})
    assert result.success
    run_checks = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    html = warehouse.paths.report.read_text(encoding="utf-8")
    section = html.split('id="quality">')[1].split("</section>")[0]
    assert f"Checks of this run: {len(run_checks)} (run {result.run_id}" in section
    assert FAILED_RUN not in section and "accepted_values" not in section and "edc/dm.csv" not in section
    counts = dict(re.findall(r"<td>(passed|failed|warning|not evaluated)</td><td class=\"num\">(\d+)</td>", section))
    (balance,) = run_checks.values()  # the one check in this selection: covariates_balanced, severity WARN
    ran_first = counts["not evaluated"] == "0"
    if ran_first:
        assert counts == {
            "passed": str(int(balance.passed)),
            "failed": "0",
            "warning": str(int(not balance.passed)),
            "not evaluated": "0",
        }
    else:  # the executor ran the check after the report: it is counted and said to be pending
        assert counts["not evaluated"] == "1" and PENDING in section
    # The earlier run's rows stay where they were; this run's rows are recorded too.
    with duckdb.connect(str(warehouse.paths.database), read_only=True) as con:
        runs = dict(con.execute("select run_id, count(*) from quality.check_results group by run_id").fetchall())
    assert runs == {FAILED_RUN: 201, result.run_id: 1}


def test_a_planned_check_without_a_result_at_report_time_is_pending_not_failed_upstream():
    checks = pd.DataFrame(
        {
            "outcome": ["passed", "not evaluated", "failed"],
            "description": ["ok", "an upstream step failed before this check ran", "3 rows"],
        }
    )
    marked = checks_pending_at_report_time(checks)
    assert marked.description.tolist() == ["ok", PENDING, "3 rows"]
    assert checks_pending_at_report_time(None) is None
