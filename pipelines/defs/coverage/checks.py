"""Checks of the coverage assets, per day partition: spans do not overlap, the grid is
complete, intervals were observed (warning), polls agree with the exact history on a finalized
day (warning), coverage meets its target (warning)."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, asset_check

from pipelines import coverage
from pipelines.coverage.finalized import check_reconciliation
from pipelines.defs.common import check_result, coverage_partitions, partition_day
from pipelines.defs.coverage.assets import (
    agent_status_spans,
    coverage_intervals,
    coverage_vs_requirement,
)
from pipelines.resources import CoverageResource, WarehouseResource


@asset_check(asset=agent_status_spans, partitions_def=coverage_partitions)
def spans_do_not_overlap(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    with warehouse.connection(read_only=True) as con:
        outcome = coverage.check_spans_no_overlap(con, partition_day(context))
    return check_result(outcome)


@asset_check(asset=coverage_intervals, partitions_def=coverage_partitions)
def grid_is_complete(
    context: AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    coverage_config: CoverageResource,
) -> AssetCheckResult:
    with warehouse.connection(read_only=True) as con:
        outcome = coverage.check_grid_complete(
            con, partition_day(context), coverage_config.settings()
        )
    return check_result(outcome)


@asset_check(asset=coverage_intervals, partitions_def=coverage_partitions)
def intervals_are_observed(
    context: AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    coverage_config: CoverageResource,
) -> AssetCheckResult:
    """Warns when cells were observed for less than the completeness threshold."""
    with warehouse.connection(read_only=True) as con:
        outcome = coverage.check_completeness(
            con, partition_day(context), coverage_config.completeness_threshold
        )
    return check_result(outcome, AssetCheckSeverity.WARN)


@asset_check(asset=coverage_vs_requirement, partitions_def=coverage_partitions)
def coverage_meets_target(
    context: AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    coverage_config: CoverageResource,
) -> AssetCheckResult:
    """Warns when a scope misses its requirement in more than the allowed share of intervals."""
    with warehouse.connection(read_only=True) as con:
        outcome = coverage.check_coverage_target(
            con, partition_day(context), coverage_config.max_unmet_share
        )
    return check_result(outcome, AssetCheckSeverity.WARN)


@asset_check(asset=coverage_intervals, partitions_def=coverage_partitions, blocking=False)
def polls_agree_with_history(
    context: AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    coverage_config: CoverageResource,
) -> AssetCheckResult:
    """Warns when, on a finalized day, the poll-based available or on-queue agents of a scope
    are off the exact history by more than AVAILABILITY_RECONCILIATION_THRESHOLD (default 5 %)
    of the exact mean (MAE over the cells the polls saw whole): membership drift, clock skew
    or a broken poller. Passes on provisional days (nothing exact to compare with)."""
    with warehouse.connection(read_only=True) as con:
        outcome = check_reconciliation(
            con, partition_day(context), coverage_config.reconciliation_threshold
        )
    return check_result(outcome, AssetCheckSeverity.WARN)
