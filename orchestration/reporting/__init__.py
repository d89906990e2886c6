"""The `reporting` schema: reading the ADaM marts into the frames `analysis/` takes (marts), one
function per reporting table that computes and writes it (tables), and the CSR tables (tlg).
Plain Python over DuckDB; no Dagster here (tests/test_imports.py)."""
