"""The nightly status history job: yesterday's local day (KORE_STATUS_HISTORY_CRON, default
00:15 in the reporting zone), loaded running or stopped like every schedule
(AVAILABILITY_SCHEDULE_STOPPED)."""

from datetime import timedelta

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
from pipelines.defs.history.assets import agent_status_history
from pipelines.defs.ingest.schedules import schedule_status

TIME_ZONE = daily_partitions.timezone

history_job = define_asset_job(
    "fetch_status_history",
    selection=AssetSelection.assets(agent_status_history),
    description="Fetch one closed local day of Kore.ai's exact status history.",
)


@schedule(
    name="fetch_status_history_nightly",
    job=history_job,
    cron_schedule=settings.get("KORE_STATUS_HISTORY_CRON"),
    execution_timezone=TIME_ZONE,
    default_status=schedule_status(),
    description="Fetches yesterday's status history (KORE_STATUS_HISTORY_CRON, reporting zone).",
)
def fetch_status_history_nightly(context: ScheduleEvaluationContext) -> list[RunRequest]:
    yesterday = local_date(context.scheduled_execution_time, TIME_ZONE) - timedelta(days=1)
    key = yesterday.isoformat()
    if key < daily_partitions.start.date().isoformat():
        return []
    return [RunRequest(run_key=f"history-{key}", partition_key=key)]
