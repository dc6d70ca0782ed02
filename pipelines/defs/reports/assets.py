"""Reports stage: the daily HTML report (charts embedded) and the CSV of the coverage table."""

from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from pipelines import settings
from pipelines.defs.common import COVERAGE_ASSET, partition_account, partition_day
from pipelines.defs.coverage.assets import coverage_vs_requirement
from pipelines.report import summary_markdown
from pipelines.report.data import load_day
from pipelines.report.writer import shown_in_html, write_report
from pipelines.resources import CoverageResource, WarehouseResource


@asset(
    deps=[coverage_vs_requirement],
    description=(
        "Self-contained HTML report and CSV per day under AVAILABILITY_REPORTS_DIR (with an "
        "accounts file, under AVAILABILITY_REPORTS_DIR/<account>/, the heading naming it)."
    ),
    **{**COVERAGE_ASSET, "group_name": "reports", "kinds": {"html", "csv"}, "pool": None},
)
def coverage_report(
    context: AssetExecutionContext, warehouse: WarehouseResource, coverage_config: CoverageResource
) -> MaterializeResult:
    day = partition_day(context)
    # A reader: no writer slot (the asset has no pool), and the file is held only while the
    # day is read, never while it is drawn, so a poll waits a moment at most.
    with warehouse.connection(read_only=True) as con:
        data = load_day(con, day)
    # Each account's reports in a folder of its own, and its name in the heading: a report
    # forwarded to a client, or opened beside another account's, says whose staffing it is.
    account = partition_account(context)
    folder = Path(settings.get("AVAILABILITY_REPORTS_DIR"))
    paths = write_report(
        data,
        day,
        folder / account.name if account else folder,
        time_zone=coverage_config.time_zone,
        interval_minutes=coverage_config.interval_minutes,
        **({"title": f"Staffing coverage, account {account.name}"} if account else {}),
    )
    summary, _, left_out = shown_in_html(data)
    context.log.info(f"coverage report for {day}: {paths.html}")
    return MaterializeResult(
        metadata={
            **({"account": account.name} if account else {}),
            "day": day.isoformat(),
            "report_path": MetadataValue.path(str(paths.html)),
            "csv_path": MetadataValue.path(str(paths.csv)),
            "scopes": MetadataValue.int(len(data.summary)),
            "scopes_left_out_of_html": MetadataValue.int(left_out),
            "shortfall_alerts": MetadataValue.int(len({row[0] for row in data.alerts})),
            "summary": MetadataValue.md(summary_markdown(summary)),
        }
    )
