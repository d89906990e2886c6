"""dbt's last run replayed (orchestration/dbt_replay.py): the run key, the recording, the replay
and its roll-back, on small hand-made plans. The replay of the real project is checked end to end
in tests/test_change_audit.py (its third refresh is replayed)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import duckdb
import orjson
import pytest

from orchestration import dbt_replay
from orchestration.dbt_replay import RecordedRuns, Recorder, command_of, database_shape, project_digest, replay

MODEL = "model.p.scores"
TEST = "test.p.scores_positive"


def result_event(unique_id: str, name: str, status: str) -> dict:
    return {
        "info": {"name": name, "msg": f"1 of 2 {status.upper()} {unique_id} [OK in 0.01s]", "level": "info"},
        "data": {
            "node_info": {"unique_id": unique_id, "node_status": status, "resource_type": unique_id.split(".")[0]},
            "status": status,
            "index": 1,
            "num_models": 2,
            "name": unique_id.split(".")[-1],
        },
    }


def dbt_test_query(condition: str) -> str:
    return (
        "select count(*) as failures, count(*) != 0 as should_warn, count(*) != 0 as should_error "
        f"from (select * from scores where {condition}) dbt_internal_test"
    )


def plan(condition: str = "score <= 0", severity: str = "ERROR") -> dict:
    return {
        "key": "k",
        "prelude": ["create schema if not exists staging"],
        "nodes": [
            {
                "unique_id": MODEL,
                "statements": ["drop table if exists scores cascade; create table scores as select 1 as score"],
                "result": result_event(MODEL, "LogModelResult", "success"),
                "compiled_code": "select 1 as score",
                "severity": "ERROR",
            },
            {
                "unique_id": TEST,
                "statements": ["select 1", dbt_test_query(condition)],
                "result": result_event(TEST, "LogTestResult", "pass"),
                "compiled_code": f"select * from scores where {condition}",
                "severity": severity,
            },
        ],
    }


def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [name for (name,) in con.execute("select table_name from duckdb_tables() order by 1").fetchall()]


def test_the_command_leaves_out_the_runs_own_folders():
    args = ["build", "--vars", "{}", "--target-path", "/t/run1", "--log-path", "/t/run1", "--select", "fqn:*"]
    assert command_of(args) == ["build", "--vars", "{}", "--select", "fqn:*"]


def test_the_project_digest_follows_every_project_file_but_not_dbts_output(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.sql").write_text("select 1")
    before = project_digest(tmp_path)
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "manifest.json").write_text("{}")
    assert project_digest(tmp_path) == before
    (tmp_path / "models" / "a.sql").write_text("select 2")
    assert project_digest(tmp_path) != before


def test_the_database_shape_follows_tables_and_column_types_but_not_rows():
    con = duckdb.connect()
    con.execute("create table t (a integer)")
    before = database_shape(con)
    con.execute("insert into t values (1)")
    assert database_shape(con) == before
    con.execute("alter table t alter a type bigint")
    assert database_shape(con) != before
    con.execute("create view v as select 1 as b")
    assert database_shape(con) != before


def test_a_clean_replay_builds_the_models_and_reports_every_result_as_dbt_would():
    con = duckdb.connect()
    lines, run_results = replay(con, plan())
    events = [orjson.loads(line) for line in lines]
    assert [e["info"]["name"] for e in events] == ["LogModelResult", "LogTestResult"]
    assert [e["data"]["node_info"]["node_status"] for e in events] == ["success", "pass"]
    assert events[1]["data"]["num_failures"] == 0
    assert len({e["info"]["invocation_id"] for e in events}) == 1
    assert all(e["data"]["node_info"]["node_finished_at"] >= e["data"]["node_info"]["node_started_at"] for e in events)
    assert con.execute("select score from scores").fetchall() == [(1,)]
    assert [r["status"] for r in run_results["results"]] == ["success", "pass"]
    assert run_results["results"][1]["compiled_code"] == "select * from scores where score <= 0"


def test_a_failing_test_rolls_the_whole_replay_back():
    con = duckdb.connect()
    assert replay(con, plan(condition="score = 1")) is None
    assert tables(con) == []  # the model built before the test is gone as well
    assert con.execute("select count(*) from duckdb_schemas() where schema_name = 'staging'").fetchall() == [(0,)]


def test_a_failing_test_of_severity_warn_is_reported_as_a_warning_with_its_count():
    con = duckdb.connect()
    lines, run_results = replay(con, plan(condition="score = 1", severity="WARN"))
    test = orjson.loads(lines[1])
    assert (test["data"]["node_info"]["node_status"], test["data"]["num_failures"]) == ("warn", 1)
    assert "WARN 1" in test["info"]["msg"]
    assert run_results["results"][1]["failures"] == 1
    assert tables(con) == ["scores"]


def test_a_statement_that_errors_rolls_the_replay_back():
    broken = plan()
    broken["nodes"][1]["statements"] = ["select * from no_such_table"]
    con = duckdb.connect()
    assert replay(con, broken) is None
    assert tables(con) == []


class FakeEvent:
    def __init__(self, unique_id: str, sql: str = "") -> None:
        self.data = type("Data", (), {"node_info": type("Info", (), {"unique_id": unique_id}), "sql": sql})


def record(recorder: Recorder, unique_id: str, statements: list[str], result: dict) -> None:
    recorder.see("NodeStart", FakeEvent(unique_id))
    for sql in statements:
        recorder.see("SQLQuery", FakeEvent(unique_id, sql))
        recorder.executed(sql, None)
    recorder.result(result)


def run_results(tmp_path: Path, *unique_ids: str) -> Path:
    path = tmp_path / "run_results.json"
    path.write_bytes(orjson.dumps({"results": [{"unique_id": u, "compiled_code": f"-- {u}"} for u in unique_ids]}))
    return path


def test_a_recorded_run_is_saved_under_its_key_without_transaction_statements(tmp_path):
    manifest = {"nodes": {TEST: {"config": {"severity": "warn"}}}}
    recorder = Recorder(inputs={"project": "abc"}, folder=tmp_path / "recorded", target=tmp_path, manifest=manifest)
    record(
        recorder,
        MODEL,
        ["BEGIN", "create table scores as select 1 as score", "COMMIT"],
        result_event(MODEL, "LogModelResult", "success"),
    )
    record(recorder, TEST, [dbt_test_query("score <= 0")], result_event(TEST, "LogTestResult", "pass"))
    run_results(tmp_path, MODEL, TEST)
    recorder.save()
    saved = orjson.loads((tmp_path / "recorded" / f"{recorder.key}.json").read_bytes())
    assert saved["inputs"] == {"project": "abc"}
    assert [n["unique_id"] for n in saved["nodes"]] == [MODEL, TEST]
    assert saved["nodes"][0]["statements"] == ["create table scores as select 1 as score"]
    assert [n["severity"] for n in saved["nodes"]] == ["ERROR", "WARN"]
    assert saved["nodes"][1]["compiled_code"] == f"-- {TEST}"


@pytest.mark.parametrize("flaw", ["abridged log", "bound values", "session state", "unfinished node"])
def test_a_run_that_cannot_be_repeated_exactly_is_not_saved(tmp_path, flaw):
    recorder = Recorder(inputs={"project": "abc"}, folder=tmp_path / "recorded", target=tmp_path)
    record(
        recorder, MODEL, ["create table scores as select 1 as score"], result_event(MODEL, "LogModelResult", "success")
    )
    if flaw == "abridged log":  # logged but executed elsewhere than dbt-duckdb's cursor
        recorder.see("SQLQuery", FakeEvent(MODEL, "copy ..."))
    elif flaw == "bound values":
        recorder.executed("insert into scores values (?)", [2])
    elif flaw == "session state":
        recorder.see("SQLQuery", FakeEvent(MODEL, "set"))
        recorder.executed('/* {"app": "dbt"} */\n  SET threads = 1', None)
    else:
        recorder.see("NodeStart", FakeEvent(TEST))
    run_results(tmp_path, MODEL)
    recorder.save()
    assert not (tmp_path / "recorded").exists()


def database_and_project(tmp_path: Path):
    """A connect() for a build database file, and a dbt project folder with one model."""

    @contextmanager
    def connect():
        with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
            yield con

    project = tmp_path / "project"
    project.mkdir()
    (project / "model.sql").write_text("select 1")
    return connect, project


def test_recorded_runs_replay_on_the_same_key_and_record_otherwise(tmp_path, monkeypatch):
    released = []
    connect, project = database_and_project(tmp_path)
    monkeypatch.setenv("WAREHOUSE_EXPORT_ID", "E1")
    runs = RecordedRuns(tmp_path / "recorded", connect, lambda: released.append(True))
    args = ["build", "--target-path", str(tmp_path / "t1")]

    first = runs.replay_or_record(args, project, tmp_path / "t1", {})
    assert isinstance(first, Recorder) and released == [True]
    assert first.why == "no dbt run is recorded yet, in this warehouse or another of this checkout"
    saved = plan() | {"key": first.key, "inputs": first.inputs}
    (tmp_path / "recorded").mkdir()
    (tmp_path / "recorded" / f"{first.key}.json").write_bytes(orjson.dumps(saved))

    second = runs.replay_or_record(args, project, tmp_path / "t2", {})
    assert not isinstance(second, Recorder)
    assert len(second.lines) == 2 and (tmp_path / "t2" / "run_results.json").exists()
    assert released == [True]  # a replay keeps the build database open for the next step

    # The replay created table `scores`: the shape differs now, so the key does too.
    third = runs.replay_or_record(args, project, tmp_path / "t3", {})
    assert isinstance(third, Recorder) and third.key != first.key
    assert third.why == "since the last recorded dbt run, the database's tables or columns changed"

    monkeypatch.setenv("WAREHOUSE_EXPORT_ID", "E2")
    (project / "model.sql").write_text("select 2")
    with connect() as con:
        changed = dbt_replay.run_inputs(con, args, project)
    assert dbt_replay.key_of(changed) != third.key
    assert dbt_replay.what_changed(third.inputs, changed) == [
        "the environment dbt reads (WAREHOUSE_EXPORT_ID)",
        "the dbt project's files",
    ]


def test_a_run_recorded_by_another_warehouse_of_the_checkout_is_replayed_in_a_new_one(tmp_path):
    """The first refresh of every new warehouse asks dbt for the same statements: the first to
    run dbt leaves its recording in the shared folder, and the next new warehouse replays it."""
    shared = tmp_path / "shared"
    first_home, second_home = tmp_path / "first", tmp_path / "second"
    first_home.mkdir(), second_home.mkdir()
    first_connect, project = database_and_project(first_home)
    second_connect, _ = database_and_project(second_home)
    first = RecordedRuns(first_home / "recorded", first_connect, lambda: None, shared=shared)
    recorder = first.replay_or_record(["build"], project, first_home / "t1", {})
    assert isinstance(recorder, Recorder) and recorder.shared == shared
    record(recorder, MODEL, plan()["nodes"][0]["statements"], result_event(MODEL, "LogModelResult", "success"))
    record(recorder, TEST, plan()["nodes"][1]["statements"], result_event(TEST, "LogTestResult", "pass"))
    (first_home / "t1").mkdir()
    run_results(first_home / "t1", MODEL, TEST)
    recorder.save()
    assert (first_home / "recorded" / f"{recorder.key}.json").exists()
    assert sorted(p.name for p in shared.iterdir()) == [f"{recorder.key}.json"]  # whole: no partial file left

    second = RecordedRuns(second_home / "recorded", second_connect, lambda: None, shared=shared)
    replayed = second.replay_or_record(["build"], project, second_home / "t1", {})
    assert not isinstance(replayed, Recorder) and len(replayed.lines) == 2
    with second_connect() as con:
        assert tables(con) == ["scores"]

    # Without the shared folder, the new warehouse has nothing to replay: dbt runs.
    third_home = tmp_path / "third"
    third_home.mkdir()
    third_connect, _ = database_and_project(third_home)
    alone = RecordedRuns(third_home / "recorded", third_connect, lambda: None)
    assert isinstance(alone.replay_or_record(["build"], project, third_home / "t1", {}), Recorder)


def test_a_shared_folder_that_cannot_be_written_keeps_the_warehouses_own_recording(tmp_path):
    shared = tmp_path / "read-only"
    shared.write_text("a file where the folder should be")  # mkdir fails, as in a read-only checkout
    recorder = Recorder(inputs={"project": "abc"}, folder=tmp_path / "recorded", target=tmp_path, shared=shared)
    record(
        recorder, MODEL, ["create table scores as select 1 as score"], result_event(MODEL, "LogModelResult", "success")
    )
    run_results(tmp_path, MODEL)
    recorder.save()
    assert (tmp_path / "recorded" / f"{recorder.key}.json").exists()


def test_the_database_name_is_part_of_the_shape_dbts_statements_name_it(tmp_path):
    shapes = []
    for name in ("warehouse", "other"):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as con:
            shapes.append(database_shape(con))
    assert shapes[0] != shapes[1]


def test_a_plan_whose_replay_fails_makes_dbt_run_and_says_why(tmp_path):
    connect, project = database_and_project(tmp_path)
    runs = RecordedRuns(tmp_path / "recorded", connect, lambda: None)
    first = runs.replay_or_record(["build"], project, tmp_path / "t1", {})
    (tmp_path / "recorded").mkdir()
    (tmp_path / "recorded" / f"{first.key}.json").write_bytes(orjson.dumps(plan(condition="score = 1")))
    again = runs.replay_or_record(["build"], project, tmp_path / "t2", {})
    assert isinstance(again, Recorder) and again.key == first.key
    assert again.why.startswith("its replay stopped (a test failed")
    with connect() as con:
        assert tables(con) == []


def test_statements_of_no_node_after_the_nodes_are_replayed_after_them(tmp_path):
    """An on-run-end hook (say) runs after the models it reads, in the replay as in dbt."""
    recorder = Recorder(inputs={"project": "hooks"}, folder=tmp_path / "recorded", target=tmp_path)
    for sql in ("create schema if not exists staging",):
        recorder.see("SQLQuery", FakeEvent("", sql))
        recorder.executed(sql, None)
    record(
        recorder, MODEL, ["create table scores as select 1 as score"], result_event(MODEL, "LogModelResult", "success")
    )
    for sql in ("create table scores_seen as select count(*) as n from scores",):
        recorder.see("SQLQuery", FakeEvent("", sql))
        recorder.executed(sql, None)
    run_results(tmp_path, MODEL)
    recorder.save()
    saved = orjson.loads((tmp_path / "recorded" / f"{recorder.key}.json").read_bytes())
    assert saved["prelude"] == ["create schema if not exists staging"]
    assert saved["epilogue"] == ["create table scores_seen as select count(*) as n from scores"]
    con = duckdb.connect()
    assert replay(con, saved) is not None
    assert con.execute("select n from scores_seen").fetchall() == [(1,)]
