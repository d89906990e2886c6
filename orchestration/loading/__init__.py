"""Loading an export: the input contract (SPEC section 3), reading the files (readers), the row
rules as SQL (row_rules), loading into `raw` with the `audit` tables (load) and the verdict on each
file and on the export (verdict). Plain Python over DuckDB; no Dagster here (tests/test_imports.py)."""
