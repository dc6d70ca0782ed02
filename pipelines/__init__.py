"""Contact-center staffing analytics on Kore.ai Agent AI, built on Dagster and DuckDB."""
