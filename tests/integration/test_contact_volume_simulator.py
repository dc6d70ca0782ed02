"""Contact volume end to end: the simulator's callvolume route on 127.0.0.1, a DuckDB file, the
request planner. Paging, the watermark, restatements, the unit question, a crash mid-paging,
the budget, and a missing "WFM Integration" scope that leaves availability polling untouched.

The simulator's model clock and the planner's clock are one clock the test moves; nothing
depends on the machine's speed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from pipelines.kore import RequestPlanner
from pipelines.kore.callvolume_units import VOLUME_COLUMNS
from pipelines.kore.planner import PRIORITY_AVAILABILITY
from pipelines.polling import poll
from pipelines.polling import volume as polling
from pipelines.polling.volume import VolumeOutcome, VolumeSettings, sync_volume
from pipelines.settings import DEFAULT_SCOPES
from pipelines.simulator import SimulatorServer
from pipelines.warehouse import connect
from tests.support.kore import simulator_settings

START = datetime(2026, 3, 10, 15, 7, 30, tzinfo=UTC)  # a Tuesday, 10:07 in New York
VOLUME = VolumeSettings(first_sync_days=2, page_size=100, pages_per_run=100)
QUEUES = 4  # the simulator's catalogue
TIMES = [c for c in VOLUME_COLUMNS if c.endswith("_seconds")]


class Clock:
    """The simulator's model clock, the sync's and the planner's."""

    def __init__(self, at: datetime = START):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def epoch(self) -> float:
        return self.at.timestamp()


Start = Callable[..., SimulatorServer]


def simulator(simulator_factory: Start, clock: Clock, **config: Any) -> SimulatorServer:
    config.setdefault("rate_limit_per_minute", None)
    config.setdefault("agents", 60)
    return simulator_factory(clock=clock, **config)


def run(
    server: SimulatorServer,
    database: str,
    clock: Clock,
    volume: VolumeSettings = VOLUME,
    planner: RequestPlanner | None = None,
) -> VolumeOutcome:
    settings = simulator_settings(server.env())
    planner = planner or RequestPlanner(":memory:", 60, clock=clock.epoch)
    return sync_volume(partial(connect, database), settings, volume, planner=planner, clock=clock)


def stored(database: str, level: str = "queue") -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """(queue, skill, interval start) -> (offered, answered, abandoned, times...)."""
    where = "skill_id = ''" if level == "queue" else "skill_id <> ''"
    with connect(database, read_only=True) as con:
        rows = con.execute(
            f"SELECT queue_id, skill_id, interval_start, offered, answered, abandoned, "
            f"{', '.join(TIMES)} FROM contact_volume WHERE {where}"
        ).fetchall()
    return {row[:3]: row[3:] for row in rows}


def served(server: SimulatorServer, start: datetime, end: datetime) -> dict[tuple, tuple]:
    """What the simulator serves now for [start, end), queue level, in seconds."""
    scale = 1000.0 if server.config.callvolume_time_unit == "milliseconds" else 1.0
    fields = ("conversationHandleTime", "conversationTalkTime", "acwDuration", "holdDuration",
              "queueHoldTimeAnswered", "queueHoldTimeAbandoned", "maxQueueHoldTimeAnswered",
              "maxqueueHoldTimeAbandoned")  # fmt: skip
    out = {}
    for row in server.simulator.contact_volume(start, end, False):
        key = (row["queueId"], "", datetime.fromisoformat(row["intervalStartTimeStamp"]))
        counts = (row["offeredContacts"], row["answeredContacts"], row["abandonedContacts"])
        out[key] = counts + tuple(row[f] / scale for f in fields)
    return out


def test_a_first_sync_pages_the_window_and_lands_what_the_simulator_serves(
    simulator_factory: Start, tmp_db: str
) -> None:
    clock = Clock()
    server = simulator(simulator_factory, clock)
    outcome = run(server, tmp_db, clock)
    intervals = 2 * 96
    assert outcome.stopped == "complete"
    assert outcome.pages == outcome.requests == -(-intervals * QUEUES // 100)
    assert outcome.watermark == datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    queue_rows = stored(tmp_db)
    assert len(queue_rows) == intervals * QUEUES
    assert queue_rows == served(server, outcome.window.from_ts, outcome.window.to_ts)
    assert sum(row[0] for row in queue_rows.values()) > 0  # contacts arrived
    assert len(stored(tmp_db, "skill")) > len(queue_rows)  # a queue has one or more skills
    assert server.requests_by_route()["callvolume"] == {200: outcome.requests}


def test_the_second_run_asks_only_from_the_watermark_and_restatements_win(
    simulator_factory: Start, tmp_db: str
) -> None:
    clock = Clock()
    server = simulator(simulator_factory, clock, callvolume_restate_last=4)
    first = run(server, tmp_db, clock)
    clock.at += timedelta(minutes=45)
    second = run(server, tmp_db, clock)
    assert not second.window.first_sync
    assert second.window.from_ts == first.watermark - timedelta(hours=2)
    assert second.window.to_ts == second.watermark == first.watermark + timedelta(minutes=45)
    assert (second.pages, second.requests) == (1, 1)  # 11 intervals x 4 queues
    assert second.restated > 0  # late contacts of the last intervals changed their rows
    recent = served(server, second.window.from_ts, second.window.to_ts)
    queue_rows = stored(tmp_db)
    assert {k: queue_rows[k] for k in recent} == recent  # the new values won
    assert len(queue_rows) == (2 * 96 + 3) * QUEUES  # and no key twice


@pytest.mark.parametrize("unit", ["seconds", "milliseconds"])
def test_either_unit_lands_the_same_seconds(
    simulator_factory: Start, tmp_path: Any, unit: str
) -> None:
    clock = Clock()
    reference = simulator(simulator_factory, clock, callvolume_time_unit="milliseconds")
    server = simulator(simulator_factory, clock, callvolume_time_unit=unit)
    database = str(tmp_path / f"{unit}.duckdb")
    outcome = run(server, database, clock, replace(VOLUME, first_sync_days=1))
    assert {level: c.unit for level, c in outcome.units.items()} == {
        "queue": unit,
        "skill": unit,
    }
    truth = served(reference, outcome.window.from_ts, outcome.window.to_ts)
    landed = stored(database)
    assert landed.keys() == truth.keys()
    for key, row in landed.items():
        assert row[:3] == truth[key][:3]
        # Seconds arrive rounded to whole seconds; milliseconds to the millisecond.
        assert row[3:] == pytest.approx(truth[key][3:], abs=0.5 + 1e-6)
    with connect(database, read_only=True) as con:
        bases = con.execute(
            "SELECT DISTINCT time_unit FROM contact_volume WHERE handle_seconds > 0"
        ).fetchall()
    assert bases == [(unit,)]


def test_a_crash_mid_paging_resumes_with_no_gap_and_no_duplicate(
    simulator_factory: Start, tmp_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    server = simulator(simulator_factory, clock)
    land = polling.store.land_page
    calls: list[int] = []

    def die_on_fourth(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 4:
            raise SystemExit("killed while landing page 4")
        return land(*args, **kwargs)

    monkeypatch.setattr(polling.store, "land_page", die_on_fourth)
    with pytest.raises(SystemExit):
        run(server, tmp_db, clock)
    monkeypatch.setattr(polling.store, "land_page", land)
    assert len(stored(tmp_db)) == 300
    clock.at += timedelta(minutes=20)
    outcome = run(server, tmp_db, clock)
    assert outcome.resumed and outcome.stopped == "complete"
    assert outcome.pages == 8 - 3
    assert outcome.watermark == datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # the crashed window
    assert len(stored(tmp_db)) == 2 * 96 * QUEUES


def test_the_planner_budget_is_respected_and_availability_keeps_its_room(
    simulator_factory: Start, tmp_db: str
) -> None:
    clock = Clock()
    server = simulator(simulator_factory, clock, rate_limit_per_minute=60, rate_clock="model")
    planner = RequestPlanner(":memory:", 6, clock=clock.epoch)
    planner.expect(server.config.account_id, PRIORITY_AVAILABILITY, 2)
    runs = []
    while not runs or runs[-1].stopped != "complete":
        runs.append(run(server, tmp_db, clock, planner=planner))
        assert runs[-1].requests <= 4  # 6 a minute less the 2 availability expects
        assert planner.available(server.config.account_id, PRIORITY_AVAILABILITY) >= 2
        clock.at += timedelta(seconds=61)
    assert [r.stopped for r in runs] == ["budget", "complete"]
    assert sum(r.pages for r in runs) == 8
    assert 429 not in server.requests_by_route()["callvolume"]
    assert len(stored(tmp_db)) == 2 * 96 * QUEUES


def test_a_missing_wfm_scope_is_named_and_availability_polling_goes_on(
    simulator_factory: Start, tmp_db: str
) -> None:
    clock = Clock()
    server = simulator(simulator_factory, clock, missing_api_scopes=("wfm_integration",))
    outcome = run(server, tmp_db, clock)
    assert outcome.failed and outcome.error_kind == "scope_missing"
    assert "WFM Integration" in (outcome.error_text or "")
    tick = poll(
        partial(connect, tmp_db),
        simulator_settings(server.env()),
        str(DEFAULT_SCOPES),
        tick_id="after-volume",
    )
    assert tick.mode == "membership" and tick.results and not tick.failed
    with connect(tmp_db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM contact_volume").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM snapshots").fetchall()[0][0] > 0


def test_a_server_that_cuts_pages_shorter_than_asked_is_paged_without_gap(
    simulator_factory: Start, tmp_db: str
) -> None:
    clock = Clock()
    server = simulator(simulator_factory, clock, callvolume_page_max=70)
    outcome = run(server, tmp_db, clock)  # asks 100 a page, gets 70
    assert outcome.stopped == "complete"
    assert outcome.pages == -(-2 * 96 * QUEUES // 70)
    assert len(stored(tmp_db)) == 2 * 96 * QUEUES
