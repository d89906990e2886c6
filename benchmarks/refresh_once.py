"""One `warehouse refresh` of an export, writing its outcome and per-step seconds as JSON.

The benchmark runs this in a fresh process per size, so the timing includes start-up and imports
as a user's refresh does, and it refreshes as `warehouse refresh` does: with its
worker process (orchestration/worker.py) started first, and an exit without interpreter teardown.

    python -m benchmarks.refresh_once EXPORT OUTCOME.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from orchestration import worker
from orchestration.cli import exit_now
from orchestration.refresh import ensure_dbt_manifest, run_refresh
from orchestration.settings import WarehousePaths


def main(export: str, outcome_json: str) -> int:
    worker.start()  # as orchestration/cli.py's _refresh does
    try:
        ensure_dbt_manifest()
        outcome = run_refresh(WarehousePaths.from_env(), Path(export))
    finally:
        worker.stop()
    Path(outcome_json).write_text(
        json.dumps(
            {
                "published": outcome.published,
                "run_id": outcome.run_id,
                "seconds": outcome.seconds,
                "step_seconds": outcome.step_seconds,
                "step_spans": outcome.step_spans,
                "problems": list(outcome.problems),
            },
            indent=2,
        )
    )
    if not outcome.published:
        print("\n".join(outcome.problems), file=sys.stderr)
    return 0 if outcome.published else 1


if __name__ == "__main__":
    exit_now(main(*sys.argv[1:]))
