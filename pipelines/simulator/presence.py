"""Each agent's planned presence for one shift: log-in, breaks, lunch, training, idle spells.

The plan is what the agent would do with no contacts at all. It is drawn per agent per shift
from a ``random.Random`` seeded with ``(seed, agent index, shift date)``, so it never depends
on routing or on other agents. The day simulation (:mod:`pipelines.simulator.contacts`) plays
the plans and decides when the agent is AVAILABLE or BUSY with a contact; a planned item that
comes due while the agent handles a contact starts when the contact ends.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from pipelines.simulator.roster import SHIFTS, Agent

__all__ = ["PlanItem", "shift_plan"]

# (planned start epoch s, bucket, detail, duration s; None for the log-out that ends a shift)
PlanItem = tuple[int, str, str, int | None]

_HOUR = 3600


def _local_ts(tz: ZoneInfo, day: date, at: dtime, minutes: int = 0) -> int:
    """Epoch seconds of a local wall-clock time (zoneinfo resolves DST)."""
    local = datetime.combine(day, at, tzinfo=tz) + timedelta(minutes=minutes)
    return int(local.timestamp())


def shift_plan(
    agent: Agent, shift_day: date, seed: int, tz: ZoneInfo, custom_bucket: str | None
) -> tuple[PlanItem, ...]:
    """The plan of the shift that starts on local ``shift_day``; empty on a day off.

    Items are sequential (each starts no earlier than the previous one ends), begin with
    Login Prep and end with the log-out. ``custom_bucket`` replaces AWAY for breaks.
    """
    rng = random.Random(f"{seed}:{agent.index}:{shift_day.isoformat()}")
    if rng.random() < 0.04:  # an occasional day off or sick day
        return ()
    shift = SHIFTS[agent.shift]
    start = _local_ts(tz, shift_day, shift.start, rng.randint(-10, 10))
    end_day = shift_day + timedelta(days=1) if shift.end <= shift.start else shift_day
    end = _local_ts(tz, end_day, shift.end, rng.randint(-10, 10))
    events: list[tuple[int, str, str, int]] = [
        (start + 2 * _HOUR + rng.randint(-1200, 1200), "AWAY", "Break", rng.randint(600, 900)),
        (start + 4 * _HOUR + rng.randint(-1800, 1800), "AWAY", "Lunch", rng.randint(1800, 2700)),
        (start + 6 * _HOUR + rng.randint(0, 2400), "AWAY", "Break", rng.randint(600, 900)),
    ]
    if rng.random() < 0.3:
        when = start + rng.randint(_HOUR, 7 * _HOUR)
        events.append((when, "BUSY", "Training", rng.randint(900, 1800)))
    for _ in range(rng.randint(1, 4)):  # short idle spells: the agent walks away unannounced
        when = start + rng.randint(_HOUR // 2, max(_HOUR, end - start - _HOUR // 2))
        events.append((when, "AWAY", "Away (Idle)", rng.randint(120, 300)))
    events.sort()
    login = rng.randint(120, 300)
    items: list[PlanItem] = [(start, "BUSY", "Login Prep", login)]
    free = start + login
    for when, bucket, detail, duration in events:
        when = max(when, free)
        if when >= end:
            continue
        if custom_bucket and detail == "Break":
            bucket = custom_bucket
        items.append((when, bucket, detail, duration))
        free = when + duration
    items.append((max(end, free), "OFFLINE", "Logged out", None))
    return tuple(items)
