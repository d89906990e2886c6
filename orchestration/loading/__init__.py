"""Loading an export: the input contract (SPEC section 3), reading the files (readers), the row
rules as SQL (row_rules) and loading into `raw` with the `audit` tables (load). Plain Python over
DuckDB; no Dagster here (tests/test_imports.py)."""
