"""Coverage stage: status spans, the interval grid, requirements, and coverage against them.

Every asset here is partitioned by LOCAL day in the reporting time zone (a DST day has 92 or
100 quarter hours), so a backfill over a date range recomputes history; each partition is
replaced in one transaction. Checks sit beside the assets they check.
"""

import os
import warnings
from datetime import date

import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    ConfigurableResource,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)
from pydantic import Field

from pipelines import coverage
from pipelines.assets.ingest import DUCKDB_POOL, availability_snapshots, markdown_table
from pipelines.coverage.requirements import load_requirements
from pipelines.report import summary_markdown
from pipelines.resources import WarehouseResource
from pipelines.warehouse import fetch_all, fetch_df


class CoverageResource(ConfigurableResource):
    """How coverage is cut and judged, and where requirements come from."""

    time_zone: str = Field(default="UTC", description="AVAILABILITY_TIME_ZONE (IANA name)")
    interval_minutes: int = Field(default=15, description="AVAILABILITY_INTERVAL_MINUTES")
    max_gap_seconds: float = Field(default=120.0, description="AVAILABILITY_MAX_GAP_SECONDS")
    targets_file: str = Field(default="", description="AVAILABILITY_TARGETS_FILE (CSV)")
    forecast_file: str = Field(default="", description="AVAILABILITY_FORECAST_FILE (CSV)")
    completeness_threshold: float = Field(
        default=0.9, description="AVAILABILITY_COMPLETENESS_THRESHOLD: warn below this share"
    )
    max_unmet_share: float = Field(
        default=0.2, description="AVAILABILITY_MAX_UNMET_SHARE: warn above this share"
    )

    def settings(self) -> coverage.CoverageSettings:
        return coverage.CoverageSettings(
            time_zone=self.time_zone,
            interval_minutes=self.interval_minutes,
            max_gap_seconds=self.max_gap_seconds,
        )

    def rules(self, known_scopes: list[str]) -> pd.DataFrame:
        return load_requirements(
            self.targets_file or None,
            self.forecast_file or None,
            grid_minutes=self.interval_minutes,
            known_scopes=known_scopes,
        )


def coverage_resource_from_env() -> CoverageResource:
    settings = coverage.CoverageSettings.from_env()
    env = os.environ
    return CoverageResource(
        time_zone=settings.time_zone,
        interval_minutes=settings.interval_minutes,
        max_gap_seconds=settings.max_gap_seconds,
        targets_file=env.get("AVAILABILITY_TARGETS_FILE", ""),
        forecast_file=env.get("AVAILABILITY_FORECAST_FILE", ""),
        completeness_threshold=float(env.get("AVAILABILITY_COMPLETENESS_THRESHOLD", "0.9")),
        max_unmet_share=float(env.get("AVAILABILITY_MAX_UNMET_SHARE", "0.2")),
    )


# Checks per day partition are a preview feature of Dagster 1.13; a check of a whole
# day must run against that day, so the project relies on it knowingly.
warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec")

# The partitions must be cut in the same zone as the resource's grid; both read the same
# variable when the code location loads.
daily_partitions = DailyPartitionsDefinition(
    start_date=os.environ.get("AVAILABILITY_PARTITIONS_START", "2026-01-01"),
    timezone=coverage.CoverageSettings.from_env().time_zone,
    end_offset=1,  # today's partition exists, and refreshes as polls land
)


def partition_day(context: AssetExecutionContext | AssetCheckExecutionContext) -> date:
    return date.fromisoformat(context.partition_key)


def check_result(
    outcome: coverage.CheckOutcome, severity: AssetCheckSeverity = AssetCheckSeverity.ERROR
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


COVERAGE_ASSET = {
    "group_name": "coverage",
    "kinds": {"duckdb", "sql"},
    "partitions_def": daily_partitions,
    "pool": DUCKDB_POOL,
}


@asset(
    deps=[availability_snapshots],
    description="Per (agent, scope): consecutive spans of one status; unobserved time excluded.",
    **COVERAGE_ASSET,
)
def agent_status_spans(
    context: AssetExecutionContext, warehouse: WarehouseResource, coverage_config: CoverageResource
) -> MaterializeResult:
    day = partition_day(context)
    with warehouse.connection() as con:
        rows = coverage.build_spans(con, day, coverage_config.settings())
        preview = fetch_df(con, "metadata/spans_by_status.sql", day=day)
    return MaterializeResult(
        metadata={
            "day": day.isoformat(),
            "row_count": MetadataValue.int(rows),
            "hours_by_status": MetadataValue.md(markdown_table(preview)),
        }
    )


@asset_check(asset=agent_status_spans, partitions_def=daily_partitions, pool=DUCKDB_POOL)
def spans_do_not_overlap(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    with warehouse.connection(read_only=True) as con:
        outcome = coverage.check_spans_no_overlap(con, partition_day(context))
    return check_result(outcome)


@asset(
    deps=[agent_status_spans],
    description=(
        "Every scope x every interval of the day: time-weighted agents per status, staffed, "
        "min/max available, occupancy, zero-available share, completeness."
    ),
    **COVERAGE_ASSET,
)
def coverage_intervals(
    context: AssetExecutionContext, warehouse: WarehouseResource, coverage_config: CoverageResource
) -> MaterializeResult:
    day = partition_day(context)
    settings = coverage_config.settings()
    with warehouse.connection() as con:
        rows = coverage.build_coverage(con, day, settings)
        ((observed,),) = fetch_all(con, "metadata/intervals_observed.sql", day=day)
    return MaterializeResult(
        metadata={
            "day": day.isoformat(),
            "row_count": MetadataValue.int(rows),
            "intervals_per_scope": MetadataValue.int(coverage.interval_count(day, settings)),
            "mean_observed_share": MetadataValue.float(round(float(observed or 0.0), 4)),
        }
    )


@asset_check(asset=coverage_intervals, partitions_def=daily_partitions, pool=DUCKDB_POOL)
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


@asset_check(asset=coverage_intervals, partitions_def=daily_partitions, pool=DUCKDB_POOL)
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


@asset(
    description="Required agents per scope and interval from the targets and forecast files.",
    **COVERAGE_ASSET,
)
def staffing_requirements(
    context: AssetExecutionContext, warehouse: WarehouseResource, coverage_config: CoverageResource
) -> MaterializeResult:
    day = partition_day(context)
    with warehouse.connection() as con:
        known = [key for (key,) in fetch_all(con, "metadata/scope_keys.sql")]
        rules = coverage_config.rules(known)
        rows = coverage.build_requirements(con, day, coverage_config.settings(), rules)
        by_source = fetch_df(con, "metadata/requirements_by_source.sql", day=day)
    return MaterializeResult(
        metadata={
            "day": day.isoformat(),
            "row_count": MetadataValue.int(rows),
            "rules": MetadataValue.int(len(rules)),
            "targets_file": coverage_config.targets_file or "(none)",
            "forecast_file": coverage_config.forecast_file or "(none)",
            "cells_by_source": MetadataValue.md(markdown_table(by_source)),
        }
    )


@asset(
    deps=[coverage_intervals, staffing_requirements],
    description="Per cell: required vs staffed and available, gap, met; per scope and day: "
    "share of intervals met, shortfall agent-hours, worst interval.",
    **COVERAGE_ASSET,
)
def coverage_vs_requirement(
    context: AssetExecutionContext, warehouse: WarehouseResource, coverage_config: CoverageResource
) -> MaterializeResult:
    day = partition_day(context)
    with warehouse.connection() as con:
        rows = coverage.build_coverage_vs_requirement(con, day, coverage_config.settings())
        summary = coverage.summary_table(con, day)
    return MaterializeResult(
        metadata={
            "day": day.isoformat(),
            "row_count": MetadataValue.int(rows),
            "scopes": MetadataValue.int(len(summary)),
            "summary": MetadataValue.md(summary_markdown(summary)),
        }
    )


@asset_check(asset=coverage_vs_requirement, partitions_def=daily_partitions, pool=DUCKDB_POOL)
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
