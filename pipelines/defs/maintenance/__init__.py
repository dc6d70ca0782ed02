"""Maintenance stage: nightly retention of raw bodies (DuckDB to Parquet) and of Dagster's
run history, with checks that nothing past its age remains."""
