"""Dagster's run history storage as the warehouse configures it (orchestration/dagster_storage.py)."""

from unittest import mock

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration.dagster_storage import PooledSqliteEventLogStorage


@pytest.fixture
def storage(tmp_path):
    events = PooledSqliteEventLogStorage(str(tmp_path))
    yield events
    events.dispose()


def test_has_table_asks_sqlite_once_per_existing_table(storage):
    with mock.patch.object(SqliteEventLogStorage, "has_table", autospec=True, return_value=True) as asked:
        assert storage.has_table("asset_check_executions")
        assert storage.has_table("asset_check_executions")
    assert asked.call_count == 1


def test_has_table_asks_again_while_a_table_is_missing(storage):
    assert not storage.has_table("no_such_table")
    with mock.patch.object(SqliteEventLogStorage, "has_table", autospec=True, return_value=True) as asked:
        assert storage.has_table("no_such_table")  # created since, e.g. by `dagster instance migrate`
    assert asked.call_count == 1
    assert storage.has_table("asset_check_executions")  # a real table of the index


def test_a_run_with_asset_checks_is_stored_and_read_back(tmp_path):
    @dg.asset(check_specs=[dg.AssetCheckSpec("positive", asset="numbers")])
    def numbers():
        yield dg.Output(3)
        yield dg.AssetCheckResult(passed=True, check_name="positive")

    storage_config = {
        "custom": {
            "module": "orchestration.dagster_storage",
            "class": "PooledSqliteStorage",
            "config": {"base_dir": str(tmp_path)},
        }
    }
    with dg.instance_for_test(overrides={"storage": storage_config}) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        assert dg.materialize([numbers], instance=instance).success
        key = dg.AssetCheckKey(dg.AssetKey("numbers"), "positive")
        assert [record.status.value for record in storage.get_asset_check_execution_history(key, 5)] == ["SUCCEEDED"]
        assert dg.AssetKey("numbers") in storage.get_latest_materialization_events([dg.AssetKey("numbers")])
