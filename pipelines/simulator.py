"""A Kore.ai-compatible simulator of the Agent AI "Check Agent Availability Status" endpoint.

Kore.ai is not reachable from the build and demo machines, so the pipeline is developed, demoed
and tested against this simulator instead. It is a real HTTP server (standard library only, plus
PyJWT) that honours the real contract as far as Kore.ai documents it: the ``auth`` JWT header,
the ``accountId`` header, Kore-shaped error bodies, the per-account rate limit and the optional
JTI enforcement. Behind it sits a deterministic model of a contact-center roster whose statuses
can be computed for any instant without simulating from a starting point, so the pipeline's
polled figures can be checked against the exact truth (``/debug/truth``).

Only loopback addresses are used unless the operator explicitly allows otherwise.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import functools
import ipaddress
import json
import math
import random
import re
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import jwt
from jwt.algorithms import HMACAlgorithm

__all__ = [
    "BODY_FAULTS",
    "BUCKETS",
    "QUEUES",
    "SHIFTS",
    "SKILLS",
    "Agent",
    "Faults",
    "Shift",
    "Simulator",
    "SimulatorConfig",
    "SimulatorServer",
    "StatusCounts",
    "StatusSpan",
    "main",
]

SKILLS: dict[str, str] = {
    "sk-billing": "Billing",
    "sk-sales": "Sales",
    "sk-tech-support": "Technical Support",
    "sk-retention": "Retention",
    "sk-spanish": "Spanish",
    "sk-vip": "VIP",
}

QUEUES: dict[str, tuple[str, tuple[str, ...]]] = {
    "qu-billing": ("Billing queue", ("sk-billing",)),
    "qu-sales": ("Sales queue", ("sk-sales",)),
    "qu-support": ("Support queue", ("sk-tech-support", "sk-spanish")),
    "qu-retention": ("Retention queue", ("sk-retention", "sk-vip")),
}

BUCKETS: tuple[str, ...] = ("AVAILABLE", "BUSY", "OFFLINE", "AWAY")

CHANNELS: tuple[str, ...] = ("liveChat", "messaging", "email", "voice", "voiceMail")

RATE_LIMIT_MESSAGE = (
    "You've exceeded the per-minute rate limit. Please wait for sometime before retrying."
)

_AVAILABILITY_PATH = re.compile(r"^/agentassist/api/v1/public/([^/]+)/agents/availability/?$")
_FILTER_KEYS = ("skillIds", "queueIds", "agentIds")
_MAX_BODY_BYTES = 1 << 20
_MAX_TRUTH_RANGE = timedelta(days=8)
_JTI_MAX_LIFETIME_S = 3600
_JWT_LEEWAY_S = 30

# Small built-in name lists: enough variety for a believable roster without any data files.
_FIRST_NAMES = (
    "Aisha", "Ben", "Carla", "Deepak", "Elena", "Farid", "Grace", "Hiro", "Isabel", "Jamal",
    "Katya", "Liam", "Maya", "Noah", "Olivia", "Pedro", "Quinn", "Rosa", "Sam", "Tariq",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno", "Chloe", "Diego",
)  # fmt: skip
_LAST_NAMES = (
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Johnson",
    "Kowalski", "Lopez", "Murphy", "Nguyen", "Okafor", "Patel", "Quintero", "Rossi", "Singh",
    "Torres", "Ueda", "Varga", "Walsh", "Xu", "Yilmaz", "Zimmer", "Abbott", "Brennan", "Costa",
    "Dubois",
)  # fmt: skip


@dataclass(frozen=True)
class Shift:
    """A working shift in local wall-clock time; ``end <= start`` means it ends the next day."""

    name: str
    start: dtime
    end: dtime
    weight: float


# Weights chosen so that at every hour of the local day a decent share of agents is logged in
# (the demo runs at arbitrary times): the early shift covers the 07:00-08:00 hand-over.
SHIFTS: dict[str, Shift] = {
    "early": Shift("early", dtime(6, 0), dtime(14, 30), 0.25),
    "day": Shift("day", dtime(8, 0), dtime(17, 0), 0.30),
    "evening": Shift("evening", dtime(14, 0), dtime(23, 0), 0.25),
    "night": Shift("night", dtime(22, 0), dtime(7, 0), 0.20),
}


@dataclass(frozen=True)
class Agent:
    """One simulated agent; ``channels`` maps channel name to total capacity (0 = disabled)."""

    agent_id: str
    user_id: str
    first_name: str
    last_name: str
    email: str
    custom_id: str
    phone: str
    skills: tuple[str, ...]
    shift: str
    index: int = 0
    channels: tuple[tuple[str, int], ...] = ()

    @property
    def queues(self) -> tuple[str, ...]:
        """Queue ids this agent belongs to (any of the queue's skills)."""
        return tuple(q for q, (_, skills) in QUEUES.items() if set(skills) & set(self.skills))

    def capacity(self, channel: str) -> int:
        """Total capacity on ``channel``; 0 when the channel is disabled."""
        return dict(self.channels).get(channel, 0)


@dataclass(frozen=True)
class StatusSpan:
    """One interval of an agent's true status: ``[start, end)`` in UTC."""

    agent_id: str
    start: datetime
    end: datetime
    bucket: str
    detail: str


BODY_FAULTS: tuple[str, ...] = (
    "html",  # HTTP 200 with an HTML login page instead of JSON
    "truncate",  # HTTP 200 whose (correctly framed) JSON is cut in half
    "reset",  # headers promise the whole body; half is sent, then the connection is reset
    "missing_buckets",  # AWAY and OFFLINE left out
    "extra_bucket",  # one agent moved into an extra bucket, "TRAINING" (a custom status)
    "duplicate_agent",  # one agent listed in a second bucket as well
    "null_fields",  # every agent field but _id null, and the AWAY bucket null
    "missing_fields",  # every agent reduced to its _id
    "unknown_fields",  # every agent gains fields no revision documents
)
_FAULT_FIELDS = (
    "latency_ms",
    "error_rates",
    "malformed_rate",
    "fail_first",
    "retry_after_s",
    "auth_error",
    "body",
)


@dataclass
class Faults:
    """Injected failures, mutable at run time (directly or through ``POST /debug/faults``).

    ``error_rates`` (HTTP status -> probability) and ``malformed_rate`` draw per request;
    ``body`` lists mutations of every successful answer (:data:`BODY_FAULTS`). With
    ``fail_first`` = N > 0 every fault (latency included) hits only the first N requests of
    each scope (counted since the faults were last set), so "fails, then recovers" is
    deterministic. ``retry_after_s`` is the Retry-After of an injected 429 (None: no header);
    ``auth_error`` the reason in an injected 401 ("jwt expired" by default). ``scopes`` maps a
    scope key (``all``, ``skill:<id>``, ``queue:<id>``, ``agents:<id>,<id>``) to overrides of
    any of these, so some scopes fail while others answer.
    """

    latency_ms: float = 0.0
    error_rates: dict[int, float] = field(default_factory=dict)
    malformed_rate: float = 0.0
    fail_first: int = 0
    retry_after_s: float | None = 1.0
    auth_error: str = "jwt expired"
    body: list[str] = field(default_factory=list)
    scopes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def validate(self) -> None:
        """Refuse values that would make the fault draws meaningless."""
        if not (isinstance(self.latency_ms, int | float) and 0 <= self.latency_ms <= 600_000):
            raise ValueError("latency_ms must be a number between 0 and 600000")
        if not isinstance(self.error_rates, dict):
            raise ValueError("error_rates must be an object of HTTP status -> probability")
        for status, rate in self.error_rates.items():
            if not (isinstance(status, int) and 400 <= status <= 599):
                raise ValueError(f"error_rates key {status!r} is not an HTTP error status")
            if not (isinstance(rate, int | float) and 0 <= rate <= 1):
                raise ValueError(f"error_rates[{status}] must be a probability in [0, 1]")
        if sum(self.error_rates.values()) > 1 + 1e-9:
            raise ValueError("error_rates must add up to at most 1")
        if not (isinstance(self.malformed_rate, int | float) and 0 <= self.malformed_rate <= 1):
            raise ValueError("malformed_rate must be a probability in [0, 1]")
        if isinstance(self.fail_first, bool) or not (
            isinstance(self.fail_first, int) and 0 <= self.fail_first <= 1_000_000
        ):
            raise ValueError("fail_first must be a whole number >= 0")
        if self.retry_after_s is not None and not (
            isinstance(self.retry_after_s, int | float) and 0 <= self.retry_after_s <= 3600
        ):
            raise ValueError("retry_after_s must be null or a number of seconds in [0, 3600]")
        if not isinstance(self.auth_error, str) or not self.auth_error:
            raise ValueError("auth_error must be a non-empty string")
        if not isinstance(self.body, list) or not all(b in BODY_FAULTS for b in self.body):
            raise ValueError(f"body must be a list of {', '.join(BODY_FAULTS)}")
        if not isinstance(self.scopes, dict):
            raise ValueError("scopes must be an object of scope key -> fault overrides")
        for key, override in self.scopes.items():
            if not isinstance(key, str) or not isinstance(override, dict):
                raise ValueError("scopes must be an object of scope key -> fault overrides")
            unknown = set(override) - set(_FAULT_FIELDS)
            if unknown:
                raise ValueError(f"scopes[{key!r}] has unknown fault setting(s) {sorted(unknown)}")
            self.for_scope(key).validate()

    def for_scope(self, scope_key: str) -> Faults:
        """The faults a request for ``scope_key`` meets: the defaults and its overrides."""
        override = self.scopes.get(scope_key)
        if not override:
            return self
        values = {name: getattr(self, name) for name in _FAULT_FIELDS}
        values.update(override)
        if "error_rates" in override:
            values["error_rates"] = _status_keys(override["error_rates"])
        return Faults(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (status codes become string keys); newer knobs only when set."""
        document: dict[str, Any] = {
            "latency_ms": self.latency_ms,
            "error_rates": {str(k): v for k, v in sorted(self.error_rates.items())},
            "malformed_rate": self.malformed_rate,
        }
        defaults = Faults()
        for name in ("fail_first", "retry_after_s", "auth_error", "body", "scopes"):
            if getattr(self, name) != getattr(defaults, name):
                document[name] = getattr(self, name)
        if "scopes" in document:
            document["scopes"] = {
                key: {
                    k: ({str(c): r for c, r in v.items()} if k == "error_rates" else v)
                    for k, v in override.items()
                }
                for key, override in self.scopes.items()
            }
        return document


def _status_keys(rates: Any) -> dict[int, float]:
    """error_rates with integer status keys (JSON gives strings)."""
    if not isinstance(rates, dict):
        raise ValueError("error_rates must be an object of HTTP status -> probability")
    try:
        return {int(k): v for k, v in rates.items()}
    except (TypeError, ValueError):
        raise ValueError("error_rates keys must be HTTP status codes") from None


@dataclass(frozen=True)
class _FaultDraw:
    """What one request meets."""

    latency_ms: float = 0.0
    error_status: int | None = None
    malformed: bool = False
    body: tuple[str, ...] = ()
    retry_after_s: float | None = 1.0
    auth_error: str = "jwt expired"


@dataclass
class SimulatorConfig:
    """Everything that shapes the simulated tenant; the roster depends only on agents and seed."""

    agents: int = 200
    seed: int = 7
    host: str = "127.0.0.1"
    port: int = 0
    bot_id: str = "st-simulated-bot"
    account_id: str = "sim-account"
    client_id: str = "cs-simulated-client"
    client_secret: str = "simulated-client-secret-for-the-kore-compatible-simulator-only-00001"
    rate_limit_per_minute: int | None = 60
    retry_after_header: bool = True
    enforce_jti: bool = False
    response_shape: str = "v2"
    custom_status_bucket: str | None = None
    time_zone: str = "America/New_York"
    faults: Faults = field(default_factory=Faults)

    def __repr__(self) -> str:
        # The secret is simulator-only, but keep it out of logs and tracebacks anyway.
        fields = ", ".join(
            f"{name}={'***' if name == 'client_secret' else repr(getattr(self, name))}"
            for name in self.__dataclass_fields__
        )
        return f"SimulatorConfig({fields})"


class StatusCounts(dict[int, int]):
    """Snapshot of availability responses per HTTP status; compares with an int by its total.

    Tests ask both "how many 429s" (``counts[429]``) and "how many requests at all"
    (``counts == 5``, ``counts >= 5``, ``counts.total``), so the snapshot supports both.
    """

    @property
    def total(self) -> int:
        """All availability requests answered, whatever the status."""
        return sum(self.values())

    def __int__(self) -> int:
        return self.total

    def __missing__(self, key: int) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int) and not isinstance(other, bool):
            return self.total == other
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __lt__(self, other: int) -> bool:
        return self.total < other

    def __le__(self, other: int) -> bool:
        return self.total <= other

    def __gt__(self, other: int) -> bool:
        return self.total > other

    def __ge__(self, other: int) -> bool:
        return self.total >= other

    __hash__ = None  # type: ignore[assignment]


class BadRequestError(ValueError):
    """A request body that Kore.ai would answer with HTTP 400."""


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------

# A segment is (start epoch seconds, end epoch seconds, bucket, detail), end exclusive.
_Segment = tuple[int, int, str, str]


def _as_utc(at: datetime) -> datetime:
    """Aware UTC datetime; naive values are taken to be UTC, as everywhere in the pipeline."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _hex_id(rng: random.Random, prefix: str) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{prefix}-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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
        self.config = config
        self.tz = ZoneInfo(config.time_zone)
        self._clock = clock or (lambda: datetime.now(UTC))
        self.roster: list[Agent] = self._make_roster()
        self._by_id: dict[str, Agent] = {a.agent_id: a for a in self.roster}
        self._v1_objects: dict[str, dict[str, Any]] = {
            a.agent_id: {
                "_id": a.agent_id,
                "userId": a.user_id,
                "firstName": a.first_name,
                "lastName": a.last_name,
                "emailId": a.email,
                "customId": a.custom_id,
                "phoneNumber": a.phone,
            }
            for a in self.roster
        }
        # Bounded caches: a poller touches today and yesterday; a backfill walks a few days.
        size = max(1024, 8 * len(self.roster))
        self._day_cache = functools.lru_cache(maxsize=size)(self._build_day)
        self._shift_cache = functools.lru_cache(maxsize=size)(self._build_shift)

    # ---- roster ------------------------------------------------------------------------------

    def _make_roster(self) -> list[Agent]:
        rng = random.Random(f"roster:{self.config.seed}")
        skill_ids = list(SKILLS)
        shift_names = list(SHIFTS)
        shift_weights = [SHIFTS[s].weight for s in shift_names]
        combos = len(_FIRST_NAMES) * len(_LAST_NAMES)
        n = self.config.agents
        if n <= combos:
            picks = rng.sample(range(combos), n)
        else:
            picks = [rng.randrange(combos) for _ in range(n)]
        used_emails: dict[str, int] = {}
        roster: list[Agent] = []
        for i in range(n):
            first = _FIRST_NAMES[picks[i] // len(_LAST_NAMES)]
            last = _LAST_NAMES[picks[i] % len(_LAST_NAMES)]
            local = f"{first}.{last}".lower()
            used_emails[local] = used_emails.get(local, 0) + 1
            if used_emails[local] > 1:
                local = f"{local}{used_emails[local]}"
            # The first agents cover every skill once so each skill has members.
            primary = skill_ids[i] if i < len(skill_ids) else rng.choice(skill_ids)
            extra = rng.choices([0, 1, 2], weights=[0.45, 0.4, 0.15])[0]
            others = [s for s in skill_ids if s != primary]
            skills = (primary, *rng.sample(others, extra))
            channels = self._make_channels(rng)
            roster.append(
                Agent(
                    agent_id=_hex_id(rng, "a"),
                    user_id=_hex_id(rng, "u"),
                    first_name=first,
                    last_name=last,
                    email=f"{local}@example.com",
                    custom_id=str(1000 + i),
                    phone=f"555{rng.randrange(10**7):07d}",
                    skills=tuple(sorted(skills, key=skill_ids.index)),
                    shift=rng.choices(shift_names, weights=shift_weights)[0],
                    index=i,
                    channels=channels,
                )
            )
        return roster

    @staticmethod
    def _make_channels(rng: random.Random) -> tuple[tuple[str, int], ...]:
        voice = 1 if rng.random() < 0.8 else 0
        live_chat = rng.randint(2, 4) if rng.random() < 0.6 else 0
        messaging = rng.randint(2, 5) if rng.random() < 0.5 else 0
        email = rng.randint(3, 8) if rng.random() < 0.4 else 0
        voice_mail = 5 if voice and rng.random() < 0.3 else 0
        if not (voice or live_chat or messaging):
            voice = 1  # every agent must be able to take some live work
        return (
            ("liveChat", live_chat),
            ("messaging", messaging),
            ("email", email),
            ("voice", voice),
            ("voiceMail", voice_mail),
        )

    def agent(self, agent_id: str) -> Agent:
        """The agent with that id; KeyError if unknown."""
        return self._by_id[agent_id]

    def now(self) -> datetime:
        """The model's current time (the injected clock, else the wall clock), in UTC."""
        return _as_utc(self._clock())

    def queue_members(self, queue_id: str) -> list[Agent]:
        """Agents having any of the queue's skills; an unknown queue has no members."""
        if queue_id not in QUEUES:
            return []
        skills = set(QUEUES[queue_id][1])
        return [a for a in self.roster if skills & set(a.skills)]

    def skill_members(self, skill_id: str) -> list[Agent]:
        """Agents having the skill; an unknown skill has no members."""
        return [a for a in self.roster if skill_id in a.skills]

    def scope_members(self, scope_key: str) -> list[str]:
        """Agent ids for a scope key as the warehouse stores it: all, skill:<id>, queue:<id>.

        ``agents:<id>,<id>`` lists agent ids directly (a scopes-file label cannot be resolved
        here; the scope's own ``agent_ids`` are the truth for such a scope).
        """
        if scope_key == "all":
            return [a.agent_id for a in self.roster]
        kind, _, ref = scope_key.partition(":")
        if kind == "skill":
            return [a.agent_id for a in self.skill_members(ref)]
        if kind == "queue":
            return [a.agent_id for a in self.queue_members(ref)]
        if kind == "agents":
            ids = {x for x in ref.split(",") if x}
            return [a.agent_id for a in self.roster if a.agent_id in ids]
        raise ValueError(f"unknown scope key {scope_key!r}; expected all, skill:<id> or queue:<id>")

    # ---- status model ------------------------------------------------------------------------

    def _local_ts(self, day: date, at: dtime, minutes: int = 0) -> int:
        """Epoch seconds of a local wall-clock time (zoneinfo resolves DST)."""
        local = datetime.combine(day, at, tzinfo=self.tz) + timedelta(minutes=minutes)
        return int(local.timestamp())

    def _day_bounds(self, day: date) -> tuple[int, int]:
        return self._local_ts(day, dtime(0)), self._local_ts(day + timedelta(days=1), dtime(0))

    def _local_date(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self.tz).date()

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
        day_start, day_end = self._day_bounds(day)
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
        ts = _as_utc(at).timestamp()
        day = self._local_date(ts)
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
        start, end = _as_utc(start), _as_utc(end)
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
        first_day = self._local_date(start_ts)
        last_day = self._local_date(end_ts)
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

    def matching_agents(self, body: dict[str, Any]) -> list[Agent]:
        """Agents selected by a body: OR within a key, AND across the keys given."""
        wanted = self.parse_filter(body)
        skills = set(wanted.get("skillIds", ()))
        queues = [QUEUES[q][1] for q in wanted.get("queueIds", ()) if q in QUEUES]
        queue_skills = {s for qs in queues for s in qs}
        ids = set(wanted.get("agentIds", ()))
        selected = []
        for agent in self.roster:
            if "skillIds" in wanted and not skills & set(agent.skills):
                continue
            if "queueIds" in wanted and not queue_skills & set(agent.skills):
                continue
            if "agentIds" in wanted and agent.agent_id not in ids:
                continue
            selected.append(agent)
        return selected

    def _channel_capacity(self, agent: Agent, segment: _Segment) -> dict[str, dict[str, Any]]:
        """Capacity per channel, consistent with the status the agent is in.

        BUSY agents use capacity on an enabled channel and have none free; AVAILABLE agents have
        free capacity on every enabled channel; OFFLINE and AWAY agents have none free.
        """
        seg_start, _, bucket, detail = segment
        used: dict[str, int] = dict.fromkeys(CHANNELS, 0)
        free: dict[str, int] = dict.fromkeys(CHANNELS, 0)
        totals = dict(agent.channels)
        if bucket == "AVAILABLE":
            for n, channel in enumerate(CHANNELS):
                total = totals.get(channel, 0)
                if total:
                    # Digital channels may already hold a conversation or two, never all.
                    busy = 0 if channel == "voice" else (seg_start // 60 + agent.index + n) % total
                    used[channel], free[channel] = busy, total - busy
        elif bucket == "BUSY":
            if detail == "On Call":
                channel = "voice"
            elif detail == "On Chat":
                channel = "liveChat" if totals.get("liveChat") else "messaging"
            else:  # custom Busy statuses block the agent's primary channel
                channel = "voice" if totals.get("voice") else "liveChat"
                if not totals.get(channel):
                    channel = "messaging"
            used[channel] = totals.get(channel, 0)
        return {
            channel: {
                "isEnabled": totals.get(channel, 0) > 0,
                "totalCapacity": totals.get(channel, 0),
                "usedCapacity": used[channel],
                "availableCapacity": free[channel],
            }
            for channel in CHANNELS
        }

    def availability(self, body: dict[str, Any], at: datetime) -> dict[str, list[dict[str, Any]]]:
        """The response object Kore.ai would send for ``body`` at instant ``at``.

        All four standard buckets are always present; the custom bucket only when non-empty.
        Raises BadRequestError for a body Kore.ai would refuse.
        """
        response: dict[str, list[dict[str, Any]]] = {b: [] for b in BUCKETS}
        v2 = self.config.response_shape == "v2"
        for agent in self.matching_agents(body):
            segment = self._segment_at(agent.index, at)
            obj = dict(self._v1_objects[agent.agent_id])
            if v2:
                capacity = self._channel_capacity(agent, segment)
                obj["isDigitalEnabled"] = any(
                    capacity[c]["isEnabled"] for c in ("liveChat", "messaging", "email")
                )
                obj["channelCapacity"] = capacity
            response.setdefault(segment[2], []).append(obj)
        return response


# --------------------------------------------------------------------------------------------
# The HTTP server
# --------------------------------------------------------------------------------------------


def _mutate(response: dict[str, list[dict[str, Any]]], faults: Iterable[str]) -> dict[str, Any]:
    """Apply body faults to an availability response (a copy; the model is untouched)."""
    faults = set(faults)
    if not faults & {
        "missing_buckets",
        "extra_bucket",
        "duplicate_agent",
        "null_fields",
        "missing_fields",
        "unknown_fields",
    }:
        return response
    out: dict[str, Any] = {key: [dict(a) for a in agents] for key, agents in response.items()}
    if "extra_bucket" in faults:
        source = next((k for k in BUCKETS if out.get(k)), None)
        if source is not None:
            out["TRAINING"] = [out[source].pop(0)]
    if "duplicate_agent" in faults:
        source = next((k for k in BUCKETS if out.get(k)), None)
        if source is not None:
            target = "OFFLINE" if source != "OFFLINE" else "BUSY"
            out.setdefault(target, []).append(dict(out[source][0]))
    if "missing_fields" in faults:
        out = {k: [{"_id": a["_id"]} for a in agents] for k, agents in out.items()}
    if "null_fields" in faults:
        out = {k: [{f: (v if f == "_id" else None) for f, v in a.items()} for a in agents]
               for k, agents in out.items()}  # fmt: skip
        out["AWAY"] = None
    if "unknown_fields" in faults:
        for agents in out.values():
            for a in agents or []:
                a["presence"] = {"since": "2026-01-01T00:00:00Z", "source": ["voice", 3]}
                a["tags"] = None
    if "missing_buckets" in faults:
        out.pop("AWAY", None)
        out.pop("OFFLINE", None)
    return out


def _errors(msg: str, code: int) -> dict[str, Any]:
    return {"errors": [{"msg": msg, "code": code}]}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


class _QuietHmac(HMACAlgorithm):
    """HMAC without PyJWT's short-key advisory: Kore.ai accepts the secret it issued, and the
    warning would otherwise fire on every request the simulator verifies."""

    def check_key_length(self, key: bytes) -> str | None:
        return None


_JWT_ALGORITHMS = {"HS256": HMACAlgorithm.SHA256, "HS512": HMACAlgorithm.SHA512}
_SIGNATURES = jwt.PyJWS(algorithms=list(_JWT_ALGORITHMS))
for _name, _hash in _JWT_ALGORITHMS.items():
    _SIGNATURES.unregister_algorithm(_name)
    _SIGNATURES.register_algorithm(_name, _QuietHmac(_hash))


class _JwtError(Exception):
    """A token Kore.ai would refuse with 'error verifying the jwt: <reason>'."""


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: SimulatorServer):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn), slow in sandboxes.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about clients that hang up; terse otherwise (a traceback could echo headers)."""
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return
        print(f"kore simulator: request handler failed: {type(error).__name__}", file=sys.stderr)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        with self.connections_lock:
            open_now = list(self.connections)
            self.connections.clear()
        for sock in open_now:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "KoreSimulator/1.0"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    timeout = 120  # idle keep-alive connections release their thread eventually
    server: _HttpServer
    _status_sent = 0
    _counted_route = False

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silent: request lines carry nothing useful and headers must never reach a log."""

    # ---- plumbing ----------------------------------------------------------------------------

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 413/400 for an unusable one."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            size_total = 0
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                size_total += size
                if size_total > _MAX_BODY_BYTES:
                    self.close_connection = True
                    self._send_json(413, _errors("request body too large", 413))
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            self._send_json(400, _errors("invalid Content-Length", 400))
            return None
        if length > _MAX_BODY_BYTES:
            self.close_connection = True
            self._send_json(413, _errors("request body too large", 413))
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _send_bytes(
        self,
        status: int,
        payload: bytes,
        content_type: str = "application/json; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self._status_sent = status
        if self._counted_route:
            # Counted before the bytes leave, so a client that has its answer sees the count.
            self.server.owner._count(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(obj, separators=(",", ":")).encode("utf-8")
        self._send_bytes(status, payload, headers=headers)

    def _dispatch(self, method: str) -> None:
        self._status_sent = 0
        url = urlsplit(self.path)
        match = _AVAILABILITY_PATH.match(url.path)
        self._counted_route = match is not None
        body = self._read_body()
        if body is None:
            return
        try:
            if match:
                if method != "POST":
                    self._send_json(405, _errors(f"Method {method} not allowed", 405))
                else:
                    self._availability(match.group(1), body)
            elif url.path.startswith("/debug/"):
                self._debug(method, url.path, url.query, body)
            else:
                self._send_json(404, _errors(f"Not found: {url.path}", 404))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # answer rather than drop the connection; never echo request data
            if not self._status_sent:
                self._send_json(500, _errors("Internal Server Error", 500))

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    # ---- the availability endpoint -----------------------------------------------------------

    def _availability(self, bot_id: str, raw: bytes) -> None:
        owner = self.server.owner
        config = owner.config
        if bot_id != config.bot_id:
            self._send_json(404, _errors(f"Bot not found: {bot_id}", 404))
            return
        token = self.headers.get("auth")
        if not token:
            self._send_json(401, _errors("error verifying the jwt: jwt must be provided", 401))
            return
        try:
            owner._verify_jwt(token)
        except _JwtError as exc:
            self._send_json(401, _errors(f"error verifying the jwt: {exc}", 401))
            return
        account = self.headers.get("accountId")
        if not account:
            self._send_json(400, _errors("accountId header is required", 400))
            return
        if account != config.account_id:
            self._send_json(401, _errors("Invalid SDK credentials", 4002))
            return
        wait = owner._take_rate_slot(account)
        if wait is not None:
            headers = {"Retry-After": str(wait)} if config.retry_after_header else None
            self._send_json(429, _errors(RATE_LIMIT_MESSAGE, 429), headers)
            return
        try:
            body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
            Simulator.parse_filter(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            self._send_json(400, _errors("request body is not valid JSON", 400))
            return
        except BadRequestError as exc:
            self._send_json(400, _errors(str(exc), 400))
            return
        draw = owner._draw_faults(Simulator.scope_key_of(body))
        if draw.latency_ms > 0:
            time.sleep(draw.latency_ms / 1000.0)
        if draw.error_status is not None:
            self._send_fault(draw)
            return
        if "html" in draw.body:
            page = b"<!DOCTYPE html><html><body><h1>Please sign in</h1></body></html>"
            self._send_bytes(200, page, content_type="text/html; charset=utf-8")
            return
        response = owner.simulator.availability(body, owner.simulator.now())
        response = _mutate(response, draw.body)
        payload = json.dumps(response, separators=(",", ":")).encode("utf-8")
        if draw.malformed or "truncate" in draw.body:
            payload = payload[: max(1, len(payload) // 2)]  # a cut-off body is never valid JSON
        if "reset" in draw.body:
            self._send_then_reset(payload)
            return
        self._send_bytes(200, payload)

    def _send_then_reset(self, payload: bytes) -> None:
        """Promise the whole body, send half, then reset the connection (RST, not FIN)."""
        self._status_sent = 200
        self.server.owner._count(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2])
        self.wfile.flush()
        self.close_connection = True
        sock = self.connection
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()

    def _send_fault(self, draw: _FaultDraw) -> None:
        status = draw.error_status
        assert status is not None
        if status == 429:
            config = self.server.owner.config
            headers = None
            if config.retry_after_header and draw.retry_after_s is not None:
                headers = {"Retry-After": f"{draw.retry_after_s:g}"}
            self._send_json(429, _errors(RATE_LIMIT_MESSAGE, 429), headers)
            return
        messages = {
            401: f"error verifying the jwt: {draw.auth_error}",
            403: "Forbidden: the app's API scope does not allow this API",
            404: "Not Found",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }
        self._send_json(status, _errors(messages.get(status, f"Error {status}"), status))

    # ---- debug endpoints ---------------------------------------------------------------------

    def _debug(self, method: str, path: str, query: str, raw: bytes) -> None:
        if not _is_loopback(str(self.client_address[0])):
            self._send_json(
                403, _errors("debug endpoints are served to loopback clients only", 403)
            )
            return
        owner = self.server.owner
        simulator = owner.simulator
        if path == "/debug/health" and method == "GET":
            self._send_json(200, {"ok": True})
        elif path == "/debug/roster" and method == "GET":
            self._send_json(200, owner.roster_document())
        elif path == "/debug/truth" and method == "GET":
            params = parse_qs(query)
            try:
                start = _as_utc(datetime.fromisoformat(params["start"][0]))
                end = _as_utc(datetime.fromisoformat(params["end"][0]))
                ids_param = params.get("agentIds", [""])[0]
                ids = [x for x in ids_param.split(",") if x] or None
                if end < start or end - start > _MAX_TRUTH_RANGE:
                    raise ValueError("end must be after start and at most 8 days later")
                spans = simulator.timeline(start, end, ids)
            except (KeyError, ValueError) as exc:
                msg = (
                    f"bad truth query: {exc}"
                    if not isinstance(exc, KeyError)
                    else (f"bad truth query: missing or unknown {exc}")
                )
                self._send_json(400, _errors(msg, 400))
                return
            self._send_json(
                200,
                {
                    "spans": [
                        {
                            "agentId": s.agent_id,
                            "start": s.start.isoformat(),
                            "end": s.end.isoformat(),
                            "bucket": s.bucket,
                            "detail": s.detail,
                        }
                        for s in spans
                    ]
                },
            )
        elif path == "/debug/faults" and method == "GET":
            self._send_json(200, owner.faults_document())
        elif path == "/debug/faults" and method == "POST":
            try:
                update = json.loads(raw.decode("utf-8") or "{}")
                owner.set_faults(update)
            except (UnicodeDecodeError, json.JSONDecodeError):
                self._send_json(400, _errors("request body is not valid JSON", 400))
                return
            except (TypeError, ValueError) as exc:
                self._send_json(400, _errors(str(exc), 400))
                return
            self._send_json(200, owner.faults_document())
        elif path == "/debug/stats" and method == "GET":
            counts = owner.requests_served
            self._send_json(
                200, {"total": counts.total, "byStatus": {str(k): v for k, v in counts.items()}}
            )
        else:
            self._send_json(404, _errors(f"Not found: {path}", 404))


class SimulatorServer:
    """The simulator as a real HTTP server on loopback, run in a background thread."""

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        self.config = config or SimulatorConfig()
        self.config.faults.validate()
        self.simulator = Simulator(self.config, clock=clock)
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # guards counters, rate windows, JTIs and fault draws
        self._counts: dict[int, int] = {}
        self._windows: dict[str, deque[float]] = {}
        self._seen_jti: dict[str, float] = {}
        self._fault_rng = random.Random(f"faults:{self.config.seed}")
        self._fault_counts: dict[str, int] = {}

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SimulatorServer:
        """Bind and serve in a daemon thread; returns self so ``with X().start()`` reads well."""
        if self._httpd is not None:
            raise RuntimeError("simulator server already started")
        self._httpd = _HttpServer((self.config.host, self.config.port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"kore-simulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open keep-alive connections and release the port."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.close_open_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SimulatorServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (useful with ``port=0``)."""
        if self._httpd is None:
            raise RuntimeError("simulator server is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>``: what KORE_HOST should be set to."""
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def faults(self) -> Faults:
        """The live fault settings (mutate, or use ``set_faults`` to validate)."""
        return self.config.faults

    @property
    def requests_served(self) -> StatusCounts:
        """Snapshot of availability requests answered, per HTTP status."""
        with self._lock:
            return StatusCounts(self._counts)

    def env(self, include_secret: bool = True) -> dict[str, str]:
        """Settings that point the pipeline at this simulator."""
        env = {
            "KORE_HOST": self.base_url,
            "KORE_BOT_ID": self.config.bot_id,
            "KORE_ACCOUNT_ID": self.config.account_id,
            "KORE_CLIENT_ID": self.config.client_id,
        }
        if include_secret:
            env["KORE_CLIENT_SECRET"] = self.config.client_secret
        return env

    # ---- state shared by handler threads -----------------------------------------------------

    def _count(self, status: int) -> None:
        with self._lock:
            self._counts[status] = self._counts.get(status, 0) + 1

    def _take_rate_slot(self, account: str) -> int | None:
        """Record a request; None if allowed, else seconds until the oldest slot frees."""
        limit = self.config.rate_limit_per_minute
        if not limit:
            return None
        now = time.monotonic()
        with self._lock:
            window = self._windows.setdefault(account, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= limit:
                return max(1, math.ceil(window[0] + 60.0 - now))
            window.append(now)
            return None

    def _verify_jwt(self, token: str) -> None:
        """Check the token as Kore.ai does; raises _JwtError with the reason Kore.ai reports."""
        config = self.config
        require = ["appId"] + (["jti", "iat", "exp"] if config.enforce_jti else [])
        try:
            _SIGNATURES.decode(token, config.client_secret, algorithms=list(_JWT_ALGORITHMS))
            claims = jwt.decode(
                token,
                options={
                    "verify_signature": False,  # checked just above, without the key warning
                    "verify_exp": True,
                    "verify_nbf": True,
                    "verify_iat": True,
                    "require": require,
                },
                leeway=_JWT_LEEWAY_S,
            )
        except jwt.ExpiredSignatureError:
            raise _JwtError("jwt expired") from None
        except jwt.ImmatureSignatureError:
            raise _JwtError("jwt not active") from None
        except jwt.InvalidSignatureError:
            raise _JwtError("invalid signature") from None
        except jwt.InvalidAlgorithmError:
            raise _JwtError("invalid algorithm") from None
        except jwt.MissingRequiredClaimError as exc:
            raise _JwtError(f"{exc.claim} is required") from None
        except jwt.DecodeError:
            raise _JwtError("jwt malformed") from None
        except jwt.InvalidTokenError as exc:
            raise _JwtError(type(exc).__name__) from None
        if claims.get("appId") != config.client_id:
            raise _JwtError("invalid appId")
        if not config.enforce_jti:
            return
        iat, exp, jti = claims["iat"], claims["exp"], claims["jti"]
        if not isinstance(jti, str) or not jti:
            raise _JwtError("jti must be a non-empty string")
        if exp - iat > _JTI_MAX_LIFETIME_S:
            raise _JwtError("exp must be at most 1 hour after iat")
        now = time.time()
        with self._lock:
            if len(self._seen_jti) > 10_000:
                self._seen_jti = {k: v for k, v in self._seen_jti.items() if v > now}
            if jti in self._seen_jti:
                raise _JwtError("jti already used, possibly a replay")
            self._seen_jti[jti] = float(exp) + _JWT_LEEWAY_S

    def _draw_faults(self, scope_key: str = "all") -> _FaultDraw:
        """One request's injected latency, error status (or None), malformed flag and body
        faults, for the scope it asks about."""
        with self._lock:
            faults = self.config.faults.for_scope(scope_key)
            latency = float(faults.latency_ms)
            if faults.fail_first:
                seen = self._fault_counts.get(scope_key, 0) + 1
                self._fault_counts[scope_key] = seen
                if seen > faults.fail_first:
                    return _FaultDraw()
            error_status = None
            if faults.error_rates:
                draw, cumulative = self._fault_rng.random(), 0.0
                for status, rate in sorted(faults.error_rates.items()):
                    cumulative += rate
                    if draw < cumulative:
                        error_status = status
                        break
            malformed = bool(faults.malformed_rate) and (
                self._fault_rng.random() < faults.malformed_rate
            )
            return _FaultDraw(
                latency_ms=latency,
                error_status=error_status,
                malformed=malformed,
                body=tuple(faults.body),
                retry_after_s=faults.retry_after_s,
                auth_error=faults.auth_error,
            )

    def set_faults(self, update: dict[str, Any]) -> Faults:
        """Change some or all fault settings at run time; validated before anything changes.

        Setting faults restarts the per-scope counts behind ``fail_first``.
        """
        if not isinstance(update, dict):
            raise ValueError("faults must be a JSON object")
        unknown = set(update) - {*_FAULT_FIELDS, "scopes"}
        if unknown:
            raise ValueError(f"unknown fault setting(s): {sorted(unknown)}")
        with self._lock:
            current = self.config.faults
            values = {name: getattr(current, name) for name in (*_FAULT_FIELDS, "scopes")}
            values.update(update)
            values["error_rates"] = _status_keys(values["error_rates"])
            if not isinstance(values["scopes"], dict):
                raise ValueError("scopes must be an object of scope key -> fault overrides")
            candidate = Faults(**values)
            candidate.validate()
            for name in (*_FAULT_FIELDS, "scopes"):
                setattr(current, name, getattr(candidate, name))
            self._fault_counts.clear()
            return current

    def faults_document(self) -> dict[str, Any]:
        """The current fault settings as JSON."""
        with self._lock:
            return self.config.faults.to_dict()

    def roster_document(self) -> dict[str, Any]:
        """Agents with their skills, queues and shift, plus the skill and queue catalogues."""
        return {
            "skills": [{"id": k, "name": v} for k, v in SKILLS.items()],
            "queues": [
                {"id": k, "name": name, "skills": list(skills)}
                for k, (name, skills) in QUEUES.items()
            ],
            "agents": [
                {
                    "agentId": a.agent_id,
                    "userId": a.user_id,
                    "firstName": a.first_name,
                    "lastName": a.last_name,
                    "emailId": a.email,
                    "customId": a.custom_id,
                    "phoneNumber": a.phone,
                    "skills": list(a.skills),
                    "queues": list(a.queues),
                    "shift": a.shift,
                }
                for a in self.simulator.roster
            ],
        }


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="availability simulate",
        description="Run the Kore.ai Agent AI availability simulator on loopback.",
    )
    defaults = SimulatorConfig()
    parser.add_argument("--host", default=defaults.host, help="bind address (loopback only)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    parser.add_argument("--agents", type=int, default=defaults.agents)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=defaults.rate_limit_per_minute,
        help="requests per minute per account; 0 turns the limit off",
    )
    parser.add_argument("--no-retry-after", action="store_true", help="omit Retry-After on 429")
    parser.add_argument("--enforce-jti", action="store_true")
    parser.add_argument("--shape", choices=("v1", "v2"), default=defaults.response_shape)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--custom-status-bucket", default=None, metavar="BUCKET")
    parser.add_argument("--time-zone", default=defaults.time_zone)
    parser.add_argument("--bot-id", default=defaults.bot_id)
    parser.add_argument("--account-id", default=defaults.account_id)
    parser.add_argument("--client-id", default=defaults.client_id)
    parser.add_argument(
        "--print-env",
        action="store_true",
        help="also print KORE_CLIENT_SECRET (a simulator-only secret)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (debug endpoints still answer loopback only)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """``availability simulate``: serve until SIGINT or SIGTERM, then exit 0."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["simulate"]:
        args_list = args_list[1:]
    args = _parser().parse_args(args_list)
    if not _is_loopback(args.host) and not args.allow_remote:
        print(
            f"refusing to bind to non-loopback host {args.host!r}; pass --allow-remote to do so",
            file=sys.stderr,
        )
        return 2
    config = SimulatorConfig(
        agents=args.agents,
        seed=args.seed,
        host=args.host,
        port=args.port,
        bot_id=args.bot_id,
        account_id=args.account_id,
        client_id=args.client_id,
        rate_limit_per_minute=args.rate_limit or None,
        retry_after_header=not args.no_retry_after,
        enforce_jti=args.enforce_jti,
        response_shape=args.shape,
        custom_status_bucket=args.custom_status_bucket,
        time_zone=args.time_zone,
        faults=Faults(latency_ms=args.latency_ms),
    )
    stop = threading.Event()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        # Installed before binding so a signal during start-up still ends in a clean exit.
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        try:
            server = SimulatorServer(config).start()
        except (OSError, ValueError, KeyError) as exc:  # KeyError: unknown time zone
            print(f"cannot start the simulator: {exc}", file=sys.stderr)
            return 1
        try:
            print(f"listening on {server.base_url}")
            for name, value in server.env(include_secret=args.print_env).items():
                print(f"{name}={value}")
            if not args.print_env:
                print("# KORE_CLIENT_SECRET not shown; pass --print-env to print it")
            sys.stdout.flush()
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
