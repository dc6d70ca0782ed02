"""The status model behind the simulator: what each agent is doing at any instant, and the
availability answer Kore.ai would give for it.

Each local day is simulated on its own, all agents at once (contacts are routed over them,
:mod:`pipelines.simulator.contacts`), seeded by ``(seed, day)``, so the truth of any instant,
past or future, costs at most one day's simulation and never a replay from a start. The
HTTP server answers from it, ``/debug/truth`` and :meth:`Simulator.timeline` expose it as the
oracle tests compare the pipeline's figures with, synthetic history writes it to DuckDB, and
the contact volume (:mod:`pipelines.simulator.callvolume`) counts the same day's contacts.
"""

from __future__ import annotations

import bisect
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pipelines.coverage.calendar import day_bounds, local_date
from pipelines.simulator.callvolume import VolumeBook
from pipelines.simulator.catalogue import assign_membership, make_catalogue
from pipelines.simulator.contacts import DayResult, Segment, draw_contacts, simulate_day
from pipelines.simulator.membership import Membership, MembershipBook, MembershipChange
from pipelines.simulator.presence import PlanItem, shift_plan
from pipelines.simulator.profile import INTERVAL_SECONDS, QueueProfile, default_profiles
from pipelines.simulator.roster import Agent, channel_capacity, make_roster

if TYPE_CHECKING:
    from pipelines.simulator.config import SimulatorConfig

__all__ = ["BUCKETS", "BadRequestError", "Simulator", "StatusSpan", "as_utc"]

BUCKETS: tuple[str, ...] = ("AVAILABLE", "BUSY", "OFFLINE", "AWAY")

_FILTER_KEYS = ("skillIds", "queueIds", "agentIds")

_CACHED_DAYS = 8


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

    Agents' plans are drawn per agent per shift (seeded with ``(seed, agent index, shift
    date)``) and each local day is simulated once for all agents (seeded with ``(seed,
    day)``); ``status_at``, ``timeline``, the availability answer and the contact volume all
    read the same cached :class:`DayResult` (the latest few days are kept).
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
        self.profiles: dict[str, QueueProfile] = (
            {p.queue_id: p for p in config.queue_profiles}
            if config.queue_profiles is not None
            else default_profiles(self.catalogue, self.roster, config.contact_load)
        )
        unknown = set(self.profiles) - set(self.catalogue.queues)
        if unknown:
            raise ValueError(f"queue_profiles name unknown queue(s) {sorted(unknown)}")
        # Bounded: a poller touches today and yesterday; a backfill walks day after day.
        self._days: OrderedDict[date, DayResult] = OrderedDict()
        self._days_lock = threading.Lock()
        self._volume = VolumeBook(self)

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

    def _plans(self, day: date) -> list[tuple[PlanItem, ...]]:
        """Every agent's plan items of the shifts touching local ``day``, in time order."""
        seed, custom = self.config.seed, self.config.custom_status_bucket
        return [
            shift_plan(a, day - timedelta(days=1), seed, self.tz, custom)
            + shift_plan(a, day, seed, self.tz, custom)
            for a in self.roster
        ]

    def _rates(self, day_start: int, day_end: int) -> dict[str, list[float]]:
        """Each queue's true rate (per hour) in each 15-minute interval of a day."""
        steps = range(day_start, day_end, INTERVAL_SECONDS)
        return {q: [p.rate_at(t, self.tz) for t in steps] for q, p in self.profiles.items()}

    def _simulate(self, day: date) -> DayResult:
        start, end = day_bounds(day, self.tz)
        lo, hi = int(start.timestamp()), int(end.timestamp())
        contacts = draw_contacts(self.profiles, self._rates(lo, hi), day, lo, self.config.seed)
        return simulate_day(
            day_start=lo,
            day_end=hi,
            roster=self.roster,
            plans=self._plans(day),
            catalogue=self.catalogue,
            membership=self.book.at(start),
            changes=self.book.changes(start, end),
            contacts=contacts,
        )

    def day(self, day: date) -> DayResult:
        """The simulated local ``day`` (cached, the latest few days): segments and contacts."""
        with self._days_lock:
            result = self._days.get(day)
            if result is None:
                result = self._simulate(day)
                self._days[day] = result
                while len(self._days) > _CACHED_DAYS:
                    self._days.popitem(last=False)
            self._days.move_to_end(day)
            return result

    # ---- contacts: the truth of demand ------------------------------------------------------

    def arrival_rate(self, queue_id: str, at: datetime) -> float:
        """True mean arrivals per hour of a queue at ``at`` (the profile before Poisson noise);
        0 for a queue without contacts. KeyError for a queue not in the catalogue."""
        if queue_id not in self.catalogue.queues:
            raise KeyError(queue_id)
        profile = self.profiles.get(queue_id)
        return 0.0 if profile is None else profile.rate_at(as_utc(at).timestamp(), self.tz)

    def contacts(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """The contact log: contacts arriving in ``[start, end)``, in arrival order, with
        their outcome (``agentId`` None and ``abandonedAt`` set for an abandoned one)."""
        start, end = as_utc(start), as_utc(end)
        out: list[dict[str, Any]] = []
        day = local_date(start, self.tz)
        lo, hi = start.timestamp(), end.timestamp()
        while day <= local_date(end, self.tz):
            for c in self.day(day).contacts:
                if lo <= c.arrival < hi:
                    out.append(c.document(self.roster))
            day += timedelta(days=1)
        return out

    def contact_volume(
        self,
        start: datetime,
        end: datetime,
        include_skills: bool = False,
        *,
        as_served: bool = True,
    ) -> list[dict[str, Any]]:
        """The documented ``CallVolumeUpdate`` rows of intervals starting in ``[start, end)``
        that ended by now, as the callvolume route serves them (``as_served=False``: final
        figures, without late reporting; see :mod:`pipelines.simulator.callvolume`)."""
        return self._volume.rows(as_utc(start), as_utc(end), include_skills, as_served=as_served)

    def _segment_at(self, index: int, at: datetime) -> Segment:
        at = as_utc(at)
        ts = at.timestamp()
        day = local_date(at, self.tz)
        result = self.day(day)
        starts, segments = result.starts[index], result.segments[index]
        k = bisect.bisect_right(starts, ts) - 1
        if k < 0:  # only if the local date and the bounds disagree at a DST edge
            segments = self.day(day - timedelta(days=1)).segments[index]
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
                result = self.day(day)
                starts, segments = result.starts[agent.index], result.segments[agent.index]
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
