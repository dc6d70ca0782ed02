"""Demand stage, requirements side: the profile forecast and the agents needed per cell.

Both assets are partitioned by LOCAL day like coverage (a day is replaced in one transaction).
Materializing TODAY also builds tomorrow (the forecast for the rest of today and tomorrow);
tomorrow has no partition yet, so its rows wait in the demand tables for its own run. They sit
between Kore's contact volume (the ``contact_volume`` asset) and the coverage requirement
build (``staffing_requirements``, which reads ``demand_requirements`` below every file rule).
Their checks are in requirements_checks.py beside this module.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipelines import demand
from pipelines.coverage.calendar import local_date
from pipelines.defs.common import COVERAGE_ASSET, partition_day
from pipelines.defs.coverage.assets import coverage_intervals
from pipelines.demand.goals import forecast_file_goals
from pipelines.markdown import markdown_table
from pipelines.resources import CoverageResource, DemandResource, WarehouseResource
from pipelines.warehouse import fetch_df

DEMAND_ASSET: dict[str, Any] = COVERAGE_ASSET | {"group_name": "demand"}


def days_to_build(day: date, now: datetime, time_zone: str) -> list[date]:
    """The partition's day, and tomorrow too when the day is today."""
    return [day, day + timedelta(days=1)] if local_date(now, time_zone) == day else [day]


@asset(
    deps=[AssetKey("contact_volume")],
    description=(
        "Contacts expected per scope and interval: the mean of the same weekday and interval "
        "over the last AVAILABILITY_PROFILE_WEEKS weeks of Kore's contact volume; today's rest "
        "scaled by actual / forecast over today's completed intervals (clipped to [0.5, 2]). "
        "Today's run also forecasts tomorrow."
    ),
    **DEMAND_ASSET,
)
def demand_forecast(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    coverage_config: CoverageResource,
    demand_config: DemandResource,
) -> MaterializeResult:
    day = partition_day(context)
    grid, settings = coverage_config.settings(), demand_config.settings()
    now = datetime.now(UTC)
    days = days_to_build(day, now, grid.time_zone)
    with warehouse.connection() as con:
        rows = {d: demand.build_forecast(con, d, grid, settings, now) for d in days}
        by_scope = fetch_df(con, "metadata/demand_forecast_by_scope.sql", day=day)
    return MaterializeResult(
        metadata={
            "day": day.isoformat(),
            "days_built": [d.isoformat() for d in days],
            "row_count": MetadataValue.int(rows[day]),
            "rows_by_day": MetadataValue.json({d.isoformat(): n for d, n in rows.items()}),
            "generated_at": now.isoformat(),
            "profile_weeks": MetadataValue.int(settings.profile_weeks),
            "by_scope": MetadataValue.md(markdown_table(by_scope)),
        }
    )


@asset(
    deps=[demand_forecast, coverage_intervals],
    description=(
        "Agents on queue needed per scope and interval from demand: Erlang A (patience from "
        "abandons) and Erlang C, chat concurrency from channel capacity, from what Kore says "
        "came for completed intervals and from the forecast for the rest; the achieved service "
        "level at the agents actually on queue. Goal per scope: the forecast file's, else "
        "AVAILABILITY_SERVICE_LEVEL in AVAILABILITY_TARGET_SECONDS."
    ),
    **DEMAND_ASSET,
)
def demand_requirements(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    coverage_config: CoverageResource,
    demand_config: DemandResource,
) -> MaterializeResult:
    day = partition_day(context)
    grid, settings = coverage_config.settings(), demand_config.settings()
    now = datetime.now(UTC)
    days = days_to_build(day, now, grid.time_zone)
    goals = forecast_file_goals(coverage_config.forecast_file or None, grid.interval_minutes)
    with warehouse.connection() as con:
        rows = {
            d: demand.build_demand_requirements(con, d, grid, settings, now, goals) for d in days
        }
        by_source = fetch_df(con, "metadata/demand_by_source.sql", day=day)
    return MaterializeResult(
        metadata={
            "day": day.isoformat(),
            "days_built": [d.isoformat() for d in days],
            "row_count": MetadataValue.int(rows[day]),
            "rows_by_day": MetadataValue.json({d.isoformat(): n for d, n in rows.items()}),
            "computed_at": now.isoformat(),
            "service_level_goal": f"{settings.service_level:.0%} in {settings.target_seconds:g} s",
            "max_occupancy": "none"
            if settings.max_occupancy is None
            else f"{settings.max_occupancy:.0%}",
            "goals_from_forecast_file": MetadataValue.json(
                {
                    scope: f"{g.service_level:.0%} in {g.target_seconds:g} s"
                    for scope, g in goals.items()
                }
            ),
            "cells_by_source": MetadataValue.md(markdown_table(by_source)),
        }
    )
