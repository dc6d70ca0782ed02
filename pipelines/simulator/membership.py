"""Who belongs to which skill and queue at any instant, and how availability filters select.

With ``membership_changes_per_day = K > 0``, at K instants of every local day from
:data:`MEMBERSHIP_EPOCH` on, one agent gains or loses one skill or one queue (each agent keeps
1-4 skills; queues are kept apart from skills, as Kore keeps them). The instants and the
changes are drawn from a generator seeded with ``(seed, day)`` and applied in order, so the
membership at an instant is exact and the same in every process. Before the epoch, and with
K = 0, the membership is the roster's starting one.

Drift (``drift_agents = D``): a filtered availability answer (``skillIds``/``queueIds``)
leaves out D of the scope's members and lists D agents that are not members, chosen by a
generator seeded with ``(seed, scope)``; the listing and the truth are not affected.
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pipelines.coverage.calendar import day_bounds, local_date
from pipelines.simulator.catalogue import MAX_SKILLS_PER_AGENT, Catalogue

if TYPE_CHECKING:
    from pipelines.simulator.roster import Agent

__all__ = ["MEMBERSHIP_EPOCH", "Membership", "MembershipBook", "MembershipChange"]

# The first local day with membership changes: the state of a day is replayed from here.
MEMBERSHIP_EPOCH = date(2026, 1, 1)
_MAX_QUEUES_PER_AGENT = 6
_CACHED_DAYS = 64

# agent id -> (skills, queues), each in catalogue order
Membership = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]


@dataclass(frozen=True)
class MembershipChange:
    """One change: from ``at`` on, ``agent_id`` has (``add``) or lacks ``ref_id``."""

    at: datetime
    agent_id: str
    kind: str  # 'skill' | 'queue'
    ref_id: str
    action: str  # 'add' | 'remove'

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "at": self.at.isoformat(),
            "agentId": self.agent_id,
            "kind": self.kind,
            "refId": self.ref_id,
            "action": self.action,
        }


class MembershipBook:
    """The membership at any instant: the starting one plus the day-by-day changes.

    Start-of-day states are cached (bounded) and replayed forward from the nearest cached day,
    so consecutive days cost one day's changes each. Thread-safe.
    """

    def __init__(
        self,
        roster: list[Agent],
        catalogue: Catalogue,
        *,
        seed: int,
        changes_per_day: int,
        tz: ZoneInfo,
    ):
        if changes_per_day < 0:
            raise ValueError("membership_changes_per_day must be >= 0")
        self.catalogue = catalogue
        self.roster = roster
        self.seed = seed
        self.changes_per_day = changes_per_day
        self.tz = tz
        self.base: Membership = {a.agent_id: (a.skills, a.queues) for a in roster}
        self._lock = threading.Lock()
        self._starts: OrderedDict[date, Membership] = OrderedDict()
        self._days: OrderedDict[date, tuple[MembershipChange, ...]] = OrderedDict()

    @property
    def static(self) -> bool:
        """True when membership never changes."""
        return self.changes_per_day == 0 or not self.roster

    # ---- the truth ---------------------------------------------------------------------------

    def at(self, at: datetime) -> Membership:
        """Membership at an instant (a change at ``c`` holds from ``c`` on). Do not mutate."""
        if self.static:
            return self.base
        day = local_date(at, self.tz)
        if day < MEMBERSHIP_EPOCH:
            return self.base
        with self._lock:
            state = self._start_of(day)
            changes = self._changes_of(day, state)
        ts = at.timestamp()
        applied = [c for c in changes if c.at.timestamp() <= ts]
        if not applied:
            return state
        state = dict(state)
        for change in applied:
            self._apply(state, change)
        return state

    def changes(self, start: datetime, end: datetime) -> list[MembershipChange]:
        """The changes in ``[start, end)``, in time order."""
        if self.static or end <= start:
            return []
        first = max(local_date(start, self.tz), MEMBERSHIP_EPOCH)
        last = local_date(end, self.tz)
        out: list[MembershipChange] = []
        day = first
        while day <= last:
            with self._lock:
                day_changes = self._changes_of(day, self._start_of(day))
            out += [c for c in day_changes if start <= c.at < end]
            day += timedelta(days=1)
        return out

    def intervals(
        self, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime, Membership]]:
        """``[start, end)`` cut at every change: (from, to, membership valid throughout)."""
        cuts = sorted({c.at for c in self.changes(start, end)} - {start})
        edges = [start, *cuts, end]
        return [(a, b, self.at(a)) for a, b in zip(edges, edges[1:], strict=False) if a < b]

    # ---- selection ---------------------------------------------------------------------------

    @staticmethod
    def members(membership: Membership, kind: str, ref_id: str) -> set[str]:
        """Agent ids having the skill (``kind='skill'``) or in the queue (``'queue'``)."""
        slot = 0 if kind == "skill" else 1
        return {agent_id for agent_id, refs in membership.items() if ref_id in refs[slot]}

    @staticmethod
    def select(
        roster: list[Agent], membership: Membership, wanted: dict[str, list[str]]
    ) -> list[Agent]:
        """Agents selected by a parsed filter: OR within a key, AND across the keys given."""
        skills = set(wanted.get("skillIds", ()))
        queues = set(wanted.get("queueIds", ()))
        ids = set(wanted.get("agentIds", ()))
        selected = []
        for agent in roster:
            agent_skills, agent_queues = membership[agent.agent_id]
            if "skillIds" in wanted and not skills.intersection(agent_skills):
                continue
            if "queueIds" in wanted and not queues.intersection(agent_queues):
                continue
            if "agentIds" in wanted and agent.agent_id not in ids:
                continue
            selected.append(agent)
        return selected

    def drifted(self, selected: list[Agent], scope_key: str, drift: int) -> list[Agent]:
        """``selected`` minus ``drift`` of its agents plus ``drift`` others, in roster order."""
        if drift <= 0:
            return selected
        chosen = {a.agent_id for a in selected}
        rng = random.Random(f"drift:{self.seed}:{scope_key}")
        inside = sorted(chosen)
        outside = sorted(a.agent_id for a in self.roster if a.agent_id not in chosen)
        dropped = set(rng.sample(inside, min(drift, len(inside))))
        added = set(rng.sample(outside, min(drift, len(outside))))
        keep = (chosen - dropped) | added
        return [a for a in self.roster if a.agent_id in keep]

    # ---- the replay --------------------------------------------------------------------------

    def _start_of(self, day: date) -> Membership:
        """Membership at the start of local ``day`` (>= the epoch); caller holds the lock."""
        if day in self._starts:
            self._starts.move_to_end(day)
            return self._starts[day]
        earlier = [d for d in self._starts if d < day]
        cursor = max(earlier) if earlier else MEMBERSHIP_EPOCH
        state = self._starts[cursor] if earlier else self.base
        while cursor < day:
            state = dict(state)
            for change in self._changes_of(cursor, state):
                self._apply(state, change)
            cursor += timedelta(days=1)
            self._remember(self._starts, cursor, state)
        if day == MEMBERSHIP_EPOCH:
            self._remember(self._starts, day, state)
        return state

    def _changes_of(self, day: date, start_state: Membership) -> tuple[MembershipChange, ...]:
        """The day's changes, drawn against the state at the start of the day."""
        if day in self._days:
            return self._days[day]
        lo, hi = day_bounds(day, self.tz)
        rng = random.Random(f"membership-changes:{self.seed}:{day.isoformat()}")
        lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
        instants = sorted(rng.randrange(lo_s, hi_s) for _ in range(self.changes_per_day))
        state = dict(start_state)
        changes: list[MembershipChange] = []
        for ts in instants:
            change = self._draw(rng, state, datetime.fromtimestamp(ts, UTC))
            if change is not None:
                self._apply(state, change)
                changes.append(change)
        out = tuple(changes)
        self._remember(self._days, day, out)
        return out

    def _draw(self, rng: random.Random, state: Membership, at: datetime) -> MembershipChange | None:
        agent = self.roster[rng.randrange(len(self.roster))]
        skills, queues = state[agent.agent_id]
        kind = "skill" if not self.catalogue.queues or rng.random() < 0.5 else "queue"
        have = skills if kind == "skill" else queues
        universe = list(self.catalogue.skills if kind == "skill" else self.catalogue.queues)
        low, high = (1, MAX_SKILLS_PER_AGENT) if kind == "skill" else (0, _MAX_QUEUES_PER_AGENT)
        missing = [r for r in universe if r not in have]
        if len(have) <= low:
            add = True
        elif len(have) >= high or not missing:
            add = False
        else:
            add = rng.random() < 0.5
        if add and not missing:
            return None
        ref = rng.choice(missing) if add else rng.choice(list(have))
        return MembershipChange(at, agent.agent_id, kind, ref, "add" if add else "remove")

    def _apply(self, state: Membership, change: MembershipChange) -> None:
        skills, queues = state[change.agent_id]
        order = self.catalogue.skill_order if change.kind == "skill" else self.catalogue.queue_order
        refs = set(skills if change.kind == "skill" else queues)
        refs = refs | {change.ref_id} if change.action == "add" else refs - {change.ref_id}
        if change.kind == "skill":
            state[change.agent_id] = (order(refs), queues)
        else:
            state[change.agent_id] = (skills, order(refs))

    @staticmethod
    def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > _CACHED_DAYS:
            cache.popitem(last=False)
