"""Retention assets: raw bodies past their age leave DuckDB (archived to Parquet or dropped),
finished Dagster runs past theirs leave the instance. Definitions and the reasons for them:
the docstring of :mod:`pipelines.retention`."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset

from pipelines import accounts
from pipelines.accounts import Account, AccountsFileError
from pipelines.defs.common import DUCKDB_POOL
from pipelines.defs.maintenance.resources import RetentionResource
from pipelines.defs.per_account import accounts_table, for_every_account, plain
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
        "one zstd Parquet file per table and day (or dropped), then deleted from DuckDB; with "
        "an accounts file, in every account's file, archived under <archive folder>/<account>/."
    ),
)
def raw_retention(
    context: AssetExecutionContext, warehouse: WarehouseResource, retention: RetentionResource
) -> Iterator[MaterializeResult]:
    if not accounts.is_multi():
        yield MaterializeResult(metadata=retire_one(context, warehouse, retention))
        return
    try:
        served = accounts.configured()
    except AccountsFileError as exc:
        raise Failure(description=str(exc), allow_retries=False) from None

    def retire_account(account: Account) -> dict[str, object]:
        bound = warehouse.for_account(account)
        if not Path(bound.database).is_file():
            return {"archive_folder": "", "note": "no DuckDB file yet: nothing to retire"}
        return retire_one(context, bound, retention.for_account(account))

    runs = for_every_account(retire_account, served)
    rows, metadata = [], {}
    for run in runs:
        found = run.value or {}
        metadata.update({f"{run.account.name}/{key}": value for key, value in found.items()})
        rows.append(
            {
                "account": run.account.name,
                "kept_from_day": found.get("kept_from_day", ""),
                "rows_deleted": sum(
                    found[f"rows_deleted_{table}"].value
                    for table in RAW_TABLES
                    if f"rows_deleted_{table}" in found
                ),
                "files_written": len(plain(found.get("files_written")) or []),
                "archive_folder": found.get("archive_folder", ""),
                "error": (run.error or "")[:200],
            }
        )
    failed = [run for run in runs if not run.ok]
    for run in failed:
        context.log.error(f"account {run.account.name}: retention failed: {run.error}")
    # Every account's work is recorded first; a failed account then fails the run, naming it
    # (its rows are still in DuckDB, and no_raw_rows_past_retention says which days).
    yield MaterializeResult(
        metadata={
            "accounts": accounts_table(rows),
            "accounts_failed": [run.account.name for run in failed],
            **metadata,
        }
    )
    if failed:
        raise Failure(
            description=f"raw retention failed for {len(failed)} of {len(runs)} account(s): "
            + "; ".join(f"{run.account.name}: {run.error}" for run in failed),
            allow_retries=False,
        )


def retire_one(
    context: AssetExecutionContext, warehouse: WarehouseResource, retention: RetentionResource
) -> dict[str, object]:
    """Retire one file's raw bodies past their age; what it did, as metadata."""
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
    return {
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
