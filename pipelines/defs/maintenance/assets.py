"""Retention assets: raw bodies past their age leave DuckDB (archived to Parquet or dropped),
finished Dagster runs past theirs leave the instance. Definitions and the reasons for them:
the docstring of :mod:`pipelines.retention`."""

from datetime import UTC, datetime, timedelta

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from pipelines.defs.common import DUCKDB_POOL
from pipelines.defs.maintenance.resources import RetentionResource
from pipelines.markdown import markdown_table
from pipelines.resources import WarehouseResource
from pipelines.retention import RAW_TABLES, database_size, purge_runs, retire

__all__ = ["raw_retention", "run_history_retention"]


@asset(
    group_name="maintenance",
    kinds={"duckdb", "parquet"},
    pool=DUCKDB_POOL,
    description=(
        "Raw bodies (raw_responses, status_history_pages, contact_volume_pages) of local days "
        "older than AVAILABILITY_RAW_RETENTION_DAYS whose derived rows are built, archived to "
        "one zstd Parquet file per table and day (or dropped), then deleted from DuckDB."
    ),
)
def raw_retention(
    context: AssetExecutionContext, warehouse: WarehouseResource, retention: RetentionResource
) -> MaterializeResult:
    policy = retention.raw_policy(warehouse.database)
    with warehouse.connection() as con:
        before = database_size(con, warehouse.database)
    outcome = retire(warehouse.connection, policy)
    with warehouse.connection() as con:
        after = database_size(con, warehouse.database)
    days = pd.DataFrame(
        outcome.days, columns=["table_name", "day", "rows_removed", "file", "file_bytes"]
    )
    if outcome.pending_finished or outcome.pending_discarded:
        context.log.warning(
            f"an earlier run stopped mid-way: {outcome.pending_finished} archive file(s) "
            f"renamed into place, {outcome.pending_discarded} discarded (rows still in DuckDB)"
        )
    return MaterializeResult(
        metadata={
            "mode": policy.mode,
            "kept_from_day": outcome.cutoff.isoformat(),
            **{
                f"rows_deleted_{table}": MetadataValue.int(outcome.rows_removed[table])
                for table in RAW_TABLES
            },
            "files_written": [str(f) for f in outcome.files_written],
            "archive_folder": str(policy.archive_dir) if policy.mode == "archive" else "",
            "parquet_bytes_written": MetadataValue.int(int(days["file_bytes"].fillna(0).sum())),
            **before.as_metadata("before"),
            **after.as_metadata("after"),
            "days": MetadataValue.md(markdown_table(days)),
            "pending_finished": MetadataValue.int(outcome.pending_finished),
            "pending_discarded": MetadataValue.int(outcome.pending_discarded),
        }
    )


@asset(
    group_name="maintenance",
    kinds={"dagster"},
    description=(
        "Finished Dagster runs created more than AVAILABILITY_RUN_RETENTION_DAYS ago, with "
        "their event and compute logs, deleted from the instance; queued and running runs "
        "are never touched."
    ),
)
def run_history_retention(
    context: AssetExecutionContext, retention: RetentionResource
) -> MaterializeResult:
    cutoff = datetime.now(UTC) - timedelta(days=retention.run_days)
    outcome = purge_runs(context.instance, cutoff, keep=frozenset({context.run.run_id}))
    if outcome.unfinished_kept:
        context.log.warning(
            f"{len(outcome.unfinished_kept)} run(s) older than the cutoff are not finished "
            "and were kept; look at them in the Runs tab"
        )
    return MaterializeResult(
        metadata={
            "cutoff": cutoff.isoformat(),
            "runs_deleted": MetadataValue.int(outcome.runs_deleted),
            "run_files_removed": MetadataValue.int(outcome.run_files_removed),
            "unfinished_runs_kept": outcome.unfinished_kept[:50],
        }
    )
