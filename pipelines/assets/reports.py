"""Reports stage: the daily HTML report (charts embedded) and the CSV of the coverage table."""

import os

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from pipelines.assets.coverage import (
    COVERAGE_ASSET,
    CoverageResource,
    coverage_vs_requirement,
    partition_day,
)
from pipelines.report import load_summary, summary_markdown, write_daily_report
from pipelines.resources import PROJECT_ROOT, WarehouseResource

DEFAULT_REPORTS_DIR = PROJECT_ROOT / "reports"


def reports_dir() -> str:
    return os.environ.get("AVAILABILITY_REPORTS_DIR", str(DEFAULT_REPORTS_DIR))


@asset(
    deps=[coverage_vs_requirement],
    description="Self-contained HTML report and CSV per day under AVAILABILITY_REPORTS_DIR.",
    **{**COVERAGE_ASSET, "group_name": "reports", "kinds": {"html", "csv"}},
)
def coverage_report(
    context: AssetExecutionContext, warehouse: WarehouseResource, coverage_config: CoverageResource
) -> MaterializeResult:
    day = partition_day(context)
    # Read-only: the report only reads, so it never holds the writer's lock.
    with warehouse.connection(read_only=True) as con:
        paths = write_daily_report(
            con,
            day,
            reports_dir(),
            time_zone=coverage_config.time_zone,
            interval_minutes=coverage_config.interval_minutes,
        )
        summary = load_summary(con, day)
    context.log.info(f"coverage report for {day}: {paths.html}")
    return MaterializeResult(
        metadata={
            "day": day.isoformat(),
            "report_path": MetadataValue.path(str(paths.html)),
            "csv_path": MetadataValue.path(str(paths.csv)),
            "scopes": MetadataValue.int(len(summary)),
            "summary": MetadataValue.md(summary_markdown(summary)),
        }
    )
