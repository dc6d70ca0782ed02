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

With an accounts file one evaluation judges every account, side by side (so the whole stays
within one account's time and the sensor's limit): each in its own file and its own time zone,
its episodes, messages and attempts stored there, its name in every body, its streaks under
its name in the cursor. An account that fails (a locked or foreign file) keeps its streaks and
is tried again next evaluation; the others are judged and posted as usual. The rate limit per
destination is counted per account (each account's attempts are in its own file).
"""

import json

from dagster import (
    DefaultSensorStatus,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from pipelines import accounts, settings
from pipelines.accounts import Account
from pipelines.alerts import AlertSettings, Evaluation, evaluate
from pipelines.alerts.config import DESTINATION_SETTINGS
from pipelines.defs.per_account import for_every_account
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
    if accounts.is_multi():
        return every_account(context, warehouse)
    config = AlertSettings.from_env()
    done = evaluate(warehouse.database, context.cursor, config)
    log_evaluation(context, done, "")
    if done.skipped:
        return SensorResult(skip_reason=SkipReason(done.skipped), cursor=done.cursor)
    summary = (
        f"{done.scopes} scopes judged; {len(done.opened)} alerts opened, {len(done.closed)} "
        f"ended, {len(done.attempts)} delivery attempts"
    )
    if not config.destinations:
        summary += "; no webhook configured (AVAILABILITY_ALERT_*_WEBHOOK_URL)"
    return SensorResult(skip_reason=SkipReason(summary), cursor=done.cursor)


def log_evaluation(context: SensorEvaluationContext, done: Evaluation, prefix: str) -> None:
    """What one evaluation opened, ended and posted, in the sensor's log (never a URL)."""
    for episode_id in done.opened:
        context.log.info(f"{prefix}alert opened: {episode_id}")
    for episode_id in done.closed:
        context.log.info(f"{prefix}alert ended (recovered): {episode_id}")
    for attempt in done.attempts:
        context.log.info(
            f"{prefix}{attempt.destination} {attempt.message_id} attempt {attempt.attempt}: "
            f"{attempt.outcome} {attempt.http_status or ''}".rstrip()
        )


def split_cursor(cursor: str | None) -> dict[str, str | None]:
    """Each account's streaks from the sensor's cursor. A cursor kept before the accounts file
    was set is the streaks of the account named AVAILABILITY_ACCOUNT_NAME (the one that keeps
    AVAILABILITY_DB), so adding a file restarts no streak."""
    if not cursor:
        return {}
    try:
        found = json.loads(cursor)
    except ValueError:
        return {}
    if isinstance(found, dict) and isinstance(found.get("accounts"), dict):
        return {str(k): v for k, v in found["accounts"].items()}
    return {settings.get("AVAILABILITY_ACCOUNT_NAME"): cursor}


def every_account(context: SensorEvaluationContext, warehouse: WarehouseResource) -> SensorResult:
    """One evaluation of every account of the accounts file; see the module docstring."""
    served = accounts.configured()
    cursors = split_cursor(context.cursor)

    def judge(account: Account) -> Evaluation:
        return evaluate(
            warehouse.for_account(account).database,
            cursors.get(account.name),
            AlertSettings.from_env(account),
            account=account.name,
        )

    kept: dict[str, str | None] = {}
    parts = []
    for run in for_every_account(judge, served):
        name, done = run.account.name, run.value
        if done is None:
            context.log.error(f"account {name}: alerts not evaluated: {run.error}")
            kept[name] = cursors.get(name)
            parts.append(f"{name}: failed ({run.error})")
            continue
        kept[name] = done.cursor
        log_evaluation(context, done, f"account {name}: ")
        parts.append(
            f"{name}: {done.skipped}"
            if done.skipped
            else f"{name}: {done.scopes} scopes judged, {len(done.opened)} opened, "
            f"{len(done.closed)} ended, {len(done.attempts)} attempts"
        )
    if not any(settings.is_set(variable) for variable in DESTINATION_SETTINGS.values()):
        parts.append("no webhook configured (AVAILABILITY_ALERT_*_WEBHOOK_URL)")
    cursor = json.dumps({"accounts": kept}, sort_keys=True)
    return SensorResult(skip_reason=SkipReason("; ".join(parts)), cursor=cursor)
