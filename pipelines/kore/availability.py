"""Kore.ai Agent AI's "Check Agent Availability Status" endpoint, one scope per request.

Each tick asks, one scope per request, which agents are AVAILABLE, BUSY, AWAY or OFFLINE. This
module holds what is particular to that endpoint: its path and request body, the parser that
accepts an answer (:func:`parse_availability_body`), and :class:`ScopeResult`, the row a scope's
outcome lands as. Budget, tokens, retries and deadlines are shared with every endpoint
(:mod:`pipelines.kore.client`). A failed scope never raises: it comes back as a
:class:`ScopeResult` whose ``error_text`` names the setting to fix, and neither the client secret
nor any JWT ever reaches a log line, an exception message or a recorded body.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipelines.kore.client import Call, KoreClient, run_sync
from pipelines.kore.errors import KoreInvalidResponseError
from pipelines.kore.payload import load_json_body
from pipelines.kore.planner import PRIORITY_AVAILABILITY
from pipelines.kore.transport import Endpoint, Request
from pipelines.packed import pack, unpack
from pipelines.scopes import Scope

__all__ = [
    "AVAILABILITY",
    "MAX_STATUS_BUCKETS",
    "KoreAvailabilityClient",
    "ScopeResult",
    "agent_statuses",
    "availability_request",
    "parse_availability_body",
    "parse_availability_tally",
    "request_body",
    "status_rank",
    "status_tally",
]

# Distinct status buckets (keys) one answer may have: the four Kore documents plus a tenant's
# custom statuses, with room to spare. An answer with more is refused (that scope only).
MAX_STATUS_BUCKETS = 64
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def parse_availability_body(text: str) -> tuple[dict[str, list[dict]], str]:
    """The buckets and the body text to store: the text itself, unless it must be rewritten.

    Custom statuses and future fields must survive untouched (the warehouse keeps them), so
    nothing is dropped; only what would break downstream code is refused.

    The warehouse derives its tables from the stored text in DuckDB, whose JSON reader is
    stricter than Python's in two ways that would make the whole tick's write fail: repeated
    keys and lone UTF-16 surrogates. A body with either is re-serialized from the parsed
    object (repeated bucket keys merged, a lone surrogate replaced), so one odd answer can never
    sink the other scopes of its tick. Any other body is kept byte for byte.
    """
    repeated: list[str] = []

    def merge_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        grown: set[str] = set()  # lists this object owns: extended in place, linear time
        for key, value in pairs:
            if key in merged:
                repeated.append(key)
                if isinstance(merged[key], list) and isinstance(value, list):
                    if key not in grown:
                        merged[key] = list(merged[key])
                        grown.add(key)
                    merged[key].extend(value)
                    continue
            merged[key] = value
        return merged

    data = load_json_body(text, "an availability payload", object_pairs_hook=merge_pairs)
    if not isinstance(data, dict):
        raise KoreInvalidResponseError(
            f"expected a JSON object of status buckets, got {type(data).__name__}"
        )
    if len(data) > MAX_STATUS_BUCKETS:
        # Kore documents four buckets; a tenant's custom statuses add a few. Thousands of keys
        # are no tenant's statuses, and every table and chart downstream has a column each.
        raise KoreInvalidResponseError(
            f"the answer has {len(data)} distinct status buckets; at most "
            f"{MAX_STATUS_BUCKETS} are accepted (MAX_STATUS_BUCKETS)"
        )
    buckets: dict[str, list[dict]] = {}
    for key, value in data.items():
        if value is None:
            buckets[key] = []
            continue
        if not isinstance(value, list):
            raise KoreInvalidResponseError(
                f"bucket {key!r} should be a list of agents, got {type(value).__name__}"
            )
        for index, agent in enumerate(value):
            if not isinstance(agent, dict):
                raise KoreInvalidResponseError(
                    f"bucket {key!r} item {index} should be an agent object, "
                    f"got {type(agent).__name__}"
                )
            agent_id = agent.get("_id")
            if not isinstance(agent_id, str) or not agent_id:
                # Counting the others without this one would under-count the scope silently;
                # refusing leaves the interval unobserved instead, and the body is kept.
                raise KoreInvalidResponseError(
                    f"bucket {key!r} item {index} has no '_id' (every agent needs one)"
                )
        buckets[key] = value
    if repeated or (_SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(data)):
        canonical = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        canonical = canonical.encode("utf-8", "replace").decode("utf-8")
        return parse_availability_body(canonical)[0], canonical
    return buckets, text


def _has_lone_surrogate(data: Any) -> bool:
    """True if any string (key or value) holds a UTF-16 surrogate that UTF-8 cannot carry."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# --------------------------------------------------------------------------------------------
# The endpoint
# --------------------------------------------------------------------------------------------


def status_rank(status: str) -> tuple[int, str]:
    """Precedence when one answer lists an agent twice: BUSY > AVAILABLE > AWAY > other
    (alphabetically) > OFFLINE: the SQL macro status_rank (sql/migrations/004) in Python, for
    the metadata counted before anything is stored."""
    order = {"BUSY": 1, "AVAILABLE": 2, "AWAY": 3, "OFFLINE": 5}
    return order.get(status, 4), status


def agent_statuses(buckets: dict[str, list[dict]]) -> dict[str, str]:
    """One status per agent ID of one answer, by :func:`status_rank` (as snapshots stores it)."""
    chosen: dict[str, str] = {}
    for status, agents in buckets.items():
        for agent in agents:
            agent_id = agent.get("_id")
            if not isinstance(agent_id, str):
                continue
            held = chosen.get(agent_id)
            if held is None or status_rank(status) < status_rank(held):
                chosen[agent_id] = status
    return chosen


def status_tally(buckets: dict[str, list[dict]]) -> dict[str, int]:
    """Agents per bucket of one answer, each agent counted once (:func:`agent_statuses`);
    every bucket of the answer is a key, in the answer's order, even when it counts 0."""
    held = Counter(agent_statuses(buckets).values())
    return {status: held[status] for status in buckets}


def parse_availability_tally(text: str) -> tuple[dict[str, int], str]:
    """The endpoint's parser: :func:`parse_availability_body`, keeping only the tally.

    The parsed tree of a large answer is several times its text; it is dropped here, as soon
    as the answer is checked and counted, so a tick holds each answer's text only (packed,
    see :class:`ScopeResult`). Whoever needs the agents parses the text again.
    """
    buckets, stored = parse_availability_body(text)
    return status_tally(buckets), stored


def _settle(call: Call) -> ScopeResult:
    return ScopeResult.from_call(call)


AVAILABILITY = Endpoint(
    name="availability",
    method="POST",
    path="agents/availability",
    payload="an availability payload",
    parse=parse_availability_tally,
    settle=_settle,
)


def request_body(scope: Scope) -> dict[str, list[str]]:
    """The availability request body for ``scope``; the empty filter means every agent."""
    if scope.kind == "skill":
        return {"skillIds": [scope.ref_id]}
    if scope.kind == "queue":
        return {"queueIds": [scope.ref_id]}
    if scope.kind == "agents":
        return {"agentIds": list(scope.agent_ids)}
    return {}


def availability_request(scope: Scope) -> Request:
    """The request that asks about ``scope``."""
    return Request(key=scope.key, subject=f"scope {scope.key}", body=request_body(scope))


@dataclass
class ScopeResult:
    """One scope's outcome in a tick: what ``raw_responses`` and ``request_log`` record.

    The body is kept packed (``packed_body``, zlib) when it is large, and ``counts`` (agents
    per bucket, :func:`status_tally`) stands for the parsed answer, so a tick with many large
    answers holds little more than their packed text. ``body`` and ``buckets`` unpack and
    parse on each use.
    """

    scope_key: str
    requested_at: datetime
    answered_at: datetime | None
    observed_at: datetime | None
    attempts: int
    http_status: int | None
    latency_ms: float | None
    outcome: str
    error_kind: str | None
    error_text: str | None
    packed_body: str | bytes | None
    counts: dict[str, int] | None
    sends: list[datetime] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def body(self) -> str | None:
        """The body as stored (redacted; for a failure at most 4 KiB)."""
        return unpack(self.packed_body)

    @property
    def buckets(self) -> dict[str, list[dict]] | None:
        """The parsed answer (parsed again from the body on each use), None unless ok."""
        body = self.body
        if not self.ok or body is None:
            return None
        return parse_availability_body(body)[0]

    @classmethod
    def from_call(cls, call: Call) -> ScopeResult:
        """The row for a finished call of :data:`AVAILABILITY`."""
        return cls(
            scope_key=call.key,
            requested_at=call.requested_at,
            answered_at=call.answered_at,
            observed_at=call.observed_at,
            attempts=call.attempts,
            http_status=call.http_status,
            latency_ms=call.latency_ms,
            outcome=call.outcome or "error",
            error_kind=call.error_kind,
            error_text=call.error_text,
            packed_body=pack(call.body),
            counts=call.value if call.ok else None,
            sends=list(call.sends),
        )


class KoreAvailabilityClient(KoreClient):
    """Polls availability for a list of scopes, concurrently, within the account's budget."""

    async def poll(
        self, scopes: Sequence[Scope], priority: int = PRIORITY_AVAILABILITY
    ) -> list[ScopeResult]:
        """Ask about every scope concurrently; results come back in the order of ``scopes``.

        The whole poll ends within ``tick_deadline_s``: a scope that has not finished by then
        comes back with error_kind "deadline" so the next tick is never delayed. ``priority``
        is the request planner's (a drift check asks at PRIORITY_DRIFT).
        """
        requests = [availability_request(s) for s in scopes]
        return await self.call_many(AVAILABILITY, requests, priority=priority)

    def poll_sync(
        self, scopes: Sequence[Scope], priority: int = PRIORITY_AVAILABILITY
    ) -> list[ScopeResult]:
        """Blocking :meth:`poll` for Dagster ops; runs in a worker thread if a loop is running."""
        return run_sync(self.poll(scopes, priority))
