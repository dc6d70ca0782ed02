"""Checks of the demand requirement assets, per day partition: the forecast covers the grid
once per cell with ratios in bounds; every cell with contacts is sized (warning)."""

from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, asset_check

from pipelines.defs.common import check_result, coverage_partitions, partition_day
from pipelines.defs.demand.requirements_assets import demand_forecast, demand_requirements
from pipelines.demand.checks import check_demand_sized, check_forecast_grid
from pipelines.resources import CoverageResource, WarehouseResource


@asset_check(asset=demand_forecast, partitions_def=coverage_partitions)
def forecast_covers_the_grid(
    context: AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    coverage_config: CoverageResource,
) -> AssetCheckResult:
    with warehouse.connection(read_only=True) as con:
        outcome = check_forecast_grid(con, partition_day(context), coverage_config.settings())
    return check_result(outcome)


@asset_check(asset=demand_requirements, partitions_def=coverage_partitions)
def demand_cells_are_sized(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    """Warns when a cell with contacts has no handle time to size it with."""
    with warehouse.connection(read_only=True) as con:
        outcome = check_demand_sized(con, partition_day(context))
    return check_result(outcome, AssetCheckSeverity.WARN)
