"""Import the slow analysis libraries in the background while the refresh's first steps run.

A refresh needs Great Expectations (its first import costs about 2.3 s), lifelines, statsmodels
and matplotlib (about 2 s together), but not before the raw files are loaded and, for the last
three, not before dbt has built the marts. Importing them on a second thread from the start lets
that work overlap with loading the export and with the dbt process, on a machine whose second
core is otherwise idle. A step that needs a module before the thread has finished it simply waits
for it (Python's import lock); an import that fails here is left for the step to report.

Only libraries the refresh's own first steps do not import are warmed, and the modules both
threads use (pandas, numpy, pyarrow, duckdb) are imported on the caller's thread first, so that
the two threads never wait on each other's half-imported modules.
"""

from __future__ import annotations

import importlib
import threading

# In the order the refresh needs them: the raw files' Great Expectations suites come first.
SLOW_MODULES = (
    "great_expectations",
    "scipy.stats",
    "statsmodels.api",
    "lifelines",
    "matplotlib.figure",
    "matplotlib.backends.backend_svg",
)
SHARED_BASE = ("numpy", "pandas", "pyarrow", "duckdb", "sqlalchemy")


def _import_all() -> None:
    for name in SLOW_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the step that needs it reports the error
            return


def start_warm_up() -> threading.Thread:
    """Start importing SLOW_MODULES on a daemon thread; returns the thread."""
    for name in SHARED_BASE:
        importlib.import_module(name)
    thread = threading.Thread(target=_import_all, name="warehouse-warm-up", daemon=True)
    thread.start()
    return thread
