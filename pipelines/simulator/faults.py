"""Injected failures: the fault settings, the per-request draws, and the body mutations.

Tests and the demo need a Kore.ai that misbehaves on demand (errors, latency, cut-off or
reshaped bodies), deterministically enough to assert on: draws come from a seeded generator
and ``fail_first`` makes "fails, then recovers" exact.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipelines.simulator.model import BUCKETS

if TYPE_CHECKING:
    from pipelines.simulator.config import SimulatorConfig

__all__ = ["BODY_FAULTS", "FaultDraw", "FaultInjector", "Faults", "mutate"]

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
FAULT_FIELDS = (
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
            unknown = set(override) - set(FAULT_FIELDS)
            if unknown:
                raise ValueError(f"scopes[{key!r}] has unknown fault setting(s) {sorted(unknown)}")
            self.for_scope(key).validate()

    def for_scope(self, scope_key: str) -> Faults:
        """The faults a request for ``scope_key`` meets: the defaults and its overrides."""
        override = self.scopes.get(scope_key)
        if not override:
            return self
        values = {name: getattr(self, name) for name in FAULT_FIELDS}
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
class FaultDraw:
    """What one request meets."""

    latency_ms: float = 0.0
    error_status: int | None = None
    malformed: bool = False
    body: tuple[str, ...] = ()
    retry_after_s: float | None = 1.0
    auth_error: str = "jwt expired"


class FaultInjector:
    """Draws what each request meets from the live :class:`Faults`, and changes them safely.

    Handler threads share one instance: the seeded draws, the per-scope counts behind
    ``fail_first`` and every change of the settings go through one lock, so a draw never sees
    half of an update.
    """

    def __init__(self, config: SimulatorConfig):
        self._config = config  # ``config.faults``: the live settings, changed in place
        self._lock = threading.Lock()
        self._rng = random.Random(f"faults:{config.seed}")
        self._counts: dict[str, int] = {}

    def draw(self, scope_key: str = "all") -> FaultDraw:
        """One request's injected latency, error status (or None), malformed flag and body
        faults, for the scope it asks about."""
        with self._lock:
            faults = self._config.faults.for_scope(scope_key)
            latency = float(faults.latency_ms)
            if faults.fail_first:
                seen = self._counts.get(scope_key, 0) + 1
                self._counts[scope_key] = seen
                if seen > faults.fail_first:
                    return FaultDraw()
            error_status = None
            if faults.error_rates:
                draw, cumulative = self._rng.random(), 0.0
                for status, rate in sorted(faults.error_rates.items()):
                    cumulative += rate
                    if draw < cumulative:
                        error_status = status
                        break
            malformed = bool(faults.malformed_rate) and (self._rng.random() < faults.malformed_rate)
            return FaultDraw(
                latency_ms=latency,
                error_status=error_status,
                malformed=malformed,
                body=tuple(faults.body),
                retry_after_s=faults.retry_after_s,
                auth_error=faults.auth_error,
            )

    def update(self, update: dict[str, Any]) -> Faults:
        """Change some or all fault settings; validated before anything changes.

        Setting faults restarts the per-scope counts behind ``fail_first``.
        """
        if not isinstance(update, dict):
            raise ValueError("faults must be a JSON object")
        unknown = set(update) - {*FAULT_FIELDS, "scopes"}
        if unknown:
            raise ValueError(f"unknown fault setting(s): {sorted(unknown)}")
        with self._lock:
            current = self._config.faults
            values = {name: getattr(current, name) for name in (*FAULT_FIELDS, "scopes")}
            values.update(update)
            values["error_rates"] = _status_keys(values["error_rates"])
            if not isinstance(values["scopes"], dict):
                raise ValueError("scopes must be an object of scope key -> fault overrides")
            candidate = Faults(**values)
            candidate.validate()
            for name in (*FAULT_FIELDS, "scopes"):
                setattr(current, name, getattr(candidate, name))
            self._counts.clear()
            return current

    def document(self) -> dict[str, Any]:
        """The current fault settings as JSON."""
        with self._lock:
            return self._config.faults.to_dict()


def mutate(response: dict[str, list[dict[str, Any]]], faults: Iterable[str]) -> dict[str, Any]:
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
