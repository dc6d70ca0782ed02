"""The coverage job (one local day: spans, grid, demand, requirements, coverage, report) and its two
schedules: today's refresh as polls land, and the rebuild of the last days after midnight."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from dagster import (
    AssetSelection,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from pipelines import settings
from pipelines.coverage.calendar import local_date
from pipelines.defs.common import daily_partitions
from pipelines.defs.ingest.schedules import schedule_status

TIME_ZONE = daily_partitions.timezone
LOOKBACK_DAYS = settings.get("AVAILABILITY_LOOKBACK_DAYS")

coverage_job = define_asset_job(
    "refresh_coverage",
    # The day-partitioned demand assets (forecast and requirements from Kore's contact volume)
    # feed staffing_requirements, so they are rebuilt with it; contact_volume itself is not
    # partitioned and syncs on its own schedule.
    selection=AssetSelection.groups("coverage", "reports")
    | AssetSelection.keys("demand_forecast", "demand_requirements"),
    description="Rebuild one local day: spans, grid, demand, requirements, coverage, report.",
)


@schedule(
    name="refresh_coverage_today",
    job=coverage_job,
    cron_schedule=settings.get("AVAILABILITY_COVERAGE_CRON"),
    execution_timezone=TIME_ZONE,
    default_status=schedule_status(),
    description="Rebuilds today's partition as polls land (AVAILABILITY_COVERAGE_CRON).",
)
def refresh_coverage_today(context: ScheduleEvaluationContext) -> RunRequest:
    now = context.scheduled_execution_time.astimezone(ZoneInfo(TIME_ZONE))
    return RunRequest(run_key=f"today-{now.isoformat()}", partition_key=now.date().isoformat())


@schedule(
    name="finalize_coverage_after_midnight",
    job=coverage_job,
    cron_schedule=settings.get("AVAILABILITY_FINALIZE_CRON"),
    execution_timezone=TIME_ZONE,
    default_status=schedule_status(),
    description=(
        "After midnight, rebuilds the previous AVAILABILITY_LOOKBACK_DAYS days (default 2) so "
        "late polls and yesterday's last intervals are in the final figures."
    ),
)
def finalize_coverage(context: ScheduleEvaluationContext) -> list[RunRequest]:
    today = local_date(context.scheduled_execution_time, TIME_ZONE)
    return [
        RunRequest(run_key=f"final-{day.isoformat()}-{today.isoformat()}", partition_key=key)
        for day in (today - timedelta(days=n) for n in range(1, LOOKBACK_DAYS + 1))
        if (key := day.isoformat()) >= daily_partitions.start.date().isoformat()
    ]
