"""The synthetic trial: exports in the input contract for the demo, the tests and the benchmark
(generator). Plain Python and numpy; no Dagster here (tests/test_imports.py)."""
