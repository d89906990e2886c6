"""`warehouse ui` (dagster dev) serves the whole graph with its checks, schedule and sensors."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orchestration.definitions import defs

pytestmark = pytest.mark.slow

QUERY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes {
    schedules { name cronSchedule }
    sensors { name }
    assetNodes { assetKey { path } groupName
                 assetChecksOrError { ... on AssetChecks { checks { name } } } }
} } } }
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(port: int) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_ui_shows_graph_checks_schedule_and_sensors(warehouse_home):
    port = free_port()
    warehouse = Path(sys.executable).with_name("warehouse")
    process = subprocess.Popen(
        [str(warehouse), "ui", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline, data = time.time() + 120, None
        while time.time() < deadline:
            try:
                data = graphql(port)
                if data.get("data", {}).get("repositoriesOrError", {}).get("nodes"):
                    break
            except OSError:
                pass
            time.sleep(1)
        assert data is not None, "dagster dev did not answer"
    finally:
        process.send_signal(signal.SIGINT)  # dagster dev ignores SIGTERM when backgrounded
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    (repository,) = data["data"]["repositoriesOrError"]["nodes"]
    assert {s["name"] for s in repository["schedules"]} == {"nightly_refresh"}
    assert {"new_export_sensor", "record_failed_refresh"} <= {s["name"] for s in repository["sensors"]}
    graph = defs.get_repository_def().asset_graph
    expected_assets = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    shown = {"/".join(node["assetKey"]["path"]) for node in repository["assetNodes"]}
    assert expected_assets <= shown
    shown_checks = sum(len(node["assetChecksOrError"].get("checks", [])) for node in repository["assetNodes"])
    assert shown_checks == len(graph.asset_check_keys)
