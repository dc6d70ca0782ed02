"""The poll job and its schedule (AVAILABILITY_POLL_CRON, default every minute, in UTC)."""

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job

from pipelines import settings
from pipelines.defs.ingest.assets import availability_snapshots


def schedule_status() -> DefaultScheduleStatus:
    """How schedules load: running, unless AVAILABILITY_SCHEDULE_STOPPED=true."""
    stopped = settings.get("AVAILABILITY_SCHEDULE_STOPPED")
    return DefaultScheduleStatus.STOPPED if stopped else DefaultScheduleStatus.RUNNING


poll_job = define_asset_job(
    "poll_availability",
    selection=AssetSelection.assets(availability_snapshots),
    description="One tick: poll every scope the rate budget allows and land it in DuckDB.",
)

poll_schedule = ScheduleDefinition(
    name="poll_availability_every_minute",
    job=poll_job,
    cron_schedule=settings.get("AVAILABILITY_POLL_CRON"),
    execution_timezone="UTC",
    default_status=schedule_status(),
    description="Polls on AVAILABILITY_POLL_CRON (default every minute) while the daemon runs.",
)
