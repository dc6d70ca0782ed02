"""Assets grouped by stage: ingest (polls into DuckDB), coverage, reports."""
