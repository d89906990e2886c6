"""The benchmark at 300 patients, as CI's smoke run: it completes, the plain-SQL lower bound
builds the same ADaM tables as the refresh, and the table has every figure. Nothing is timed
against a threshold here; the figures are for benchmarks/RESULTS.md."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from benchmarks.run import Measured, SizeResult, fixed_cost, layer_seconds

pytestmark = pytest.mark.slow

COLUMNS = {
    "patients",
    "input_MB",
    "generate_s",
    "generate_peak_GiB",
    "refresh_s",
    "repeat_refresh_s",
    "next_export_refresh_s",
    "ingest_s",
    "dbt_models_s",
    "checks_s",
    "analysis_s",
    "tlg_s",
    "publish_s",
    "orchestration_s",
    "refresh_peak_GiB",
    "lower_bound_s",
    "lower_bound_peak_GiB",
    "refresh_over_lower_bound",
    "above_lower_bound_s",
    "database_MB",
    "snapshot_MB",
    "adam_rows",
    "same_adam",
}


def test_benchmark_smoke_run_at_300_patients(tmp_path):
    out, work = tmp_path / "out", tmp_path / "work"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--patients", "300", "--out", str(out), "--work", str(work)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (row,) = list(csv.DictReader((out / "results.csv").open()))
    assert set(row) == COLUMNS
    assert row["patients"] == "300" and row["same_adam"] == "True"
    assert int(row["adam_rows"]) > 300 * 10  # every mart, not just ADSL
    layers = sum(float(row[f"{layer}_s"]) for layer in ("ingest", "dbt_models", "checks", "analysis", "tlg", "publish"))
    assert 0 < layers <= float(row["refresh_s"])
    assert float(row["lower_bound_s"]) > 0 and float(row["refresh_peak_GiB"]) > 0
    assert row["repeat_refresh_s"] == row["next_export_refresh_s"] == ""  # at the real study's 78 patients only
    assert abs(float(row["above_lower_bound_s"]) - (float(row["refresh_s"]) - float(row["lower_bound_s"]))) <= 0.11
    results_md = (out / "RESULTS.md").read_text()
    assert "| 300 |" in results_md
    assert (
        f"**Fixed cost** (refresh at 300 patients minus its plain-SQL lower bound): {row['above_lower_bound_s']} s"
        in results_md
    )


def size(
    patients: int, refresh: float, lower_bound: float, repeat: float | None = None, following: float | None = None
) -> SizeResult:
    return SizeResult(
        patients,
        1.0,
        Measured(1.0, 1),
        Measured(refresh, 1),
        None if repeat is None else Measured(repeat, 1),
        None if following is None else Measured(following, 1),
        {},
        Measured(lower_bound, 1),
        {},
        1.0,
        1.0,
        1,
        True,
    )


def test_fixed_cost_is_the_real_study_refresh_above_its_lower_bound():
    lines = fixed_cost([size(78, 9.5, 0.7), size(1000, 11.0, 1.4)])
    assert lines[0] == (
        "**Fixed cost** (refresh at the real study's 78 patients minus its plain-SQL lower bound): "
        "8.8 s (9.5 s - 0.7 s), the first refresh of a new warehouse."
    )
    assert lines[-1] == "Refresh / lower bound: 78 patients 13.57x; 1,000 patients 7.86x."


def test_the_next_exports_refresh_has_its_own_fixed_cost():
    lines = fixed_cost([size(78, 9.5, 0.7, repeat=6.2, following=4.1), size(1000, 11.0, 1.4)])
    assert lines[2] == (
        "**Fixed cost of a next export's refresh** (the third refresh of the warehouse, its follow-up export, "
        "dbt's recorded run replayed): 3.4 s (4.1 s - 0.7 s)."
    )
    assert lines[4].startswith("**Fixed cost of a repeat refresh**")


def test_the_repeat_refresh_has_its_own_fixed_cost():
    lines = fixed_cost([size(78, 9.5, 0.7, repeat=6.2), size(1000, 11.0, 1.4)])
    assert lines[2] == (
        "**Fixed cost of a repeat refresh** (the same export again in the same warehouse; dbt runs, its tables "
        "being new since the first refresh): 5.5 s (6.2 s - 0.7 s)."
    )


def test_steps_that_overlap_share_the_wall_time_and_the_layers_add_up_to_it():
    """While the report waits for the worker the TLF files run beside it: a second they share
    counts half for each, so the layers never add up to more than the refresh took."""
    spans = {
        "raw__edc_dm": (1.0, 2.0),
        "dbt_models": (2.0, 4.0),
        "reporting__report": (4.0, 6.0),
        "reporting__tlf_files": (5.0, 7.0),
        "published__snapshot": (7.0, 7.5),
    }
    layers = layer_seconds(spans, dbt_tests=0.5, wall=8.0)
    assert layers["ingest"] == 1.0
    assert layers["dbt_models"] == 1.5 and layers["checks"] == 0.5
    assert layers["analysis"] == 1.5  # the report: 4-5 alone, 5-6 shared
    assert layers["tlg"] == 1.5  # the TLF files: 5-6 shared, 6-7 alone
    assert layers["publish"] == 0.5
    assert layers["orchestration"] == 1.5  # before the first step and after the last
    assert sum(layers.values()) == 8.0
