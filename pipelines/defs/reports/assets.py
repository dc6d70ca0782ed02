"""Reports stage: the daily HTML report (charts embedded) and the CSV of the coverage table."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from pipelines import settings
from pipelines.defs.common import COVERAGE_ASSET, partition_day
from pipelines.defs.coverage.assets import coverage_vs_requirement
from pipelines.report import load_summary, summary_markdown, write_daily_report
from pipelines.resources import CoverageResource, WarehouseResource


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
            settings.get("AVAILABILITY_REPORTS_DIR"),
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
