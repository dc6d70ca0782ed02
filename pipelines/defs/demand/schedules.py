"""The contact volume job and its schedule (KORE_CALLVOLUME_CRON, default every 15 minutes,
UTC), loaded running or stopped like every schedule (AVAILABILITY_SCHEDULE_STOPPED)."""

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

from pipelines import settings
from pipelines.defs.demand.assets import contact_volume
from pipelines.defs.ingest.schedules import schedule_status

volume_job = define_asset_job(
    "sync_contact_volume",
    selection=AssetSelection.assets(contact_volume),
    description="Fetch Kore.ai's contact volume since the watermark and land it in DuckDB.",
)

volume_schedule = ScheduleDefinition(
    name="sync_contact_volume_every_15_minutes",
    job=volume_job,
    cron_schedule=settings.get("KORE_CALLVOLUME_CRON"),
    execution_timezone="UTC",
    default_status=schedule_status(),
    description="Syncs contact volume on KORE_CALLVOLUME_CRON (default every 15 minutes).",
)
