"""Benchmark: how a refresh's cost grows from 78 to 100,000 patients, against a plain-SQL lower bound.

For each size, in one run and on the same generated export:

- ``generate``: the synthetic export (``warehouse generate``);
- ``refresh``: the whole Dagster job in a fresh warehouse, with its wall time split per layer
  (ingest, dbt models, checks, analysis, tlg (the CSR tables and their RTF files), publish, and start-up/orchestration as the rest);
- ``repeat refresh`` (78 patients, the real study): the same export refreshed again in that warehouse:
  dbt re-parses only what changed, Dagster's storage exists; dbt runs (its tables are new since the
  first refresh, so the run it recorded does not apply) and this run is recorded;
- ``next export refresh`` (78 patients): the export's 30-day follow-up, refreshed third in that
  warehouse, as a data manager's nightly refresh runs: dbt's recorded run is replayed
  (orchestration/dbt_replay.py);
- ``lower bound``: the same staging-to-ADaM SQL as one plain DuckDB script (``lower_bound.py``),
  checked to build the same ADaM tables;
- peak memory of each (the sum of the resident memory of the process and its children, dbt
  included, sampled every 50 ms) and the size of the build database and of the published snapshot.

It writes ``RESULTS.md`` (with the machine it ran on) and ``results.csv``. Every command runs in
its own process, so one size's caches and imports never help the next.

    uv run python -m benchmarks.run                          # 78, 1,000, 10,000 and 100,000
    uv run python -m benchmarks.run --patients 300 --out /tmp/bench    # a smoke run
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

SIZES = (78, 1_000, 10_000, 100_000)
REAL_STUDY = 78  # patients of the trial itself: its refresh above the lower bound is the fixed cost
HERE = Path(__file__).resolve().parent
NOTES_MARKER = "<!-- notes: kept when the benchmark rewrites this file -->"
LAYERS = ("ingest", "dbt_models", "checks", "analysis", "tlg", "publish", "orchestration")
# The CSR tables (issue 18): the reporting.tlg_* step and the RTF/figure files step.
TLG_STEPS = ("tlg_tables", "reporting__tlf_files")
ADAM_TABLES = ("adsl", "adrs", "adtte", "adtr", "adae", "adex")


@dataclass
class Measured:
    seconds: float
    peak_bytes: int


@dataclass
class SizeResult:
    patients: int
    input_mb: float
    generate: Measured
    refresh: Measured
    repeat_refresh: Measured | None
    next_export_refresh: Measured | None
    layers: dict[str, float]
    lower_bound: Measured
    lower_bound_stages: dict[str, float]
    database_mb: float
    snapshot_mb: float
    adam_rows: int
    same_adam: bool

    @property
    def ratio(self) -> float:
        return self.refresh.seconds / self.lower_bound.seconds


# --- measuring a command ------------------------------------------------------------------------


def _tree_rss(group: int) -> int:
    """Resident bytes of every process in a process group (the command and its children)."""
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            if int(fields[2]) != group:  # field 5 of stat: the process group
                continue
            with open(f"/proc/{entry.name}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * page
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total


def measure(command: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run a command to completion; wall seconds and peak resident memory of its process tree."""
    peak = 0
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.05):
                peak = max(peak, _tree_rss(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        status = process.wait()
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    if status != 0:
        raise SystemExit(f"{command[2:4]} failed with exit status {status}; see {log}")
    return Measured(seconds, peak)


# --- one size -----------------------------------------------------------------------------------


def _layer(step: str) -> str:
    if step.endswith("great_expectations") or step.endswith("_check"):
        return "checks"
    if step.startswith(("audit__", "raw__")):
        return "ingest"
    if step == "dbt_models":
        return "dbt_models"
    if step.startswith("published__"):
        return "publish"
    return "tlg" if step in TLG_STEPS else "analysis"


def wall_shares(spans: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Each step's share of the wall time: steps overlap while one waits for the worker
    (orchestration/concurrent_steps.py), and a second that n steps share counts 1/n for each."""
    bounds = sorted({t for span in spans.values() for t in span})
    shares = dict.fromkeys(spans, 0.0)
    for start, end in zip(bounds, bounds[1:], strict=False):
        running = [step for step, (a, b) in spans.items() if a <= start and b >= end]
        for step in running:
            shares[step] += (end - start) / len(running)
    return shares


def layer_seconds(spans: dict[str, tuple[float, float]], dbt_tests: float, wall: float) -> dict[str, float]:
    """Split a refresh's wall time into layers from its Dagster steps and dbt's run results."""
    layers = dict.fromkeys(LAYERS, 0.0)
    for step, seconds in wall_shares(spans).items():
        layers[_layer(step)] += seconds
    layers["dbt_models"] -= dbt_tests  # dbt runs alone: its tests' own time counts as checks
    layers["checks"] += dbt_tests
    layers["orchestration"] = wall - sum(layers.values())
    return layers


def _megabytes(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _same_adam(refresh_db: Path, lower_db: Path) -> tuple[bool, int]:
    """Do the refresh and the lower bound build the same ADaM tables, row for row?"""
    import duckdb

    rows, same = 0, True
    with duckdb.connect(str(lower_db), read_only=True) as con:
        con.execute(f"attach '{refresh_db}' as refreshed (read_only)")
        for table in ADAM_TABLES:
            (count,) = con.execute(f"select count(*) from adam.{table}").fetchone()
            (differ,) = con.execute(
                f"select count(*) from (select * from adam.{table} except all select * from refreshed.adam.{table})"
            ).fetchone()
            rows, same = rows + count, same and differ == 0
    return same, rows


def run_size(patients: int, work: Path, log: Path) -> SizeResult:
    folder = work / f"n{patients}"
    shutil.rmtree(folder, ignore_errors=True)
    export, home, lower = folder / "export", folder / "warehouse", folder / "lower-bound"
    env = dict(
        os.environ,
        WAREHOUSE_HOME=str(home),
        DAGSTER_HOME=str(home / "dagster"),
        # No dbt run another warehouse of this checkout recorded: each size's first refresh runs dbt,
        # whose compiled manifest the lower bound runs (a replay writes none).
        WAREHOUSE_DBT_RECORDINGS=str(folder / "dbt-recorded"),
        PYTHONUNBUFFERED="1",
    )
    python = sys.executable

    _say(f"{patients:>7,} patients: generating …")
    generate = measure(
        [python, "-m", "orchestration.cli", "generate", "--out", str(export), "--patients", str(patients)], env, log
    )
    _say(f"{'':>17} generated in {generate.seconds:.1f} s; refreshing …")
    timings = folder / "refresh.json"
    refresh = measure([python, "-m", "benchmarks.refresh_once", str(export), str(timings)], env, log)
    outcome = json.loads(timings.read_text())
    target = home / "dbt" / "target" / outcome["run_id"]
    results = json.loads((target / "run_results.json").read_text())["results"]
    dbt_tests = sum(r["execution_time"] for r in results if r["unique_id"].startswith("test."))
    layers = layer_seconds(outcome["step_spans"], dbt_tests, refresh.seconds)
    repeat = next_export = None
    if patients == REAL_STUDY:
        _say(f"{'':>17} refreshed in {refresh.seconds:.1f} s; again in the same warehouse …")
        repeat = measure([python, "-m", "benchmarks.refresh_once", str(export), str(folder / "repeat.json")], env, log)
        _say(f"{'':>17} refreshed again in {repeat.seconds:.1f} s; lower bound …")
    else:
        _say(f"{'':>17} refreshed in {refresh.seconds:.1f} s; lower bound …")
    stages = folder / "lower-bound.json"
    lower_bound = measure(
        [
            python,
            "-m",
            "benchmarks.lower_bound",
            "--export",
            str(export),
            "--target",
            str(target),
            "--database",
            str(lower / "warehouse.duckdb"),
            "--json",
            str(stages),
        ],
        env,
        log,
    )
    same, adam_rows = _same_adam(home / "warehouse.duckdb", lower / "warehouse.duckdb")
    database_mb, snapshot_mb = _megabytes(home / "warehouse.duckdb"), _megabytes((home / "current").resolve())
    if patients == REAL_STUDY:  # after the comparison: this refresh builds another export
        _say(f"{'':>17} lower bound {lower_bound.seconds:.1f} s; the next export …")
        following = folder / "follow-up"
        measure(
            [python, "-m", "orchestration.cli", "generate", "--follow-up-of", str(export), "--out", str(following)],
            env,
            log,
        )
        next_export = measure(
            [python, "-m", "benchmarks.refresh_once", str(following), str(folder / "next.json")], env, log
        )
        run_id = json.loads((folder / "next.json").read_text())["run_id"]
        replayed = "replayed" in json.loads((home / "dbt" / "target" / run_id / "run_results.json").read_text())["args"]
        _say(
            f"{'':>17} next export refreshed in {next_export.seconds:.1f} s"
            + ("" if replayed else "  (dbt ran: its recorded run did not apply)")
        )
    result = SizeResult(
        patients=patients,
        input_mb=_megabytes(export),
        generate=generate,
        refresh=refresh,
        repeat_refresh=repeat,
        next_export_refresh=next_export,
        layers=layers,
        lower_bound=lower_bound,
        lower_bound_stages=json.loads(stages.read_text()),
        database_mb=database_mb,
        snapshot_mb=snapshot_mb,
        adam_rows=adam_rows,
        same_adam=same,
    )
    _say(
        f"{'':>17} lower bound {lower_bound.seconds:.1f} s; refresh / lower bound = {result.ratio:.1f}"
        + ("" if same else "  (ADaM tables DIFFER)")
    )
    shutil.rmtree(lower, ignore_errors=True)
    return result


# --- the table ----------------------------------------------------------------------------------


def _gb(n: int) -> str:
    return f"{n / 2**30:.2f}"


def rows(results: list[SizeResult]) -> list[dict[str, object]]:
    table = []
    for r in results:
        row: dict[str, object] = {
            "patients": r.patients,
            "input_MB": round(r.input_mb, 1),
            "generate_s": round(r.generate.seconds, 1),
            "generate_peak_GiB": _gb(r.generate.peak_bytes),
            "refresh_s": round(r.refresh.seconds, 1),
            "repeat_refresh_s": round(r.repeat_refresh.seconds, 1) if r.repeat_refresh else "",
            "next_export_refresh_s": round(r.next_export_refresh.seconds, 1) if r.next_export_refresh else "",
        }
        row.update({f"{layer}_s": round(seconds, 1) for layer, seconds in r.layers.items()})
        row.update(
            {
                "refresh_peak_GiB": _gb(r.refresh.peak_bytes),
                "lower_bound_s": round(r.lower_bound.seconds, 1),
                "lower_bound_peak_GiB": _gb(r.lower_bound.peak_bytes),
                "refresh_over_lower_bound": round(r.ratio, 2),
                "above_lower_bound_s": round(r.refresh.seconds - r.lower_bound.seconds, 1),
                "database_MB": round(r.database_mb, 1),
                "snapshot_MB": round(r.snapshot_mb, 1),
                "adam_rows": r.adam_rows,
                "same_adam": r.same_adam,
            }
        )
        table.append(row)
    return table


def growth(results: list[SizeResult]) -> list[str]:
    """Cost per patient from each size to the next (1.0 = linear)."""
    lines = []
    for small, large in zip(results, results[1:]):
        scale = large.patients / small.patients
        lines.append(
            f"- {small.patients:,} → {large.patients:,} patients (×{scale:.3g}): refresh ×"
            f"{large.refresh.seconds / small.refresh.seconds:.2f} time, ×"
            f"{large.refresh.peak_bytes / small.refresh.peak_bytes:.2f} memory; lower bound ×"
            f"{large.lower_bound.seconds / small.lower_bound.seconds:.2f}"
        )
    return lines


def fixed_cost(results: list[SizeResult]) -> list[str]:
    """The cost that does not depend on the data: the smallest refresh's seconds above its lower
    bound (the 78-patient study's, when measured), and each size's ratio to its lower bound."""
    smallest = min(results, key=lambda r: r.patients)
    which = "the real study's 78 patients" if smallest.patients == REAL_STUDY else f"{smallest.patients:,} patients"
    lines = [
        f"**Fixed cost** (refresh at {which} minus its plain-SQL lower bound): "
        f"{smallest.refresh.seconds - smallest.lower_bound.seconds:.1f} s "
        f"({smallest.refresh.seconds:.1f} s - {smallest.lower_bound.seconds:.1f} s), the first refresh of a new "
        "warehouse.",
        "",
        "Refresh / lower bound: " + "; ".join(f"{r.patients:,} patients {r.ratio:.2f}x" for r in results) + ".",
    ]
    if smallest.repeat_refresh is not None:
        repeat = smallest.repeat_refresh.seconds
        lines[1:1] = [
            "",
            "**Fixed cost of a repeat refresh** (the same export again in the same warehouse; dbt runs, its tables "
            "being new since the first refresh): "
            f"{repeat - smallest.lower_bound.seconds:.1f} s ({repeat:.1f} s - {smallest.lower_bound.seconds:.1f} s).",
        ]
    if smallest.next_export_refresh is not None:
        following = smallest.next_export_refresh.seconds
        lines[1:1] = [
            "",
            "**Fixed cost of a next export's refresh** (the third refresh of the warehouse, its follow-up export, "
            f"dbt's recorded run replayed): {following - smallest.lower_bound.seconds:.1f} s "
            f"({following:.1f} s - {smallest.lower_bound.seconds:.1f} s).",
        ]
    return lines


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import duckdb

    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    )


def write_results(results: list[SizeResult], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    table = rows(results)
    with (out / "results.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    header = list(table[0])
    lines = [
        "# Benchmark results",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}, with "
        f"`uv run python -m benchmarks.run --patients {' '.join(str(r.patients) for r in results)}`.",
        "`repeat_refresh_s` is a second refresh of the same export in the same warehouse, and",
        "`next_export_refresh_s` a third, of its 30-day follow-up export, with dbt's recorded run replayed",
        "(78 patients only).",
        "Seconds are wall time; peak memory is the resident memory of the command and its children",
        "(dbt included) summed, sampled every 50 ms. The layers split the refresh's wall time:",
        "ingest (manifest check, CSV load, row checks), dbt models, checks (dbt tests and Great",
        "Expectations), analysis (statistics and report), tlg (the CSR tables, their RTF files and figures),",
        "publish (snapshot and Parquet), and the",
        "rest: process start-up, imports, Dagster and dbt orchestration. dbt runs two threads, so its",
        "tests partly overlap its models; the split counts each test's own execution time as a check",
        "and the rest of the dbt step as models. The lower bound runs the same",
        "staging-to-ADaM SQL in one DuckDB connection (`benchmarks/lower_bound.py`); `same_adam` says",
        "that it built the same ADaM tables as the refresh.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" for _ in header) + "|",
    ]
    for row in table:
        lines.append(
            "| "
            + " | ".join(f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v) for v in row.values())
            + " |"
        )
    lines += ["", *fixed_cost(results), "", "Growth between sizes:", "", *growth(results), ""]
    stages = "; ".join(
        f"{r.patients:,}: " + ", ".join(f"{k} {v:.1f} s" for k, v in r.lower_bound_stages.items()) for r in results
    )
    lines += [f"Lower bound by stage: {stages}.", ""]
    results_md = out / "RESULTS.md"
    # Hand-written notes below the marker (what changed, how to read the figures) are kept.
    kept = results_md.read_text(encoding="utf-8").partition(NOTES_MARKER)[2] if results_md.exists() else ""
    results_md.write_text("\n".join(lines) + (f"\n{NOTES_MARKER}{kept}" if kept else ""), encoding="utf-8")
    (out / "results.json").write_text(json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8")


def _say(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time refreshes of 78 to 100,000 patients against a plain-SQL lower bound."
    )
    parser.add_argument("--patients", type=int, nargs="+", default=list(SIZES))
    parser.add_argument(
        "--out", type=Path, default=HERE, help="where RESULTS.md and results.csv go (default: benchmarks/)"
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(os.environ.get("TMPDIR", "/tmp")) / "warehouse-benchmark",
        help="scratch folder for exports and warehouses",
    )
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    log = args.work / "benchmark.log"
    log.write_text("")
    _say(f"Benchmark on {machine()}; command output in {log}")
    results = []
    for patients in args.patients:
        results.append(run_size(patients, args.work, log))
        write_results(results, args.out)  # after each size, so a long run shows its progress
    _say(f"Wrote {args.out / 'RESULTS.md'} and {args.out / 'results.csv'}")
    return 0 if all(r.same_adam for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
