"""Checks of one day's status history: one agent is in one status at a time, and Kore's stated
durations agree with the spans' ends."""

from datetime import date

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    MetadataValue,
    asset_check,
)

from pipelines.defs.common import coverage_partitions, partition_day
from pipelines.defs.history.assets import agent_status_history, status_summary_check
from pipelines.markdown import markdown_table
from pipelines.resources import WarehouseResource
from pipelines.warehouse import fetch_df


@asset_check(asset=agent_status_history, partitions_def=coverage_partitions)
def spans_never_overlap(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    """No two spans of one agent overlap within the day (a repeated or inconsistent span
    would count the agent twice in coverage)."""
    return overlaps_on(warehouse, partition_day(context))


def overlaps_on(warehouse: WarehouseResource, day: date) -> AssetCheckResult:
    """:func:`spans_never_overlap` of one day."""
    with warehouse.connection(read_only=True) as con:
        overlaps = fetch_df(con, "history/overlaps.sql", day=day)
    return AssetCheckResult(
        passed=overlaps.empty,
        metadata={
            "overlaps": MetadataValue.int(len(overlaps)),
            "examples": MetadataValue.md(markdown_table(overlaps.head(20))),
        },
    )


@asset_check(asset=agent_status_history, partitions_def=coverage_partitions, blocking=False)
def durations_agree(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    """Kore's stated "HH:MM:SS" equals endTime - startTime (within 1 s) for every span: a
    disagreement means times read in the wrong zone or a server that clips one and not the
    other. A warning: the spans' own ends are what coverage uses."""
    return disagreements_on(warehouse, partition_day(context))


def disagreements_on(warehouse: WarehouseResource, day: date) -> AssetCheckResult:
    """:func:`durations_agree` of one day."""
    with warehouse.connection(read_only=True) as con:
        off = fetch_df(con, "history/disagreements.sql", day=day)
    return AssetCheckResult(
        passed=off.empty,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "disagreements": MetadataValue.int(len(off)),
            "examples": MetadataValue.md(markdown_table(off.head(20))),
        },
    )


@asset_check(asset=status_summary_check, partitions_def=coverage_partitions, blocking=False)
def summary_agrees_with_spans(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    """Kore's summary seconds equal the stored spans' (within 1 s) for every agent, interval
    and status (a warning: the exact spans are what coverage uses)."""
    with warehouse.connection(read_only=True) as con:
        off = fetch_df(con, "history/summary_differs.sql", day=partition_day(context))
    return AssetCheckResult(
        passed=off.empty,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "rows_differing": MetadataValue.int(len(off)),
            "examples": MetadataValue.md(markdown_table(off.head(20))),
        },
    )
