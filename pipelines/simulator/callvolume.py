"""Kore.ai's Contact Volume answer (``CallVolumeUpdate`` rows), counted from the simulated contacts.

One row per queue and 15-minute interval (UTC-aligned; every queue of the catalogue, zero
rows included), for the intervals that ended by the model's now, ordered by interval then
queue. A contact counts in the interval it arrived in: offered = answered + abandoned in
every row; completed are the answered contacts whose handling had ended. With
``includeSkillBreakdown`` a row lists each skill of its queue: every contact of a queue is
routed with all of the queue's skills, so it counts once per skill and the breakdown of a
two-skill queue sums to twice the queue's figures.

As served (``as_served=True``, what the HTTP route answers) a contact is counted once its
outcome is known by now (answered or abandoned) and, with ``callvolume_restate_last`` = N,
three in ten contacts are reported up to N intervals late: the last N intervals' counts grow
when fetched again later (restatements). The truth (``as_served=False``) counts every contact
of the ended intervals with its final outcome.

Times: totals and maxima per row in ``callvolume_time_unit`` (milliseconds by default, as the
documented sample looks, or seconds), the same unit at queue and skill level.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pipelines.coverage.calendar import local_date
from pipelines.simulator.contacts import Contact
from pipelines.simulator.profile import INTERVAL_SECONDS

if TYPE_CHECKING:
    from pipelines.simulator.model import Simulator

__all__ = ["LATE_SHARE", "VolumeBook", "iso_z", "parse_instant"]

LATE_SHARE = 0.3  # share of contacts reported late when restating is on
_CACHED_DAYS = 48
_METRICS = (
    "offeredContacts", "answeredContacts", "abandonedContacts", "completedContacts",
    "conversationHandleTime", "conversationTalkTime", "acwDuration", "holdDuration",
    "queueHoldTimeAnswered", "maxQueueHoldTimeAnswered", "queueHoldTimeAbandoned",
    "maxqueueHoldTimeAbandoned", "csatResponses", "csatScore",
)  # fmt: skip
_COUNTS = 4  # the first four metrics are counts; the next eight are times
_TIMES = 12


def iso_z(ts: float) -> str:
    """``2023-06-01T09:45:00.000Z``: the documented timestamp form."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant; naive means UTC. ValueError if unreadable."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class _Group:
    """One queue-interval's final figures (seconds) and when they stop changing."""

    figures: tuple[float, ...]  # offered .. csatScore in _METRICS order, csat as a sum
    settled: float  # epoch s from which the served figures equal the final ones


def _reported_at(contact: Contact, interval_end: int, restate: int) -> float:
    outcome = contact.answered if contact.answered is not None else contact.ended
    at = max(float(outcome if outcome is not None else interval_end), float(interval_end))
    late = contact.late if contact.late is not None else 1.0
    if restate > 0 and late < LATE_SHARE:
        at = max(at, interval_end + late / LATE_SHARE * restate * INTERVAL_SECONDS)
    return at


def _figures(contacts: Iterable[Contact], now: float | None) -> tuple[float, ...]:
    """Sums over ``contacts`` (all counted); completed = handling ended by ``now``."""
    f = [0.0] * len(_METRICS)
    for c in contacts:
        f[0] += 1
        if c.answered is None:
            wait = c.wait
            f[2] += 1
            f[10] += wait
            f[11] = max(f[11], wait)
            continue
        f[1] += 1
        f[8] += c.wait
        f[9] = max(f[9], c.wait)
        end = c.ended if c.ended is not None else c.answered
        if now is not None and end > now:
            continue
        handle = end - c.answered
        acw = handle // 10
        hold = handle // 20 if c.channel == "voice" else 0
        f[3] += 1
        f[4] += handle
        f[5] += handle - acw - hold
        f[6] += acw
        f[7] += hold
        if c.csat:
            f[12] += 1
            f[13] += c.csat
    return tuple(f)


class VolumeBook:
    """Per-day queue-interval figures of one :class:`Simulator`, cached (bounded), and the
    ``CallVolumeUpdate`` rows built from them."""

    def __init__(self, sim: Simulator):
        self.sim = sim
        self._lock = threading.Lock()
        self._days: OrderedDict[date, dict[tuple[int, str], _Group]] = OrderedDict()
        self._recent: OrderedDict[date, dict[tuple[int, str], list[Contact]]] = OrderedDict()

    def _day(self, day: date) -> dict[tuple[int, str], _Group]:
        with self._lock:
            groups = self._days.get(day)
        if groups is None:
            groups = self._build(day)  # twice at worst, with the same result
        with self._lock:
            self._days[day] = groups
            self._days.move_to_end(day)
            while len(self._days) > _CACHED_DAYS:
                self._days.popitem(last=False)
            return groups

    def _contacts_by_group(self, day: date) -> dict[tuple[int, str], list[Contact]]:
        """The day's contacts per (interval start, queue); the latest two days are kept."""
        with self._lock:
            by_key = self._recent.get(day)
            if by_key is None:
                by_key = {}
                for c in self.sim.day(day).contacts:
                    key = (c.arrival - c.arrival % INTERVAL_SECONDS, c.queue_id)
                    by_key.setdefault(key, []).append(c)
                self._recent[day] = by_key
                while len(self._recent) > 2:
                    self._recent.popitem(last=False)
            self._recent.move_to_end(day)
            return by_key

    def _build(self, day: date) -> dict[tuple[int, str], _Group]:
        restate = self.sim.config.callvolume_restate_last
        by_key = self._contacts_by_group(day)
        out: dict[tuple[int, str], _Group] = {}
        for (start, queue_id), contacts in by_key.items():
            end = start + INTERVAL_SECONDS
            settled = max(
                max(_reported_at(c, end, restate), float(c.ended or end)) for c in contacts
            )
            out[(start, queue_id)] = _Group(_figures(contacts, None), settled)
        return out

    def _served(self, start: int, queue_id: str, day: date, now: float) -> tuple[float, ...]:
        """The figures as known at ``now`` (recomputed only while they still change)."""
        restate = self.sim.config.callvolume_restate_last
        end = start + INTERVAL_SECONDS
        group = self._contacts_by_group(day).get((start, queue_id), [])
        counted = [c for c in group if _reported_at(c, end, restate) <= now]
        return _figures(counted, now)

    def rows(
        self, start: datetime, end: datetime, include_skills: bool, *, as_served: bool
    ) -> list[dict[str, Any]]:
        """Rows of the intervals starting in ``[start, end)`` that ended by now."""
        sim = self.sim
        now = sim.now().timestamp()
        lo = -(-int(start.timestamp()) // INTERVAL_SECONDS) * INTERVAL_SECONDS
        hi = min(end.timestamp(), now - INTERVAL_SECONDS + 1e-9)
        queues = list(sim.catalogue.queues)
        zero = (0.0,) * len(_METRICS)
        out: list[dict[str, Any]] = []
        t = lo
        while t < hi:
            day = local_date(datetime.fromtimestamp(t, UTC), sim.tz)
            groups = self._day(day)
            for queue_id in queues:
                group = groups.get((t, queue_id))
                figures = zero if group is None else group.figures
                if as_served and group is not None and now < group.settled:
                    figures = self._served(t, queue_id, day, now)
                out.append(self._row(t, queue_id, figures, include_skills))
            t += INTERVAL_SECONDS
        return out

    def _row(
        self, start: int, queue_id: str, figures: tuple[float, ...], include_skills: bool
    ) -> dict[str, Any]:
        sim = self.sim
        config = sim.config
        name, skills = sim.catalogue.queues[queue_id]
        digest = hashlib.sha256(f"{config.account_id}:{queue_id}:{start}".encode()).hexdigest()
        row: dict[str, Any] = {
            "_id": digest[:24],
            "intervalStartTimeStamp": iso_z(start),
            "intervalEndTimeStamp": iso_z(start + INTERVAL_SECONDS),
            "orgId": config.org_id,
            "iId": config.bot_id,
            "queueId": queue_id,
            "queueName": name,
            "source": "rtm",
            "__v": 0,
        }
        metrics = self._metrics(figures)
        row.update(metrics)
        if include_skills:
            row["skillBreakdown"] = [
                {
                    "skillId": s,
                    "skillName": sim.catalogue.skills[s],
                    "skillGroupId": sim.catalogue.skill_groups.get(s, ("", ""))[0],
                    "skillGroupName": sim.catalogue.skill_groups.get(s, ("", ""))[1],
                    **metrics,
                }
                for s in skills
            ]
        return row

    def _metrics(self, figures: tuple[float, ...]) -> dict[str, int]:
        scale = 1000 if self.sim.config.callvolume_time_unit == "milliseconds" else 1
        values: dict[str, int] = {}
        for k, name in enumerate(_METRICS):
            value = figures[k]
            if _COUNTS <= k < _TIMES:
                value *= scale
            values[name] = int(round(value))
        responses = figures[12]
        values["csatScore"] = int(round(figures[13] / responses)) if responses else 0
        return values


def history_start(now: datetime, days: int) -> datetime:
    """The first available record: ``days`` back from now, on an interval boundary."""
    first = (now - timedelta(days=days)).timestamp()
    return datetime.fromtimestamp(first - first % INTERVAL_SECONDS, UTC)
