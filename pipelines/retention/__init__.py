"""Retention: what is kept how long, and where raw rows go when their time is up.

Nothing used to be deleted: at 200 agents, 11 scopes and a poll a minute the raw answers
alone grow DuckDB by about 1 GB a day, and Dagster's run history by about 0.2 GB.

**Raw bodies are archived, not dropped (by default).** The raw tables (``raw_responses``,
``status_history_pages``, ``contact_volume_pages``) are the only record of what Kore.ai
actually said: the normalized rows are derived from them by code that can be wrong, and a
fixed parser, a new field or an audit needs them again. Kept in DuckDB they are most of the
file and slow every checkpoint; as one zstd-compressed Parquet file per table and local day
they cost a fraction of it (measured in the README's "Retention" section), sit outside the
hot file, and DuckDB reads them back with ``read_parquet(…, hive_partitioning = true)``
(Parquet is built into DuckDB; no extension needed). ``AVAILABILITY_RAW_RETENTION_MODE=drop``
deletes them instead, for installations that must not keep the bodies at all.

**Which rows go.** A row goes when its local day (``AVAILABILITY_TIME_ZONE``) is older than
``AVAILABILITY_RAW_RETENTION_DAYS`` whole days before today (default 14: on the 30th, the 15th
and earlier go, the 16th stays) AND what is derived from it is built: coverage of that day
exists (availability answers; their snapshots are derived when the tick lands), the fetch of
that account's day completed (status history pages), the sync window completed (contact
volume pages). Rows not built yet stay however old they are, and the check names them.
Normalized rows (snapshots, spans, coverage, history, volume) are the product and are never
deleted by retention.

**How** (:mod:`pipelines.retention.raw`): per table and day, one transaction writes the
Parquet file under a temporary name, reads it back, deletes exactly the same rows and records
the deletion; the file is renamed into place after the commit. Crash-safe and idempotent;
see that module. Dagster's run history is purged by :mod:`pipelines.retention.runs`.
"""

from pipelines.retention.raw import (
    RAW_TABLES,
    RawRetention,
    RetentionOutcome,
    archive_file,
    due,
    retire,
)
from pipelines.retention.runs import RunPurge, purge_runs, runs_past_age
from pipelines.retention.sizes import DatabaseSize, database_size

__all__ = [
    "RAW_TABLES",
    "DatabaseSize",
    "RawRetention",
    "RetentionOutcome",
    "RunPurge",
    "archive_file",
    "database_size",
    "due",
    "purge_runs",
    "retire",
    "runs_past_age",
]
