"""`warehouse-dbt`: dbt, tied to the refresh that started it.

dagster-dbt runs dbt as a child process. If the refresh is killed outright (SIGKILL, OOM killer),
an orphaned dbt would go on writing the build database and hold DuckDB's single-writer lock, so the
next refresh would fail. On Linux this entry point asks the kernel to send dbt SIGTERM when its
parent dies (PR_SET_PDEATHSIG), then runs dbt's own command line unchanged.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Have the kernel SIGTERM this process when its parent exits (a no-op off Linux)."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        sys.exit(f"warehouse-dbt: the refresh that started dbt (pid {parent}) has gone; not running dbt")


def main() -> None:
    die_with_parent()
    from dbt.cli.main import cli

    sys.exit(cli())


if __name__ == "__main__":
    main()
