"""What the Dagster stages share: the DuckDB writer pool, the daily partitions, and the one
translation of a check outcome into Dagster metadata (Markdown through pipelines.markdown)."""

from __future__ import annotations

import warnings
from datetime import date
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    DailyPartitionsDefinition,
    MetadataValue,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    PartitionsDefinition,
    StaticPartitionsDefinition,
)

from pipelines import accounts, settings
from pipelines.accounts import ACCOUNT_DIMENSION, DAY_DIMENSION
from pipelines.coverage import CheckOutcome

__all__ = [
    "COVERAGE_ASSET",
    "DUCKDB_POOL",
    "check_result",
    "coverage_partitions",
    "daily_partitions",
    "account_zone",
    "partition_account",
    "partition_key_for",
    "partition_day",
]

# Assets that write DuckDB share this pool; config/dagster.yaml limits it to one slot, so a
# scheduled poll and a run launched by hand queue for the file instead of fighting for its lock.
# Readers (the report, every asset check) take no slot: they open read-only connections, which
# wait a moment for a writer's lock instead of for the slot (tests/unit/test_check_pools.py).
DUCKDB_POOL = "duckdb_writer"

# Checks per day partition are a preview feature of Dagster 1.13; a check of a whole
# day must run against that day, so the project relies on it knowingly.
warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec")


def _days(end_offset: int) -> DailyPartitionsDefinition:
    """Local days in the reporting zone; the coverage resource's grid reads the same setting."""
    return DailyPartitionsDefinition(
        start_date=settings.get("AVAILABILITY_PARTITIONS_START"),
        timezone=settings.get("AVAILABILITY_TIME_ZONE"),
        end_offset=end_offset,
    )


daily_partitions = _days(1)  # today's partition exists, and refreshes as polls land


def _coverage_partitions() -> PartitionsDefinition:
    """Local days; with an accounts file, account × local day. Chosen over per-account copies
    of every asset: one asset graph, one set of checks and schedules, and the UI shows each
    account's days as a row of the partition grid (its freshness and failures at a glance). A
    day is the account's local day (its ``time_zone``); the accounts are read when the code
    location loads, so an added account appears after a reload."""
    if not accounts.is_multi():
        return daily_partitions
    names = [account.name for account in accounts.configured()]
    # An account's local day runs up to a day ahead of the reporting zone's (Auckland's
    # morning is the afternoon before in New York): its today must exist a day earlier.
    return MultiPartitionsDefinition(
        {ACCOUNT_DIMENSION: StaticPartitionsDefinition(names), DAY_DIMENSION: _days(2)}
    )


coverage_partitions = _coverage_partitions()

# What every day-partitioned coverage asset shares.
COVERAGE_ASSET: dict[str, Any] = {
    "group_name": "coverage",
    "kinds": {"duckdb", "sql"},
    "partitions_def": coverage_partitions,
    "pool": DUCKDB_POOL,
}


def partition_day(context: AssetExecutionContext | AssetCheckExecutionContext) -> date:
    """The local day of the run's partition (the day dimension of account × day)."""
    key = context.partition_key
    if isinstance(key, MultiPartitionKey):
        return date.fromisoformat(key.keys_by_dimension[DAY_DIMENSION])
    return date.fromisoformat(key.split("|")[-1])


def partition_account(
    context: AssetExecutionContext | AssetCheckExecutionContext,
) -> accounts.Account | None:
    """The account of the run's partition (None with one account: its settings apply)."""
    key = context.partition_key
    if not isinstance(key, MultiPartitionKey):
        return None
    return accounts.named(key.keys_by_dimension[ACCOUNT_DIMENSION])


def account_zone(context: AssetExecutionContext | AssetCheckExecutionContext) -> str:
    """The zone of the partition's local day: its account's, else AVAILABILITY_TIME_ZONE."""
    account = partition_account(context)
    return (account.time_zone if account else None) or settings.get("AVAILABILITY_TIME_ZONE")


def partition_key_for(account: str, day: date) -> str:
    """The coverage partition of one account's local day (the day alone with one account)."""
    if not isinstance(coverage_partitions, MultiPartitionsDefinition):
        return day.isoformat()
    return MultiPartitionKey({ACCOUNT_DIMENSION: account, DAY_DIMENSION: day.isoformat()})


def check_result(
    outcome: CheckOutcome, severity: AssetCheckSeverity = AssetCheckSeverity.ERROR
) -> AssetCheckResult:
    """Dagster's view of a coverage check: a ``<name>_markdown`` value is shown as Markdown
    under ``<name>`` (replacing the raw list), other lists and dicts as JSON."""
    metadata: dict[str, object] = {
        key: MetadataValue.json(value) if isinstance(value, list | dict) else value
        for key, value in outcome.metadata.items()
        if not key.endswith("_markdown")
    }
    for key, value in outcome.metadata.items():
        if key.endswith("_markdown"):
            metadata[key.removesuffix("_markdown")] = MetadataValue.md(value or "_none_")
    return AssetCheckResult(passed=outcome.passed, severity=severity, metadata=metadata)
