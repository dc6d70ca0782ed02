"""Kore demand end to end against the simulator's truth: its callvolume route, the volume sync
(the real client and warehouse write), then the demand build, compared with what the simulator
knows it generated (contact log, queue profiles)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from pipelines import demand
from pipelines.coverage import CoverageSettings, day_bounds
from pipelines.demand import DemandSettings
from pipelines.polling.volume import VolumeSettings, sync_volume
from pipelines.simulator import SimulatorConfig, SimulatorServer
from pipelines.warehouse import connect
from tests.support.demand import add_scopes
from tests.support.kore import simulator_settings

ZONE = "America/New_York"
DAY = date(2026, 2, 9)  # a Monday


def test_kore_demand_from_the_simulator_matches_its_truth(tmp_path: Path) -> None:
    """The day's offered contacts per queue and interval are exactly the simulator's contact
    log; pooled over the day, AHT and the patience estimate (censored MLE) are within four
    standard errors of each queue's configured means (seed 5, 120 agents: 470 to 1,484
    answered and 15 to 55 abandons per queue; measured: AHT +3 %, +8 %, -1 %, +3 %, patience
    -12 %, -17 %, +5 %, +4 %; the seed is fixed, so the figures are the same every run)."""
    start, end = day_bounds(DAY, ZONE)
    now = end + timedelta(hours=1)
    database = tmp_path / "warehouse.duckdb"
    config = SimulatorConfig(rate_limit_per_minute=None, time_zone=ZONE, agents=120, seed=5)
    server = SimulatorServer(config, clock=lambda: now).start()
    try:
        settings = simulator_settings(server.env(include_secret=True))
        volume = VolumeSettings(first_sync_days=2, page_size=100, pages_per_run=1000)
        outcome = sync_volume(lambda: connect(database), settings, volume, clock=lambda: now)
        assert outcome.stopped == "complete", outcome
        sim = server.simulator
        truth = sim.contacts(start, end)
        profiles = {queue: sim.profiles[queue] for queue in sim.catalogue.queues}
    finally:
        server.stop()
    grid = CoverageSettings(time_zone=ZONE)
    with connect(database) as con:
        add_scopes(con, *(f"queue:{q}" for q in profiles))
        demand.build_forecast(con, DAY, grid, DemandSettings(), now)
        demand.build_demand_requirements(con, DAY, grid, DemandSettings(), now)
        rows = con.execute(
            "SELECT scope_key, interval_start, offered, answered, aht_seconds, patience_seconds, "
            "patience_abandons, is_forecast, source FROM demand_requirements WHERE day = ?",
            [DAY],
        ).fetchall()
    assert len(rows) == 96 * len(profiles)
    assert {r[7] for r in rows} == {False}
    counted = Counter()
    for contact in truth:
        at = datetime.fromisoformat(contact["arrival"].replace("Z", "+00:00")).astimezone(UTC)
        cell = start + timedelta(minutes=15 * ((at - start) // timedelta(minutes=15)))
        counted[(f"queue:{contact['queueId']}", cell)] += 1
    assert {(r[0], r[1]): r[2] for r in rows if r[2]} == dict(counted)
    for queue, profile in profiles.items():
        mine = [r for r in rows if r[0] == f"queue:{queue}"]
        answered = sum(r[3] for r in mine)
        handled = sum(r[3] * r[4] for r in mine if r[3])
        patience, abandons = mine[0][5], mine[0][6]
        # Within four standard errors: cv / sqrt(n) for a mean handle time over n contacts,
        # 1 / sqrt(abandons) for the exponential MLE of the patience.
        assert handled / answered == pytest.approx(
            profile.aht_seconds, rel=4 * profile.handle_cv / answered**0.5
        ), queue
        assert abandons >= 10, (queue, abandons)
        assert patience == pytest.approx(profile.patience_seconds, rel=4 / abandons**0.5), queue
        assert {r[8] for r in mine if r[2]} == {"kore_erlang_a"}
