"""The status model behind the simulator: what each agent is doing at any instant, and the
availability answer Kore.ai would give for it.

Statuses are generated per agent per shift from a seeded ``random.Random``, so the truth at
any instant, past or future, is computed directly rather than by simulating from a start. The
HTTP server answers from it, ``/debug/truth`` and :meth:`Simulator.timeline` expose it as the
oracle tests compare the pipeline's figures with, and synthetic history writes it to DuckDB.
"""

from __future__ import annotations

import bisect
import functools
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pipelines.coverage.calendar import day_bounds, local_date
from pipelines.simulator.catalogue import assign_membership, make_catalogue
from pipelines.simulator.membership import Membership, MembershipBook, MembershipChange
from pipelines.simulator.roster import SHIFTS, Agent, channel_capacity, make_roster

if TYPE_CHECKING:
    from pipelines.simulator.config import SimulatorConfig

__all__ = ["BUCKETS", "BadRequestError", "Simulator", "StatusSpan", "as_utc"]

BUCKETS: tuple[str, ...] = ("AVAILABLE", "BUSY", "OFFLINE", "AWAY")

_FILTER_KEYS = ("skillIds", "queueIds", "agentIds")

# A segment is (start epoch seconds, end epoch seconds, bucket, detail), end exclusive.
_Segment = tuple[int, int, str, str]


@dataclass(frozen=True)
class StatusSpan:
    """One interval of an agent's true status: ``[start, end)`` in UTC."""

    agent_id: str
    start: datetime
    end: datetime
    bucket: str
    detail: str


class BadRequestError(ValueError):
    """A request body that Kore.ai would answer with HTTP 400."""


def as_utc(at: datetime) -> datetime:
    """Aware UTC datetime; naive values are taken to be UTC, as everywhere in the pipeline."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class Simulator:
    """The roster and status model, without HTTP: deterministic for ``(agents, seed)``.

    Statuses are generated per agent per shift from a ``random.Random`` seeded with
    ``(seed, agent index, shift date)``, so any instant, past or future, costs at most two
    shift generations, and ``status_at`` and ``timeline`` read the same cached segment lists.
    """

    def __init__(self, config: SimulatorConfig, clock: Callable[[], datetime] | None = None):
        if config.response_shape not in ("v1", "v2"):
            raise ValueError(f"response_shape must be 'v1' or 'v2', not {config.response_shape!r}")
        if config.agents < 0:
            raise ValueError("agents must be >= 0")
        if config.custom_status_bucket is not None and not config.custom_status_bucket.strip():
            raise ValueError("custom_status_bucket must be a non-empty string or None")
        config.validate()
        self.config = config
        self.tz = ZoneInfo(config.time_zone)
        self._clock = clock or (lambda: datetime.now(UTC))
        self.catalogue = make_catalogue(config.skills, config.queues)
        self.roster: list[Agent] = assign_membership(
            make_roster(config.agents, config.seed), self.catalogue, config.seed
        )
        self.book = MembershipBook(
            self.roster,
            self.catalogue,
            seed=config.seed,
            changes_per_day=config.membership_changes_per_day,
            tz=self.tz,
        )
        self._by_id: dict[str, Agent] = {a.agent_id: a for a in self.roster}
        self._v1_objects: dict[str, dict[str, Any]] = {
            a.agent_id: a.kore_fields() for a in self.roster
        }
        # Bounded caches: a poller touches today and yesterday; a backfill walks a few days.
        size = max(1024, 8 * len(self.roster))
        self._day_cache = functools.lru_cache(maxsize=size)(self._build_day)
        self._shift_cache = functools.lru_cache(maxsize=size)(self._build_shift)

    # ---- roster ------------------------------------------------------------------------------

    def agent(self, agent_id: str) -> Agent:
        """The agent with that id; KeyError if unknown."""
        return self._by_id[agent_id]

    def now(self) -> datetime:
        """The model's current time (the injected clock, else the wall clock), in UTC."""
        return as_utc(self._clock())

    def membership_at(self, at: datetime | None = None) -> Membership:
        """The truth: ``{agent_id: (skills, queues)}`` at ``at`` (default: now). Do not mutate."""
        return self.book.at(self.now() if at is None else as_utc(at))

    def membership_changes(self, start: datetime, end: datetime) -> list[MembershipChange]:
        """The membership changes in ``[start, end)``, in time order."""
        return self.book.changes(as_utc(start), as_utc(end))

    def queue_members(self, queue_id: str, at: datetime | None = None) -> list[Agent]:
        """Agents in the queue at ``at`` (default: now); an unknown queue has no members."""
        members = self.book.members(self.membership_at(at), "queue", queue_id)
        return [a for a in self.roster if a.agent_id in members]

    def skill_members(self, skill_id: str, at: datetime | None = None) -> list[Agent]:
        """Agents having the skill at ``at`` (default: now); an unknown skill has none."""
        members = self.book.members(self.membership_at(at), "skill", skill_id)
        return [a for a in self.roster if a.agent_id in members]

    def scope_members(self, scope_key: str, at: datetime | None = None) -> list[str]:
        """Agent ids for a scope key as the warehouse stores it: all, skill:<id>, queue:<id>,
        at ``at`` (default: now).

        ``agents:<id>,<id>`` lists agent ids directly (a scopes-file label cannot be resolved
        here; the scope's own ``agent_ids`` are the truth for such a scope).
        """
        if scope_key == "all":
            return [a.agent_id for a in self.roster]
        kind, _, ref = scope_key.partition(":")
        if kind == "skill":
            return [a.agent_id for a in self.skill_members(ref, at)]
        if kind == "queue":
            return [a.agent_id for a in self.queue_members(ref, at)]
        if kind == "agents":
            ids = {x for x in ref.split(",") if x}
            return [a.agent_id for a in self.roster if a.agent_id in ids]
        raise ValueError(f"unknown scope key {scope_key!r}; expected all, skill:<id> or queue:<id>")

    # ---- status model ------------------------------------------------------------------------

    def _local_ts(self, day: date, at: dtime, minutes: int = 0) -> int:
        """Epoch seconds of a local wall-clock time (zoneinfo resolves DST)."""
        local = datetime.combine(day, at, tzinfo=self.tz) + timedelta(minutes=minutes)
        return int(local.timestamp())

    def _busy_detail(self, agent: Agent, rng: random.Random) -> str:
        voice = agent.capacity("voice") > 0
        chat = agent.capacity("liveChat") > 0 or agent.capacity("messaging") > 0
        if voice and chat:
            return "On Call" if rng.random() < 0.6 else "On Chat"
        return "On Call" if voice else "On Chat"

    def _build_shift(self, index: int, shift_day: date) -> tuple[_Segment, ...]:
        """Statuses of one agent during the shift that starts on ``shift_day`` (local)."""
        agent = self.roster[index]
        rng = random.Random(f"{self.config.seed}:{index}:{shift_day.isoformat()}")
        if rng.random() < 0.04:  # an occasional day off or sick day
            return ()
        shift = SHIFTS[agent.shift]
        start = self._local_ts(shift_day, shift.start, rng.randint(-10, 10))
        end_day = shift_day + timedelta(days=1) if shift.end <= shift.start else shift_day
        end = self._local_ts(end_day, shift.end, rng.randint(-10, 10))
        hour = 3600
        # Scheduled breaks, taken when the work in progress finishes.
        events: list[tuple[int, str, str, int]] = [
            (start + 2 * hour + rng.randint(-1200, 1200), "AWAY", "Break", rng.randint(600, 900)),
            (start + 4 * hour + rng.randint(-1800, 1800), "AWAY", "Lunch", rng.randint(1800, 2700)),
            (start + 6 * hour + rng.randint(0, 2400), "AWAY", "Break", rng.randint(600, 900)),
        ]
        if rng.random() < 0.3:
            when = start + rng.randint(1 * hour, 7 * hour)
            events.append((when, "BUSY", "Training", rng.randint(900, 1800)))
        events.sort()
        raw: list[tuple[int, str, str]] = []
        t = start

        def emit(bucket: str, detail: str, duration: int) -> None:
            nonlocal t
            raw.append((t, bucket, detail))
            t += duration

        emit("BUSY", "Login Prep", rng.randint(120, 300))
        while t < end:
            if events and t >= events[0][0]:
                _, bucket, detail, duration = events.pop(0)
                emit(bucket, detail, duration)
                continue
            emit("AVAILABLE", "Available", rng.randint(60, 240))
            if rng.random() < 0.06:
                emit("AWAY", "Away (Idle)", rng.randint(120, 300))
                continue
            emit("BUSY", self._busy_detail(agent, rng), rng.randint(180, 480))
        segments: list[_Segment] = []
        custom = self.config.custom_status_bucket
        for k, (s, bucket, detail) in enumerate(raw):
            e = raw[k + 1][0] if k + 1 < len(raw) else t
            e = min(e, end)
            if s >= e:
                continue
            if custom and detail == "Break":
                bucket = custom
            segments.append((s, e, bucket, detail))
        return tuple(segments)

    def _build_day(self, index: int, day: date) -> tuple[tuple[int, ...], tuple[_Segment, ...]]:
        """Segments covering the local day ``[midnight, next midnight)`` exactly, in UTC."""
        start, end = day_bounds(day, self.tz)
        day_start, day_end = int(start.timestamp()), int(end.timestamp())
        inside: list[_Segment] = []
        for shift_day in (day - timedelta(days=1), day):
            for s, e, bucket, detail in self._shift_cache(index, shift_day):
                s, e = max(s, day_start), min(e, day_end)
                if s < e:
                    inside.append((s, e, bucket, detail))
        inside.sort()
        segments: list[_Segment] = []
        cursor = day_start
        for s, e, bucket, detail in inside:
            s = max(s, cursor)  # shifts of one agent never overlap; this is belt and braces
            if s >= e:
                continue
            if s > cursor:
                segments.append((cursor, s, "OFFLINE", "Logged out"))
            segments.append((s, e, bucket, detail))
            cursor = e
        if cursor < day_end:
            segments.append((cursor, day_end, "OFFLINE", "Logged out"))
        return tuple(seg[0] for seg in segments), tuple(segments)

    def _segment_at(self, index: int, at: datetime) -> _Segment:
        at = as_utc(at)
        ts = at.timestamp()
        day = local_date(at, self.tz)
        starts, segments = self._day_cache(index, day)
        k = bisect.bisect_right(starts, ts) - 1
        if k < 0:  # only if the local date and the bounds disagree at a DST edge
            starts, segments = self._day_cache(index, day - timedelta(days=1))
            k = len(segments) - 1
        return segments[k]

    def status_at(self, agent_id: str, at: datetime) -> tuple[str, str]:
        """The true ``(bucket, detail)`` of one agent at an instant; KeyError if unknown."""
        _, _, bucket, detail = self._segment_at(self._by_id[agent_id].index, at)
        return bucket, detail

    def timeline(
        self, start: datetime, end: datetime, agent_ids: Iterable[str] | None = None
    ) -> list[StatusSpan]:
        """True status spans clipped to ``[start, end)``, contiguous per agent, in roster order.

        Neighbouring segments with the same status (for example a night-shift call that crosses
        local midnight) are merged, so a span is one uninterrupted status.
        """
        start, end = as_utc(start), as_utc(end)
        if end < start:
            raise ValueError("timeline end is before start")
        if end == start:
            return []
        if agent_ids is None:
            agents = self.roster
        else:
            wanted = set(agent_ids)
            unknown = wanted - set(self._by_id)
            if unknown:
                raise KeyError(f"unknown agent id(s): {sorted(unknown)}")
            agents = [a for a in self.roster if a.agent_id in wanted]
        start_ts, end_ts = start.timestamp(), end.timestamp()
        first_day = local_date(start, self.tz)
        last_day = local_date(end, self.tz)
        days = [first_day + timedelta(days=k) for k in range((last_day - first_day).days + 1)]
        spans: list[StatusSpan] = []
        for agent in agents:
            merged: list[list[Any]] = []  # [start_ts, end_ts, bucket, detail]
            for day in days:
                starts, segments = self._day_cache(agent.index, day)
                if not segments or segments[-1][1] <= start_ts or segments[0][0] >= end_ts:
                    continue
                k = max(bisect.bisect_right(starts, start_ts) - 1, 0)
                for s, e, bucket, detail in segments[k:]:
                    if s >= end_ts:
                        break
                    if e <= start_ts:
                        continue
                    if merged and merged[-1][2:] == [bucket, detail] and merged[-1][1] == s:
                        merged[-1][1] = e
                    else:
                        merged.append([s, e, bucket, detail])
            for n, (s, e, bucket, detail) in enumerate(merged):
                span_start = start if n == 0 else datetime.fromtimestamp(s, UTC)
                span_end = end if n == len(merged) - 1 else datetime.fromtimestamp(e, UTC)
                spans.append(StatusSpan(agent.agent_id, span_start, span_end, bucket, detail))
        return spans

    # ---- the availability response -----------------------------------------------------------

    @staticmethod
    def parse_filter(body: Any) -> dict[str, list[str]]:
        """Validate a request body; empty or absent keys mean no constraint from that key."""
        if not isinstance(body, dict):
            raise BadRequestError("request body must be a JSON object")
        parsed: dict[str, list[str]] = {}
        for key in _FILTER_KEYS:
            if key not in body or body[key] is None:
                continue
            value = body[key]
            if not isinstance(value, list):
                raise BadRequestError(f"{key} must be an array of strings")
            if not all(isinstance(v, str) for v in value):
                raise BadRequestError(f"{key} must be an array of strings")
            if value:
                parsed[key] = value
        return parsed

    @staticmethod
    def scope_key_of(body: dict[str, Any]) -> str:
        """The scope key of a request body as the pipeline writes it, for per-scope faults.

        One skill or one queue gives ``skill:<id>`` / ``queue:<id>``, an empty filter ``all``,
        an agent list ``agents:<id>,<id>`` (the scopes file's label is not sent); anything
        else a JSON rendering of the filter.
        """
        wanted = Simulator.parse_filter(body)
        if not wanted:
            return "all"
        if len(wanted) == 1:
            ((key, values),) = wanted.items()
            if key == "agentIds":
                return "agents:" + ",".join(values)
            if len(values) == 1:
                return ("skill:" if key == "skillIds" else "queue:") + values[0]
        return json.dumps(wanted, sort_keys=True)

    def matching_agents(self, body: dict[str, Any], at: datetime | None = None) -> list[Agent]:
        """Agents selected by a body at ``at`` (default: now): OR within a key, AND across
        the keys given. The truth, without drift."""
        wanted = self.parse_filter(body)
        return self.book.select(self.roster, self.membership_at(at), wanted)

    def availability(self, body: dict[str, Any], at: datetime) -> dict[str, list[dict[str, Any]]]:
        """The response object Kore.ai would send for ``body`` at instant ``at``.

        All four standard buckets are always present; the custom bucket only when non-empty.
        Members are those at ``at``; with ``drift_agents`` a skill or queue filter's answer
        leaves out and adds that many agents (the empty filter and agent lists never drift).
        Raises BadRequestError for a body Kore.ai would refuse.
        """
        response: dict[str, list[dict[str, Any]]] = {b: [] for b in BUCKETS}
        v2 = self.config.response_shape == "v2"
        selected = self.matching_agents(body, at)
        wanted = self.parse_filter(body)
        drift = self.config.drift_agents
        if drift and wanted and "agentIds" not in wanted:
            selected = self.book.drifted(selected, self.scope_key_of(body), drift)
        for agent in selected:
            segment = self._segment_at(agent.index, at)
            obj = dict(self._v1_objects[agent.agent_id])
            if v2:
                capacity = channel_capacity(agent, segment[0], segment[2], segment[3])
                obj["isDigitalEnabled"] = any(
                    capacity[c]["isEnabled"] for c in ("liveChat", "messaging", "email")
                )
                obj["channelCapacity"] = capacity
            response.setdefault(segment[2], []).append(obj)
        return response
