"""Tests of the Kore.ai availability client.

Most tests talk to the Kore-compatible simulator running as a real HTTP server on 127.0.0.1;
behaviour the simulator cannot produce (a connection dropped mid-body, an HTML page with 200, a
429 without Retry-After, an expired JTI token) goes through ``httpx.MockTransport``. Every test
is bounded by small deadlines and backoffs, so the file runs in seconds.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit

import httpx
import jwt
import pytest

from pipelines.kore import (
    KoreAuthError,
    KoreAvailabilityClient,
    KoreConfigError,
    KoreError,
    KoreInvalidResponseError,
    KoreServerError,
    KoreSettings,
    RateLimiter,
    ScopeResult,
    parse_availability_body,
)
from pipelines.kore.auth import TokenMinter
from pipelines.kore.availability import AVAILABILITY, request_body
from pipelines.kore.retry import RETRY_TABLE, Wait, parse_retry_after, wait_rule, wait_seconds
from pipelines.scopes import Scope
from pipelines.simulator import (
    QUEUES,
    SKILLS,
    Faults,
    SimulatorConfig,
    SimulatorServer,
    StatusCounts,
)
from tests.support.kore import parse_availability

SECRET = "simulated-client-secret-for-the-kore-compatible-simulator-only-00001"
CLIENT_ID = "cs-simulated-client"
# A fixed instant for the model, so the client's answer can be compared with the truth exactly.
FIXED_AT = datetime(2024, 3, 12, 15, 7, 30, tzinfo=UTC)

# Several tests sign with deliberately short secrets; PyJWT's advisory about them is noise.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


@contextmanager
def running(clock_at: datetime | None = None, **overrides: Any) -> Iterator[SimulatorServer]:
    """A simulator on 127.0.0.1 (small roster by default), stopped when the block ends."""
    overrides.setdefault("agents", 40)
    overrides.setdefault("seed", 11)
    clock: Callable[[], datetime] | None = (lambda: clock_at) if clock_at else None
    server = SimulatorServer(SimulatorConfig(**overrides), clock=clock)
    with server:
        yield server


def settings_for(server: SimulatorServer | None = None, **overrides: Any) -> KoreSettings:
    """Client settings pointing at ``server`` (or a dummy loopback host for mock transports)."""
    base = {
        "host": server.base_url if server else "http://127.0.0.1:9",
        "bot_id": "st-simulated-bot",
        "account_id": "sim-account",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "tick_deadline_s": 10.0,
        "backoff_base_s": 0.01,
        "backoff_cap_s": 0.05,
    }
    base.update(overrides)
    return KoreSettings(**base)


def skill(ref: str) -> Scope:
    return Scope(kind="skill", ref_id=ref, name=SKILLS.get(ref, ref))


def queue(ref: str) -> Scope:
    return Scope(kind="queue", ref_id=ref, name=QUEUES[ref][0] if ref in QUEUES else ref)


ALL = Scope(kind="all", ref_id="", name="All agents")


def agent_ids(result: ScopeResult) -> list[str]:
    assert result.buckets is not None
    return sorted(agent["_id"] for agents in result.buckets.values() for agent in agents)


def mock_client(
    handler: Callable[[httpx.Request], httpx.Response], **overrides: Any
) -> KoreAvailabilityClient:
    return KoreAvailabilityClient(
        settings_for(None, **overrides), transport=httpx.MockTransport(handler)
    )


def ok_body() -> dict[str, Any]:
    return {
        "AVAILABLE": [{"_id": "a-1", "userId": "u-1", "firstName": "Jane"}],
        "BUSY": [],
        "OFFLINE": [],
        "AWAY": [],
    }


def served_after(server: SimulatorServer, requests: int) -> StatusCounts:
    """The server's per-status counts once ``requests`` have been counted.

    The simulator counts a request after writing its answer, so the client can finish before
    the count lands; wait for it instead of racing it. The bound only ends a broken run: a
    count that lands returns at once, however slow the machine.
    """
    give_up = time.monotonic() + 30
    while time.monotonic() < give_up:
        served = server.requests_served
        if served.total >= requests:
            return served
        time.sleep(0.01)
    return server.requests_served


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every non-zero ``asyncio.sleep`` the code under test asks for, in seconds: how long
    the client chose to wait, read from what it asked for rather than from a stopwatch."""
    real_sleep = asyncio.sleep
    asked: list[float] = []

    async def recording_sleep(delay: float, result: Any = None) -> Any:
        if delay > 0:
            asked.append(delay)
        return await real_sleep(delay, result)

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    return asked


AVAILABILITY_ROUTE = urlsplit(settings_for().api_url(AVAILABILITY.path)).path
# How long a held request waits at most: only a broken run ever gets there.
HOLD_S = 30.0


class HeldServer:
    """An availability server on 127.0.0.1 that answers only when the test lets it.

    By default every request waits for ``release`` (set when the block ends). With
    ``together=N`` each request waits until N requests are held at once, so only a client
    that really has N in flight gets any answer. ``arrived`` counts the requests.
    """

    def __init__(self, together: int = 0) -> None:
        self.release = threading.Event()
        self.barrier = threading.Barrier(together) if together else None
        self.arrived = 0
        self._lock = threading.Lock()
        self._httpd = _QueueingServer(("127.0.0.1", 0), _held_handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def hold(self) -> bool:
        """Block one request as configured; True if it may be answered."""
        with self._lock:
            self.arrived += 1
        if self.barrier is not None:
            try:
                self.barrier.wait(timeout=HOLD_S)
            except threading.BrokenBarrierError:
                return False
            return True
        return self.release.wait(timeout=HOLD_S)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        if self.barrier is not None:
            self.barrier.abort()
        self._httpd.shutdown()
        self._httpd.server_close()


class _QueueingServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # every concurrent connect is accepted, none waits for a SYN retry


def _held_handler(server: HeldServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if urlsplit(self.path).path != AVAILABILITY_ROUTE or not server.hold():
                status, answer = 503, {"errors": [{"msg": "not answered", "code": 503}]}
            else:
                status, answer = 200, ok_body()
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up on this request (its deadline): nobody to answer

    return Handler


def find_instant_with(server: SimulatorServer, bucket: str) -> datetime:
    """An instant at which the model has someone in ``bucket`` (bounded scan of one day)."""
    for minutes in range(0, 24 * 60, 7):
        at = FIXED_AT + timedelta(minutes=minutes)
        if server.simulator.availability({}, at).get(bucket):
            return at
    raise AssertionError(f"no agent in {bucket} within a day")


# --------------------------------------------------------------------------------------------
# JWT
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["HS256", "HS512"])
def test_token_carries_only_app_id_and_is_cached(algorithm: str) -> None:
    minter = TokenMinter(settings_for(algorithm=algorithm))
    token = minter.token()
    assert jwt.get_unverified_header(token)["alg"] == algorithm
    claims = jwt.decode(token, SECRET, algorithms=[algorithm])
    assert claims == {"appId": CLIENT_ID}
    assert minter.token() == token  # Kore's sample tokens have no exp: mint once, reuse


def test_jti_mode_mints_a_fresh_token_per_request() -> None:
    minter = TokenMinter(settings_for(jti_mode=True, token_ttl_s=600, algorithm="HS512"))
    tokens = [minter.token() for _ in range(5)]
    claims = [jwt.decode(t, SECRET, algorithms=["HS512"]) for t in tokens]
    assert len({c["jti"] for c in claims}) == 5
    now = time.time()
    for claim in claims:
        assert claim["appId"] == CLIENT_ID
        assert 0 < claim["exp"] - claim["iat"] <= 3600
        assert claim["exp"] - claim["iat"] == 600
        assert abs(claim["iat"] - now) < 5


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"host": ""}, "KORE_HOST"),
        ({"host": "platform.kore.ai"}, "KORE_HOST"),
        ({"host": "ftp://platform.kore.ai"}, "KORE_HOST"),
        ({"bot_id": " "}, "KORE_BOT_ID"),
        ({"account_id": ""}, "KORE_ACCOUNT_ID"),
        ({"client_id": ""}, "KORE_CLIENT_ID"),
        ({"client_secret": ""}, "KORE_CLIENT_SECRET"),
        ({"algorithm": "RS256"}, "KORE_JWT_ALGORITHM"),
        ({"algorithm": "none"}, "KORE_JWT_ALGORITHM"),
        ({"jti_mode": True, "token_ttl_s": 3601}, "KORE_TOKEN_TTL_SECONDS"),
        ({"token_ttl_s": 0}, "KORE_TOKEN_TTL_SECONDS"),
        ({"rate_limit_per_minute": 0}, "KORE_RATE_LIMIT_PER_MINUTE"),
        ({"max_concurrency": 0}, "KORE_MAX_CONCURRENCY"),
        ({"max_attempts": 0}, "KORE_MAX_ATTEMPTS"),
        ({"tick_deadline_s": 0}, "KORE_TICK_DEADLINE_SECONDS"),
        ({"read_timeout_s": -1.0}, "KORE_READ_TIMEOUT_SECONDS"),
        ({"host": "http://platform.kore.ai"}, "KORE_ALLOW_INSECURE_HTTP"),
    ],
)
def test_settings_validation_names_the_variable(overrides: dict[str, Any], variable: str) -> None:
    with pytest.raises(KoreConfigError) as caught:
        settings_for(**overrides).validate()
    assert variable in str(caught.value)
    assert SECRET not in str(caught.value)


def test_plain_http_only_to_loopback_unless_allowed() -> None:
    for host in ("http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765"):
        settings_for(host=host).validate()
    with pytest.raises(KoreConfigError, match="KORE_HOST"):
        settings_for(host="http://10.0.0.5").validate()
    settings_for(host="http://kore.internal", allow_insecure_http=True).validate()
    settings_for(host="https://de-platform.kore.ai").validate()


def test_secret_never_in_repr_and_endpoint_quotes_bot_id() -> None:
    settings = settings_for(host="https://platform.kore.ai/", bot_id="st-a/b")
    assert SECRET not in repr(settings) and SECRET not in str(settings)
    assert settings.api_url(AVAILABILITY.path) == (
        "https://platform.kore.ai/agentassist/api/v1/public/st-a%2Fb/agents/availability"
    )


def test_settings_from_env() -> None:
    env = {
        "KORE_HOST": "https://platform.kore.ai",
        "KORE_BOT_ID": "st-1",
        "KORE_ACCOUNT_ID": "acc",
        "KORE_CLIENT_ID": "cs-1",
        "KORE_CLIENT_SECRET": "s3cret-value",
        "KORE_JWT_ALGORITHM": "HS512",
        "KORE_JTI_MODE": "true",
        "KORE_RATE_LIMIT_PER_MINUTE": "30",
    }
    settings = KoreSettings.from_env(env)
    assert (settings.algorithm, settings.jti_mode, settings.rate_limit_per_minute) == (
        "HS512",
        True,
        30,
    )
    with pytest.raises(KoreConfigError, match="KORE_MAX_ATTEMPTS"):
        KoreSettings.from_env({**env, "KORE_MAX_ATTEMPTS": "many"})
    with pytest.raises(KoreConfigError, match="KORE_CLIENT_SECRET"):
        KoreSettings.from_env({k: v for k, v in env.items() if k != "KORE_CLIENT_SECRET"})


# --------------------------------------------------------------------------------------------
# Requests as sent
# --------------------------------------------------------------------------------------------


def test_request_headers_and_body_exactly() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=ok_body())

    client = mock_client(handler, bot_id="st-bot-1", account_id="acc-9")
    result = client.poll_sync([skill("sk-sales")])
    assert result[0].ok, result[0].error_text
    (request,) = seen
    assert request.method == "POST"
    assert request.url.path == "/agentassist/api/v1/public/st-bot-1/agents/availability"
    assert request.headers["accountId"] == "acc-9"
    assert request.headers["Content-Type"] == "application/json"
    assert "authorization" not in request.headers
    claims = jwt.decode(request.headers["auth"], SECRET, algorithms=["HS256"])
    assert claims == {"appId": CLIENT_ID}
    assert json.loads(request.content) == {"skillIds": ["sk-sales"]}


def test_request_bodies_ask_one_scope_each() -> None:
    assert request_body(Scope("all", "", "All")) == {}
    assert request_body(Scope("skill", "sk-1", "S")) == {"skillIds": ["sk-1"]}
    assert request_body(Scope("queue", "qu-1", "Q")) == {"queueIds": ["qu-1"]}
    team = Scope("agents", "team-a", "Team A", ("a-1", "a-2"))
    assert request_body(team) == {"agentIds": ["a-1", "a-2"]}


def test_settings_from_the_simulators_env_reach_it(
    simulator: SimulatorServer, kore_env: dict[str, str]
) -> None:
    client = KoreAvailabilityClient(KoreSettings.from_env(kore_env))
    (result,) = client.poll_sync([queue("qu-retention")])
    assert result.ok, result.error_text
    assert agent_ids(result) == sorted(simulator.simulator.scope_members("queue:qu-retention"))
    assert served_after(simulator, 1)[200] == 1


def test_scopes_match_the_simulator_model() -> None:
    scopes = [ALL, skill("sk-billing"), skill("sk-vip"), queue("qu-support"), queue("qu-sales")]
    with running(clock_at=FIXED_AT) as server:
        results = KoreAvailabilityClient(settings_for(server)).poll_sync(scopes)
        for scope, result in zip(scopes, results, strict=True):
            assert result.scope_key == scope.key
            assert result.ok, result.error_text
            assert result.http_status == 200 and result.attempts == 1
            assert agent_ids(result) == sorted(server.simulator.scope_members(scope.key))
            assert result.buckets == server.simulator.availability(request_body(scope), FIXED_AT)
            assert json.loads(result.body or "") == result.buckets
            assert result.requested_at <= result.observed_at <= result.answered_at  # type: ignore[operator]
            assert result.sends == [result.requested_at]
    assert len(results[0].buckets["AVAILABLE"]) + len(results[0].buckets["OFFLINE"]) > 0  # type: ignore[index]


def test_unknown_bucket_and_v2_fields_are_kept() -> None:
    with running(custom_status_bucket="BREAK", response_shape="v2") as probe:
        at = find_instant_with(probe, "BREAK")
    with running(clock_at=at, custom_status_bucket="BREAK", response_shape="v2") as server:
        (result,) = KoreAvailabilityClient(settings_for(server)).poll_sync([ALL])
    assert result.ok, result.error_text
    assert result.buckets is not None and result.buckets["BREAK"]
    agent = next(a for agents in result.buckets.values() for a in agents)
    assert isinstance(agent["isDigitalEnabled"], bool)
    assert set(agent["channelCapacity"]) >= {"liveChat", "messaging", "email", "voice"}
    assert "availableCapacity" in agent["channelCapacity"]["voice"]


def test_jti_mode_against_a_jti_enforcing_simulator() -> None:
    scopes = [skill(s) for s in list(SKILLS)[:4]]
    with running(enforce_jti=True) as server:
        results = KoreAvailabilityClient(settings_for(server, jti_mode=True)).poll_sync(scopes)
        assert all(r.ok for r in results), [r.error_text for r in results]
        (refused,) = KoreAvailabilityClient(settings_for(server)).poll_sync([ALL])
    assert refused.error_kind == "auth"
    assert "KORE_JTI_MODE" in (refused.error_text or "")


# --------------------------------------------------------------------------------------------
# Errors that must not be retried, and name what to fix
# --------------------------------------------------------------------------------------------


def test_wrong_secret_is_an_auth_error_without_leaking_secret_or_token() -> None:
    wrong = "totally-wrong-secret-value"
    with running() as server:
        client = KoreAvailabilityClient(settings_for(server, client_secret=wrong))
        (result,) = client.poll_sync([ALL])
        assert served_after(server, 1)[401] == 1
    token = client._minter.token()
    assert result.error_kind == "auth" and result.http_status == 401 and result.attempts == 1
    text = result.error_text or ""
    for variable in ("KORE_CLIENT_ID", "KORE_CLIENT_SECRET", "KORE_JWT_ALGORITHM"):
        assert variable in text
    assert "invalid signature" in text
    for leaked in (wrong, token):
        assert leaked not in text
        assert leaked not in (result.body or "")
        assert leaked not in repr(result)


def test_wrong_bot_id_names_bot_id_and_host() -> None:
    with running() as server:
        (result,) = KoreAvailabilityClient(settings_for(server, bot_id="st-nope")).poll_sync([ALL])
    assert result.error_kind == "not_found" and result.http_status == 404
    assert result.attempts == 1
    text = result.error_text or ""
    assert "KORE_BOT_ID" in text and "KORE_HOST" in text
    assert "/agentassist/api/v1/public/st-nope/agents/availability" in text


def test_wrong_account_is_invalid_credentials_naming_account_id() -> None:
    with running() as server:
        client = KoreAvailabilityClient(settings_for(server, account_id="someone-else"))
        (result,) = client.poll_sync([ALL])
    assert result.error_kind == "credentials" and result.attempts == 1
    assert "KORE_ACCOUNT_ID" in (result.error_text or "")
    assert "Invalid SDK credentials" in (result.error_text or "")


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind", "fragments"),
    [
        (403, {"errors": [{"msg": "Forbidden"}]}, {}, "forbidden", ["Configuration", "published"]),
        (
            400,
            {"errors": [{"msg": "accountId header is required"}]},
            {},
            "bad_request",
            ["KORE_ACCOUNT_ID"],
        ),
        (422, {"message": "unprocessable"}, {}, "bad_request", ["unprocessable", "skillIds"]),
        (
            302,
            {},
            {"Location": "https://elsewhere.example/login"},
            "invalid_response",
            [
                "elsewhere.example",
                "KORE_HOST",
            ],
        ),
    ],
)
def test_other_refusals_fail_fast_and_say_what_to_fix(
    status: int, body: dict[str, Any], headers: dict[str, str], kind: str, fragments: list[str]
) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(status, json=body, headers=headers)

    (result,) = mock_client(handler).poll_sync([skill("sk-sales")])
    assert result.error_kind == kind and result.http_status == status
    assert result.attempts == 1 and len(calls) == 1
    for fragment in fragments:
        assert fragment in (result.error_text or "")


def test_error_text_and_body_are_scrubbed_even_if_the_server_echoes_them() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        echoed = f"bad request, token {request.headers['auth']} secret {SECRET}"
        return httpx.Response(400, json={"errors": [{"msg": echoed, "code": 400}]})

    client = mock_client(handler)
    (result,) = client.poll_sync([ALL])
    assert result.error_kind == "bad_request" and result.attempts == 1
    for field_text in (result.error_text or "", result.body or ""):
        assert SECRET not in field_text
        assert client._minter.token() not in field_text
        assert "***" in field_text


def test_error_body_is_truncated_to_4_kib() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text="x" * 20_000)

    (result,) = mock_client(handler).poll_sync([ALL])
    assert result.error_kind == "bad_request"
    assert result.body is not None and len(result.body) == 4096
    assert len(result.error_text or "") < 1000


# --------------------------------------------------------------------------------------------
# Rate limits
# --------------------------------------------------------------------------------------------


def test_server_429_is_retried_per_retry_after_but_never_past_the_deadline(
    sleeps: list[float],
) -> None:
    scopes = [skill(s) for s in SKILLS]  # 6 scopes, server allows 3
    with running(rate_limit_per_minute=3) as server:
        # Retry-After says ~60 s, past the 30 s deadline: the refused scopes fail at once
        # (nothing waits), and a long deadline only keeps a slow machine's 3 sends in time.
        client = KoreAvailabilityClient(
            settings_for(server, tick_deadline_s=30.0), limiter=RateLimiter(100)
        )
        results = client.poll_sync(scopes)
        served = served_after(server, sum(r.attempts for r in results))
    assert not [wait for wait in sleeps if wait >= 1.0]  # never waited for the Retry-After
    ok = [r for r in results if r.ok]
    limited = [r for r in results if r.error_kind == "rate_limited"]
    assert len(ok) == 3 and len(limited) == 3 and served[200] == 3
    answered_429 = [r for r in limited if r.attempts]
    # Requests already in flight meet the server's 429; any scope not yet sent is held back
    # by the Retry-After the client learned, without reaching the server.
    assert answered_429 and served[429] == len(answered_429)
    for result in answered_429:
        assert result.http_status == 429 and result.attempts == 1 and len(result.sends) == 1
        assert "Retry-After" in (result.error_text or "")
        assert "exceeded the per-minute rate limit" in (result.error_text or "")
        assert "no retry" in (result.error_text or "")  # refused by the deadline, not cut by it
    for result in limited:
        assert "KORE_RATE_LIMIT_PER_MINUTE" in (result.error_text or "")


def test_429_with_short_retry_after_is_retried_after_waiting() -> None:
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return httpx.Response(
                429, headers={"Retry-After": "1"}, json={"errors": [{"msg": "slow down"}]}
            )
        return httpx.Response(200, json=ok_body())

    (result,) = mock_client(handler).poll_sync([ALL])
    assert result.ok and result.attempts == 2 and len(result.sends) == 2
    assert calls[1] - calls[0] >= 0.9


def test_429_without_retry_after_uses_backoff(sleeps: list[float]) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            return httpx.Response(429, json={"errors": [{"msg": "rate limit", "code": 429}]})
        return httpx.Response(200, json=ok_body())

    (result,) = mock_client(handler, backoff_base_s=0.05, backoff_cap_s=0.1).poll_sync([ALL])
    assert result.ok and result.attempts == 3
    # The waits between attempts are the capped backoff, not some fixed pause.
    assert len(sleeps) <= 2 and all(wait <= 0.1 for wait in sleeps), sleeps


def test_client_limiter_keeps_requests_under_the_budget(sleeps: list[float]) -> None:
    scopes = [skill(s) for s in list(SKILLS)] + [queue("qu-billing"), queue("qu-sales")]
    limiter = RateLimiter(5)
    with running() as server:
        # No slot frees within the 30 s deadline (the window is a minute): the 3 past the
        # budget are refused at once, and the 5 granted have all the time a slow machine needs.
        client = KoreAvailabilityClient(settings_for(server, tick_deadline_s=30.0), limiter=limiter)
        results = client.poll_sync(scopes)
        served = served_after(server, 5)
    assert len(results) == 8
    assert sleeps == []  # refused without waiting for a slot
    assert sum(r.ok for r in results) == 5
    limited = [r for r in results if r.error_kind == "rate_limited"]
    assert len(limited) == 3
    for result in limited:
        assert result.attempts == 0 and result.sends == [] and result.http_status is None
        assert "KORE_RATE_LIMIT_PER_MINUTE" in (result.error_text or "")
    assert served[429] == 0 and served.total == 5
    assert len(limiter.sends) == 5
    recorded = sorted(s for r in results for s in r.sends)
    assert len(recorded) == 5
    # Each send follows its own grant before the next grant is made: sent as granted.
    grants = sorted(limiter.sends)
    for granted, sent, next_granted in zip(grants, recorded, [*grants[1:], None], strict=True):
        assert granted <= sent and (next_granted is None or sent <= next_granted)


def test_rate_limiter_honours_prior_sends(sleeps: list[float]) -> None:
    now = datetime.now(UTC)
    prior = [now - timedelta(seconds=s) for s in (5, 10, 20, 30, 59.8)]
    limiter = RateLimiter(5, prior_sends=prior)
    assert limiter.remaining(now) == 0
    old = RateLimiter(5, prior_sends=[now - timedelta(seconds=61)] * 5)
    assert old.remaining(now) == 5
    naive = RateLimiter(5, prior_sends=[(now - timedelta(seconds=1)).replace(tzinfo=None)])
    assert naive.remaining(now) == 4

    async def scenario() -> tuple[bool, list[float], bool]:
        # No slot frees within 10 s (the oldest send leaves the window in ~30 s): refused at
        # once, without a wait.
        refused = await RateLimiter(5, prior_sends=prior[:4] + [now]).acquire(
            time.monotonic() + 10.0
        )
        waited_before_refusing = list(sleeps)
        # The oldest prior send leaves the window ~0.2 s from now: granted after a wait.
        granted = await limiter.acquire(time.monotonic() + 30.0)
        return refused, waited_before_refusing, granted

    refused, waited_before_refusing, granted = asyncio.run(scenario())
    assert refused is False and waited_before_refusing == []
    assert granted is True and len(sleeps) >= 1 and all(wait <= 0.2 for wait in sleeps)
    # Granted only once the oldest prior send had left the 60 s window.
    assert len(limiter.sends) == 1 and limiter.sends[0] >= prior[-1] + timedelta(seconds=60)
    assert limiter.remaining() == 0


def test_rate_limiter_with_an_injected_clock() -> None:
    moment = [datetime(2024, 1, 1, 12, 0, tzinfo=UTC)]
    limiter = RateLimiter(2, clock=lambda: moment[0])

    async def take() -> bool:
        return await limiter.acquire(time.monotonic() + 0.05)

    assert asyncio.run(take()) and asyncio.run(take())
    assert not asyncio.run(take())  # a new event loop each time: the limiter copes
    moment[0] += timedelta(seconds=60.5)
    assert limiter.remaining() == 2 and asyncio.run(take())


# --------------------------------------------------------------------------------------------
# Server errors, broken answers, concurrency, deadlines
# --------------------------------------------------------------------------------------------


def test_persistent_503_is_retried_up_to_max_attempts() -> None:
    with running(faults=Faults(error_rates={503: 1.0})) as server:
        client = KoreAvailabilityClient(settings_for(server, max_attempts=3))
        (result,) = client.poll_sync([ALL])
        served = served_after(server, 3)
    assert result.error_kind == "server" and result.http_status == 503
    assert result.attempts == 3 and len(result.sends) == 3 and served[503] == 3
    assert "Service Unavailable" in (result.error_text or "")
    assert result.body and "Service Unavailable" in result.body


def test_intermittent_503_mostly_recovers_after_retries() -> None:
    scopes = [skill(s) for s in SKILLS] + [queue(q) for q in QUEUES] + [ALL]
    with running(seed=5, rate_limit_per_minute=None, faults=Faults(error_rates={503: 0.5})) as s:
        client = KoreAvailabilityClient(settings_for(s, max_attempts=4))
        results = client.poll_sync(scopes)
        served = served_after(s, sum(r.attempts for r in results))
    assert sum(r.ok for r in results) >= 7
    assert any(r.ok and r.attempts > 1 for r in results)
    assert served[503] > 0
    assert sum(r.attempts for r in results) == served.total


def test_truncated_json_is_an_invalid_response_retried_as_transient() -> None:
    # A body cut short on the way may well arrive whole next time: retried up to the limit.
    with running(faults=Faults(malformed_rate=1.0)) as server:
        client = KoreAvailabilityClient(settings_for(server, max_attempts=3))
        (result,) = client.poll_sync([skill("sk-sales")])
    assert result.error_kind == "invalid_response" and result.attempts == 3
    assert result.http_status == 200
    assert "skill:sk-sales" in (result.error_text or "") and "HTTP 200" in (result.error_text or "")
    assert "KORE_MAX_ATTEMPTS" in (result.error_text or "")
    assert result.body  # the broken body is kept for inspection
    with running(faults=Faults(malformed_rate=1.0, fail_first=1)) as server:
        (recovered,) = KoreAvailabilityClient(settings_for(server)).poll_sync([skill("sk-sales")])
    assert recovered.ok and recovered.attempts == 2


def test_html_page_with_200_is_an_invalid_response() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        html = "<html><body>Please log in</body></html>"
        return httpx.Response(200, text=html, headers={"Content-Type": "text/html"})

    (result,) = mock_client(handler).poll_sync([queue("qu-sales")])
    assert result.error_kind == "invalid_response" and result.attempts == 1
    assert "HTML" in (result.error_text or "") and "queue:qu-sales" in (result.error_text or "")
    assert "KORE_HOST" in (result.error_text or "")


class _DropMidBody(httpx.AsyncByteStream):
    """A body that sends half of itself, then the connection dies."""

    async def __aiter__(self):  # type: ignore[override]
        yield b'{"AVAILABLE": [{"_id": "a-1"'
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


def test_connection_dropped_mid_body_is_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(200, stream=_DropMidBody())
        return httpx.Response(200, json=ok_body())

    (result,) = mock_client(handler).poll_sync([ALL])
    assert result.ok and result.attempts == 2

    def always_reset(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset by peer")

    (failed,) = mock_client(always_reset, max_attempts=3).poll_sync([ALL])
    assert failed.error_kind == "connection" and failed.attempts == 3
    assert failed.http_status is None and failed.answered_at is None
    assert "KORE_HOST" in (failed.error_text or "")


def test_expired_jti_token_is_reminted_once() -> None:
    tokens: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        tokens.append(request.headers["auth"])
        if len(tokens) == 1:
            body = {"errors": [{"msg": "error verifying the jwt: jwt expired", "code": 401}]}
            return httpx.Response(401, json=body)
        return httpx.Response(200, json=ok_body())

    (result,) = mock_client(handler, jti_mode=True, max_attempts=1).poll_sync([ALL])
    assert result.ok and result.attempts == 2 and tokens[0] != tokens[1]


def test_concurrent_poll_is_not_sequential() -> None:
    scopes = [skill(s) for s in SKILLS] + [queue(q) for q in QUEUES] + [ALL]
    scopes += [
        Scope(kind="agents", ref_id=f"set{i}", name=f"set {i}", agent_ids=(f"a-{i}",))
        for i in range(5)
    ]
    assert len(scopes) == 16
    # The server answers nobody until all 16 requests are held at once: a client that sends
    # them one after another (or fewer at a time) gets no answer at all.
    with HeldServer(together=16) as server:
        client = KoreAvailabilityClient(
            settings_for(host=server.base_url, max_concurrency=16, tick_deadline_s=60.0)
        )
        results = client.poll_sync(scopes)
    assert all(r.ok for r in results), [r.error_text for r in results if not r.ok]
    assert [r.scope_key for r in results] == [s.key for s in scopes]
    assert server.arrived == 16 and all(r.attempts == 1 for r in results)
    assert all(r.latency_ms is not None and r.latency_ms > 0 for r in results)


def test_tick_deadline_bounds_the_whole_poll() -> None:
    scopes = [skill("sk-sales"), skill("sk-billing"), skill("sk-vip")]
    # The server holds the first request until the poll has returned, so the deadline (not a
    # read timeout, and not the server) is what ends the poll; 3 s leave a slow machine the
    # time to send that first request.
    with HeldServer() as server:
        client = KoreAvailabilityClient(
            settings_for(
                host=server.base_url, tick_deadline_s=3.0, read_timeout_s=60, max_concurrency=1
            )
        )
        results = client.poll_sync(scopes)
        assert not server.release.is_set()  # returned while the server still held the request
    assert server.arrived == 1
    assert [r.error_kind for r in results] == ["deadline"] * 3
    assert results[0].attempts == 1
    assert results[1].attempts == 0 and results[2].attempts == 0  # never got a connection slot
    assert all("KORE_TICK_DEADLINE_SECONDS" in (r.error_text or "") for r in results)


def test_poll_and_poll_sync_inside_a_running_loop() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=ok_body())

    client = mock_client(handler)

    async def inside() -> tuple[ScopeResult, list[ScopeResult]]:
        (single,) = await client.poll([ALL])
        return single, client.poll_sync([ALL, skill("sk-vip")])

    single, both = asyncio.run(inside())
    assert single.ok and [r.ok for r in both] == [True, True]
    assert client.poll_sync([]) == []


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def test_parse_availability_keeps_everything_it_does_not_know() -> None:
    text = json.dumps(
        {
            "AVAILABLE": [{"_id": "a-1", "isDigitalEnabled": True, "novel": {"x": 1}}],
            "BUSY": None,
            "TRAINING": [{"_id": "a-2"}],
        }
    )
    buckets = parse_availability(text)
    assert buckets == {
        "AVAILABLE": [{"_id": "a-1", "isDigitalEnabled": True, "novel": {"x": 1}}],
        "BUSY": [],
        "TRAINING": [{"_id": "a-2"}],
    }


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"AVAILABLE": [{"_id": "a-1"}', "not valid JSON"),
        ("<!DOCTYPE html><html></html>", "HTML"),
        ("[]", "JSON object"),
        ('{"AVAILABLE": {"_id": "a-1"}}', "list of agents"),
        ('{"AVAILABLE": ["a-1"]}', "agent object"),
        ('{"AVAILABLE": [{"userId": "u-1"}]}', "_id"),
        ('{"errors": [{"msg": "Invalid SDK credentials", "code": 4002}]}', "4002"),
    ],
)
def test_parse_availability_refuses_what_would_break_downstream(text: str, fragment: str) -> None:
    with pytest.raises(KoreInvalidResponseError, match=fragment):
        parse_availability(text)


def test_bodies_duckdb_would_refuse_are_rewritten_others_kept_verbatim() -> None:
    plain = '{"AVAILABLE": [{"_id": "a-1"}],   "BUSY": []}'
    assert parse_availability_body(plain) == ({"AVAILABLE": [{"_id": "a-1"}], "BUSY": []}, plain)
    repeated = '{"BUSY": [{"_id": "a-1"}], "BUSY": [{"_id": "a-2"}]}'
    buckets, stored = parse_availability_body(repeated)
    assert buckets == {"BUSY": [{"_id": "a-1"}, {"_id": "a-2"}]}  # merged, nobody lost
    assert json.loads(stored) == buckets
    lone = '{"BUSY": [{"_id": "a-1", "firstName": "x\\ud800y"}]}'
    buckets, stored = parse_availability_body(lone)
    stored.encode("utf-8")  # valid UTF-8 now
    assert buckets["BUSY"][0]["firstName"] == "x?y"
    paired = '{"BUSY": [{"_id": "a-1", "firstName": "\\ud83d\\ude42"}]}'
    assert parse_availability_body(paired)[1] == paired  # a proper pair is fine as it is
    with pytest.raises(KoreInvalidResponseError, match="nests too deeply"):
        parse_availability('{"AVAILABLE": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(KoreInvalidResponseError, match="not valid JSON"):
        parse_availability('{"AVAILABLE": [{"_id": "a-1", "x": NaN}]}')


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    when = datetime.now(UTC) + timedelta(seconds=30)
    parsed = parse_retry_after(format_datetime(when, usegmt=True))
    assert parsed is not None and 25 <= parsed <= 31
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(past) == 0.0


def test_retry_table_has_a_row_for_every_error_a_call_can_end_with() -> None:
    classes, kinds = list(KoreError.__subclasses__()), set()
    while classes:  # subclasses of subclasses too (KoreScopeMissingError is a forbidden)
        cls = classes.pop()
        kinds.add(cls.kind)
        classes.extend(cls.__subclasses__())
    kinds -= {"config"}
    assert kinds == {kind for kind, transient in RETRY_TABLE if not transient}
    assert wait_rule(KoreServerError("x")) is Wait.RETRY_AFTER
    assert wait_rule(KoreInvalidResponseError("cut short", transient=True)) is Wait.BACKOFF
    assert wait_rule(KoreInvalidResponseError("an HTML page")) is Wait.NEVER
    assert wait_rule(KoreAuthError("jwt expired", transient=True)) is Wait.REMINT
    assert wait_rule(KoreAuthError("invalid signature")) is Wait.NEVER


def test_wait_is_retry_after_when_told_else_capped_jittered_backoff() -> None:
    rng = random.Random(3)
    told = wait_seconds(Wait.RETRY_AFTER, 1, 7.0, base_s=0.5, cap_s=8.0, rng=rng)
    assert told == 7.0
    untold = [
        wait_seconds(Wait.RETRY_AFTER, n, None, base_s=0.5, cap_s=2.0, rng=rng) for n in (1, 9)
    ]
    assert 0.0 <= untold[0] <= 0.5 and 0.0 <= untold[1] <= 2.0
    assert wait_seconds(Wait.BACKOFF, 1, 7.0, base_s=0.5, cap_s=8.0, rng=rng) <= 0.5
    assert wait_seconds(Wait.REMINT, 1, None, base_s=0.5, cap_s=8.0, rng=rng) == 0.0


def test_settings_are_frozen_and_replace_revalidates() -> None:
    settings = settings_for()
    with pytest.raises(AttributeError):
        settings.host = "x"  # type: ignore[misc]
    with pytest.raises(KoreConfigError, match="KORE_JWT_ALGORITHM"):
        KoreAvailabilityClient(replace(settings, algorithm="HS384"))
