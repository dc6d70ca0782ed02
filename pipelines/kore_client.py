"""Client for Kore.ai Agent AI's "Check Agent Availability Status" endpoint.

Each tick asks Kore.ai, one scope per request, which agents are AVAILABLE, BUSY, AWAY or OFFLINE.
The account's budget is 60 requests a minute, shared by every process that polls it, so every
attempt (retries included) passes through a :class:`RateLimiter` fed with the send times other
ticks recorded. A failed scope never raises: it comes back as a :class:`ScopeResult` whose
``error_text`` names the setting to fix, so one bad scope cannot sink the whole tick and the
landing table keeps a row that says why. Neither the client secret nor any JWT minted here ever
reaches a log line, an exception message or a recorded body.
"""

from __future__ import annotations

import asyncio
import bisect
import concurrent.futures
import email.utils
import json
import logging
import math
import os
import random
import re
import time
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import jwt

from pipelines.net import is_loopback_host
from pipelines.scopes import Scope

logger = logging.getLogger(__name__)

ALGORITHMS = ("HS256", "HS512")
WINDOW = timedelta(seconds=60)
MAX_ERROR_BODY_CHARS = 4096
# A v2 agent object is ~700 bytes: 128 MiB leaves room for ~180,000 agents in one answer while
# keeping a runaway body (a proxy streaming a file, say) from exhausting memory.
MAX_BODY_BYTES = 128 * 1024 * 1024
REDACTED = "***"
_JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_RATE_LIMIT_PATTERN = re.compile(r"rate.?limit|too many requests", re.IGNORECASE)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC: the warehouse stores every timestamp in UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class KoreError(Exception):
    """A Kore.ai call or setting went wrong; the message says what happened and what to fix.

    ``kind`` is the short label stored in ``raw_responses.error_kind``; ``hint`` is the part of
    the message that names the setting (environment variable) to change.
    """

    kind: str = "error"
    default_hint: str = ""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None):
        self.status = status
        self.hint = self.default_hint if hint is None else hint
        self.detail = message
        text = f"{message}. {self.hint}" if self.hint else message
        super().__init__(text)


class KoreConfigError(KoreError, ValueError):
    """A setting is missing or invalid; raised before any request is sent."""

    kind = "config"


class KoreAuthError(KoreError):
    """HTTP 401 on the JWT: wrong client ID, wrong secret or wrong signing algorithm."""

    kind = "auth"
    default_hint = (
        "Check KORE_CLIENT_ID and KORE_CLIENT_SECRET (the Client ID and Client Secret of the "
        "app's API scope) and KORE_JWT_ALGORITHM (HS256 or HS512, as configured on the app)"
    )


class KoreCredentialsError(KoreError):
    """Kore's code 4002 "Invalid SDK credentials": the credentials do not match the account."""

    kind = "credentials"
    default_hint = (
        "Check KORE_ACCOUNT_ID (the account the bot belongs to) and that KORE_CLIENT_ID / "
        "KORE_CLIENT_SECRET come from an API scope of that account"
    )


class KoreForbiddenError(KoreError):
    """HTTP 403: the token is valid but the API scope may not call this endpoint."""

    kind = "forbidden"
    default_hint = (
        "The API scope of KORE_CLIENT_ID must include the Contact Center scope 'Configuration' "
        "and must be published (App Settings > Dev Tools > API Scopes)"
    )


class KoreNotFoundError(KoreError):
    """HTTP 404: the bot ID or the host is wrong."""

    kind = "not_found"
    default_hint = (
        "Check KORE_BOT_ID (the bot/stream ID, st-...) and KORE_HOST (the region's platform "
        "host, e.g. https://platform.kore.ai)"
    )


class KoreRateLimitedError(KoreError):
    """The account's per-minute budget is used up (Kore answered 429, or our limiter refused)."""

    kind = "rate_limited"
    default_hint = (
        "The account allows 60 requests per minute, shared by every client of the account; "
        "lower KORE_RATE_LIMIT_PER_MINUTE or poll fewer scopes per tick"
    )


class KoreServerError(KoreError):
    """HTTP 5xx from Kore.ai, after the retries allowed by KORE_MAX_ATTEMPTS."""

    kind = "server"
    default_hint = "Kore.ai answered with a server error; retried up to KORE_MAX_ATTEMPTS times"


class KoreTimeoutError(KoreError):
    """No answer in time (connect or read timeout)."""

    kind = "timeout"
    default_hint = (
        "Check that KORE_HOST is reachable; KORE_CONNECT_TIMEOUT_SECONDS and "
        "KORE_READ_TIMEOUT_SECONDS bound each attempt"
    )


class KoreConnectionError(KoreError):
    """The connection failed or dropped before a whole answer arrived."""

    kind = "connection"
    default_hint = "Check KORE_HOST and the network path to it"


class KoreInvalidResponseError(KoreError):
    """The answer is not an availability payload (HTML page, truncated or wrongly shaped JSON).

    ``transient`` marks answers worth asking again (JSON cut short on the way); an HTML page
    or a wrongly shaped object would come back the same, so those fail at once.
    """

    kind = "invalid_response"
    default_hint = ""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        hint: str | None = None,
        transient: bool = False,
    ):
        super().__init__(message, status=status, hint=hint)
        self.transient = transient


class KoreBadRequestError(KoreError):
    """HTTP 400 (or another 4xx): Kore refused the request as built."""

    kind = "bad_request"
    default_hint = "Check KORE_ACCOUNT_ID and the scope's skill, queue or agent IDs"


class KoreDeadlineError(KoreError):
    """The tick's time ran out before the scope finished (``error_kind`` "deadline")."""

    kind = "deadline"
    default_hint = (
        "Raise KORE_TICK_DEADLINE_SECONDS (it must stay below the schedule interval), "
        "poll fewer scopes, or raise KORE_MAX_CONCURRENCY"
    )


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class KoreSettings:
    """Everything needed to call Kore.ai; built from environment variables by :meth:`from_env`.

    The secret is excluded from ``repr`` so a settings object can be logged or shown in a Dagster
    error without leaking it.
    """

    host: str
    bot_id: str
    account_id: str
    client_id: str
    client_secret: str = field(repr=False)
    algorithm: str = "HS256"
    jti_mode: bool = False
    token_ttl_s: int = 3600
    rate_limit_per_minute: int = 60
    # 32 was the fastest of 8/16/32/64 in benchmarks/bench_fanout.py (200 scopes, 150 ms each).
    max_concurrency: int = 32
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 20.0
    tick_deadline_s: float = 50.0
    max_attempts: int = 4
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 8.0
    allow_insecure_http: bool = False

    # Environment variable per field, so every validation message can name what to change.
    ENV_NAMES = {
        "host": "KORE_HOST",
        "bot_id": "KORE_BOT_ID",
        "account_id": "KORE_ACCOUNT_ID",
        "client_id": "KORE_CLIENT_ID",
        "client_secret": "KORE_CLIENT_SECRET",
        "algorithm": "KORE_JWT_ALGORITHM",
        "jti_mode": "KORE_JTI_MODE",
        "token_ttl_s": "KORE_TOKEN_TTL_SECONDS",
        "rate_limit_per_minute": "KORE_RATE_LIMIT_PER_MINUTE",
        "max_concurrency": "KORE_MAX_CONCURRENCY",
        "connect_timeout_s": "KORE_CONNECT_TIMEOUT_SECONDS",
        "read_timeout_s": "KORE_READ_TIMEOUT_SECONDS",
        "tick_deadline_s": "KORE_TICK_DEADLINE_SECONDS",
        "max_attempts": "KORE_MAX_ATTEMPTS",
        "backoff_base_s": "KORE_BACKOFF_BASE_SECONDS",
        "backoff_cap_s": "KORE_BACKOFF_CAP_SECONDS",
        "allow_insecure_http": "KORE_ALLOW_INSECURE_HTTP",
    }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> KoreSettings:
        """Read ``KORE_*`` variables (``os.environ`` by default) and validate them.

        Unset optional variables keep the defaults above; a value that does not parse raises
        :class:`KoreConfigError` naming the variable, never echoing the secret.
        """
        source = os.environ if env is None else env
        kwargs: dict[str, Any] = {}
        for name, var in cls.ENV_NAMES.items():
            raw = source.get(var)
            if raw is None:
                continue
            kwargs[name] = cls.parse_env_value(name, raw)
        for required in CONNECTION_FIELDS:
            kwargs.setdefault(required, "")
        settings = cls(**kwargs)
        settings.validate()
        return settings

    @classmethod
    def parse_env_value(cls, name: str, raw: str) -> Any:
        """One field's value from its environment variable's text, or an error naming it."""
        var = cls.ENV_NAMES[name]
        default = cls.__dataclass_fields__[name].default
        value = raw.strip()
        if isinstance(default, bool):
            if value.lower() in _TRUE:
                return True
            if value.lower() in _FALSE:
                return False
            raise KoreConfigError(f"{var} must be true or false, got {value!r}")
        if isinstance(default, int):
            try:
                return int(value)
            except ValueError:
                raise KoreConfigError(f"{var} must be a whole number, got {value!r}") from None
        if isinstance(default, float):
            try:
                return float(value)
            except ValueError:
                raise KoreConfigError(f"{var} must be a number of seconds, got {value!r}") from None
        if name == "client_secret":
            return raw.strip()
        return value

    def validate(self) -> None:
        """Refuse settings that could only fail later, with a message naming the variable."""
        env = self.ENV_NAMES
        for name in ("host", "bot_id", "account_id", "client_id", "client_secret"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise KoreConfigError(f"{env[name]} is empty; it is required to call Kore.ai")
        self._validate_host()
        if self.algorithm not in ALGORITHMS:
            raise KoreConfigError(
                f"KORE_JWT_ALGORITHM must be one of {', '.join(ALGORITHMS)} "
                f"(the app's JWT signing algorithm), got {self.algorithm!r}"
            )
        if not isinstance(self.token_ttl_s, int) or not 1 <= self.token_ttl_s <= 3600:
            raise KoreConfigError(
                "KORE_TOKEN_TTL_SECONDS must be between 1 and 3600 (Kore refuses a JTI token "
                f"whose exp is more than an hour after iat), got {self.token_ttl_s!r}"
            )
        for name in ("rate_limit_per_minute", "max_concurrency", "max_attempts"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise KoreConfigError(f"{env[name]} must be a whole number >= 1, got {value!r}")
        for name in ("connect_timeout_s", "read_timeout_s", "tick_deadline_s", "backoff_cap_s"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise KoreConfigError(f"{env[name]} must be a number of seconds > 0, got {value!r}")
        base = self.backoff_base_s
        if not isinstance(base, int | float) or not math.isfinite(base) or base < 0:
            raise KoreConfigError(
                f"KORE_BACKOFF_BASE_SECONDS must be a number of seconds >= 0, got {base!r}"
            )

    def _validate_host(self) -> None:
        host = self.host.strip()
        parts = urlsplit(host)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise KoreConfigError(
                "KORE_HOST must be an http(s) URL such as https://platform.kore.ai "
                f"(or https://de-platform.kore.ai, https://jp-platform.kore.ai), got {host!r}"
            )
        if parts.username or parts.password:
            raise KoreConfigError("KORE_HOST must not carry a user name or password")
        if parts.query or parts.fragment:
            raise KoreConfigError(f"KORE_HOST must not carry a query or fragment, got {host!r}")
        insecure = parts.scheme == "http" and not is_loopback_host(parts.hostname)
        if insecure and not self.allow_insecure_http:
            raise KoreConfigError(
                f"KORE_HOST {host!r} uses plain http:// to a host that is not this machine, "
                "which would send the JWT unencrypted; use https:// or set "
                "KORE_ALLOW_INSECURE_HTTP=true"
            )

    def endpoint(self) -> str:
        """The availability URL; the bot ID is quoted so it cannot alter the path."""
        base = self.host.strip().rstrip("/")
        bot = quote(self.bot_id.strip(), safe="")
        return f"{base}/agentassist/api/v1/public/{bot}/agents/availability"


# --------------------------------------------------------------------------------------------
# JWT
# --------------------------------------------------------------------------------------------


CONNECTION_FIELDS = ("host", "bot_id", "account_id", "client_id", "client_secret")


def connection_settings(env: Mapping[str, str]) -> dict[str, str]:
    """The five required connection fields from ``KORE_*`` variables (a simulator's ``env()``,
    say), named as both KoreSettings and the Dagster resource take them."""
    return {name: env[KoreSettings.ENV_NAMES[name]] for name in CONNECTION_FIELDS}


class TokenMinter:
    """Mints the ``auth`` JWT the way Kore.ai documents it.

    Without JTI enforcement Kore's own samples carry only ``appId`` (no iat/exp), so one token is
    minted and reused. With JTI enforcement every request needs a fresh ``jti`` and an ``exp`` at
    most an hour after ``iat``, so each call mints a new token. The last tokens minted are kept
    (bounded) so the client can scrub them from anything it records.
    """

    def __init__(self, settings: KoreSettings, clock: Callable[[], float] = time.time):
        self._settings = settings
        self._clock = clock
        self._cached: str | None = None
        self.minted: deque[str] = deque(maxlen=256)

    def _encode(self, payload: dict[str, Any]) -> str:
        with warnings.catch_warnings():
            # Kore issues the secret; its length is not ours to choose, so the short-key warning
            # would only be noise in every tick's log.
            category = getattr(jwt, "InsecureKeyLengthWarning", None)
            if category is not None:
                warnings.simplefilter("ignore", category)
            token = jwt.encode(
                payload, self._settings.client_secret, algorithm=self._settings.algorithm
            )
        self.minted.append(token)
        return token

    def token(self) -> str:
        """A token for the next request (fresh in JTI mode, cached otherwise)."""
        settings = self._settings
        if not settings.jti_mode:
            if self._cached is None:
                self._cached = self._encode({"appId": settings.client_id})
            return self._cached
        now = int(self._clock())
        return self._encode(
            {
                "appId": settings.client_id,
                "jti": uuid.uuid4().hex,
                "iat": now,
                "exp": now + settings.token_ttl_s,
            }
        )


# --------------------------------------------------------------------------------------------
# Rate limiting
# --------------------------------------------------------------------------------------------


class RateLimiter:
    """Sliding 60-second window over the account's sends, shared across ticks and processes.

    ``prior_sends`` are send times recorded by other ticks (the pipeline reads them from
    ``request_log``), so a tick only spends what is left of the account's minute. ``sends``
    lists what this limiter granted, for the caller to record in turn.
    """

    def __init__(
        self,
        limit_per_minute: int,
        prior_sends: Iterable[datetime] = (),
        clock: Callable[[], datetime] = _utcnow,
    ):
        if limit_per_minute < 1:
            raise KoreConfigError(
                f"KORE_RATE_LIMIT_PER_MINUTE must be >= 1, got {limit_per_minute!r}"
            )
        self.limit = limit_per_minute
        self._clock = clock
        self._window: list[datetime] = sorted(_as_utc(moment) for moment in prior_sends)
        self._hold_until: datetime | None = None
        self.sends: list[datetime] = []
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def _now(self, now: datetime | None = None) -> datetime:
        return _as_utc(now) if now is not None else _as_utc(self._clock())

    def _prune(self, now: datetime) -> None:
        cut = bisect.bisect_right(self._window, now - WINDOW)
        if cut:
            del self._window[:cut]

    def remaining(self, now: datetime | None = None) -> int:
        """Requests still allowed in the 60 seconds ending at ``now``."""
        moment = self._now(now)
        self._prune(moment)
        return max(0, self.limit - len(self._window))

    def hold_until(self, until: datetime) -> None:
        """Grant nothing before ``until``: Kore said (Retry-After) the account must wait."""
        until = _as_utc(until)
        if self._hold_until is None or until > self._hold_until:
            self._hold_until = until

    def _wait_seconds(self, now: datetime) -> float:
        self._prune(now)
        wait = 0.0
        excess = len(self._window) - self.limit
        if excess >= 0:
            wait = (self._window[excess] + WINDOW - now).total_seconds()
        if self._hold_until is not None:
            wait = max(wait, (self._hold_until - now).total_seconds())
        return wait

    def _get_lock(self) -> asyncio.Lock:
        # asyncio.Lock binds to the loop it first waits in; poll_sync runs a new loop per tick.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock = asyncio.Lock()
            self._lock_loop = loop
        return self._lock

    async def acquire(self, deadline: float) -> bool:
        """Wait for a free slot; False at once if none frees before ``deadline`` (monotonic)."""
        lock = self._get_lock()
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                await lock.acquire()
        except TimeoutError:
            return False
        try:
            for _ in range(1000):
                now = self._now()
                wait = self._wait_seconds(now)
                if wait <= 0:
                    bisect.insort(self._window, now)
                    self.sends.append(now)
                    return True
                if time.monotonic() + wait > deadline:
                    return False
                await asyncio.sleep(wait)
            return False
        finally:
            lock.release()


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def _kore_errors(text: str) -> list[tuple[str, Any]]:
    """(msg, code) pairs of Kore's ``{"errors": [{"msg", "code"}]}`` body, if that is the body."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    found: list[tuple[str, Any]] = []
    if isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list):
            for item in errors[:10]:
                if isinstance(item, dict):
                    found.append((str(item.get("msg", item.get("message", ""))), item.get("code")))
        for key in ("message", "error", "msg"):
            if isinstance(data.get(key), str):
                found.append((data[key], data.get("code")))
    return found


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_availability(text: str) -> dict[str, list[dict]]:
    """Validate and return the availability buckets, keeping every bucket and agent field.

    Custom statuses and future fields must survive untouched (the warehouse keeps them), so
    nothing is dropped; only what would break downstream code is refused.
    """
    return parse_availability_body(text)[0]


def parse_availability_body(text: str) -> tuple[dict[str, list[dict]], str]:
    """The buckets and the body text to store: the text itself, unless it must be rewritten.

    The warehouse derives its tables from the stored text in DuckDB, whose JSON reader is
    stricter than Python's in two ways that would make the whole tick's write fail: repeated
    keys and lone UTF-16 surrogates. A body with either is re-serialized from the parsed
    object (repeated bucket keys merged, a lone surrogate replaced), so one odd answer can never
    sink the other scopes of its tick. Any other body is kept byte for byte.
    """
    stripped = text.lstrip()
    if stripped.startswith("<"):
        raise KoreInvalidResponseError(
            "the body is an HTML page, not JSON (a proxy, login or error page?)",
            hint="Check KORE_HOST points at the Kore.ai platform host",
        )
    repeated: list[str] = []

    def merge_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for key, value in pairs:
            if key in merged:
                repeated.append(key)
                if isinstance(merged[key], list) and isinstance(value, list):
                    merged[key] = merged[key] + value
                    continue
            merged[key] = value
        return merged

    try:
        data = json.loads(text, object_pairs_hook=merge_pairs, parse_constant=_reject_constant)
    except RecursionError:
        raise KoreInvalidResponseError(
            f"the body nests too deeply to be an availability payload ({len(text)} characters)"
        ) from None
    except json.JSONDecodeError as exc:
        raise KoreInvalidResponseError(
            f"the body is not valid JSON ({exc.msg} at character {exc.pos}; {len(text)} "
            "characters, possibly truncated)",
            hint=(
                "Retried up to KORE_MAX_ATTEMPTS times; if every answer is cut short, check "
                "KORE_HOST and any proxy between here and Kore.ai"
            ),
            transient=True,
        ) from None
    except ValueError as exc:  # NaN or Infinity: parsed by Python, refused by JSON readers
        raise KoreInvalidResponseError(f"the body is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise KoreInvalidResponseError(
            f"expected a JSON object of status buckets, got {type(data).__name__}"
        )
    errors = _kore_errors(text) if "errors" in data else []
    if errors:
        raise KoreInvalidResponseError(
            "the body is a Kore.ai error, not availability: "
            + "; ".join(f"{msg} (code {code})" for msg, code in errors)
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
# Results
# --------------------------------------------------------------------------------------------


@dataclass
class ScopeResult:
    """One scope's outcome in a tick: what ``raw_responses`` and ``request_log`` record."""

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
    body: str | None
    buckets: dict[str, list[dict]] | None
    sends: list[datetime] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@dataclass
class _ScopeState:
    """What a scope's attempts have gathered so far; a deadline can cut in at any point."""

    scope_key: str
    requested_at: datetime
    attempts: int = 0
    answered_at: datetime | None = None
    http_status: int | None = None
    latency_ms: float | None = None
    body: str | None = None
    sends: list[datetime] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    last_error: KoreError | None = None


@dataclass
class _Retry:
    """A failed attempt and how long to wait before the next one (None: do not retry)."""

    error: KoreError
    wait_s: float | None
    immediate_once: bool = False


# --------------------------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------------------------


class KoreAvailabilityClient:
    """Polls availability for a list of scopes, concurrently, within the account's budget."""

    def __init__(
        self,
        settings: KoreSettings,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        settings.validate()
        self.settings = settings
        self.limiter = limiter or RateLimiter(settings.rate_limit_per_minute)
        self._transport = transport
        self._minter = TokenMinter(settings)
        self._random = random.Random()
        self._url = settings.endpoint()
        self._path = urlsplit(self._url).path

    # ---- public API --------------------------------------------------------------------------

    async def fetch(self, scope: Scope) -> ScopeResult:
        """Ask about one scope (with retries) in a client of its own; never raises API errors."""
        results = await self.poll([scope])
        return results[0]

    async def poll(self, scopes: Sequence[Scope]) -> list[ScopeResult]:
        """Ask about every scope concurrently; results come back in the order of ``scopes``.

        The whole poll ends within ``tick_deadline_s``: a scope that has not finished by then
        comes back with error_kind "deadline" so the next tick is never delayed.
        """
        if not scopes:
            return []
        settings = self.settings
        started = time.monotonic()
        hard_deadline = started + settings.tick_deadline_s
        # Leave a sliver so specific reasons (rate_limited, timeout) win over the backstop.
        deadline = hard_deadline - min(0.1, settings.tick_deadline_s * 0.05)
        semaphore = asyncio.Semaphore(settings.max_concurrency)
        async with self._http_client() as http:
            return list(
                await asyncio.gather(
                    *(
                        self._run_scope(http, scope, deadline, hard_deadline, semaphore)
                        for scope in scopes
                    )
                )
            )

    def poll_sync(self, scopes: Sequence[Scope]) -> list[ScopeResult]:
        """Blocking :meth:`poll` for Dagster ops; runs in a worker thread if a loop is running."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.poll(scopes))
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, self.poll(scopes)).result()

    # ---- internals -----------------------------------------------------------------------------

    def _http_client(self) -> httpx.AsyncClient:
        settings = self.settings
        limits = httpx.Limits(
            max_connections=settings.max_concurrency,
            max_keepalive_connections=settings.max_concurrency,
        )
        timeout = httpx.Timeout(
            connect=settings.connect_timeout_s,
            read=settings.read_timeout_s,
            write=settings.read_timeout_s,
            pool=settings.tick_deadline_s,
        )
        hostname = urlsplit(self._url).hostname or ""
        return httpx.AsyncClient(
            transport=self._transport,
            limits=limits,
            timeout=timeout,
            follow_redirects=False,
            # Proxy variables must not divert loopback traffic (simulator, tests).
            trust_env=not is_loopback_host(hostname),
        )

    async def _run_scope(
        self,
        http: httpx.AsyncClient,
        scope: Scope,
        deadline: float,
        hard_deadline: float,
        semaphore: asyncio.Semaphore,
    ) -> ScopeResult:
        state = _ScopeState(scope_key=scope.key, requested_at=_utcnow())
        try:
            async with asyncio.timeout(max(0.0, hard_deadline - time.monotonic())):
                async with semaphore:
                    return await self._attempt_loop(http, scope, deadline, state)
        except TimeoutError:
            pass
        return self._failure(state, self._deadline_error(scope, state))

    def _deadline_error(self, scope: Scope, state: _ScopeState) -> KoreDeadlineError:
        waited = "before it could be sent" if state.attempts == 0 else "before it finished"
        previous = f"; last error: {state.last_error.detail}" if state.last_error else ""
        return KoreDeadlineError(
            f"scope {scope.key}: the tick deadline (KORE_TICK_DEADLINE_SECONDS="
            f"{self.settings.tick_deadline_s:g}) passed {waited}, after {state.attempts} "
            f"attempt(s){previous}"
        )

    async def _attempt_loop(
        self, http: httpx.AsyncClient, scope: Scope, deadline: float, state: _ScopeState
    ) -> ScopeResult:
        settings = self.settings
        reminted = False
        # Bounded: max_attempts attempts plus at most one immediate re-mint retry.
        for _ in range(settings.max_attempts + 1):
            if time.monotonic() >= deadline:
                return self._failure(state, self._deadline_error(scope, state))
            if not await self.limiter.acquire(deadline):
                previous = f"; last error: {state.last_error.detail}" if state.last_error else ""
                error = KoreRateLimitedError(
                    f"scope {scope.key}: the request budget for account {settings.account_id} "
                    f"(KORE_RATE_LIMIT_PER_MINUTE={self.limiter.limit}) is used up for this "
                    f"minute and no slot frees before the tick deadline ({state.attempts} "
                    f"attempt(s) sent{previous})",
                    status=state.http_status,
                    hint=(
                        "Requests by other ticks count too, and the scope is left for a later "
                        "tick; poll fewer scopes, or raise KORE_RATE_LIMIT_PER_MINUTE only if "
                        "Kore.ai allows the account more"
                    ),
                )
                return self._failure(state, error)
            outcome = await self._attempt(http, scope, deadline, state)
            if isinstance(outcome, ScopeResult):
                return outcome
            state.last_error = outcome.error
            if outcome.wait_s is None:
                return self._failure(state, outcome.error)
            if outcome.immediate_once:
                if reminted:
                    return self._failure(state, outcome.error)
                reminted = True
                logger.info("kore availability %s: token expired, minting a new one", scope.key)
                continue
            if state.attempts >= settings.max_attempts:
                return self._failure(state, outcome.error)
            wait = outcome.wait_s
            if time.monotonic() + wait >= deadline:
                error = type(outcome.error)(
                    f"{outcome.error.detail}; no retry: waiting {wait:.1f} s would pass the tick "
                    f"deadline (KORE_TICK_DEADLINE_SECONDS={settings.tick_deadline_s:g})",
                    status=outcome.error.status,
                    hint=outcome.error.hint,
                )
                return self._failure(state, error)
            logger.info(
                "kore availability %s: attempt %d failed (%s, HTTP %s); retrying in %.2f s",
                scope.key,
                state.attempts,
                outcome.error.kind,
                state.http_status,
                wait,
            )
            await asyncio.sleep(wait)
        return self._failure(state, state.last_error or KoreServerError("no attempt succeeded"))

    def _backoff(self, attempt: int) -> float:
        """Capped exponential backoff with full jitter, so retries from many scopes spread out."""
        settings = self.settings
        ceiling = min(settings.backoff_cap_s, settings.backoff_base_s * (2 ** max(0, attempt - 1)))
        return self._random.uniform(0.0, ceiling)

    def _headers(self, token: str) -> dict[str, str]:
        return {
            "auth": token,
            "accountId": self.settings.account_id,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    async def _attempt(
        self, http: httpx.AsyncClient, scope: Scope, deadline: float, state: _ScopeState
    ) -> ScopeResult | _Retry:
        settings = self.settings
        token = self._minter.token()
        state.tokens.add(token)
        content = json.dumps(scope.request_body()).encode("utf-8")
        remaining = max(0.001, deadline - time.monotonic())
        timeout = httpx.Timeout(
            connect=min(settings.connect_timeout_s, remaining),
            read=min(settings.read_timeout_s, remaining),
            write=min(settings.read_timeout_s, remaining),
            pool=remaining,
        )
        sent_at = _utcnow()
        if state.attempts == 0:
            state.requested_at = sent_at
        state.attempts += 1
        state.sends.append(sent_at)
        started = time.monotonic()
        logger.debug("kore availability %s: attempt %d sent", scope.key, state.attempts)
        try:
            async with http.stream(
                "POST", self._url, headers=self._headers(token), content=content, timeout=timeout
            ) as response:
                raw = await self._read_capped(response)
                status = response.status_code
                headers = response.headers
                charset = response.charset_encoding or "utf-8"
        except httpx.TimeoutException as exc:
            state.latency_ms = (time.monotonic() - started) * 1000
            phase = "connect" if isinstance(exc, httpx.ConnectTimeout) else "answer"
            what = "could not connect to" if phase == "connect" else "got no answer from"
            if time.monotonic() >= deadline - 0.01:
                error: KoreError = KoreDeadlineError(
                    f"scope {scope.key}: {what} {self._host_label()} before the tick deadline "
                    f"(KORE_TICK_DEADLINE_SECONDS={settings.tick_deadline_s:g}; attempt "
                    f"{state.attempts})"
                )
                return _Retry(error, None)
            setting = (
                f"KORE_CONNECT_TIMEOUT_SECONDS={settings.connect_timeout_s:g}"
                if phase == "connect"
                else f"KORE_READ_TIMEOUT_SECONDS={settings.read_timeout_s:g}"
            )
            error = KoreTimeoutError(
                f"scope {scope.key}: {what} {self._host_label()} within {setting} "
                f"(attempt {state.attempts})"
            )
            return _Retry(error, self._backoff(state.attempts))
        except _BodyTooLarge:
            state.latency_ms = (time.monotonic() - started) * 1000
            error = KoreInvalidResponseError(
                f"scope {scope.key}: the answer is larger than {MAX_BODY_BYTES} bytes; "
                "not an availability payload",
                hint="Check KORE_HOST",
            )
            return _Retry(error, None)
        except httpx.DecodingError as exc:
            state.latency_ms = (time.monotonic() - started) * 1000
            error = KoreInvalidResponseError(
                f"scope {scope.key}: the answer could not be decoded ({exc})"
            )
            return _Retry(error, None)
        except httpx.RequestError as exc:
            state.latency_ms = (time.monotonic() - started) * 1000
            error = KoreConnectionError(
                f"scope {scope.key}: the connection to {self._host_label()} failed "
                f"({type(exc).__name__}: {exc or 'no detail'}; attempt {state.attempts})"
            )
            return _Retry(error, self._backoff(state.attempts))

        received_at = _utcnow()
        latency_ms = (time.monotonic() - started) * 1000
        # A success body is data: only exact secrets long enough not to collide with it go.
        text = self._scrub(raw.decode(charset, errors="replace"), state, data=True)
        state.answered_at = received_at
        state.http_status = status
        state.latency_ms = latency_ms
        logger.debug(
            "kore availability %s: attempt %d answered HTTP %d in %.0f ms",
            scope.key,
            state.attempts,
            status,
            latency_ms,
        )

        if 200 <= status < 300:
            state.body = text
            try:
                buckets, text = parse_availability_body(text)
            except KoreInvalidResponseError as exc:
                content_type = headers.get("content-type", "unknown content type")
                error = KoreInvalidResponseError(
                    f"scope {scope.key}: HTTP {status} answer ({content_type}) from "
                    f"{self._path} is not an availability payload: {exc.detail} (attempt "
                    f"{state.attempts})",
                    status=status,
                    hint=exc.hint or "Check KORE_HOST points at the Kore.ai platform host",
                    transient=exc.transient,
                )
                # A body cut short is worth another try; a page or a wrong shape is not.
                return _Retry(error, self._backoff(state.attempts) if exc.transient else None)
            return ScopeResult(
                scope_key=scope.key,
                requested_at=state.requested_at,
                answered_at=received_at,
                observed_at=sent_at + (received_at - sent_at) / 2,
                attempts=state.attempts,
                http_status=status,
                latency_ms=latency_ms,
                outcome="ok",
                error_kind=None,
                error_text=None,
                body=text,
                buckets=buckets,
                sends=list(state.sends),
            )

        state.body = self._scrub(text, state)[:MAX_ERROR_BODY_CHARS]
        return self._classify(scope, status, headers, text, state)

    async def _read_capped(self, response: httpx.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _BodyTooLarge()
            chunks.append(chunk)
        return b"".join(chunks)

    def _host_label(self) -> str:
        parts = urlsplit(self._url)
        return f"KORE_HOST {parts.scheme}://{parts.netloc}"

    def _classify(
        self,
        scope: Scope,
        status: int,
        headers: httpx.Headers,
        text: str,
        state: _ScopeState,
    ) -> _Retry:
        """Map a non-2xx answer to an error and decide whether (and when) to retry."""
        settings = self.settings
        errors = _kore_errors(text)
        messages = "; ".join(msg for msg, _ in errors if msg)
        if not messages:
            snippet = " ".join(self._scrub(text, state).split())[:200]
            messages = snippet or "empty body"
        said = f"HTTP {status}: {messages}"
        codes = {str(code) for _, code in errors}
        retry_after = _retry_after_seconds(headers.get("retry-after"))

        if "4002" in codes:
            return _Retry(
                KoreCredentialsError(
                    f"scope {scope.key}: Kore.ai refused the credentials ({said}, code 4002) "
                    f"for account {settings.account_id}",
                    status=status,
                ),
                None,
            )
        if status == 429 or (400 <= status < 500 and _RATE_LIMIT_PATTERN.search(messages)):
            if retry_after is not None:
                self.limiter.hold_until(_utcnow() + timedelta(seconds=retry_after))
            wait = retry_after if retry_after is not None else self._backoff(state.attempts)
            told = f"Retry-After {retry_after:g} s" if retry_after is not None else "no Retry-After"
            return _Retry(
                KoreRateLimitedError(
                    f"scope {scope.key}: Kore.ai's per-minute rate limit was hit ({said}; "
                    f"{told}; attempt {state.attempts})",
                    status=status,
                ),
                wait,
            )
        if status == 401:
            lowered = messages.lower()
            hint = None
            if "jti" in lowered or "replay" in lowered:
                hint = (
                    KoreAuthError.default_hint
                    + "; the app enforces JTI, so set KORE_JTI_MODE=true" * (not settings.jti_mode)
                )
            error = KoreAuthError(
                f"scope {scope.key}: Kore.ai rejected the JWT ({said})", status=status, hint=hint
            )
            # In JTI mode every token is fresh, so "expired" (clock skew, a slow queue) and
            # "replay" (a jti collision) are both cured by minting another token, once.
            if settings.jti_mode and ("expired" in lowered or "replay" in lowered):
                return _Retry(error, 0.0, immediate_once=True)
            return _Retry(error, None)
        if status == 403:
            return _Retry(
                KoreForbiddenError(
                    f"scope {scope.key}: Kore.ai refused access to {self._path} ({said})",
                    status=status,
                ),
                None,
            )
        if status == 404:
            return _Retry(
                KoreNotFoundError(
                    f"scope {scope.key}: {self._host_label()} has no {self._path} ({said})",
                    status=status,
                ),
                None,
            )
        if 500 <= status < 600:
            wait = retry_after if retry_after is not None else self._backoff(state.attempts)
            return _Retry(
                KoreServerError(
                    f"scope {scope.key}: Kore.ai answered {said} (attempt {state.attempts} of "
                    f"KORE_MAX_ATTEMPTS={settings.max_attempts})",
                    status=status,
                ),
                wait,
            )
        if 300 <= status < 400:
            location = headers.get("location", "")
            return _Retry(
                KoreInvalidResponseError(
                    f"scope {scope.key}: HTTP {status} redirect to {location or 'nowhere'} from "
                    f"{self._path}; the client does not follow redirects",
                    status=status,
                    hint="Set KORE_HOST to the final https:// platform host",
                ),
                None,
            )
        hint = None
        if "accountid" in messages.lower().replace(" ", ""):
            hint = "Check KORE_ACCOUNT_ID: Kore.ai needs the account ID in the accountId header"
        return _Retry(
            KoreBadRequestError(
                f"scope {scope.key}: Kore.ai refused the request ({said}; body "
                f"{json.dumps(scope.request_body())})",
                status=status,
                hint=hint,
            ),
            None,
        )

    def _scrub(self, text: str, state: _ScopeState | None = None, *, data: bool = False) -> str:
        """Replace the secret and every token this client minted with ``***``.

        Error texts also lose anything shaped like a JWT. In a success body (``data``) only
        exact matches are replaced, and a secret shorter than 8 characters is left alone there,
        since replacing it would corrupt agent data that merely contains the same letters.
        """
        secrets = {self.settings.client_secret, *self._minter.minted}
        if state is not None:
            secrets |= state.tokens
        for secret in sorted((s for s in secrets if s), key=len, reverse=True):
            if data and len(secret) < 8:
                continue
            if secret in text:
                text = text.replace(secret, REDACTED)
        if not data:
            text = _JWT_PATTERN.sub(REDACTED, text)
        return text

    def _failure(self, state: _ScopeState, error: KoreError) -> ScopeResult:
        message = self._scrub(str(error), state)
        # A scope deferred by our own budget before any send is routine, not a warning.
        deferred = state.attempts == 0 and error.kind == "rate_limited"
        level = logging.INFO if deferred else logging.WARNING
        logger.log(level, "kore availability %s failed: %s", state.scope_key, message)
        return ScopeResult(
            scope_key=state.scope_key,
            requested_at=state.requested_at,
            answered_at=state.answered_at,
            observed_at=None,
            attempts=state.attempts,
            http_status=state.http_status,
            latency_ms=state.latency_ms,
            outcome="error",
            error_kind=error.kind,
            error_text=message,
            body=self._scrub(state.body, state)[:MAX_ERROR_BODY_CHARS] if state.body else None,
            buckets=None,
            sends=list(state.sends),
        )


class _BodyTooLarge(Exception):
    """The body exceeded MAX_BODY_BYTES; reading stops so memory stays bounded."""


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or HTTP date), or None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = (_as_utc(when) - _utcnow()).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
