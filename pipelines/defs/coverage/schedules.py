"""The coverage job (one local day: spans, grid, demand, requirements, coverage, report), the
finalize job (the same after the day's exact status history), and their two schedules: today's
refresh as polls land, and the nightly finalize after midnight, the one path by which a closed
day becomes finalized: yesterday's history first, then its rebuild, in one run."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from dagster import (
    AssetKey,
    AssetSelection,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from pipelines import accounts, settings
from pipelines.coverage.calendar import local_date
from pipelines.defs.common import daily_partitions, partition_key_for
from pipelines.defs.history.assets import agent_status_history
from pipelines.defs.ingest.schedules import schedule_status

TIME_ZONE = daily_partitions.timezone
LOOKBACK_DAYS = settings.get("AVAILABILITY_LOOKBACK_DAYS")
# Without it (an app lacking the SmartAssist Analytics scope), every finalize run is the
# rebuild alone: a history step that fails every night would skip yesterday's rebuild each time.
HISTORY_ENABLED = settings.get("KORE_STATUS_HISTORY_ENABLED")

# The day-partitioned demand assets (forecast and requirements from Kore's contact volume)
# feed staffing_requirements, so they are rebuilt with it; contact_volume itself is not
# partitioned and syncs on its own schedule.
COVERAGE_SELECTION = AssetSelection.groups("coverage", "reports") | AssetSelection.keys(
    "demand_forecast", "demand_requirements"
)

# The same assets by key, for a finalize run that rebuilds without fetching history (a run
# request names keys, not a selection).
COVERAGE_KEYS = tuple(
    AssetKey(name)
    for name in (
        "agent_status_spans",
        "coverage_intervals",
        "staffing_requirements",
        "coverage_vs_requirement",
        "coverage_report",
        "demand_forecast",
        "demand_requirements",
    )
)

coverage_job = define_asset_job(
    "refresh_coverage",
    selection=COVERAGE_SELECTION,
    description="Rebuild one local day: spans, grid, demand, requirements, coverage, report.",
)

# agent_status_history is upstream of agent_status_spans, so in one run Dagster fetches the
# day's exact history first and rebuilds the day from it after; a failed fetch skips the
# rebuild (the day keeps its provisional figures) and fails the run, which says why.
finalize_job = define_asset_job(
    "finalize_coverage",
    selection=COVERAGE_SELECTION | AssetSelection.assets(agent_status_history),
    description=(
        "Finalize one closed local day: fetch its exact status history from Kore, then "
        "rebuild spans, grid, demand, requirements, coverage and report from it."
    ),
)


@schedule(
    name="refresh_coverage_today",
    job=coverage_job,
    cron_schedule=settings.get("AVAILABILITY_COVERAGE_CRON"),
    execution_timezone=TIME_ZONE,
    default_status=schedule_status(),
    description="Rebuilds today's partition as polls land (AVAILABILITY_COVERAGE_CRON).",
)
def refresh_coverage_today(context: ScheduleEvaluationContext) -> list[RunRequest]:
    """One run per account, each for today in the account's own zone."""
    now = context.scheduled_execution_time.astimezone(ZoneInfo(TIME_ZONE))
    return [
        RunRequest(
            run_key=f"today-{account.name}-{now.isoformat()}",
            partition_key=partition_key_for(account.name, today),
        )
        for account, today in account_todays(context)
    ]


def account_todays(context: ScheduleEvaluationContext) -> list[tuple[accounts.Account, date]]:
    """Each account with its local date at the schedule's time (its zone, else the reporting
    zone): an account in another zone has its own today and yesterday."""
    return [
        (account, local_date(context.scheduled_execution_time, account.time_zone or TIME_ZONE))
        for account in accounts.configured()
    ]


@schedule(
    name="finalize_coverage_after_midnight",
    job=finalize_job,
    cron_schedule=settings.get("AVAILABILITY_FINALIZE_CRON"),
    execution_timezone=TIME_ZONE,
    default_status=schedule_status(),
    description=(
        "After midnight: fetches yesterday's exact status history and rebuilds yesterday from "
        "it (finalized), then rebuilds the AVAILABILITY_LOOKBACK_DAYS - 1 days before "
        "(coverage only: their history was fetched the night after each) so late polls are in."
    ),
)
def finalize_coverage(context: ScheduleEvaluationContext) -> list[RunRequest]:
    requests = []
    for account, today in account_todays(context):
        for n in range(1, LOOKBACK_DAYS + 1):
            day = today - timedelta(days=n)
            if day < daily_partitions.start.date():
                continue
            key = partition_key_for(account.name, day)
            requests.append(
                RunRequest(
                    run_key=f"final-{key}-{today.isoformat()}",
                    partition_key=key,
                    # yesterday: the whole job, history first; the days before: the rebuild
                    asset_selection=None if n == 1 and HISTORY_ENABLED else list(COVERAGE_KEYS),
                )
            )
    return requests
