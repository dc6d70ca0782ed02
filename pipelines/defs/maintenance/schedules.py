"""The nightly retention job (AVAILABILITY_RETENTION_CRON, default 02:00 in the reporting
zone): after the finalize run (00:30: yesterday's status history, then the rebuild), so the
days about to lose their raw bodies have their coverage and history built. Loaded running or
stopped like every schedule (AVAILABILITY_SCHEDULE_STOPPED)."""

from dagster import (
    AssetSelection,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from pipelines import settings
from pipelines.defs.common import daily_partitions
from pipelines.defs.ingest.schedules import schedule_status

retention_job = define_asset_job(
    "retention",
    selection=AssetSelection.groups("maintenance"),
    description="Archive or drop raw bodies past their age; purge old finished Dagster runs.",
)


@schedule(
    name="retention_nightly",
    job=retention_job,
    cron_schedule=settings.get("AVAILABILITY_RETENTION_CRON"),
    execution_timezone=daily_partitions.timezone,
    default_status=schedule_status(),
    description="Runs retention nightly (AVAILABILITY_RETENTION_CRON, reporting zone).",
)
def retention_nightly(context: ScheduleEvaluationContext) -> RunRequest:
    return RunRequest(run_key=f"retention-{context.scheduled_execution_time.isoformat()}")
