"""The shortfall alert sensor: every AVAILABILITY_ALERT_SENSOR_SECONDS (60), one evaluation.

Why the sensor posts the webhooks itself instead of requesting a run of a small job: a run is
a run-worker and a step process, about 5 CPU-seconds on this 2-core machine (the README's
"Performance" section measures 2.85 s of wall time for a trivial run), every minute an
alert is pending, on the machine that also polls every minute; one evaluation in the sensor
costs a few tens of milliseconds when nothing changes. A sensor must answer within Dagster's
sensor timeout (60 s by default), so delivery is bounded inside it: no attempt starts later
than AVAILABILITY_ALERT_DEADLINE_SECONDS (at most 30) after the evaluation began, each attempt
ends within AVAILABILITY_ALERT_TIMEOUT_SECONDS (at most 15), and a lock wait is at most 10 s;
what is left is posted by the next evaluation. The settings and the rules file are read at
every evaluation, so an edit applies at the next one. The sensor runs in the daemon's sensor
loop, not in the scheduler that starts the poll runs, and it holds the DuckDB file only for
one read and two brief writes, never while a webhook answers, so a failing or hanging
receiver never delays a poll.

The streaks (consecutive polls short or not) are the sensor's cursor; the episodes, messages
and attempts are DuckDB tables (migration 013), listed in each day's report.
"""

from dagster import (
    DefaultSensorStatus,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from pipelines import settings
from pipelines.alerts import AlertSettings, evaluate
from pipelines.resources import WarehouseResource


def sensor_status() -> DefaultSensorStatus:
    """Loads running, unless AVAILABILITY_SCHEDULE_STOPPED=true (as the schedules)."""
    stopped = settings.get("AVAILABILITY_SCHEDULE_STOPPED")
    return DefaultSensorStatus.STOPPED if stopped else DefaultSensorStatus.RUNNING


@sensor(
    name="shortfall_alerts",
    minimum_interval_seconds=settings.get("AVAILABILITY_ALERT_SENSOR_SECONDS"),
    default_status=sensor_status(),
    description=(
        "Evaluates every scope's net staffing now and for the next interval against its alert "
        "threshold; posts alerts and recoveries to the configured webhooks."
    ),
)
def shortfall_alerts(
    context: SensorEvaluationContext, warehouse: WarehouseResource
) -> SensorResult:
    config = AlertSettings.from_env()
    done = evaluate(warehouse.database, context.cursor, config)
    for episode_id in done.opened:
        context.log.info(f"alert opened: {episode_id}")
    for episode_id in done.closed:
        context.log.info(f"alert ended (recovered): {episode_id}")
    for attempt in done.attempts:
        context.log.info(
            f"{attempt.destination} {attempt.message_id} attempt {attempt.attempt}: "
            f"{attempt.outcome} {attempt.http_status or ''}".rstrip()
        )
    if done.skipped:
        return SensorResult(skip_reason=SkipReason(done.skipped), cursor=done.cursor)
    summary = (
        f"{done.scopes} scopes judged; {len(done.opened)} alerts opened, {len(done.closed)} "
        f"ended, {len(done.attempts)} delivery attempts"
    )
    if not config.destinations:
        summary += "; no webhook configured (AVAILABILITY_ALERT_*_WEBHOOK_URL)"
    return SensorResult(skip_reason=SkipReason(summary), cursor=done.cursor)
