"""Status history against an Agent Status Details server on 127.0.0.1 and a real DuckDB file:
paging, the inverted offset and zone-less times on a normal day and both 2026 DST days in
America/New_York, the ``date`` variant, resumption after a crash, bad rows, the budget.

The server is tests/support/statusdetails.py (documented shape, real HTTP); the planner runs
on a clock the test moves, so nothing here depends on how fast the machine is.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pipelines.kore import KoreSettings, RequestPlanner
from pipelines.kore.planner import PRIORITY_AVAILABILITY
from pipelines.polling import history as polling
from pipelines.polling.history import HistorySettings, sync_history
from pipelines.warehouse import PiiPolicy, connect
from tests.support.statusdetails import StatusDetailsServer, day_of_spans

ZONE = "America/New_York"
TZ = ZoneInfo(ZONE)
NORMAL, SPRING, AUTUMN = date(2026, 6, 10), date(2026, 3, 8), date(2026, 11, 1)
HISTORY = HistorySettings(time_zone=ZONE, pages_per_run=100, days_back=3)
AGENTS = 120


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def epoch(self) -> float:
        return self.at.timestamp()


def local(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, time(hour), TZ).astimezone(UTC)


def clock_after(day: date) -> Clock:
    return Clock(local(day + timedelta(days=1), 3))


@pytest.fixture
def server() -> Iterator[StatusDetailsServer]:
    with StatusDetailsServer() as running:
        running.agents = [
            {
                "aId": f"a-{n:03d}",
                "userId": f"u-{n:03d}",
                "firstName": "Agent",
                "lastName": str(n),
                "email": f"agent{n}@example.com",
            }
            for n in range(AGENTS)
        ]
        ids = [a["aId"] for a in running.agents]
        start, end = local(date(2026, 3, 1)), local(date(2026, 11, 10))
        running.spans = {}
        for first in (SPRING - timedelta(days=2), NORMAL - timedelta(days=4), AUTUMN):
            lo, hi = local(first), local(first + timedelta(days=5))
            for agent, spans in day_of_spans(ids, lo, hi, timedelta(minutes=41)).items():
                running.spans.setdefault(agent, []).extend(spans)
        assert start < end
        yield running


def settings_for(server: StatusDetailsServer) -> KoreSettings:
    return KoreSettings(
        host=server.base_url,
        bot_id=server.bot,
        account_id=server.account,
        client_id="cs-history-test",
        client_secret="history-test-secret-that-is-long-enough-0001",
        backoff_base_s=0.01,
        backoff_cap_s=0.05,
        tick_deadline_s=10,
    )


def run(
    server: StatusDetailsServer,
    database: str,
    clock: Clock,
    history: HistorySettings = HISTORY,
    planner: RequestPlanner | None = None,
    days: list[date] | None = None,
) -> polling.HistoryOutcome:
    planner = planner or RequestPlanner(":memory:", 60, clock=clock.epoch)
    return sync_history(
        partial(connect, database),
        settings_for(server),
        history,
        days=days,
        planner=planner,
        clock=clock,
        pii=PiiPolicy("hash"),
    )


def truth(server: StatusDetailsServer, day: date) -> list[tuple[Any, ...]]:
    lo, hi = local(day), local(day + timedelta(days=1))
    out = []
    for agent, spans in server.spans.items():
        for primary, secondary, start, end in spans:
            if min(end, hi) > max(start, lo):
                out.append((agent, primary, secondary, max(start, lo), min(end, hi)))
    return sorted(out)


def stored(database: str, day: date) -> list[tuple[Any, ...]]:
    with connect(database, read_only=True) as con:
        rows = con.execute(
            "SELECT agent_id, bucket, secondary_status, span_start, span_end "
            "FROM agent_status_history WHERE day = ? ORDER BY ALL",
            [day],
        ).fetchall()
    return [(a, b, s, x.astimezone(UTC), y.astimezone(UTC)) for a, b, s, x, y in rows]


def one(database: str, sql: str, *params: Any) -> Any:
    with connect(database, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()[0]


def test_a_day_pages_until_has_more_is_false(server: StatusDetailsServer, tmp_db: str) -> None:
    outcome = run(server, tmp_db, clock_after(NORMAL), days=[NORMAL])
    assert outcome.stopped == "complete" and outcome.days_completed == [NORMAL]
    assert [r["query"] for r in server.requests] == [
        {"limit": "50", "offset": str(o)} for o in (0, 50, 100)
    ]
    # Asked in UTC (offset 0) over the two UTC dates the New York day touches.
    assert {str(r["body"]) for r in server.requests} == {
        str(
            {
                "filter": {
                    "dateFilter": {
                        "startDate": "2026-06-10",
                        "endDate": "2026-06-11",
                        "timeZoneOffSet": 0,
                    }
                }
            }
        )
    }
    assert (outcome.pages, outcome.requests, outcome.agents) == (3, 3, AGENTS)
    assert stored(tmp_db, NORMAL) == truth(server, NORMAL)
    pages, kept, assumed = one(
        tmp_db,
        "SELECT count(*), bool_and(body LIKE '%events%'), any_value(assumptions) "
        "FROM status_history_pages WHERE outcome = 'ok'",
    )
    assert (
        pages == 3
        and kept
        and '"timeZoneOffSet": 0' in assumed
        and '"end_date": "inclusive"' in assumed
    )


@pytest.mark.parametrize("ask", ["utc", "local_noon"])
@pytest.mark.parametrize(
    ("day", "noon_offset", "start_date"),
    [(NORMAL, 240, "2026-06-10"), (SPRING, 240, "2026-03-08"), (AUTUMN, 300, "2026-10-31")],
)
def test_normal_and_dst_days_equal_the_truth(
    server: StatusDetailsServer, tmp_db: str, ask: str, day: date, noon_offset: int, start_date: str
) -> None:
    history = HistorySettings(time_zone=ZONE, ask=ask, pages_per_run=100)
    outcome = run(server, tmp_db, clock_after(day), history, days=[day])
    assert outcome.stopped == "complete"
    dates = server.requests[0]["body"]["filter"]["dateFilter"]
    if ask == "local_noon":  # the inverted sign: New York is west, so positive
        assert dates["timeZoneOffSet"] == noon_offset and dates["startDate"] == start_date
        assert dates["endDate"] == day.isoformat()
    expected = truth(server, day)
    hours = (local(day + timedelta(days=1)) - local(day)).total_seconds() / 3600
    assert hours == {NORMAL: 24, SPRING: 23, AUTUMN: 25}[day]
    assert stored(tmp_db, day) == expected
    covered = sum((e - s).total_seconds() for *_, s, e in expected)
    assert covered == pytest.approx(AGENTS * hours * 3600)
    (covers,) = one(tmp_db, "SELECT bool_and(covers_day) FROM status_history_fetches")
    assert covers


def test_the_date_variant_is_sent_and_a_short_window_is_recorded(
    server: StatusDetailsServer, tmp_db: str
) -> None:
    history = HistorySettings(time_zone=ZONE, date_field="date", pages_per_run=100)
    assert run(server, tmp_db, clock_after(NORMAL), history, days=[NORMAL]).stopped == "complete"
    assert server.requests[0]["body"] == {
        "filter": {"dateFilter": {"date": "2026-06-10", "timeZoneOffSet": 240}}
    }
    assert stored(tmp_db, NORMAL) == truth(server, NORMAL)
    # The autumn day has 25 hours; one date at one fixed offset holds 24: recorded, not hidden.
    assert run(server, tmp_db, clock_after(AUTUMN), history, days=[AUTUMN]).stopped == "complete"
    (covers,) = one(tmp_db, "SELECT covers_day FROM status_history_fetches WHERE day = ?", AUTUMN)
    assert covers is False
    first_hour = [r for r in truth(server, AUTUMN) if r[3] < local(AUTUMN, 1)]
    assert first_hour and not [r for r in stored(tmp_db, AUTUMN) if r[3] < local(AUTUMN, 1)]


def test_a_crash_mid_day_resumes_without_gap_or_duplicate(
    server: StatusDetailsServer, tmp_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    land = polling.store.land_page
    calls = []

    def crash_on_second(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return land(*args, **kwargs)

    monkeypatch.setattr(polling.store, "land_page", crash_on_second)
    clock = clock_after(NORMAL)
    with pytest.raises(RuntimeError, match="power cut"):
        run(server, tmp_db, clock, days=[NORMAL])
    monkeypatch.setattr(polling.store, "land_page", land)
    assert stored(tmp_db, NORMAL) == []  # nothing half-done is visible
    assert one(tmp_db, "SELECT offset_reached, completed_at FROM status_history_fetches") == (
        50,
        None,
    )
    server.requests.clear()
    outcome = run(server, tmp_db, clock, days=[NORMAL])
    assert outcome.resumed == [NORMAL] and outcome.stopped == "complete"
    assert [r["query"]["offset"] for r in server.requests] == ["50", "100"]
    assert stored(tmp_db, NORMAL) == truth(server, NORMAL)


def test_a_bad_row_fails_the_page_naming_field_and_row(
    server: StatusDetailsServer, tmp_db: str
) -> None:
    def bad(answer: dict[str, Any], body: dict[str, Any]) -> None:
        if answer["offset"] == 50:
            answer["data"][3]["status"][1]["startTime"] = "yesterday"

    server.mangle = bad
    outcome = run(server, tmp_db, clock_after(NORMAL), days=[NORMAL])
    assert outcome.failed and outcome.error_kind == "invalid_response"
    assert "data[3] (agent 'a-053').status[1]" in outcome.error_text
    assert "'startTime'" in outcome.error_text
    assert one(tmp_db, "SELECT count(*) FILTER (outcome = 'error') FROM status_history_pages") == (
        1,
    )
    assert stored(tmp_db, NORMAL) == []
    server.mangle = None
    assert run(server, tmp_db, clock_after(NORMAL), days=[NORMAL]).stopped == "complete"
    assert stored(tmp_db, NORMAL) == truth(server, NORMAL)


def test_a_stated_duration_that_disagrees_is_recorded(
    server: StatusDetailsServer, tmp_db: str
) -> None:
    def skew(answer: dict[str, Any], body: dict[str, Any]) -> None:
        if answer["offset"] == 0:  # a span inside the local day (times are UTC here)
            inside = [s for s in answer["data"][0]["status"] if s["startTime"] > "2026-06-10T16"]
            inside[0]["duration"] = "05:00:00"

    server.mangle = skew
    outcome = run(server, tmp_db, clock_after(NORMAL), days=[NORMAL])
    assert outcome.stopped == "complete" and outcome.disagreements == 1
    assert one(tmp_db, "SELECT count(*) FROM agent_status_history WHERE duration_disagrees") == (1,)
    assert stored(tmp_db, NORMAL) == truth(server, NORMAL)


def test_history_stops_when_the_planner_says_no_and_never_takes_availability_slots(
    server: StatusDetailsServer, tmp_db: str
) -> None:
    clock = clock_after(NORMAL)
    # Budget 5 a minute, 3 expected by availability: history may use 2.
    planner = RequestPlanner(":memory:", 5, expected={PRIORITY_AVAILABILITY: 3}, clock=clock.epoch)
    outcome = run(server, tmp_db, clock, planner=planner, days=[NORMAL])
    assert (outcome.stopped, outcome.pages) == ("budget", 2)
    assert planner.available(server.account, PRIORITY_AVAILABILITY) == 3
    clock.at += timedelta(seconds=61)
    outcome = run(server, tmp_db, clock, planner=planner, days=[NORMAL])
    assert outcome.resumed == [NORMAL] and outcome.stopped == "complete" and outcome.pages == 1
    assert stored(tmp_db, NORMAL) == truth(server, NORMAL)


def test_a_patient_run_waits_for_the_planners_next_slot_and_finishes_the_day(
    server: StatusDetailsServer, tmp_db: str
) -> None:
    clock = clock_after(NORMAL)
    planner = RequestPlanner(":memory:", 5, expected={PRIORITY_AVAILABILITY: 3}, clock=clock.epoch)
    waits: list[float] = []

    def wait(seconds: float) -> None:  # the model's time passes, not the machine's
        waits.append(seconds)
        clock.at += timedelta(seconds=seconds)

    outcome = sync_history(
        partial(connect, tmp_db),
        settings_for(server),
        HISTORY,
        days=[NORMAL],
        planner=planner,
        clock=clock,
        pii=PiiPolicy("hash"),
        wait_for_slot=wait,
    )
    assert (outcome.stopped, outcome.pages) == ("complete", 3)
    assert len(waits) == 1 and 59 < waits[0] <= 60
    assert stored(tmp_db, NORMAL) == truth(server, NORMAL)


def test_the_sync_fetches_closed_days_oldest_first_and_only_once(
    server: StatusDetailsServer, tmp_db: str
) -> None:
    clock = Clock(local(NORMAL, 15))  # today is NORMAL: the three days before are closed
    outcome = run(server, tmp_db, clock)
    days = [NORMAL - timedelta(days=n) for n in (3, 2, 1)]
    assert outcome.days_completed == days and outcome.stopped == "complete"
    asked = [r["body"]["filter"]["dateFilter"]["startDate"] for r in server.requests]
    assert asked == sorted(asked)
    for day in days:
        assert stored(tmp_db, day) == truth(server, day)
    server.requests.clear()
    assert run(server, tmp_db, clock).stopped == "up_to_date" and not server.requests
    refused = run(server, tmp_db, clock, days=[NORMAL])
    assert refused.stopped == "not_closed" and not server.requests


def test_e_mail_follows_the_pii_policy_and_a_refetch_replaces_the_day(
    server: StatusDetailsServer, tmp_db: str
) -> None:
    clock = clock_after(NORMAL)
    run(server, tmp_db, clock, days=[NORMAL])
    emails, raw = one(
        tmp_db,
        "SELECT bool_and(email LIKE 'pii:%'), "
        "(SELECT count(*) FROM status_history_pages WHERE body LIKE '%@example.com%') "
        "FROM agent_status_history",
    )
    assert emails and raw == 0
    server.spans = {a: s[::2] for a, s in server.spans.items()}  # Kore restated the day
    assert run(server, tmp_db, clock, days=[NORMAL]).stopped == "complete"
    assert stored(tmp_db, NORMAL) == truth(server, NORMAL)


def test_a_missing_smartassist_analytics_scope_is_named_and_the_day_stays_open(
    server: StatusDetailsServer, tmp_db: str
) -> None:
    server.missing_scope = True
    outcome = run(server, tmp_db, clock_after(NORMAL), days=[NORMAL])
    assert outcome.failed and outcome.error_kind == "scope_missing"
    assert "SmartAssist Analytics" in outcome.error_text
    assert one(tmp_db, "SELECT completed_at FROM status_history_fetches") == (None,)
