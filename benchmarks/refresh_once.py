"""One `warehouse refresh` of an export, writing its outcome and per-step seconds as JSON.

The benchmark runs this in a fresh process per size, so the timing includes start-up and imports
as a user's refresh does.

    python -m benchmarks.refresh_once EXPORT OUTCOME.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from orchestration.refresh import ensure_dbt_manifest, run_refresh
from orchestration.settings import WarehousePaths


def main(export: str, outcome_json: str) -> int:
    ensure_dbt_manifest()
    outcome = run_refresh(WarehousePaths.from_env(), Path(export))
    Path(outcome_json).write_text(
        json.dumps(
            {
                "published": outcome.published,
                "run_id": outcome.run_id,
                "seconds": outcome.seconds,
                "step_seconds": outcome.step_seconds,
                "problems": list(outcome.problems),
            },
            indent=2,
        )
    )
    if not outcome.published:
        print("\n".join(outcome.problems), file=sys.stderr)
    return 0 if outcome.published else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
