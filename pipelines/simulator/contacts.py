"""One local day of the contact centre: arrivals, routing, abandons, and every agent's status.

Routing couples agents, so a day is simulated for all agents at once, seeded by
``(seed, day)``: the arrivals (Poisson per queue and 15-minute interval, uniform inside it,
each with a handle time and a patience) come from a numpy generator, the agents' presence
from their shift plans (:mod:`pipelines.simulator.presence`). A contact goes to the agent
that has been AVAILABLE longest among those having a skill of its queue (membership at the
arrival instant); with none free it waits, first come first served, and abandons when its
patience runs out. The agent is BUSY ("On Call" when it has voice, else "On Chat") for the
handle time, one contact at a time; a planned break, lunch, training, idle spell or the
log-out that comes due meanwhile starts when the contact ends.

Simplifications, at local midnight: each day is simulated on its own. It starts from the
plans as if nothing had been delayed (an agent mid-break at midnight is on that break, every
other logged-in agent is AVAILABLE, nobody waits); a contact still in progress at midnight
ends there, and one still waiting abandons there.

Cost: every contact costs a few heap operations on the idle agents of its queue's skills
and on the event queue, O(contacts x log agents) per day, plus O(agents) for the plans.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from pipelines.simulator.catalogue import Catalogue
from pipelines.simulator.membership import Membership, MembershipChange
from pipelines.simulator.presence import PlanItem
from pipelines.simulator.profile import INTERVAL_SECONDS, QueueProfile
from pipelines.simulator.roster import Agent

__all__ = ["Contact", "DayResult", "Segment", "simulate_day"]

# A segment is (start epoch s, end epoch s, bucket, detail), end exclusive.
Segment = tuple[int, int, str, str]

_OFF, _IDLE, _ON_CONTACT, _ABSENT = range(4)
# Event kinds, in the order they are handled at one instant: ends free agents first.
_CONTACT_END, _ABSENCE_END, _MEMBERSHIP, _ITEM_DUE, _ABANDON = range(5)


class Contact:
    """One contact: arrival, patience and handle time drawn; the rest filled by routing.

    Times are epoch seconds. ``agent`` is the roster index of the agent who answered (-1:
    abandoned); ``ended`` is when the agent finished (cut at local midnight) or when the
    contact abandoned. ``late`` is where in the reporting lag window the contact is counted
    if the callvolume answer restates it (0 <= late < 1, None: reported on time).
    """

    __slots__ = (
        "agent",
        "answered",
        "arrival",
        "channel",
        "contact_id",
        "csat",
        "ended",
        "handle",
        "late",
        "patience",
        "queue_id",
    )

    def __init__(self, contact_id: str, queue_id: str, arrival: int, handle: int, patience: int):
        self.contact_id = contact_id
        self.queue_id = queue_id
        self.arrival = arrival
        self.handle = handle
        self.patience = patience
        self.agent = -1
        self.answered: int | None = None
        self.ended: int | None = None
        self.channel = ""
        self.csat = 0
        self.late: float | None = None

    def document(self, roster: Sequence[Agent]) -> dict[str, Any]:
        """The contact log's JSON form (ISO-8601 UTC times; agent ids, not indexes)."""
        answered = self.answered is not None
        return {
            "contactId": self.contact_id,
            "queueId": self.queue_id,
            "arrival": _iso(self.arrival),
            "patienceSeconds": self.patience,
            "handleSeconds": self.handle,
            "agentId": roster[self.agent].agent_id if answered else None,
            "channel": self.channel or None,
            "answeredAt": _iso(self.answered),
            "endedAt": _iso(self.ended) if answered else None,
            "abandonedAt": None if answered else _iso(self.ended),
            "waitSeconds": self.wait,
        }

    @property
    def wait(self) -> int:
        """Seconds in queue until answered or abandoned (or until midnight)."""
        end = self.answered if self.answered is not None else self.ended
        return (end if end is not None else self.arrival) - self.arrival


@dataclass(frozen=True)
class DayResult:
    """A simulated local day: each agent's segments (covering the day exactly) and contacts."""

    start: int
    end: int
    starts: tuple[tuple[int, ...], ...]
    segments: tuple[tuple[Segment, ...], ...]
    contacts: tuple[Contact, ...]


def _iso(ts: int | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


def _seed_of(seed: int, day: date) -> int:
    return int.from_bytes(hashlib.sha256(f"contacts:{seed}:{day}".encode()).digest()[:8], "big")


def draw_contacts(
    profiles: dict[str, QueueProfile], tz_rate: dict[str, list[float]], day: date,
    day_start: int, seed: int,
) -> list[Contact]:  # fmt: skip
    """The day's contacts in arrival order; ``tz_rate[q][k]`` is queue q's rate (per hour)
    in the k-th 15-minute interval of the day."""
    rng = np.random.default_rng(_seed_of(seed, day))
    parts: list[tuple[np.ndarray, ...]] = []
    for order, (queue_id, profile) in enumerate(profiles.items()):
        rates = np.asarray(tz_rate[queue_id], dtype=float)
        counts = rng.poisson(rates * INTERVAL_SECONDS / 3600.0)
        total = int(counts.sum())
        offsets = np.repeat(np.arange(len(rates)) * INTERVAL_SECONDS, counts)
        arrivals = day_start + offsets + rng.integers(0, INTERVAL_SECONDS, total)
        cv = profile.handle_cv
        if abs(cv - 1.0) < 1e-9:
            handles = rng.exponential(profile.aht_seconds, total)
        else:
            sigma = math.sqrt(math.log(1 + cv * cv))
            handles = rng.lognormal(math.log(profile.aht_seconds) - sigma * sigma / 2, sigma, total)
        patience = rng.exponential(profile.patience_seconds, total)
        late = rng.random(total)
        csat = rng.integers(-8, 6, total)  # about 5 in 14 answered contacts rate 1-5
        parts.append(
            (arrivals, np.full(total, order), np.arange(total), handles, patience, late, csat)
        )
    if not parts:
        return []
    arrivals, orders, within, handles, patience, late, csat = (
        np.concatenate([p[k] for p in parts]) for k in range(7)
    )
    ranked = np.lexsort((within, orders, arrivals))
    queue_ids = list(profiles)
    stamp = day.strftime("%Y%m%d")
    out: list[Contact] = []
    columns = zip(
        arrivals[ranked].tolist(),
        orders[ranked].tolist(),
        np.maximum(1, np.rint(handles[ranked])).astype(np.int64).tolist(),
        np.maximum(1, np.rint(patience[ranked])).astype(np.int64).tolist(),
        late[ranked].tolist(),
        np.maximum(csat[ranked], 0).tolist(),
        strict=True,
    )
    for n, (arrival, order, handle, wait, lateness, score) in enumerate(columns):
        contact = Contact(f"ct-{stamp}-{n:06d}", queue_ids[order], arrival, handle, wait)
        contact.late = lateness
        contact.csat = score
        out.append(contact)
    return out


def simulate_day(
    *,
    day_start: int,
    day_end: int,
    roster: Sequence[Agent],
    plans: Sequence[Sequence[PlanItem]],
    catalogue: Catalogue,
    membership: Membership,
    changes: Sequence[MembershipChange],
    contacts: list[Contact],
) -> DayResult:
    """Route ``contacts`` over the agents playing ``plans`` in ``[day_start, day_end)``.

    ``plans[i]`` are agent i's plan items of the shifts touching the day (in time order),
    ``membership`` the skills at ``day_start`` and ``changes`` those during the day.
    """
    n = len(roster)
    skills: list[set[str]] = [set(membership[a.agent_id][0]) for a in roster]
    index_of = {a.agent_id: a.index for a in roster}
    queues_of_skill: dict[str, list[str]] = {s: [] for s in catalogue.skills}
    for queue_id, (_, served) in catalogue.queues.items():
        for s in served:
            queues_of_skill.setdefault(s, []).append(queue_id)
    queue_skills = {q: served for q, (_, served) in catalogue.queues.items()}
    queue_rank = {q: k for k, q in enumerate(catalogue.queues)}
    detail_of = ["On Call" if a.capacity("voice") > 0 else "On Chat" for a in roster]

    mode = [_OFF] * n
    token = [0] * n
    pending = [False] * n
    ptr = [0] * n
    marks: list[list[tuple[int, str, str]]] = [[] for _ in range(n)]
    idle: dict[str, list[tuple[int, int, int]]] = {s: [] for s in queues_of_skill}
    waiting: dict[str, deque[Contact]] = {q: deque() for q in catalogue.queues}
    events: list[tuple[int, int, int, int, object]] = []
    seq = 0

    def push(at: int, kind: int, i: int, payload: object = None) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (at, kind, seq, i, payload))

    def mark(i: int, at: int, bucket: str, detail: str) -> None:
        row = marks[i]
        if row and row[-1][0] == at:
            row[-1] = (at, bucket, detail)
        else:
            row.append((at, bucket, detail))

    def answer(contact: Contact, i: int, at: int) -> None:
        contact.agent, contact.answered = i, at
        contact.ended = min(at + contact.handle, day_end)
        contact.channel = "voice" if detail_of[i] == "On Call" else "chat"
        mode[i] = _ON_CONTACT
        token[i] += 1
        mark(i, at, "BUSY", detail_of[i])
        push(contact.ended, _CONTACT_END, i)

    def take_waiting(i: int, at: int) -> bool:
        best: Contact | None = None
        for s in skills[i]:
            for q in queues_of_skill.get(s, ()):
                line = waiting[q]
                while line and line[0].ended is not None:  # abandoned meanwhile
                    line.popleft()
                if line and (
                    best is None
                    or (line[0].arrival, queue_rank[q]) < (best.arrival, queue_rank[best.queue_id])
                ):
                    best = line[0]
        if best is None:
            return False
        waiting[best.queue_id].popleft()
        answer(best, i, at)
        return True

    def ready(i: int, at: int) -> None:
        if take_waiting(i, at):
            return
        mode[i] = _IDLE
        token[i] += 1
        mark(i, at, "AVAILABLE", "Available")
        for s in skills[i]:
            if s in idle:
                heapq.heappush(idle[s], (at, i, token[i]))

    def start_item(i: int, at: int) -> None:
        when, bucket, detail, duration = plans[i][ptr[i]]
        ptr[i] += 1
        token[i] += 1
        mark(i, at, bucket, detail)
        if duration is None:
            mode[i] = _OFF
            schedule_next(i, at)
        else:
            mode[i] = _ABSENT
            push(at + duration, _ABSENCE_END, i)

    def schedule_next(i: int, at: int) -> None:
        if ptr[i] < len(plans[i]):
            push(max(plans[i][ptr[i]][0], at), _ITEM_DUE, i)

    # The state at midnight, from the undelayed plans.
    for i in range(n):
        plan = plans[i]
        k = 0
        while k < len(plan) and plan[k][0] < day_start:
            k += 1
        ptr[i] = k
        mark(i, day_start, "OFFLINE", "Logged out")
        if k == 0:
            schedule_next(i, day_start)
            continue
        when, bucket, detail, duration = plan[k - 1]
        if duration is None:
            schedule_next(i, day_start)
        elif when + duration > day_start:
            mode[i] = _ABSENT
            mark(i, day_start, bucket, detail)
            push(when + duration, _ABSENCE_END, i)
        else:
            schedule_next(i, day_start)
            mode[i] = _IDLE  # made AVAILABLE below, once every agent has its state
    for change in changes:
        push(int(change.at.timestamp()), _MEMBERSHIP, index_of[change.agent_id], change)
    for i in range(n):
        if mode[i] == _IDLE:
            ready(i, day_start)

    def handle(at: int, kind: int, i: int, payload: object) -> None:
        if kind == _CONTACT_END:
            if pending[i]:
                pending[i] = False
                start_item(i, at)
            else:
                ready(i, at)
        elif kind == _ABSENCE_END:
            if ptr[i] < len(plans[i]) and plans[i][ptr[i]][0] <= at:
                start_item(i, at)
            else:
                schedule_next(i, at)
                ready(i, at)
        elif kind == _ITEM_DUE:
            if mode[i] == _ON_CONTACT:
                pending[i] = True
            elif mode[i] in (_IDLE, _OFF):
                start_item(i, at)
            # _ABSENT: the absence's end starts the item
        elif kind == _MEMBERSHIP:
            change: MembershipChange = payload  # type: ignore[assignment]
            if change.kind != "skill":
                return
            if change.action == "remove":
                skills[i].discard(change.ref_id)
            else:
                skills[i].add(change.ref_id)
                if mode[i] == _IDLE and not take_waiting(i, at) and change.ref_id in idle:
                    since = marks[i][-1][0]
                    heapq.heappush(idle[change.ref_id], (since, i, token[i]))
        elif kind == _ABANDON:
            contact: Contact = payload  # type: ignore[assignment]
            if contact.answered is None and contact.ended is None:
                contact.ended = at

    def pick_agent(queue_id: str) -> int:
        best: tuple[int, int, int] | None = None
        best_skill = ""
        for s in queue_skills[queue_id]:
            heap = idle.get(s)
            while heap:
                since, i, tok = heap[0]
                if mode[i] == _IDLE and token[i] == tok and s in skills[i]:
                    break
                heapq.heappop(heap)
            if heap and (best is None or heap[0] < best):
                best, best_skill = heap[0], s
        if best is None:
            return -1
        heapq.heappop(idle[best_skill])
        return best[1]

    for contact in contacts:
        while events and events[0][0] <= contact.arrival and events[0][0] < day_end:
            at, kind, _, i, payload = heapq.heappop(events)
            handle(at, kind, i, payload)
        i = pick_agent(contact.queue_id)
        if i >= 0:
            answer(contact, i, contact.arrival)
        else:
            waiting[contact.queue_id].append(contact)
            push(contact.arrival + contact.patience, _ABANDON, -1, contact)
    while events and events[0][0] < day_end:
        at, kind, _, i, payload = heapq.heappop(events)
        handle(at, kind, i, payload)
    for contact in contacts:
        if contact.answered is None and contact.ended is None:
            contact.ended = day_end

    starts: list[tuple[int, ...]] = []
    segments: list[tuple[Segment, ...]] = []
    for row in marks:
        segs: list[Segment] = []
        for k, (at, bucket, detail) in enumerate(row):
            end = row[k + 1][0] if k + 1 < len(row) else day_end
            if at < end:
                segs.append((at, end, bucket, detail))
        starts.append(tuple(s[0] for s in segs))
        segments.append(tuple(segs))
    return DayResult(day_start, day_end, tuple(starts), tuple(segments), tuple(contacts))
