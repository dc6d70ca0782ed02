"""Every asset, check, job, schedule and resource of the code location, top to bottom.

Load it with ``dagster dev -w workspace.yaml``. Runs execute in process (an asset and its
checks must not fight over DuckDB's single-writer file lock from separate processes), and the
assets that write DuckDB share the ``duckdb_writer`` pool, limited to 1 in dagster.yaml.
"""

import os
from datetime import timedelta
from zoneinfo import ZoneInfo

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    define_asset_job,
    in_process_executor,
    schedule,
)

from pipelines.assets import coverage, ingest, reports
from pipelines.resources import (
    kore_resource_from_env,
    scopes_resource_from_env,
    warehouse_resource_from_env,
)

SCHEDULE_STATUS = (
    DefaultScheduleStatus.STOPPED
    if os.environ.get("AVAILABILITY_SCHEDULE_STOPPED", "").lower() in ("1", "true", "yes")
    else DefaultScheduleStatus.RUNNING
)
TIME_ZONE = coverage.daily_partitions.timezone
LOOKBACK_DAYS = int(os.environ.get("AVAILABILITY_LOOKBACK_DAYS", "2"))

# --- Jobs -------------------------------------------------------------------------------------
poll_job = define_asset_job(
    "poll_availability",
    selection=AssetSelection.assets(ingest.availability_snapshots),
    description="One tick: poll every scope the rate budget allows and land it in DuckDB.",
)
coverage_job = define_asset_job(
    "refresh_coverage",
    selection=AssetSelection.groups("coverage", "reports"),
    description="Rebuild one local day: spans, grid, requirements, coverage, report.",
)

# --- Schedules -------------------------------------------------------------------------------
poll_schedule = ScheduleDefinition(
    name="poll_availability_every_minute",
    job=poll_job,
    cron_schedule=os.environ.get("AVAILABILITY_POLL_CRON", "* * * * *"),
    execution_timezone="UTC",
    default_status=SCHEDULE_STATUS,
    description="Polls on AVAILABILITY_POLL_CRON (default every minute) while the daemon runs.",
)


@schedule(
    name="refresh_coverage_today",
    job=coverage_job,
    cron_schedule=os.environ.get("AVAILABILITY_COVERAGE_CRON", "*/15 * * * *"),
    execution_timezone=TIME_ZONE,
    default_status=SCHEDULE_STATUS,
    description="Rebuilds today's partition as polls land (AVAILABILITY_COVERAGE_CRON).",
)
def refresh_coverage_today(context: ScheduleEvaluationContext) -> RunRequest:
    now = context.scheduled_execution_time.astimezone(ZoneInfo(TIME_ZONE))
    key = now.date().isoformat()
    return RunRequest(run_key=f"today-{now.isoformat()}", partition_key=key)


@schedule(
    name="finalize_coverage_after_midnight",
    job=coverage_job,
    cron_schedule=os.environ.get("AVAILABILITY_FINALIZE_CRON", "30 0 * * *"),
    execution_timezone=TIME_ZONE,
    default_status=SCHEDULE_STATUS,
    description=(
        "After midnight, rebuilds the previous AVAILABILITY_LOOKBACK_DAYS days (default 2) so "
        "late polls and yesterday's last intervals are in the final figures."
    ),
)
def finalize_coverage(context: ScheduleEvaluationContext) -> list[RunRequest]:
    today = context.scheduled_execution_time.astimezone(ZoneInfo(TIME_ZONE)).date()
    return [
        RunRequest(run_key=f"final-{day.isoformat()}-{today.isoformat()}", partition_key=key)
        for day in (today - timedelta(days=n) for n in range(1, LOOKBACK_DAYS + 1))
        if (key := day.isoformat()) >= coverage.daily_partitions.start.date().isoformat()
    ]


# --- Definitions -----------------------------------------------------------------------------
defs = Definitions(
    assets=[
        ingest.availability_snapshots,
        coverage.agent_status_spans,
        coverage.coverage_intervals,
        coverage.staffing_requirements,
        coverage.coverage_vs_requirement,
        reports.coverage_report,
    ],
    asset_checks=[
        ingest.snapshots_have_no_duplicates,
        ingest.last_tick_is_fresh,
        ingest.last_tick_scopes_succeeded,
        coverage.spans_do_not_overlap,
        coverage.grid_is_complete,
        coverage.intervals_are_observed,
        coverage.coverage_meets_target,
    ],
    jobs=[poll_job, coverage_job],
    schedules=[poll_schedule, refresh_coverage_today, finalize_coverage],
    resources={
        "kore": kore_resource_from_env(),
        "scopes": scopes_resource_from_env(),
        "warehouse": warehouse_resource_from_env(),
        "coverage_config": coverage.coverage_resource_from_env(),
    },
    executor=in_process_executor,
)
