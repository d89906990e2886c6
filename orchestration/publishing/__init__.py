"""Publishing: immutable snapshot folders, the atomic `current` switch, retention and Parquet
(snapshot). Plain Python over DuckDB; no Dagster here (tests/test_imports.py)."""
