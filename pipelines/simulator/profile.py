"""How many contacts each queue gets: a daily shape per queue, sized to the roster.

The true mean arrival rate of a queue is piecewise constant per 15-minute interval (the
shape evaluated at the interval's local mid-point), so the contacts of one interval are
exactly Poisson with mean ``rate x 0.25 h``. A queue's size follows the agents serving it:
each agent's capacity is shared equally among the queues it serves at the start, and
``load`` says how busy that capacity is at the queue's weekday peak (1.0 is about fully
used; above 1 the queue is short at its peak). The default catalogue has hand-tuned queues
(Support loaded beyond its agents through most of the day, so its skills are short
on average in the demo; Retention comfortably over); generated catalogues draw
their shapes and loads from a hash of the queue id.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from pipelines.simulator.catalogue import Catalogue
from pipelines.simulator.roster import Agent

__all__ = ["INTERVAL_SECONDS", "ON_QUEUE_SHARE", "QueueProfile", "default_profiles"]

INTERVAL_SECONDS = 900
# Share of the roster on queue (AVAILABLE or handling contacts) in a weekday peak hour: the
# early and day shifts overlap then, less breaks, lunch, training and idle spells.
ON_QUEUE_SHARE = 0.45


@dataclass(frozen=True)
class QueueProfile:
    """One queue's demand: arrivals per hour at the weekday peak and the daily shape.

    ``peaks`` are (local hour, width in hours, height) bumps over a ``night`` floor; the
    shape is scaled so its weekday maximum is 1. ``weekend`` multiplies Saturday and Sunday.
    ``handle_cv`` is the handle time's coefficient of variation: 1 draws exponential handle
    times, anything else lognormal with that spread. Patience is exponential.
    """

    queue_id: str
    peak_per_hour: float
    aht_seconds: float
    patience_seconds: float
    peaks: tuple[tuple[float, float, float], ...] = ((10.5, 1.6, 1.0), (14.5, 1.8, 0.85))
    night: float = 0.04
    weekend: float = 0.45
    handle_cv: float = 1.0
    _norm: float = field(init=False, repr=False, compare=False, default=1.0)

    def __post_init__(self) -> None:
        for name in ("peak_per_hour", "night", "weekend"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0")
        for name in ("aht_seconds", "patience_seconds", "handle_cv"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0")
        top = max(self._raw((k + 0.5) / 4) for k in range(96))
        object.__setattr__(self, "_norm", top if top > 0 else 1.0)

    def _raw(self, hour: float) -> float:
        bumps = sum(h * math.exp(-0.5 * ((hour - c) / w) ** 2) for c, w, h in self.peaks)
        return self.night + (1.0 - self.night) * bumps

    def rate(self, local_hour: float, weekday: int) -> float:
        """True mean arrivals per hour at a local hour (0-24) of a weekday (0 = Monday)."""
        value = self.peak_per_hour * self._raw(local_hour) / self._norm
        return value * (self.weekend if weekday >= 5 else 1.0)

    def rate_at(self, at_ts: float, tz: ZoneInfo) -> float:
        """The rate of the 15-minute interval holding ``at_ts`` (epoch s), at its mid-point."""
        start = math.floor(at_ts / INTERVAL_SECONDS) * INTERVAL_SECONDS
        local = datetime.fromtimestamp(start + INTERVAL_SECONDS / 2, tz)
        hour = local.hour + local.minute / 60 + local.second / 3600
        return self.rate(hour, local.weekday())


# Default catalogue: (load at the peak, AHT s, patience s, peaks, handle cv).
_DEFAULTS: dict[str, tuple[float, float, float, tuple[tuple[float, float, float], ...], float]] = {
    "qu-billing": (1.1, 360, 240, ((10.0, 1.5, 1.0), (14.0, 1.5, 0.8)), 0.8),
    "qu-sales": (1.0, 300, 150, ((12.0, 2.0, 0.7), (16.5, 2.0, 1.0)), 0.8),
    "qu-support": (1.9, 480, 300, ((10.5, 2.4, 1.0), (14.5, 2.6, 0.9)), 0.8),
    "qu-retention": (0.6, 540, 200, ((11.0, 2.5, 1.0), (15.0, 2.0, 0.7)), 0.8),
}
_SHAPES = (
    ((10.5, 1.6, 1.0), (14.5, 1.8, 0.85)),
    ((9.5, 1.4, 1.0), (13.5, 2.0, 0.7)),
    ((12.0, 2.0, 0.8), (16.5, 1.8, 1.0)),
)


def default_profiles(
    catalogue: Catalogue, roster: list[Agent], load: float = 1.0
) -> dict[str, QueueProfile]:
    """A profile per queue of ``catalogue``, sized to the agents serving it in ``roster``.

    ``load`` multiplies every queue's volume (0 = no contacts).
    """
    serving: dict[str, set[str]] = {q: set(skills) for q, (_, skills) in catalogue.queues.items()}
    capacity = dict.fromkeys(catalogue.queues, 0.0)
    for agent in roster:
        mine = [q for q, skills in serving.items() if skills.intersection(agent.skills)]
        for q in mine:
            capacity[q] += 1.0 / len(mine)
    profiles: dict[str, QueueProfile] = {}
    for queue_id in catalogue.queues:
        if queue_id in _DEFAULTS and catalogue.is_default:
            q_load, aht, patience, peaks, cv = _DEFAULTS[queue_id]
        else:
            h = hashlib.sha256(queue_id.encode()).digest()
            q_load = 0.55 + 0.7 * h[0] / 255
            aht = 240 + 30 * (h[1] % 10)
            patience = 120 + 20 * (h[2] % 10)
            peaks = _SHAPES[h[3] % len(_SHAPES)]
            cv = 0.8
        agents_at_peak = capacity[queue_id] * ON_QUEUE_SHARE
        peak = load * q_load * agents_at_peak * 3600.0 / aht
        profiles[queue_id] = QueueProfile(queue_id, peak, aht, patience, peaks, handle_cv=cv)
    return profiles
