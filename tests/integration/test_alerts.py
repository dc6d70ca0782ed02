"""Shortfall alerts end to end: real DuckDB file, ticks written by the real tick write, the
sensor evaluated through Dagster with a real instance, and real webhook receivers on loopback.

The figures: scope ``all`` needs 3 agents on queue (current and next interval), ``skill:s1``
needs 1; a tick with fewer than 3 agents AVAILABLE in ``all`` is short (threshold: 1 agent).
Every test writes its ticks at the real clock, as the poller does, so the sensor judges them
as current.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from dagster import DagsterInstance, SensorResult, build_sensor_context

from pipelines.alerts import AlertSettings, evaluate
from pipelines.alerts.figures import intervals_at, read_snapshot
from pipelines.defs.alerts.sensors import shortfall_alerts
from pipelines.report import write_daily_report
from pipelines.resources import WarehouseResource
from pipelines.warehouse import connect, membership, registered
from tests.support.membership import listing, membership_tick, per_scope_tick
from tests.support.webhooks import WebhookReceiver

URL_SETTINGS = {
    "slack": "AVAILABILITY_ALERT_SLACK_WEBHOOK_URL",
    "teams": "AVAILABILITY_ALERT_TEAMS_WEBHOOK_URL",
    "json": "AVAILABILITY_ALERT_JSON_WEBHOOK_URL",
}
ALERT_TABLES = ("alert_episodes", "alert_messages", "alert_attempts")


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, WebhookReceiver]]:
    """Three receivers, one per body format, configured through the settings."""
    receivers = {name: WebhookReceiver() for name in URL_SETTINGS}
    for name, receiver in receivers.items():
        receiver.__enter__()
        monkeypatch.setenv(URL_SETTINGS[name], receiver.url)
    for variable, value in {
        "AVAILABILITY_TIME_ZONE": "UTC",
        "AVAILABILITY_INTERVAL_MINUTES": "15",
        "AVAILABILITY_ALERT_SHORTFALL": "1",
        "AVAILABILITY_ALERT_MIN_POLLS": "2",
        "AVAILABILITY_ALERT_RECOVERY_POLLS": "1",
        "AVAILABILITY_ALERT_BACKOFF_SECONDS": "0",
        "AVAILABILITY_ALERT_TIMEOUT_SECONDS": "5",
    }.items():
        monkeypatch.setenv(variable, value)
    for variable in ("AVAILABILITY_ALERT_QUIET_HOURS", "AVAILABILITY_ALERT_RULES_FILE"):
        monkeypatch.delenv(variable, raising=False)
    try:
        yield receivers
    finally:
        for receiver in receivers.values():
            if receiver.hold is not None:
                receiver.hold.set()
            receiver.__exit__(None, None, None)


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as found:
        yield found


def require(database: str, all_agents: float = 3, s1_agents: float = 1) -> None:
    """Requirements around now: the interval before, the current one and the next three."""
    current, _ = intervals_at(datetime.now(UTC), "UTC", 15)
    starts = [current.start + timedelta(minutes=15 * i) for i in range(-1, 4)]
    rows = pd.DataFrame(
        [
            {
                "day": start.date(),
                "scope_key": key,
                "interval_start": start,
                "local_start": start.replace(tzinfo=None),
                "required_agents": float(needed),
                "source": "target",
            }
            for start in starts
            for key, needed in (("all", all_agents), ("skill:s1", s1_agents))
        ]
    )
    with connect(database) as con, registered(con, incoming_requirements=rows):
        con.execute("INSERT INTO staffing_requirements BY NAME SELECT * FROM incoming_requirements")


def poll(database: str, on_queue: int) -> datetime:
    """One tick now: ``on_queue`` agents AVAILABLE in ``all`` (plus one AWAY), 2 in skill:s1."""
    statuses = {f"a{i}": "AVAILABLE" for i in range(on_queue)} | {"away": "AWAY"}
    at = datetime.now(UTC)
    with connect(database) as con:
        per_scope_tick(con, at, {"all": statuses, "skill:s1": {"a0": "AVAILABLE", "b": "BUSY"}})
    return at


class Sensor:
    """The sensor evaluated through Dagster, its cursor carried from one tick to the next."""

    def __init__(self, database: str, instance: DagsterInstance) -> None:
        self.database = database
        self.instance = instance
        self.cursor: str | None = None

    def __call__(self) -> SensorResult:
        with build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            resources={"warehouse": WarehouseResource(database=self.database)},
        ) as context:
            result = shortfall_alerts(context)
        assert isinstance(result, SensorResult)
        self.cursor = result.cursor
        return result


def rows(database: str, sql: str) -> list[tuple]:
    with connect(database, read_only=True) as con:
        return con.execute(sql).fetchall()


def events(receiver: WebhookReceiver) -> list[str]:
    """What a receiver got, as alert / recovery (read from each format's own field)."""
    found = []
    for body in receiver.received:
        text = json.dumps(body)
        found.append("recovery" if "recover" in text.lower() else "alert")
    return found


def test_one_alert_per_episode_then_a_recovery_in_every_format(
    hooks: dict[str, WebhookReceiver],
    instance: DagsterInstance,
    tmp_db: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    require(tmp_db)
    sensor = Sensor(tmp_db, instance)
    poll(tmp_db, on_queue=1)
    sensor()  # short once: below the minimum of 2 polls
    assert all(not r.received for r in hooks.values())
    opened_at = poll(tmp_db, on_queue=1)
    sensor()  # short twice: the alert
    poll(tmp_db, on_queue=2)
    sensor()  # still short: the same episode, nothing sent
    assert [events(r) for r in hooks.values()] == [["alert"]] * 3
    poll(tmp_db, on_queue=3)
    sensor()  # met: the recovery
    poll(tmp_db, on_queue=0)
    sensor()  # short again: a new streak, not yet an alert
    assert [events(r) for r in hooks.values()] == [["alert", "recovery"]] * 3

    alert = hooks["json"].received[0]
    assert alert["event"] == "alert" and alert["scope_key"] == "all"
    assert alert["account"] == "default"  # always in the JSON body; Slack's text is unchanged
    assert alert["on_queue"] == 1 and alert["current_interval"]["required"] == 3
    assert alert["current_interval"]["net_staffing"] == -2
    assert alert["short_in"] == "current and next"
    assert datetime.fromisoformat(alert["alerted_at"]) == opened_at
    recovery = hooks["json"].received[1]
    assert recovery["event"] == "recovery" and recovery["worst_net_staffing"] == -2
    assert recovery["episode_id"] == alert["episode_id"]
    assert hooks["slack"].received[0]["text"].startswith("Short-staffed: All agents (all)")
    card = hooks["teams"].received[0]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"

    ((episodes, ended, worst),) = rows(
        tmp_db, "SELECT count(*), count(ended_at), min(worst_net_staffing) FROM alert_episodes"
    )
    assert (episodes, ended, worst) == (1, 1, -2)
    assert rows(tmp_db, "SELECT status, count(*) FROM alert_messages GROUP BY 1") == [
        ("delivered", 6)
    ]
    assert rows(tmp_db, "SELECT outcome, count(*) FROM alert_attempts GROUP BY 1") == [
        ("delivered", 6)
    ]

    # The report lists the episode and its six attempts.
    with connect(tmp_db, read_only=True) as con:
        paths = write_daily_report(con, opened_at.date(), tmp_path / "reports", "UTC", 15)
    page = paths.html.read_text(encoding="utf-8")
    section = page.split('<section id="alerts">', 1)[1].split("</section>", 1)[0]
    assert section.count('<tr data-scope-key="all">') == 6
    assert section.count("delivered 200") == 6

    # No URL, nor its token, in any log record, table or report; httpx's request lines were
    # logged, with the URL replaced.
    tables = " ".join(str(rows(tmp_db, f"SELECT * FROM {table}")) for table in ALERT_TABLES)
    assert "HTTP Request: POST <webhook URL>" in caplog.text
    for receiver in hooks.values():
        for text in (caplog.text, tables, page):
            assert receiver.token not in text and receiver.url not in text


def test_no_alert_opens_in_quiet_hours_and_it_opens_after_them(
    hooks: dict[str, WebhookReceiver], instance: DagsterInstance, tmp_db: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    now = datetime.now(UTC)
    rules = tmp_path / "alerts.toml"
    quiet = f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"
    rules.write_text(f'[[scope]]\nkey = "all"\nquiet_hours = "{quiet}"\n', encoding="utf-8")
    monkeypatch.setenv("AVAILABILITY_ALERT_RULES_FILE", str(rules))
    require(tmp_db)
    sensor = Sensor(tmp_db, instance)
    for _ in range(3):
        poll(tmp_db, on_queue=0)
        sensor()
    assert rows(tmp_db, "SELECT count(*) FROM alert_episodes") == [(0,)]
    assert all(not r.received for r in hooks.values())

    rules.write_text('[[scope]]\nkey = "all"\nquiet_hours = ""\n', encoding="utf-8")
    poll(tmp_db, on_queue=0)
    sensor()  # the streak is long enough already: the first short poll after quiet hours
    assert [events(r) for r in hooks.values()] == [["alert"]] * 3


def test_a_failing_receiver_is_retried_with_backoff_and_a_refusing_one_is_not(
    hooks: dict[str, WebhookReceiver], instance: DagsterInstance, tmp_db: str
) -> None:
    hooks["slack"].statuses = [500, 503]  # then 200
    hooks["json"].statuses = [404]  # a webhook that is gone: permanent
    hooks["teams"].statuses = [302]  # a redirect is never followed: permanent
    require(tmp_db)
    sensor = Sensor(tmp_db, instance)
    for _ in range(2):
        poll(tmp_db, on_queue=0)
        sensor()
    attempts = rows(
        tmp_db,
        "SELECT destination, attempt, outcome, http_status, retry_at IS NOT NULL "
        "FROM alert_attempts ORDER BY destination, attempt",
    )
    assert attempts == [
        ("json", 1, "refused", 404, False),
        ("slack", 1, "http_error", 500, True),
        ("slack", 2, "http_error", 503, True),
        ("slack", 3, "delivered", 200, False),
        ("teams", 1, "refused", 302, False),
    ]
    assert rows(tmp_db, "SELECT destination, status FROM alert_messages ORDER BY 1") == [
        ("json", "failed"),
        ("slack", "delivered"),
        ("teams", "failed"),
    ]
    assert [len(r.received) for r in hooks.values()] == [3, 1, 1]


def test_the_rate_limit_per_destination_holds_later_messages_back(
    hooks: dict[str, WebhookReceiver],
    instance: DagsterInstance,
    tmp_db: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AVAILABILITY_ALERT_RATE_LIMIT_PER_MINUTE", "1")
    require(tmp_db, all_agents=3, s1_agents=5)  # both scopes short: two alerts at once
    sensor = Sensor(tmp_db, instance)
    for _ in range(3):
        poll(tmp_db, on_queue=0)
        sensor()
    assert [len(r.received) for r in hooks.values()] == [1, 1, 1]
    assert rows(tmp_db, "SELECT status, count(*) FROM alert_messages GROUP BY 1 ORDER BY 1") == [
        ("delivered", 3),
        ("pending", 3),
    ]


def test_a_hanging_receiver_is_cut_off_by_the_timeout_and_others_are_served(
    hooks: dict[str, WebhookReceiver],
    instance: DagsterInstance,
    tmp_db: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AVAILABILITY_ALERT_TIMEOUT_SECONDS", "0.3")
    monkeypatch.setenv("AVAILABILITY_ALERT_MAX_ATTEMPTS", "2")
    hooks["teams"].hold = threading.Event()  # never answers while the test runs
    require(tmp_db)
    sensor = Sensor(tmp_db, instance)
    for _ in range(2):
        poll(tmp_db, on_queue=0)
        sensor()
    assert rows(
        tmp_db, "SELECT destination, attempt, outcome FROM alert_attempts ORDER BY 1, 2"
    ) == [
        ("json", 1, "delivered"),
        ("slack", 1, "delivered"),
        ("teams", 1, "timeout"),
        ("teams", 2, "timeout"),
    ]
    assert rows(tmp_db, "SELECT status FROM alert_messages WHERE destination = 'teams'") == [
        ("failed",)
    ]


def test_a_poll_lands_while_a_delivery_hangs(
    hooks: dict[str, WebhookReceiver], instance: DagsterInstance, tmp_db: str
) -> None:
    slack = hooks["slack"]
    slack.hold = threading.Event()  # released only once the poll below has landed
    require(tmp_db)
    sensor = Sensor(tmp_db, instance)
    poll(tmp_db, on_queue=0)
    sensor()
    poll(tmp_db, on_queue=0)
    results: list[SensorResult] = []
    evaluation = threading.Thread(target=lambda: results.append(sensor()))
    evaluation.start()
    try:
        assert slack.arrived.wait(timeout=30), "the alert never reached the receiver"
        landed_at = poll(tmp_db, on_queue=0)  # takes the DuckDB file for writing
        assert rows(tmp_db, "SELECT max(ended_at) FROM ticks") == [(landed_at,)]
        assert evaluation.is_alive()  # the delivery is still waiting on the receiver
    finally:
        slack.hold.set()
        evaluation.join(timeout=30)
    assert results and not evaluation.is_alive()
    assert rows(tmp_db, "SELECT destination, outcome FROM alert_attempts ORDER BY 1") == [
        ("json", "delivered"),
        ("slack", "delivered"),
        ("teams", "delivered"),
    ]


def test_without_requirements_for_today_nothing_is_judged_and_the_sensor_says_so(
    hooks: dict[str, WebhookReceiver], instance: DagsterInstance, tmp_db: str
) -> None:
    sensor = Sensor(tmp_db, instance)
    for _ in range(3):
        poll(tmp_db, on_queue=0)
        result = sensor()
    assert result.skip_reason is not None
    assert "no staffing requirements for" in (result.skip_reason.skip_message or "")
    assert rows(tmp_db, "SELECT count(*) FROM alert_episodes") == [(0,)]
    assert all(not r.received for r in hooks.values())


def test_on_queue_is_counted_as_coverage_counts_it_in_membership_mode(tmp_db: str) -> None:
    """Membership-mode ticks count every skill through the membership valid then; productive
    BUSY (used capacity) and BUSY without capacity data are on queue, idle BUSY and AWAY not."""
    t = datetime.now(UTC) - timedelta(seconds=30)
    statuses = {"a1": "AVAILABLE", "a2": "BUSY", "a3": "BUSY", "a4": "BUSY", "a5": "AWAY"}
    with connect(tmp_db) as con:
        membership.apply_membership(
            con, "acct", t - timedelta(hours=1), listing(("a2", "skill:s1"), ("a3", "skill:s1"))
        )
        membership_tick(con, t, statuses, used={"a2": 1, "a3": 0})
    require(tmp_db)
    config = replace(AlertSettings.from_env(), time_zone="UTC", interval_minutes=15)
    with connect(tmp_db, read_only=True) as con:
        found = read_snapshot(con, datetime.now(UTC), config)
    on_queue = {f.scope_key: (f.on_queue, f.required) for f in found.figures}
    assert on_queue == {"all": (3.0, 3.0), "skill:s1": (1.0, 1.0)}  # a1, a2, a4; a2


def test_a_retry_waits_for_its_backoff_across_evaluations(
    hooks: dict[str, WebhookReceiver],
    instance: DagsterInstance,
    tmp_db: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AVAILABILITY_ALERT_BACKOFF_SECONDS", "60")  # beyond this evaluation
    hooks["slack"].statuses = [503]
    require(tmp_db)
    sensor = Sensor(tmp_db, instance)
    for _ in range(2):
        poll(tmp_db, on_queue=0)
        sensor()
    sensor()  # the retry is not due yet: nothing is sent
    assert len(hooks["slack"].received) == 1
    assert rows(tmp_db, "SELECT status FROM alert_messages WHERE destination = 'slack'") == [
        ("pending",)
    ]
    # An evaluation a minute later (the clock moved on) sends it.
    later = datetime.now(UTC) + timedelta(seconds=61)
    evaluate(tmp_db, sensor.cursor, AlertSettings.from_env(), clock=lambda: later)
    assert rows(
        tmp_db,
        "SELECT attempt, outcome, retry_at - started_at >= INTERVAL 60 SECOND FROM alert_attempts "
        "WHERE destination = 'slack' ORDER BY attempt",
    ) == [(1, "http_error", True), (2, "delivered", None)]
    assert len(hooks["slack"].received) == 2
