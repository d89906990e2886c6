"""Reliability (SPEC sections 4 and 7): kills, concurrent readers, reruns and check history.

One warehouse for the whole module, built from a messy generated export in which one patient also
died before enrolment (quarantined: an impossible date). Refreshes run as real `warehouse refresh` subprocesses, killed with SIGKILL
during ingest, during dbt and during publish; after each kill the published snapshot must be intact
and readable. The last refresh reloads the same export while analyst processes query `current`:
zero failed queries, never a mix of two runs, and every table equal to the first refresh's.

Three refreshes run dbt in full (the first, the one killed during publish, the last); the other
failures stop at ingest or early in dbt.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.publishing.snapshot import current_snapshot
from orchestration.refresh import run_refresh
from orchestration.settings import WarehousePaths
from orchestration.synthetic.generator import generate_export
from tests.builders import add_death_before_enrolment, clean_rows, reseal, write_export

pytestmark = pytest.mark.slow

PATIENTS = 30
SEED = 11
KILL_SEED = int(os.environ.get("RELIABILITY_KILL_SEED", "20251125"))
KILLS: list[dict] = []  # what the kill tests did, for the summary line
DEAD_BEFORE_ENROLMENT: list[str] = []  # the patient given an impossible death date


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("reliability") / "warehouse"
    saved = {k: os.environ.get(k) for k in ("WAREHOUSE_HOME", "DAGSTER_HOME")}
    os.environ["WAREHOUSE_HOME"] = str(home)
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    yield WarehousePaths(home).ensure(), home.parent
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def published(env):
    """The first refresh: a messy generated export with a death before enrolment, published."""
    paths, root = env
    export = generate_export(root / "exports" / "messy", patients=PATIENTS, seed=SEED)
    dead_early = add_death_before_enrolment(export.path)
    reseal(export.path)
    outcome = run_refresh(paths, export.path, progress=False)
    assert outcome.published, outcome.problems
    DEAD_BEFORE_ENROLMENT.append(dead_early)
    return paths, export, outcome


def query(database: Path, sql: str, params=None):
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


# --- outcomes that need the whole pipeline -----------------------------------------------------


def test_death_before_enrolment_is_quarantined_and_the_rest_publishes(published):
    """An impossible death date is a bad row (SPEC 4): quarantined with its line, the patient kept
    and analysed as alive until the data manager corrects the record."""
    paths, _, _ = published
    (dead_early,) = DEAD_BEFORE_ENROLMENT
    rows = query(
        paths.current_database,
        "select file, column_name, rule, message from quality.quarantine "
        "where rule = 'before_enrolment' and value is not null",
    )
    assert len(rows) == 1 and rows[0][:3] == ("edc/surv.csv", "DEATH_DAT", "before_enrolment"), rows
    assert query(
        paths.current_database, "select DTHFL, LSTALVDT >= ENRLDT from adam.adsl where SUBJID = ?", [dead_early]
    ) == [(None, True)]
    (os_row,) = query(
        paths.current_database,
        "select CNSR, AVAL >= 1 from adam.adtte where SUBJID = ? and PARAMCD = 'OS'",
        [dead_early],
    )
    assert os_row == (1, True)


def test_every_input_row_is_staged_or_quarantined(published):
    paths, export, _ = published
    rows = query(
        paths.current_database,
        "select file, raw_rows, staged_rows, quarantined_rows, reconciled from quality.row_reconciliation order by file",
    )
    assert len(rows) == 8
    lines = {path: sum(1 for _ in (export.path / path).open("rb")) - 1 for path in export.rows}
    for file, raw_rows, staged, quarantined, reconciled in rows:
        assert reconciled and raw_rows == staged + quarantined == lines[file], (file, raw_rows, staged, quarantined)
    # and each staged row is really in staging, each quarantined line really in quality.quarantine
    for file, table in (("edc/ae.csv", "stg_edc__ae"), ("imaging/lesions.csv", "stg_imaging__lesions")):
        (staged,) = query(paths.current_database, f"select count(*) from staging.{table}")[0]
        (quarantined,) = query(
            paths.current_database, "select count(distinct line) from quality.quarantine where file = ?", [file]
        )[0]
        assert staged + quarantined == lines[file]


def test_check_results_of_the_published_run(published):
    paths, _, outcome = published
    rows = query(
        paths.current_database,
        "select asset_key, check_name, outcome, passed, severity, blocking, evaluated_at, export_id "
        "from quality.check_results where run_id = ?",
        [outcome.run_id],
    )
    checks = {(r[0], r[1]): r for r in rows}
    assert ("raw/edc_dm", "quarantine_within_limit") in checks
    assert ("adam/adsl", "great_expectations") in checks
    assert any(name.startswith("expression_is_true") or "unique" in name for _, name in checks), "dbt tests recorded"
    blocking = [r for r in rows if r[5]]
    assert all(r[2] == "passed" and r[3] for r in blocking)
    assert all(r[6] is not None and r[7] for r in rows)


def test_failed_run_is_recorded_with_failing_rows(published, tmp_path):
    paths, _, _ = published
    before = current_snapshot(paths)
    rows = clean_rows()
    rows["edc/dm.csv"][1]["AGE"] = "150"
    bad = write_export(tmp_path / "bad-dm", rows, export_id="BAD-DM")
    outcome = run_refresh(paths, bad, progress=False)
    assert not outcome.published and current_snapshot(paths) == before
    with duckdb.connect(str(paths.database), read_only=True) as con:
        failed = con.execute(
            "select export_id, outcome, blocking, description, failing_rows from quality.check_results "
            "where run_id = ? and asset_key = 'raw/edc_dm' and check_name = 'quarantine_within_limit'",
            [outcome.run_id],
        ).fetchall()
        not_run = con.execute(
            "select count(*) from quality.check_results where run_id = ? and outcome = 'not evaluated'",
            [outcome.run_id],
        ).fetchone()[0]
        gate = con.execute(
            "select outcome, blocking, description from quality.check_results where run_id = ? "
            "and asset_key = 'quality/quarantine' and check_name = 'export_accepted'",
            [outcome.run_id],
        ).fetchall()
        history = con.execute("select count(distinct run_id) from quality.check_results").fetchone()[0]
    # dm's own check lets the other files be checked in the same run and the gate then blocks: an
    # ERROR-severity failure stops publishing either way, so check_results counts it as blocking
    assert failed and failed[0][:3] == ("BAD-DM", "failed", True)
    assert "edc/dm.csv line 3 (101-002): AGE out_of_range (150)" in failed[0][4]
    assert gate and gate[0][:2] == ("failed", True) and "101-002" in gate[0][2]
    assert "line 3" in failed[0][3]
    assert not_run > 0  # the ADaM checks never ran, and say so
    assert history >= 2  # the published run and this one


def test_a_refused_export_publishes_nothing(published, tmp_path):
    paths, _, _ = published
    before = current_snapshot(paths)
    folder = write_export(tmp_path / "tampered", export_id="TAMPERED")
    with (folder / "edc" / "ae.csv").open("ab") as handle:
        handle.write(b"101-001,2,x,x,x,01 MAR 2025,,1,N,RELATED,NOT RELATED,DOSE NOT CHANGED,RECOVERED\r\n")
    outcome = run_refresh(paths, folder, progress=False)
    assert not outcome.published and current_snapshot(paths) == before
    assert any("edc/ae.csv: SHA-256" in p and "export refused" in p for p in outcome.problems), outcome.problems


# --- one refresh at a time ---------------------------------------------------------------------


def test_second_refresh_fails_fast_while_one_runs(published, tmp_path):
    paths, export, _ = published
    before = current_snapshot(paths)
    with (paths.home / "refresh.lock").open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running refresh holds
        handle.seek(0), handle.truncate(), handle.write("pid 4242"), handle.flush()
        started = time.monotonic()
        outcome = run_refresh(paths, export.path, progress=False)
        seconds = time.monotonic() - started
        fcntl.flock(handle, fcntl.LOCK_UN)
    assert not outcome.published and current_snapshot(paths) == before
    assert any("another refresh is running" in p and "pid 4242" in p for p in outcome.problems), outcome.problems
    assert seconds < 60
    with duckdb.connect(str(paths.database), read_only=True) as con:
        assert con.execute("select count(*) from audit.runs where run_id = ?", [outcome.run_id]).fetchone() == (0,)


def test_dagster_runs_one_refresh_at_a_time(published):
    paths, _, _ = published
    config = yaml.safe_load((Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml").read_text())
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1


# --- kills -------------------------------------------------------------------------------------


def refresh_process(paths: WarehousePaths, export: Path, **environment: str) -> subprocess.Popen:
    env = dict(
        os.environ,
        WAREHOUSE_HOME=str(paths.home),
        DAGSTER_HOME=os.environ["DAGSTER_HOME"],
        PYTHONUNBUFFERED="1",
        **environment,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "refresh", "--export", str(export), "--force"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )


def kill_when(
    process: subprocess.Popen, marker: str, delay: float, whole_group: bool, timeout: float = 600
) -> list[str]:
    """SIGKILL the refresh `delay` s after `marker` is printed: its whole process group (dbt
    included), or the refresh process alone, as the OOM killer would."""
    seen: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in process.stdout:
            seen.append(line.rstrip())
            if marker in line:
                found.set()
        found.set()

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(timeout), f"{marker!r} never appeared:\n" + "\n".join(seen[-20:])
    time.sleep(delay)
    alive = process.poll() is None
    if alive:
        if whole_group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    process.wait(timeout=60)
    assert alive, "the refresh ended before the kill:\n" + "\n".join(seen[-20:])
    return seen


def assert_snapshot_intact(paths: WarehousePaths, snapshot: Path, export_id: str) -> None:
    assert current_snapshot(paths) == snapshot
    assert query(paths.current_database, "select count(*) from adam.adsl") == [(PATIENTS,)]
    assert query(paths.current_database, "select distinct export_id from staging.stg_edc__dm") == [(export_id,)]
    manifest = json.loads((snapshot / "snapshot.json").read_text())
    assert manifest["tables"]["adam.adsl"] == PATIENTS


def wait_until_gone(process_group: int, timeout: float = 5) -> None:
    """Wait for every process of the killed refresh's group to exit. A process that outlived its
    refresh and held the build file would keep DuckDB's writer lock (dbt, when it ran as a child
    process, lingered far beyond 5 s unless told to die with its parent)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(process_group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pids = subprocess.run(["pgrep", "-g", str(process_group)], capture_output=True, text=True).stdout.split()
    os.killpg(process_group, signal.SIGKILL)
    raise AssertionError(f"processes {pids} outlived the killed refresh by {timeout} s")


# (stage, progress line to wait for, delay range after it, kill the whole process group?)
KILL_POINTS = [
    ("ingest", "▸ raw__edc_ae", (0.0, 1.5), True),
    # Only the refresh process: nothing it started may outlive it and hold the database.
    ("dbt", "▸ dbt_models", (1.5, 4.0), False),
    ("publish", "▸ published__snapshot", (0.05, 0.4), True),
]


@pytest.mark.parametrize(("stage", "marker", "delays", "whole_group"), KILL_POINTS, ids=[k[0] for k in KILL_POINTS])
def test_killed_refresh_leaves_the_snapshot_intact(published, stage, marker, delays, whole_group):
    paths, export, _ = published
    before = current_snapshot(paths)
    delay = random.Random(f"{KILL_SEED}-{stage}").uniform(*delays)
    # dbt itself, not a replay of a run another warehouse of this checkout recorded (a replay is
    # one transaction, and it would be over before the kill)
    own_recordings = {"WAREHOUSE_DBT_RECORDINGS": "none"} if stage == "dbt" else {}
    process = refresh_process(paths, export.path, **own_recordings)
    kill_when(process, marker, delay, whole_group)
    wait_until_gone(process.pid)
    KILLS.append({"stage": stage, "delay_s": round(delay, 2), "whole_group": whole_group})
    assert_snapshot_intact(paths, before, export.export_id)


READER = textwrap.dedent(
    """
    import json, sys, time, duckdb, pathlib
    current, stop = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    ok = failed = 0
    runs = set()
    while not stop.exists():
        try:
            folder = current.resolve()
            expected = json.loads((folder / "snapshot.json").read_text())
            with duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True) as con:
                # every table read in one connection must come from the same run and export
                (run_id, export_id, snapshot), = con.execute(
                    "select run_id, export_id, snapshot from audit.runs where snapshot = ?", [folder.name]).fetchall()
                staged = {r[0] for r in con.execute("select distinct export_id from staging.stg_edc__dm").fetchall()}
                checks = {r[0] for r in con.execute("select distinct run_id from quality.check_results").fetchall()}
                (adsl,), = con.execute("select count(*) from adam.adsl").fetchall()
            assert run_id == expected["run_id"] and export_id == expected["export_id"], (run_id, expected)
            assert staged == {export_id}, staged
            assert run_id in checks, checks
            assert adsl == expected["tables"]["adam.adsl"]
            runs.add(run_id)
            ok += 1
        except Exception as error:
            failed += 1
            print("reader error:", repr(error), file=sys.stderr)
        # Paced: three readers with 10 ms pauses took 30 s of CPU, a third of a core, from the
        # refresh they watch; at 50 ms each still opens the current snapshot many times a second.
        time.sleep(0.05)
    print(ok, failed, len(runs))
    """
)

# Tables whose values depend on when or by which run they were written, not on the export.
AUDIT_COLUMNS = {"loaded_at", "started_at", "finished_at", "evaluated_at", "recorded_at", "run_id", "snapshot"}
# Tables that keep every export's rows (history): compared for this export only.
HISTORY_TABLES = {("quality", "quarantine"), ("quality", "file_problems")}


def table_contents(database: Path, schemas: tuple[str, ...], export_id: str) -> dict[str, list[tuple]]:
    contents = {}
    with duckdb.connect(str(database), read_only=True) as con:
        listed = ", ".join(f"'{s}'" for s in schemas)
        tables = con.execute(
            f"select table_schema, table_name from information_schema.tables where table_schema in ({listed}) order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            columns = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if r[0].lower() not in AUDIT_COLUMNS
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            # quarantine keeps every export's rows (history); compare this export's
            where = f"where export_id = '{export_id}'" if (schema, table) in HISTORY_TABLES else ""
            contents[f"{schema}.{table}"] = con.execute(
                f'select {select} from "{schema}"."{table}" {where} order by all'
            ).fetchall()
    return contents


def test_next_refresh_succeeds_with_readers_and_rebuilds_identical_tables(published, env):
    """After the kills: the same export again, with three analyst processes reading throughout."""
    paths, export, first = published
    _, root = env
    stop = root / "stop-readers"
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(paths.current), str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    try:
        time.sleep(1)
        outcome = run_refresh(paths, export.path, progress=False)
        time.sleep(1)
    finally:
        stop.touch()
        results = [reader.communicate(timeout=120) for reader in readers]
    assert outcome.published, outcome.problems
    queries = failures = 0
    for out, err in results:
        ok, failed, runs = (int(x) for x in out.split())
        assert failed == 0, err
        assert runs == 2  # they saw the old snapshot, then the new one
        queries, failures = queries + ok, failures + failed
    print(
        f"\nreliability: {len(KILLS)} kills survived {KILLS}; {queries} reader queries during the refresh, {failures} failed"
    )

    # no leftovers of the killed runs
    assert not list(paths.snapshots.glob(".*.partial"))
    assert not list(paths.home.glob(".current.*"))
    with duckdb.connect(str(paths.database), read_only=True) as con:
        assert con.execute("select count(*) from audit.runs where outcome = 'running'").fetchone() == (0,)

    # the same export gives the same tables, audit timestamps and run ids aside
    schemas = ("staging", "intermediate", "adam", "quality")
    before = table_contents(first.snapshot / "warehouse.duckdb", schemas, export.export_id)
    after = table_contents(outcome.snapshot / "warehouse.duckdb", schemas, export.export_id)
    before.pop("quality.check_results"), after.pop("quality.check_results")
    assert before.keys() == after.keys()
    different = [name for name in before if before[name] != after[name]]
    assert different == [], different
