"""Dagster assets by layer: ingest, dbt, checks, publish."""
