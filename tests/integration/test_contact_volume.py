"""Contact volume sync against a Contact Volume server on 127.0.0.1 and a real DuckDB file:
paging, the watermark, restatements, resumption after a crash, the budget, the unit question.

The server is tests/support/callvolume.py (documented shape, real HTTP); the planner runs on a
clock the test moves, so nothing here depends on how fast the machine is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from pipelines.kore import KoreSettings, RequestPlanner
from pipelines.kore.planner import PRIORITY_AVAILABILITY
from pipelines.polling import volume as polling
from pipelines.polling.volume import VolumeSettings, sync_volume
from pipelines.warehouse import connect
from tests.support.callvolume import VolumeServer, volume_rows

NOW = datetime(2026, 3, 10, 12, 7, 30, tzinfo=UTC)  # floor: 12:00
DAY_START = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # 1 day back: the first sync's from
VOLUME = VolumeSettings(first_sync_days=1, page_size=50, pages_per_run=100)


class Clock:
    """A clock the test moves: the sync's and the planner's."""

    def __init__(self, at: datetime = NOW):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def epoch(self) -> float:
        return self.at.timestamp()


@pytest.fixture
def server() -> Iterator[VolumeServer]:
    with VolumeServer() as running:
        # Yesterday noon to today noon, two queues: 96 intervals x 2 = 192 updates.
        running.rows = volume_rows(DAY_START, 96)
        yield running


def settings_for(server: VolumeServer) -> KoreSettings:
    return KoreSettings(
        host=server.base_url,
        bot_id=server.bot,
        account_id=server.account,
        client_id="cs-volume-test",
        client_secret="volume-test-secret-that-is-long-enough-0001",
        org_id=server.org,
        backoff_base_s=0.01,
        backoff_cap_s=0.05,
        tick_deadline_s=10,
    )


def opener(database: str) -> Any:
    return partial(connect, database)


def run(
    server: VolumeServer,
    database: str,
    clock: Clock,
    volume: VolumeSettings = VOLUME,
    planner: RequestPlanner | None = None,
) -> polling.VolumeOutcome:
    planner = planner or RequestPlanner(":memory:", 60, clock=clock.epoch)
    return sync_volume(opener(database), settings_for(server), volume, planner=planner, clock=clock)


def rows_of(database: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with connect(database, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_first_sync_pages_until_has_more_is_false(server: VolumeServer, tmp_db: str) -> None:
    outcome = run(server, tmp_db, Clock())
    assert outcome.stopped == "complete" and not outcome.failed
    assert sorted(r["skip"] for r in server.requests) == [0, 50, 100, 150]
    assert {r["fromTimeStamp"] for r in server.requests} == {"2026-03-09T12:00:00Z"}
    assert {r["toTimeStamp"] for r in server.requests} == {"2026-03-10T12:00:00Z"}
    assert (outcome.pages, outcome.requests, outcome.rows) == (4, 4, 384)  # 192 queue + skill
    assert outcome.watermark == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    [(rows, keys, skills)] = rows_of(
        tmp_db,
        "SELECT count(*), count(DISTINCT (queue_id, skill_id, interval_start)), "
        "count(*) FILTER (skill_id <> '') FROM contact_volume",
    )
    assert (rows, keys, skills) == (384, 384, 192)
    # The raw pages are kept whole: a field the parser does not know survives there.
    [(pages, kept)] = rows_of(
        tmp_db,
        "SELECT count(*), bool_and(body LIKE '%futureField%') FROM contact_volume_pages "
        "WHERE outcome = 'ok'",
    )
    assert (pages, kept) == (4, True)


def test_a_second_run_asks_only_from_the_watermark_less_the_lookback(
    server: VolumeServer, tmp_db: str
) -> None:
    clock = Clock()
    run(server, tmp_db, clock)
    server.requests.clear()
    clock.at = NOW + timedelta(minutes=30)
    server.rows = volume_rows(DAY_START, 98)  # two more intervals ended
    outcome = run(server, tmp_db, clock)
    assert [(r["fromTimeStamp"], r["toTimeStamp"]) for r in server.requests] == [
        ("2026-03-10T10:00:00Z", "2026-03-10T12:30:00Z")  # watermark 12:00 - 2 h
    ]
    assert (outcome.pages, outcome.requests, outcome.rows, outcome.restated) == (1, 1, 40, 0)
    assert outcome.watermark == datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
    [(rows, keys)] = rows_of(
        tmp_db,
        "SELECT count(*), count(DISTINCT (queue_id, skill_id, interval_start)) FROM contact_volume",
    )
    assert rows == keys == 392


def test_a_restated_interval_replaces_its_row(server: VolumeServer, tmp_db: str) -> None:
    clock = Clock()
    run(server, tmp_db, clock)
    restated = server.rows[-3]  # an interval inside the lookback
    restated["offeredContacts"] += 7
    restated["abandonedContacts"] += 7
    clock.at = NOW + timedelta(minutes=15)
    outcome = run(server, tmp_db, clock)
    assert outcome.restated == 1
    [(offered, fetched)] = rows_of(
        tmp_db,
        "SELECT offered, count(*) OVER () FROM contact_volume "
        "WHERE queue_id = ? AND skill_id = '' AND interval_start = ?",
        restated["queueId"],
        datetime.fromisoformat(restated["intervalStartTimeStamp"]),
    )
    assert (offered, fetched) == (restated["offeredContacts"], 1)
    [(restated_total,)] = rows_of(tmp_db, "SELECT sum(restated_rows) FROM contact_volume_syncs")
    assert restated_total == 1


def test_a_crash_mid_paging_resumes_without_gap_or_duplicate(
    server: VolumeServer, tmp_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    land = polling.store.land_page
    landed: list[int] = []

    def crash_on_third(*args: Any, **kwargs: Any) -> Any:
        if len(landed) == 2:
            raise KeyboardInterrupt("the process died while landing page 3")
        landed.append(1)
        return land(*args, **kwargs)

    monkeypatch.setattr(polling.store, "land_page", crash_on_third)
    clock = Clock()
    with pytest.raises(KeyboardInterrupt):
        run(server, tmp_db, clock)
    monkeypatch.setattr(polling.store, "land_page", land)
    [(skip, done)] = rows_of(
        tmp_db, "SELECT skip_reached, completed_at IS NOT NULL FROM contact_volume_syncs"
    )
    assert (skip, done) == (100, False)
    server.requests.clear()
    clock.at = NOW + timedelta(minutes=20)  # later: the window stays the crashed one's
    outcome = run(server, tmp_db, clock)
    assert outcome.resumed and outcome.stopped == "complete"
    assert sorted((r["skip"], r["toTimeStamp"]) for r in server.requests) == [
        (100, "2026-03-10T12:00:00Z"),
        (150, "2026-03-10T12:00:00Z"),
    ]
    [(rows, keys)] = rows_of(
        tmp_db,
        "SELECT count(*), count(DISTINCT (queue_id, skill_id, interval_start)) FROM contact_volume",
    )
    assert rows == keys == 384


def test_the_run_stops_when_the_planner_says_no_and_resumes_next_run(
    server: VolumeServer, tmp_db: str
) -> None:
    clock = Clock()
    # 3 a minute, one kept for availability (its default expectation): 2 for later priorities.
    planner = RequestPlanner(":memory:", 3, clock=clock.epoch)
    first = run(server, tmp_db, clock, planner=planner)
    assert (first.stopped, first.pages, first.requests) == ("budget", 2, 2)
    assert planner.available(server.account, PRIORITY_AVAILABILITY) == 1  # never crowded out
    clock.at += timedelta(seconds=61)
    second = run(server, tmp_db, clock, planner=planner)
    assert (second.stopped, second.pages, second.resumed) == ("complete", 2, True)
    assert sorted(r["skip"] for r in server.requests) == [0, 50, 100, 150]


def test_pages_per_run_bounds_a_run(server: VolumeServer, tmp_db: str) -> None:
    clock = Clock()
    outcome = run(server, tmp_db, clock, replace(VOLUME, pages_per_run=3))
    assert (outcome.stopped, outcome.pages, outcome.watermark) == ("page_limit", 3, None)
    assert run(server, tmp_db, clock, replace(VOLUME, pages_per_run=3)).stopped == "complete"


def _seconds(database: str) -> list[tuple[Any, ...]]:
    return rows_of(
        database,
        "SELECT queue_id, skill_id, interval_start, offered, handle_seconds, talk_seconds, "
        "acw_seconds, hold_seconds, wait_answered_seconds, wait_abandoned_seconds, "
        "max_wait_answered_seconds, max_wait_abandoned_seconds FROM contact_volume ORDER BY ALL",
    )


def test_seconds_and_milliseconds_land_the_same_seconds(
    server: VolumeServer, tmp_path: Any
) -> None:
    landed = {}
    for unit in ("seconds", "milliseconds"):
        server.rows = volume_rows(DAY_START, 96, unit=unit)
        database = str(tmp_path / f"{unit}.duckdb")
        run(server, database, Clock())
        landed[unit] = _seconds(database)
        assert rows_of(database, "SELECT DISTINCT time_unit, unit_basis FROM contact_volume") == [
            (unit, "detected")
        ]
    assert landed["seconds"] == landed["milliseconds"]
    assert landed["seconds"][0][4] == 300.0 * 2  # two answered x a 5-minute handle time


def test_an_ambiguous_unit_takes_the_fallback_setting(server: VolumeServer, tmp_db: str) -> None:
    server.rows = volume_rows(DAY_START, 8, unit="milliseconds", aht_seconds=9.0)
    volume = replace(VOLUME, ambiguous_unit="milliseconds")
    run(server, tmp_db, Clock(), volume)
    assert rows_of(tmp_db, "SELECT DISTINCT time_unit, unit_basis FROM contact_volume") == [
        ("milliseconds", "setting")
    ]
    forced = str(tmp_db) + ".forced.duckdb"
    run(server, forced, Clock(), replace(VOLUME, time_unit="seconds"))
    [(unit, basis, handle)] = rows_of(
        forced,
        "SELECT DISTINCT time_unit, unit_basis, max(handle_seconds) OVER () FROM contact_volume",
    )
    assert (unit, basis) == ("seconds", "setting") and handle > 9.0 * 6


def test_a_missing_wfm_integration_scope_is_named(server: VolumeServer, tmp_db: str) -> None:
    server.missing_scope = True
    outcome = run(server, tmp_db, Clock())
    assert outcome.failed and outcome.error_kind == "scope_missing"
    assert "WFM Integration" in (outcome.error_text or "")
    [(outcome_kind, kept)] = rows_of(
        tmp_db, "SELECT error_kind, error_text FROM contact_volume_pages"
    )
    assert outcome_kind == "scope_missing" and "WFM Integration" in kept
    assert rows_of(tmp_db, "SELECT count(*) FROM contact_volume") == [(0,)]


def test_a_bad_row_fails_the_page_and_the_window_stays(server: VolumeServer, tmp_db: str) -> None:
    server.rows[70]["answeredContacts"] = -3
    outcome = run(server, tmp_db, Clock())
    assert outcome.failed and outcome.pages == 1
    assert "CallVolumeUpdate[20]" in (outcome.error_text or "")
    assert "'answeredContacts'" in (outcome.error_text or "")
    [(skip, done)] = rows_of(
        tmp_db, "SELECT skip_reached, completed_at IS NOT NULL FROM contact_volume_syncs"
    )
    assert (skip, done) == (50, False)
