"""The simulator's contacts, routed over its agents, behave as Erlang A predicts.

A configuration where Erlang A (M/M/N+M) applies: one queue served by one skill that every
agent has, a constant arrival rate, exponential handle times and exponential patience. The
agents still come and go with their shifts, breaks and lunches, so the number of servers
changes during the day: the prediction for each 15-minute interval is Erlang A at that
interval's time-averaged on-queue agents (AVAILABLE or handling a contact; between two whole
numbers of servers the figures are interpolated linearly), weighted by the contacts offered.

Tolerance: 0.04 of service level and 0.02 of abandon rate (absolute). Over six seeds at this
load and two seeds at 400 and 560 contacts an hour, the largest gaps seen were 0.031 and
0.011. The gap comes from what Erlang A leaves out: an interval is not in steady state (a
queue carries over when agents leave for lunch), times are whole seconds, and the
interpolation. The seed is fixed, so the test is deterministic; a routing that ignored
patience (no abandons) or the skill, or served out of order, would be far outside it.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

from pipelines.coverage import day_bounds
from pipelines.coverage.erlang_a import erlang_a
from pipelines.simulator import QueueProfile, Simulator, SimulatorConfig

AHT, PATIENCE, TARGET = 300.0, 180.0, 20.0
RATE = 480.0  # per hour: 40 Erlangs against about 44 agents on queue on average
SL_TOLERANCE, ABANDON_TOLERANCE = 0.04, 0.02
FIRST_DAY = date(2026, 5, 4)  # Monday; five weekdays
WINDOW = (9, 13)  # local hours: the early and day shifts, breaks and lunches included


def _interpolated(servers: float) -> tuple[float, float]:
    low = max(math.floor(servers), 1)
    share = min(max(servers - low, 0.0), 1.0)
    a = erlang_a(low, RATE, AHT, PATIENCE, TARGET)
    b = erlang_a(low + 1, RATE, AHT, PATIENCE, TARGET)
    return (
        (1 - share) * a.service_level + share * b.service_level,
        (1 - share) * a.abandon_rate + share * b.abandon_rate,
    )


def test_service_level_and_abandon_rate_match_erlang_a_for_the_same_arrivals() -> None:
    profile = QueueProfile(
        "qu-001", RATE, AHT, PATIENCE, peaks=(), night=1.0, weekend=1.0, handle_cv=1.0
    )
    config = SimulatorConfig(agents=100, seed=5, skills=1, queues=1, queue_profiles=(profile,))
    sim = Simulator(config, clock=lambda: datetime(2026, 7, 1, tzinfo=UTC))
    assert all(a.skills == ("sk-001",) for a in sim.roster)
    offered = answered_in_time = abandoned = 0
    predicted_sl = predicted_abandon = 0.0
    for n in range(5):
        day = FIRST_DAY + timedelta(days=n)
        result = sim.day(day)
        start = int(day_bounds(day, sim.tz)[0].timestamp())
        lo, hi = start + WINDOW[0] * 3600, start + WINDOW[1] * 3600
        on_queue = [0.0] * ((hi - lo) // 900)
        for segments in result.segments:
            for s, e, bucket, detail in segments:
                if bucket != "AVAILABLE" and detail not in ("On Call", "On Chat"):
                    continue
                s, e = max(s, lo), min(e, hi)
                while s < e:
                    k = (s - lo) // 900
                    cut = min(e, lo + (k + 1) * 900)
                    on_queue[k] += (cut - s) / 900
                    s = cut
        counts = [[0, 0, 0] for _ in on_queue]
        for c in result.contacts:
            if lo <= c.arrival < hi:
                row = counts[(c.arrival - lo) // 900]
                row[0] += 1
                row[1] += c.answered is not None and c.wait <= TARGET
                row[2] += c.answered is None
        for servers, (n_offered, n_in_time, n_abandoned) in zip(on_queue, counts, strict=True):
            sl, abandon = _interpolated(servers)
            offered += n_offered
            answered_in_time += n_in_time
            abandoned += n_abandoned
            predicted_sl += sl * n_offered
            predicted_abandon += abandon * n_offered
    assert offered > 8000
    simulated = (answered_in_time / offered, abandoned / offered)
    predicted = (predicted_sl / offered, predicted_abandon / offered)
    print(f"simulated SL {simulated[0]:.3f} abandon {simulated[1]:.3f}; "
          f"Erlang A SL {predicted[0]:.3f} abandon {predicted[1]:.3f}")  # fmt: skip
    assert abs(simulated[0] - predicted[0]) <= SL_TOLERANCE, (simulated, predicted)
    assert abs(simulated[1] - predicted[1]) <= ABANDON_TOLERANCE, (simulated, predicted)
    assert simulated[1] > 0.02  # abandons happen: patience is part of the model
