"""What the change audit costs inside the nightly refresh (issue 17: at most 20 % of the refresh).

Generates an export of N patients and its 30-day follow-up, refreshes both in one warehouse (each
in a fresh process, as `benchmarks.run` does), and reports for the follow-up refresh the seconds
of the steps that compare it with the published export (quality/record_changes and
quality/endpoint_changes) against the whole refresh, with the number of changes found.

    python -m benchmarks.change_audit --patients 10000 --out /tmp/change_audit
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from orchestration.synthetic.follow_up import write_follow_up
from orchestration.synthetic.generator import generate_export

CHANGE_STEPS = ("record_changes", "endpoint_changes")


def refresh(export: Path, home: Path, outcome: Path) -> dict:
    env = dict(os.environ, WAREHOUSE_HOME=str(home), DAGSTER_HOME=str(home / "dagster"))
    subprocess.run([sys.executable, "-m", "benchmarks.refresh_once", str(export), str(outcome)], env=env, check=True)
    return json.loads(outcome.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--out", type=Path, required=True, help="work folder (exports and warehouse)")
    args = parser.parse_args(argv)
    work = args.out.resolve()
    home = work / "warehouse"
    started = time.monotonic()
    first = generate_export(work / "first", patients=args.patients)
    follow_up = write_follow_up(first.path, work / "follow_up", days=30)
    print(f"generated {args.patients:,} patients and the follow-up in {time.monotonic() - started:.0f} s", flush=True)
    refresh(first.path, home, work / "first.json")
    outcome = refresh(follow_up.path, home, work / "follow_up.json")
    steps = outcome["step_seconds"]
    audit = {name: seconds for name, seconds in steps.items() if any(step in name for step in CHANGE_STEPS)}
    with duckdb.connect(str(home / "current" / "warehouse.duckdb"), read_only=True) as con:
        records = con.execute(
            "select FILE, CHANGE, count(distinct RECORD_KEY) from quality.record_changes group by all order by all"
        ).fetchall()
        endpoints = con.execute("select count(*), count(distinct USUBJID) from quality.endpoint_changes").fetchone()
    total = outcome["seconds"]
    spent = sum(audit.values())
    print(f"follow-up refresh: {total:.1f} s; change audit steps: {spent:.1f} s ({spent / total:.1%} of the refresh)")
    for name, seconds in sorted(audit.items()):
        print(f"  {name}: {seconds:.1f} s")
    print(f"  record changes: {records}")
    print(f"  endpoint changes: {endpoints[0]} values of {endpoints[1]} patients")
    share = spent / (total - spent) if total > spent else float("inf")
    print(f"  added to the refresh without the audit: {share:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
