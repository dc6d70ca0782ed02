"""Checks of retention: nothing past its age remains, in DuckDB or in Dagster's run history."""

from datetime import UTC, datetime, timedelta

import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    MetadataValue,
    asset_check,
)

from pipelines.defs.maintenance.assets import raw_retention, run_history_retention
from pipelines.defs.maintenance.resources import RetentionResource
from pipelines.defs.per_account import check_every_account
from pipelines.markdown import markdown_table
from pipelines.resources import WarehouseResource
from pipelines.retention import due, runs_past_age

__all__ = ["no_raw_rows_past_retention", "no_runs_past_retention"]


@asset_check(asset=raw_retention)
def no_raw_rows_past_retention(
    warehouse: WarehouseResource, retention: RetentionResource
) -> AssetCheckResult:
    """No raw row of a day older than AVAILABILITY_RAW_RETENTION_DAYS is left in DuckDB.

    Rows that could go but did not (retention did not run, or failed) fail the check; rows
    held back because what is derived from them is not built yet (no coverage of the day, a
    fetch or sync still paging) only warn, naming the table and day. With an accounts file,
    every account's file, by its own local days.
    """
    return check_every_account(
        warehouse,
        lambda bound: _past_retention(bound, retention),
        judge_for=lambda account: (
            lambda bound: _past_retention(bound, retention.for_account(account))
        ),
    )


def _past_retention(warehouse: WarehouseResource, retention: RetentionResource) -> AssetCheckResult:
    policy = retention.raw_policy(warehouse.database)
    with warehouse.connection(read_only=True) as con:
        left = pd.DataFrame(
            due(con, policy, datetime.now(UTC)),
            columns=["table_name", "day", "rows_due", "rows_held"],
        )
    overdue = int(left["rows_due"].sum())
    held = int(left["rows_held"].sum())
    return AssetCheckResult(
        passed=overdue == 0 and held == 0,
        severity=AssetCheckSeverity.ERROR if overdue else AssetCheckSeverity.WARN,
        metadata={
            "kept_from_day": policy.cutoff(datetime.now(UTC)).isoformat(),
            "rows_overdue": MetadataValue.int(overdue),
            "rows_held_back": MetadataValue.int(held),
            "days": MetadataValue.md(markdown_table(left)),
        },
    )


@asset_check(asset=run_history_retention)
def no_runs_past_retention(
    context: AssetCheckExecutionContext, retention: RetentionResource
) -> AssetCheckResult:
    """No finished run older than AVAILABILITY_RUN_RETENTION_DAYS is left in the instance;
    unfinished ones (never purged) are listed as a warning."""
    cutoff = datetime.now(UTC) - timedelta(days=retention.run_days)
    finished = runs_past_age(context.instance, cutoff, limit=10)
    unfinished = runs_past_age(context.instance, cutoff, finished=False, limit=10)
    return AssetCheckResult(
        passed=not finished and not unfinished,
        severity=AssetCheckSeverity.ERROR if finished else AssetCheckSeverity.WARN,
        metadata={
            "cutoff": cutoff.isoformat(),
            "finished_runs_left": finished,
            "unfinished_runs_older": unfinished,
        },
    )
