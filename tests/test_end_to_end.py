"""End to end: generated exports through the real Dagster job, dbt and publishing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from orchestration.publishing.snapshot import current_snapshot
from orchestration.refresh import run_refresh
from orchestration.synthetic.generator import Messiness, generate_export
from tests.builders import clean_rows, csv_bytes, write_export

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def published(demo_warehouse_copy):
    """A warehouse whose first refresh published the 78-patient messy demo export (a copy of the
    session's demo warehouse: the tests below refresh again into it)."""
    return demo_warehouse_copy


def query(database: Path, sql: str):
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_refresh_publishes_a_snapshot(published):
    paths, export, outcome = published
    assert outcome.published, outcome.problems
    snapshot = current_snapshot(paths)
    assert snapshot == outcome.snapshot and snapshot.parent == paths.snapshots
    database = paths.current_database
    assert query(database, "select count(*) from adam.adsl") == [(78,)]
    assert query(database, "select count(distinct TRT01P) from adam.adsl") == [(2,)]
    assert (snapshot / "parquet" / "adam" / "adsl.parquet").exists()
    manifest = json.loads((snapshot / "snapshot.json").read_text())
    assert manifest["export_id"] == export.export_id
    assert query(database, "select outcome, snapshot from audit.runs") == [("published", snapshot.name)]
    # the run values' table was named to dbt's run only: nothing leaks into a later dbt call of this process
    assert "WAREHOUSE_RUN_VALUES" not in os.environ


# What the generator intends (SPEC section 8), widened for 39 patients per arm.
DEMO_RANGES = {
    ("CRSP", "LEN+SIRT"): (0.40, 0.60),
    ("CRSP", "LEN"): (0.20, 0.40),
    ("PFS", "LEN+SIRT"): (7, 12),
    ("PFS", "LEN"): (4, 8),
    ("OS", "LEN+SIRT"): (15, 24),
    ("OS", "LEN"): (10, 18),
}


def test_demo_endpoints_lie_within_the_generators_intended_ranges(published):
    import pandas as pd

    from analysis.survival import kaplan_meier_summary

    paths, _, _ = published
    database = paths.current_database
    for (paramcd, arm), (low, high) in DEMO_RANGES.items():
        if paramcd == "CRSP":
            (rate,) = query(
                database,
                f"select avg((AVALC = 'Y')::int) from adam.adrs join adam.adsl using (USUBJID) "
                f"where PARAMCD = 'CRSP' and adsl.TRT01P = '{arm}'",
            )[0]
            assert low <= rate <= high, (paramcd, arm, rate)
        else:
            rows = query(
                database,
                f"select AVAL / 30.4375, CNSR = 0 from adam.adtte join adam.adsl using (USUBJID) "
                f"where PARAMCD = '{paramcd}' and adsl.TRT01P = '{arm}'",
            )
            frame = pd.DataFrame(rows, columns=["months", "event"])
            median = kaplan_meier_summary(frame.months, frame.event).median
            assert low <= median <= high, (paramcd, arm, median)


def test_the_report_is_published_with_its_snapshot(published):
    paths, export, outcome = published
    snapshot = current_snapshot(paths)
    report = (snapshot / "report.html").read_text(encoding="utf-8")
    assert (paths.current / "report.html").exists()
    assert export.export_id in report and "2025" in report
    assert 'id="waterfall"' in report and "<svg" in report
    assert "report.html" in json.loads((snapshot / "snapshot.json").read_text())["files"]
    # Its data-quality section counts the checks of the run that published it, as the snapshot has them.
    with duckdb.connect(str(paths.current_database), read_only=True) as con:
        checks, warnings = con.execute(
            "select count(*), count(*) filter (outcome = 'failed' and severity = 'WARN') "
            "from quality.check_results where run_id = ?",
            [outcome.run_id],
        ).fetchone()
    assert f"Checks of this run: {checks} (run {outcome.run_id}" in report
    assert f'<td>warning</td><td class="num">{warnings}</td>' in report


def test_every_row_is_staged_or_quarantined(published):
    paths, export, _ = published
    rows = query(
        paths.current_database,
        "select file, raw_rows, staged_rows, quarantined_rows, reconciled from quality.row_reconciliation",
    )
    assert len(rows) == 8
    for file, raw_rows, staged, quarantined, reconciled in rows:
        assert reconciled and raw_rows == staged + quarantined == export.rows[file]
    # the generator's deliberate bad rows were caught
    (quarantined,) = query(paths.current_database, "select count(distinct file || line) from quality.quarantine")[0]
    assert quarantined >= sum(export.injected.values()) > 0


def test_audit_records_the_export(published):
    paths, export, _ = published
    rows = query(
        paths.current_database, "select export_id, manifest_written_by, json_array_length(files) from audit.exports"
    )
    assert rows == [(export.export_id, "sender", 8)]


def test_failed_check_keeps_the_previous_snapshot(published, tmp_path):
    paths, _, first = published
    before = current_snapshot(paths)
    rows = clean_rows()
    rows["edc/dm.csv"][0]["AGE"] = "150"  # any bad row in dm.csv blocks the refresh
    bad = write_export(tmp_path / "bad", rows, export_id="BAD-DM")
    outcome = run_refresh(paths, bad, progress=False)
    assert not outcome.published
    assert any("quarantine_within_limit" in p and "raw/edc_dm" in p for p in outcome.problems), outcome.problems
    assert current_snapshot(paths) == before
    assert query(paths.current_database, "select count(*) from adam.adsl") == [(78,)]
    with duckdb.connect(str(paths.database), read_only=True) as con:
        assert con.execute("select outcome from audit.runs where run_id = ?", [outcome.run_id]).fetchone() == (
            "failed",
        )


def test_unusable_file_stops_with_a_clear_message(published, tmp_path):
    paths, _, _ = published
    before = current_snapshot(paths)
    rows = clean_rows()
    broken = csv_bytes(["SUBJID", "DSCAT", "DSSTDAT"], rows["edc/ds.csv"])
    bad = write_export(tmp_path / "bad", rows, raw_files={"edc/ds.csv": broken})
    outcome = run_refresh(paths, bad, progress=False)
    assert not outcome.published
    assert any("edc/ds.csv, line 1: missing column DSDECOD" in p for p in outcome.problems), outcome.problems
    assert current_snapshot(paths) == before


def test_cli_sql_reads_the_current_snapshot(published, capsys):
    assert main(["sql", "select TRT01P, count(*) as n from adam.adsl group by 1 order by 1", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "TRT01P,n" and len(out) == 3


def test_cli_sql_refuses_to_write(published, capsys):
    assert main(["sql", "create table adam.x as select 1"]) == 2
    assert "read-only" in capsys.readouterr().err.lower()


def test_snapshot_is_readable_by_duckdb_1x(published):
    paths, _, _ = published
    # uv on PATH, else the one the README's commands install beside the repository
    tools_uv = Path(__file__).resolve().parents[1] / ".tools" / "bin" / "uv"
    uv = shutil.which("uv") or (str(tools_uv) if tools_uv.exists() else None)
    if uv is None:
        pytest.skip("uv is not installed (neither on PATH nor in .tools/)")
    script = f"import duckdb; c = duckdb.connect(r'{paths.current_database.resolve()}', read_only=True); print(duckdb.__version__, c.execute('select count(*) from adam.adsl').fetchone()[0])"
    completed = subprocess.run(
        [uv, "run", "--no-project", "--isolated", "--with", "duckdb==1.1.3", "python", "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["1.1.3", "78"]


READER = textwrap.dedent(
    """
    import sys, time, duckdb, pathlib
    current, stop = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    ok = failed = 0
    exports = set()
    while not stop.exists():
        try:
            with duckdb.connect(str(current.resolve() / "warehouse.duckdb"), read_only=True) as con:
                exports.add(con.execute("select max(export_id) from audit.exports").fetchone()[0])
                con.execute("select count(*) from adam.adsl").fetchone()
            ok += 1
        except Exception as error:
            failed += 1
            print("reader error:", error, file=sys.stderr)
        time.sleep(0.05)  # paced, as the readers of tests/test_reliability.py
    print(ok, failed, len(exports))
    """
)


def test_readers_never_fail_while_a_refresh_publishes(published, tmp_path):
    paths, _, _ = published
    second = generate_export(tmp_path / "second", patients=78, seed=8, messiness=Messiness.none())
    stop = tmp_path / "stop-reader"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(paths.current), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1)
        outcome = run_refresh(paths, second.path, progress=False)
    finally:
        stop.touch()  # the reader stops when the refresh has ended, not after a fixed 40 s
    out, err = reader.communicate(timeout=120)
    assert outcome.published, outcome.problems
    ok, failed, _ = (int(x) for x in out.split())
    assert failed == 0, err
    assert ok > 10
    assert query(
        paths.current_database, "select export_id from audit.exports where export_id = '" + second.export_id + "'"
    )


# --- a data manager's first hour (issue 13) ---------------------------------------------------------


def test_one_refresh_reports_every_problem_of_an_export(published, tmp_path):
    """A bad dm row, a file changed after export and a missing column: all three in one run."""
    paths, _, _ = published
    before = current_snapshot(paths)
    rows = clean_rows()
    rows["edc/dm.csv"][1]["ARM"] = "LEN+TACE"  # line 3, patient 101-002
    no_dose = csv_bytes(["SUBJID", "EXSEQ", "EXTRT", "EXDOSU", "EXSTDAT", "EXENDAT", "EXADJ"], rows["edc/ex.csv"])
    folder = write_export(
        tmp_path / "three-problems", rows, export_id="THREE-PROBLEMS", raw_files={"edc/ex.csv": no_dose}
    )
    with (folder / "edc" / "ae.csv").open("ab") as handle:
        handle.write(b"\r\n")  # changed after the manifest was written
    outcome = run_refresh(paths, folder, progress=False)
    assert not outcome.published and current_snapshot(paths) == before
    problems = "\n".join(outcome.problems)
    assert "edc/dm.csv line 3 (101-002): ARM code_list (LEN+TACE)" in problems
    assert "edc/ae.csv: SHA-256" in problems
    assert "edc/ex.csv, line 1: missing column EXDOSE" in problems
    # the failed run is in audit.runs with its export and the reason in words; the log holds the run
    with duckdb.connect(str(paths.database), read_only=True) as con:
        export_id, outcome_text, reason = con.execute(
            "select export_id, outcome, reason from audit.runs where run_id = ?", [outcome.run_id]
        ).fetchone()
        subjects = con.execute(
            "select distinct subjid from quality.quarantine where export_id = 'THREE-PROBLEMS' and file = 'edc/dm.csv'"
        ).fetchall()
        not_loaded = con.execute(
            "select outcome, description from quality.check_results where run_id = ? "
            "and asset_key = 'raw/edc_ae' and check_name = 'great_expectations'",
            [outcome.run_id],
        ).fetchall()
        check_exports = con.execute(
            "select distinct export_id from quality.check_results where run_id = ?", [outcome.run_id]
        ).fetchall()
    assert (export_id, outcome_text) == ("THREE-PROBLEMS", "failed")
    assert "EXDOSE" in reason and "SHA-256" in reason and "101-002" in reason
    assert subjects == [("101-002",)]
    assert check_exports == [("THREE-PROBLEMS",)]
    assert not_loaded and not_loaded[0][0] == "not evaluated", not_loaded  # never "failed" when it never ran
    log = outcome.log.read_text()
    assert "RUN_START" in log and "missing column EXDOSE" in log


def test_a_run_whose_manifest_cannot_be_read_is_recorded(published, tmp_path):
    paths, _, _ = published
    folder = write_export(tmp_path / "bad-manifest", export_id="BAD-MANIFEST")
    (folder / "manifest.json").write_text("{ not json")
    outcome = run_refresh(paths, folder, progress=False)
    assert not outcome.published
    with duckdb.connect(str(paths.database), read_only=True) as con:
        export_id, outcome_text, reason = con.execute(
            "select export_id, outcome, reason from audit.runs where run_id = ?", [outcome.run_id]
        ).fetchone()
    assert (export_id, outcome_text) == ("bad-manifest", "failed")
    assert "manifest.json in bad-manifest is not readable" in reason


def test_an_unchanged_export_is_recognised_and_not_republished(published, capsys):
    paths, _, _ = published
    before = current_snapshot(paths)
    ((folder,),) = query(
        paths.current_database,
        "select e.export_dir from audit.runs r join audit.exports e "
        f"using (export_id) where r.snapshot = '{before.name}'",
    )
    assert main(["refresh", "--export", folder]) == 0
    out = capsys.readouterr().out
    assert "is unchanged since snapshot" in out and before.name in out
    assert current_snapshot(paths) == before
    # another cut-off is another result: that refresh is not skipped
    from orchestration.publishing.snapshot import unchanged_since_published

    assert unchanged_since_published(paths, Path(folder)) == before.name
    assert unchanged_since_published(paths, Path(folder), data_cutoff="2025-05-31") is None


def test_adam_labels_are_column_comments_and_parquet_metadata(published):
    import pyarrow.parquet as pq

    paths, _, _ = published
    assert query(
        paths.current_database,
        "select comment from duckdb_columns() where schema_name = 'adam' "
        "and table_name = 'adsl' and column_name = 'AGE'",
    ) == [("Age",)]
    assert query(
        paths.current_database, "select comment from duckdb_tables() where schema_name = 'adam' and table_name = 'adsl'"
    ) == [("Subject-Level Analysis Dataset",)]
    schema = pq.read_schema(paths.current / "parquet" / "adam" / "adsl.parquet")
    assert schema.field("AGE").metadata == {b"label": b"Age"}
    assert (paths.current / "parquet" / "quality" / "quarantine.parquet").exists()
    assert (paths.current / "parquet" / "quality" / "check_results.parquet").exists()


def test_cli_sql_prints_null_one_way_and_full_precision(published, capsys):
    query_text = "select 1/3 as third, null::integer as n, null::date as d, null::varchar as s, 2.5 as x"
    assert main(["sql", query_text]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["third", "n", "d", "s", "x"]
    assert out[2].split() == ["0.3333333333333333", "NULL", "NULL", "NULL", "2.5"]
    assert main(["sql", query_text, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "0.3333333333333333,,,,2.5"


def test_cli_sql_reads_an_older_snapshot_by_id(published, capsys):
    paths, _, _ = published
    snapshot = current_snapshot(paths).name
    assert main(["sql", "select count(*) as n from adam.adsl", "--snapshot", snapshot[:20]]) == 0
    assert capsys.readouterr().out.splitlines()[-1].strip() == "78"
    assert main(["sql", "select 1", "--snapshot", "19990101"]) == 2
    assert "matches no snapshot" in capsys.readouterr().err
    assert main(["snapshots"]) == 0
    assert f"* {snapshot}" in capsys.readouterr().out


def test_the_snapshot_carries_a_conformant_submission_package(demo_warehouse):
    """XPORT and Dataset-JSON hold the published ADaM tables value by value; define.xml is valid
    Define-XML 2.1 and describes exactly those files; no blocking conformance finding."""
    from orchestration.publishing.submission.spec import read_specification
    from tests.submission_roundtrip import (
        assert_define_describes_files,
        assert_define_valid,
        assert_package_matches_tables,
    )

    paths, _, outcome = demo_warehouse
    assert outcome.published, outcome.problems
    folder = paths.current / "submission"
    specification = read_specification()
    with duckdb.connect(str(paths.current_database), read_only=True) as con:
        assert_package_matches_tables(con, folder, specification)
        blocking = con.execute(
            "select rule_id, dataset, message from quality.conformance where not passed and severity = 'blocking'"
        ).fetchall()
        rules = con.execute("select count(distinct rule_id) from quality.conformance").fetchall()[0][0]
    assert blocking == []
    assert rules == 16
    assert_define_valid(folder / "define.xml")
    assert_define_describes_files(folder)


def test_every_adam_mart_is_stored_in_its_key_order(demo_warehouse):
    """dbt's `key_order` macro: the package writes each mart from one read as stored, no second sort."""
    from orchestration.publishing.submission.datasets import KeyOrder, _sas_value
    from orchestration.publishing.submission.spec import read_specification

    paths, _, _ = demo_warehouse
    with duckdb.connect(str(paths.current_database), read_only=True) as con:
        for dataset in read_specification():
            values = ", ".join(_sas_value(v) for v in dataset.variables)
            order = KeyOrder(dataset)
            batches = con.sql(f'select {values} from adam."{dataset.name}"').to_arrow_reader(50)
            assert all(order.continued_by(batch) for batch in batches), dataset.name


def test_the_csr_tables_are_published_and_agree_with_the_reporting_tables(demo_warehouse):
    """Issue 18: every catalogue table in the snapshot, as RTF in tlf/ and in the report, and the
    figures they share with the existing reporting tables are the same numbers."""
    from analysis.tlg.catalogue import CATALOGUE, FIGURES

    paths, _, outcome = demo_warehouse
    database, snapshot = paths.current_database, current_snapshot(paths)
    with duckdb.connect(str(database), read_only=True) as con:

        def frame(sql: str):
            return con.execute(sql).df()

        catalogue = frame("select * from reporting.tlg_catalogue order by CSR_ORDER")
        assert catalogue.NUMBER.tolist() == [spec.number for spec in CATALOGUE]
        assert catalogue.set_index("CODE").BIGN[["DST01", "DMT01", "AET01"]].tolist() == [78, 78, 76]
        tlf = sorted(p.name for p in (snapshot / "tlf").iterdir())
        assert tlf == sorted(
            [f"{spec.file_stem}.rtf" for spec in CATALOGUE]
            + [f"f_{number.replace('.', '_')}_{key}.svg" for number, key, _ in FIGURES]
        )
        html = (snapshot / "report.html").read_text()
        assert all(f"{spec.number} ({spec.code})" in html for spec in CATALOGUE)

        # RSPT01 responders and confirmed BOR categories against reporting.response_rates and ADRS.
        orr = frame(
            "select COLUMN_LABEL, VALUE from reporting.tlg_rspt01 where ROW_LABEL = 'Responders (ORR)' and COLUMN_LABEL <> 'Total'"
        )
        rates = frame("select TRT01P as COLUMN_LABEL, cast(RESPONDERS as double) as VALUE from reporting.response_rates "
                      "where PARAMCD = 'CRSP'")  # fmt: skip
        assert orr.sort_values("COLUMN_LABEL").values.tolist() == rates.sort_values("COLUMN_LABEL").values.tolist()
        categories = frame(
            "select sum(VALUE) from reporting.tlg_rspt01 where SECTION = 'Confirmed best overall response' "
            "and STATISTIC = 'count' and COLUMN_LABEL = 'Total'"
        )
        assert categories.iloc[0, 0] == 78
        # TTET01 medians against reporting.tte_summary; follow-up not reached reads NR.
        medians = frame(
            "select t.VALUE, s.MEDIAN_MONTHS from reporting.tlg_ttet01_pfs t join reporting.tte_summary s "
            "on s.PARAMCD = 'PFS' and s.TRT01P = t.COLUMN_LABEL where t.ROW_LABEL = 'Median (95% CI)'"
        )
        assert len(medians) == 2 and (medians.VALUE - medians.MEDIAN_MONTHS).abs().max() < 1e-12
        followup = frame("select DISPLAY from reporting.tlg_ttet01_pfs where STATISTIC = 'followup'").DISPLAY
        assert "-" not in followup.tolist() and "–" not in followup.tolist()
        # AET02 and AET01 against reporting.ae_by_soc_pt and reporting.ae_overview.
        soc = frame(
            "select count(*) from reporting.tlg_aet02 t join reporting.ae_by_soc_pt a on a.AEDECOD is null "
            "and a.AESOC = t.ROW_LABEL and a.TRT01A = t.COLUMN_LABEL and t.INDENT = 0 where t.VALUE <> a.PATIENTS_ANY"
        )
        assert soc.iloc[0, 0] == 0
        overview = frame(
            "select count(*) from reporting.tlg_aet01 t join reporting.ae_overview a on a.CATEGORY = t.ROW_LABEL "
            "and a.TRT01A = t.COLUMN_LABEL where t.VALUE <> a.PATIENTS"
        )
        assert overview.iloc[0, 0] == 0
        # DMT01 categorical counts against reporting.baseline_characteristics.
        sex = frame(
            "select t.VALUE, b.COUNT from reporting.tlg_dmt01 t join reporting.baseline_characteristics b "
            "on b.VARIABLE = 'SEX' and b.TRT01P = t.COLUMN_LABEL and t.ROW_LABEL = case b.CATEGORY when 'F' then "
            "'Female' when 'M' then 'Male' end where t.SECTION = 'Sex'"
        )
        assert len(sex) == 4 and (sex.VALUE == sex.COUNT).all()
    print(f"TLG steps: {outcome.step_seconds.get('tlg_tables')} s tables, "
          f"{outcome.step_seconds.get('reporting__tlf_files')} s files")  # fmt: skip
