"""The fault matrix: every fault Kore.ai (or the path to it) can throw, end to end through a tick.

Each test drives one fault through the simulator's fault knobs (per scope where it matters, so
the other scopes show they still land) or through a purpose-built server on 127.0.0.1, runs
``run_tick`` into a real DuckDB file, and checks what landed: one ``raw_responses`` row per scope
asked with its outcome, error kind, HTTP status and attempts; a ``ticks`` row whose counts agree;
snapshots only for the scopes that answered; and that running the same tick again replaces it
instead of duplicating it. A representative subset also goes through Dagster (``materialize``).

Behaviour, in short: transient faults (429, 5xx, timeouts, resets, JSON cut short) are retried
with capped, jittered backoff inside the tick's deadline; permanent ones (401, 4002, 403, 404, an
HTML page) fail at the first attempt with a message naming the setting to fix; odd but usable
payloads (missing or extra buckets, an agent listed twice, null or missing fields) land.
"""

from __future__ import annotations

import asyncio
import json
import random
import select
import socket
import threading
import time
import types
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, materialize

from pipelines.defs.ingest.assets import availability_snapshots
from pipelines.defs.ingest.checks import (
    last_tick_is_fresh,
    last_tick_scopes_succeeded,
    snapshots_have_no_duplicates,
)
from pipelines.kore import KoreSettings
from pipelines.kore.retry import backoff_s
from pipelines.polling import TickOutcome, agent_statuses, run_tick
from pipelines.resources import KoreResource, ScopesResource, WarehouseResource
from pipelines.scopes import Scope
from pipelines.simulator import SimulatorServer
from pipelines.simulator import handler as simulator_handler
from pipelines.warehouse import PiiPolicy, connect, fetch_all
from tests.support.kore import connection_settings

Factory = Callable[..., SimulatorServer]

ALL = Scope("all", "", "All agents")
SALES = Scope("skill", "sk-sales", "Sales")
BILLING = Scope("skill", "sk-billing", "Billing")
SUPPORT = Scope("queue", "qu-support", "Support queue")
SCOPES = [ALL, SALES, BILLING, SUPPORT]
FAULTY = SALES.key  # the scope that meets the fault; the others must still land
FIXED = datetime(2026, 11, 25, 19, 30, tzinfo=UTC)  # a busy Wednesday afternoon (New York)
KEEP = PiiPolicy("keep")  # most tests compare e-mail-free fields; PII has tests of its own

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def sim(factory: Factory, **overrides: Any) -> SimulatorServer:
    """A small simulator with a fixed clock and no rate limit unless a test asks for one."""
    overrides.setdefault("agents", 40)
    overrides.setdefault("seed", 5)
    overrides.setdefault("rate_limit_per_minute", None)
    return factory(clock=lambda: FIXED, **overrides)


def settings_for(host: str | SimulatorServer, **overrides: Any) -> KoreSettings:
    """Client settings with small timeouts and backoffs so every fault resolves in seconds."""
    base = host.base_url if isinstance(host, SimulatorServer) else host
    values: dict[str, Any] = {
        "host": base,
        "bot_id": "st-simulated-bot",
        "account_id": "sim-account",
        "client_id": "cs-simulated-client",
        "client_secret": "simulated-client-secret-for-the-kore-compatible-simulator-only-00001",
        "tick_deadline_s": 8.0,
        "connect_timeout_s": 1.0,
        "read_timeout_s": 2.0,
        "max_attempts": 3,
        "backoff_base_s": 0.05,
        "backoff_cap_s": 0.2,
    }
    values.update(overrides)
    return KoreSettings(**values)


def tick(
    db: str,
    settings: KoreSettings,
    tick_id: str = "t-1",
    scopes: list[Scope] | None = None,
    pii: PiiPolicy = KEEP,
) -> TickOutcome:
    return run_tick(partial(connect, db), settings, scopes or SCOPES, tick_id=tick_id, pii=pii)


def landed(db: str, tick_id: str = "t-1") -> dict[str, tuple[Any, ...]]:
    """scope_key -> (outcome, error_kind, http_status, attempts) as stored."""
    with connect(db, read_only=True) as con:
        rows = con.execute(
            "SELECT scope_key, outcome, error_kind, http_status, attempts "
            "FROM raw_responses WHERE tick_id = ?",
            [tick_id],
        ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def snapshot_counts(db: str, tick_id: str = "t-1") -> dict[str, int]:
    with connect(db, read_only=True) as con:
        rows = con.execute(
            "SELECT scope_key, count(*) FROM snapshots WHERE tick_id = ? GROUP BY ALL", [tick_id]
        ).fetchall()
    return dict(rows)


def assert_tick_consistent(db: str, tick_id: str, scopes: list[Scope]) -> None:
    """One raw row per scope asked, ticks counts that agree, snapshots only for ok scopes, no
    duplicate (tick, scope, agent), and a request_log row for every attempt."""
    with connect(db, read_only=True) as con:
        ticks = con.execute(
            "SELECT scopes_asked, scopes_ok, scopes_failed FROM ticks WHERE tick_id = ?",
            [tick_id],
        ).fetchall()
        raw = con.execute(
            "SELECT scope_key, outcome, attempts FROM raw_responses WHERE tick_id = ?", [tick_id]
        ).fetchall()
        snapshot_scopes = {
            row[0]
            for row in con.execute(
                "SELECT DISTINCT scope_key FROM snapshots WHERE tick_id = ?", [tick_id]
            ).fetchall()
        }
        duplicates = fetch_all(
            con, "checks/snapshot_duplicates.sql", since=datetime(2000, 1, 1, tzinfo=UTC)
        )
        sends = con.execute(
            "SELECT count(*) FROM request_log WHERE tick_id = ?", [tick_id]
        ).fetchall()[0][0]
    ok = [key for key, outcome, _ in raw if outcome == "ok"]
    assert len(ticks) == 1
    assert ticks[0] == (len(raw), len(ok), len(raw) - len(ok))
    assert sorted(key for key, _, _ in raw) == sorted(s.key for s in scopes)
    assert snapshot_scopes <= set(ok)
    assert duplicates == []
    # request_log is the account's spend: a re-run's requests were really sent, so they stay.
    assert sends >= sum(attempts for _, _, attempts in raw)


def assert_rerun_replaces(db: str, settings: KoreSettings, tick_id: str = "t-1") -> None:
    """Running the same tick again replaces it: same row counts, nothing doubled."""
    tick(db, settings, tick_id)
    assert_tick_consistent(db, tick_id, SCOPES)
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ticks").fetchall()[0][0] == 1


def assert_good_scopes_landed(db: str, server: SimulatorServer, tick_id: str = "t-1") -> None:
    """Every scope but the faulty one answered, with one snapshot row per member agent."""
    rows = landed(db, tick_id)
    counts = snapshot_counts(db, tick_id)
    for scope in SCOPES:
        if scope.key == FAULTY:
            continue
        assert rows[scope.key][:2] == ("ok", None), rows[scope.key]
        assert counts[scope.key] == len(server.simulator.scope_members(scope.key))


def error_text(db: str, scope_key: str, tick_id: str = "t-1") -> str:
    with connect(db, read_only=True) as con:
        return con.execute(
            "SELECT error_text FROM raw_responses WHERE tick_id = ? AND scope_key = ?",
            [tick_id, scope_key],
        ).fetchall()[0][0]


def scope_faults(server: SimulatorServer, **faults: Any) -> None:
    """Faults for the faulty scope only."""
    server.set_faults({"scopes": {FAULTY: faults}})


class _Static(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, payload, content_type = self.server.answer(self)  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def static_server(
    answer: Callable[[BaseHTTPRequestHandler], tuple[int, bytes, str]],
) -> Iterator[str]:
    """A purpose-built server on 127.0.0.1 answering every POST with ``answer(handler)``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Static)
    httpd.daemon_threads = True
    httpd.answer = answer  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def json_answer(body: bytes | str) -> Callable[[BaseHTTPRequestHandler], tuple[int, bytes, str]]:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return lambda handler: (200, data, "application/json")


# --------------------------------------------------------------------------------------------
# Authentication and permanent refusals: fail at the first attempt, name the setting
# --------------------------------------------------------------------------------------------


def test_401_bad_signature_fails_fast_naming_the_secret(simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory)
    wrong = "a-wrong-client-secret-that-signs-nothing-0001"
    outcome = tick(tmp_db, settings_for(server, client_secret=wrong))
    assert set(landed(tmp_db).values()) == {("error", "auth", 401, 1)}
    text = error_text(tmp_db, FAULTY)
    assert "invalid signature" in text and "KORE_CLIENT_SECRET" in text and wrong not in text
    assert len(outcome.failed) == len(SCOPES)
    assert_tick_consistent(tmp_db, "t-1", SCOPES)


def test_401_expired_token_in_jti_mode_is_reminted_once(simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory, enforce_jti=True)
    scope_faults(server, error_rates={"401": 1.0}, fail_first=1)  # "jwt expired" once
    settings = settings_for(server, jti_mode=True)
    tick(tmp_db, settings)
    rows = landed(tmp_db)
    assert rows[FAULTY] == ("ok", None, 200, 2)  # one immediate re-mint, no backoff
    assert_good_scopes_landed(tmp_db, server)
    assert server.requests_served[401] == 1
    # Expired again after the re-mint: no second re-mint, the scope fails naming the secret.
    scope_faults(server, error_rates={"401": 1.0})
    tick(tmp_db, settings, "t-2")
    assert landed(tmp_db, "t-2")[FAULTY] == ("error", "auth", 401, 2)
    assert "jwt expired" in error_text(tmp_db, FAULTY, "t-2")
    assert_tick_consistent(tmp_db, "t-2", SCOPES)


def test_replayed_jti_is_reminted_once(
    simulator_factory: Factory, tmp_db: str, monkeypatch: pytest.MonkeyPatch
):
    server = sim(simulator_factory, enforce_jti=True)
    # Two tokens with the same jti: only a broken random source could do it, so it is forced.
    minted = iter([uuid.UUID(int=7), uuid.UUID(int=7)])
    fake = types.SimpleNamespace(uuid4=lambda: next(minted, None) or uuid.uuid4())
    monkeypatch.setattr("pipelines.kore.auth.uuid", fake)
    tick(tmp_db, settings_for(server, jti_mode=True, max_concurrency=1))
    rows = landed(tmp_db)
    assert all(row[:2] == ("ok", None) for row in rows.values())
    assert sorted(row[3] for row in rows.values()) == [1, 1, 1, 2]  # the replayed one re-minted
    assert server.requests_served[401] == 1
    assert_tick_consistent(tmp_db, "t-1", SCOPES)


def test_jti_enforced_without_jti_mode_names_kore_jti_mode(simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory, enforce_jti=True)
    tick(tmp_db, settings_for(server))
    assert set(landed(tmp_db).values()) == {("error", "auth", 401, 1)}
    assert "KORE_JTI_MODE=true" in error_text(tmp_db, FAULTY)


def test_4002_invalid_sdk_credentials_names_the_account(simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory)
    tick(tmp_db, settings_for(server, account_id="not-this-account"))
    assert set(landed(tmp_db).values()) == {("error", "credentials", 401, 1)}
    text = error_text(tmp_db, FAULTY)
    assert "Invalid SDK credentials" in text and "KORE_ACCOUNT_ID" in text
    assert_tick_consistent(tmp_db, "t-1", SCOPES)


def test_403_fails_fast_naming_the_api_scope(simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory)
    scope_faults(server, error_rates={"403": 1.0})
    tick(tmp_db, settings_for(server))
    assert landed(tmp_db)[FAULTY] == ("error", "forbidden", 403, 1)
    assert "KORE_CLIENT_ID" in error_text(tmp_db, FAULTY)
    assert "Configuration" in error_text(tmp_db, FAULTY)
    assert_good_scopes_landed(tmp_db, server)
    assert_tick_consistent(tmp_db, "t-1", SCOPES)


def test_404_unknown_bot_names_the_bot_id(simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory)
    tick(tmp_db, settings_for(server, bot_id="st-no-such-bot"))
    assert set(landed(tmp_db).values()) == {("error", "not_found", 404, 1)}
    text = error_text(tmp_db, FAULTY)
    assert "KORE_BOT_ID" in text and "KORE_HOST" in text
    assert_tick_consistent(tmp_db, "t-1", SCOPES)


# --------------------------------------------------------------------------------------------
# Rate limits
# --------------------------------------------------------------------------------------------


def test_429_with_retry_after_waits_as_told_then_lands(simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory)
    scope_faults(server, error_rates={"429": 1.0}, fail_first=1, retry_after_s=1)
    outcome = tick(tmp_db, settings_for(server))
    assert landed(tmp_db)[FAULTY] == ("ok", None, 200, 2)
    result = next(r for r in outcome.results if r.scope_key == FAULTY)
    assert (result.sends[1] - result.sends[0]).total_seconds() >= 0.95
    assert_good_scopes_landed(tmp_db, server)
    assert_rerun_replaces(tmp_db, settings_for(server))


def test_429_without_retry_after_uses_capped_backoff(
    simulator_factory: Factory, tmp_db: str, monkeypatch: pytest.MonkeyPatch
):
    server = sim(simulator_factory)
    scope_faults(server, error_rates={"429": 1.0}, fail_first=2, retry_after_s=None)
    # The waits the client asks for, not the gaps a stopwatch sees (those grow on a busy machine).
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float, result: Any = None) -> Any:
        if delay > 0:
            waits.append(delay)
        return await real_sleep(delay, result)

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    tick(tmp_db, settings_for(server, backoff_cap_s=0.3))
    assert landed(tmp_db)[FAULTY] == ("ok", None, 200, 3)
    assert 1 <= len(waits) <= 2 and all(wait <= 0.3 for wait in waits), waits  # capped
    assert_good_scopes_landed(tmp_db, server)


def test_429_retry_after_past_the_deadline_is_not_waited_for(
    simulator_factory: Factory, tmp_db: str
):
    # The server's own budget: 2 requests a minute, 4 scopes; Retry-After says ~60 s, past
    # the 30 s deadline. A client that waited would be cut by the deadline ("deadline"), so
    # "rate_limited" says it gave up at once; the long deadline only keeps a slow machine's
    # two granted requests in time.
    server = sim(simulator_factory, rate_limit_per_minute=2)
    tick(tmp_db, settings_for(server, tick_deadline_s=30.0, max_concurrency=1))
    rows = landed(tmp_db)
    assert sorted(row[0] for row in rows.values()) == ["error", "error", "ok", "ok"]
    limited = [row for row in rows.values() if row[0] == "error"]
    assert all(row[1] == "rate_limited" for row in limited)
    answered_429 = [key for key, row in rows.items() if row[0] == "error" and row[3] == 1]
    assert answered_429 and all("no retry" in error_text(tmp_db, key) for key in answered_429)
    assert_tick_consistent(tmp_db, "t-1", SCOPES)


# --------------------------------------------------------------------------------------------
# Server errors and broken connections: retried with capped, jittered backoff
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_retried_then_lands(status: int, simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory)
    scope_faults(server, error_rates={str(status): 1.0}, fail_first=2, retry_after_s=None)
    tick(tmp_db, settings_for(server))
    assert landed(tmp_db)[FAULTY] == ("ok", None, 200, 3)
    assert server.requests_served[status] == 2
    assert_good_scopes_landed(tmp_db, server)
    assert_tick_consistent(tmp_db, "t-1", SCOPES)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_that_persists_fails_after_max_attempts(
    status: int, simulator_factory: Factory, tmp_db: str
):
    server = sim(simulator_factory)
    scope_faults(server, error_rates={str(status): 1.0})
    tick(tmp_db, settings_for(server))
    assert landed(tmp_db)[FAULTY] == ("error", "server", status, 3)
    assert "KORE_MAX_ATTEMPTS=3" in error_text(tmp_db, FAULTY)
    assert_good_scopes_landed(tmp_db, server)
    assert_rerun_replaces(tmp_db, settings_for(server))


def test_backoff_is_capped_and_jittered() -> None:
    settings = settings_for("http://127.0.0.1:9", backoff_cap_s=0.2)
    rng = random.Random()
    waits = [
        backoff_s(attempt, settings.backoff_base_s, settings.backoff_cap_s, rng)
        for attempt in (1, 2, 3, 8, 20)
        for _ in range(50)
    ]
    assert max(waits) <= 0.2 and min(waits) >= 0.0
    assert len({round(w, 6) for w in waits}) > 100  # full jitter: spread, not a fixed ladder


def test_connect_timeout_is_retried_within_the_deadline(tmp_db: str):
    # A listener whose accept queue is full: the SYN is never answered, so connect times out.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(listener.getsockname())
            fillers.append(filler)
        # The queue is full once a filler is connected (writable); no pause needed.
        _, connected, _ = select.select([], fillers, [], 30)
        assert connected
        host = f"http://127.0.0.1:{listener.getsockname()[1]}"
        # Each attempt ends at its 0.2 s connect timeout and there are 3 of them: the
        # deadline is only a backstop, long enough for a slow machine to make all 3.
        settings = settings_for(host, connect_timeout_s=0.2, tick_deadline_s=30.0)
        tick(tmp_db, settings, scopes=[SALES, BILLING])
    finally:
        for sock in (*fillers, listener):
            sock.close()
    rows = landed(tmp_db)
    assert set(rows.values()) == {("error", "timeout", None, 3)}
    assert "KORE_CONNECT_TIMEOUT_SECONDS=0.2" in error_text(tmp_db, FAULTY)
    assert_tick_consistent(tmp_db, "t-1", [SALES, BILLING])


class _HeldLatency:
    """Stands in for the simulator handler's ``time`` module: a latency of :data:`HELD_MS`
    holds the request until ``release`` is set, instead of sleeping for a while."""

    def __init__(self) -> None:
        self.held = threading.Event()
        self.release = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    def sleep(self, seconds: float) -> None:
        if seconds * 1000 < HELD_MS:
            time.sleep(seconds)
            return
        self.held.set()
        self.release.wait(timeout=60)  # only a broken run waits this out


HELD_MS = 600_000  # the simulator's largest latency; means "until released" here


def test_read_timeout_is_retried_then_lands(
    simulator_factory: Factory, tmp_db: str, monkeypatch: pytest.MonkeyPatch
):
    server = sim(simulator_factory)
    latency = _HeldLatency()
    monkeypatch.setattr(simulator_handler, "time", latency)
    # A held answer never comes, however long the read timeout; 2 s leave a slow machine the
    # time the answers that do come need. The deadline is only a backstop.
    settings = settings_for(server, read_timeout_s=2.0, tick_deadline_s=30.0)
    try:
        scope_faults(server, latency_ms=HELD_MS, fail_first=1)  # the first answer is held
        tick(tmp_db, settings)
        assert landed(tmp_db)[FAULTY] == ("ok", None, 200, 2)
        assert_good_scopes_landed(tmp_db, server)
        scope_faults(server, latency_ms=HELD_MS)  # every answer held
        tick(tmp_db, settings, "t-2")
    finally:
        latency.release.set()
    assert landed(tmp_db, "t-2")[FAULTY] == ("error", "timeout", None, 3)
    assert "KORE_READ_TIMEOUT_SECONDS=2" in error_text(tmp_db, FAULTY, "t-2")
    assert_tick_consistent(tmp_db, "t-2", SCOPES)


def test_connection_reset_mid_body_is_retried(simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory)
    scope_faults(server, body=["reset"], fail_first=1)
    tick(tmp_db, settings_for(server))
    assert landed(tmp_db)[FAULTY] == ("ok", None, 200, 2)
    assert_good_scopes_landed(tmp_db, server)
    scope_faults(server, body=["reset"])
    tick(tmp_db, settings_for(server), "t-2")
    assert landed(tmp_db, "t-2")[FAULTY] == ("error", "connection", None, 3)
    assert "KORE_HOST" in error_text(tmp_db, FAULTY, "t-2")
    assert_tick_consistent(tmp_db, "t-2", SCOPES)


def test_slow_server_is_cut_at_the_tick_deadline(
    simulator_factory: Factory, tmp_db: str, monkeypatch: pytest.MonkeyPatch
):
    server = sim(simulator_factory)
    latency = _HeldLatency()
    monkeypatch.setattr(simulator_handler, "time", latency)
    scope_faults(server, latency_ms=HELD_MS)
    # 4 s: time for a slow machine to land the other scopes; the held one is cut by it.
    try:
        tick(tmp_db, settings_for(server, tick_deadline_s=4.0, read_timeout_s=60))
        # The tick ended on time, not when the server answered: it still holds the request.
        assert latency.held.is_set() and not latency.release.is_set()
    finally:
        latency.release.set()
    assert landed(tmp_db)[FAULTY] == ("error", "deadline", None, 1)
    assert "KORE_TICK_DEADLINE_SECONDS" in error_text(tmp_db, FAULTY)
    assert_good_scopes_landed(tmp_db, server)
    assert_tick_consistent(tmp_db, "t-1", SCOPES)


# --------------------------------------------------------------------------------------------
# Bodies: broken ones refused (or retried), odd but usable ones landed
# --------------------------------------------------------------------------------------------


def test_truncated_json_is_retried_then_lands(simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory)
    scope_faults(server, body=["truncate"], fail_first=1)
    tick(tmp_db, settings_for(server))
    assert landed(tmp_db)[FAULTY] == ("ok", None, 200, 2)
    scope_faults(server, body=["truncate"])
    tick(tmp_db, settings_for(server), "t-2")
    assert landed(tmp_db, "t-2")[FAULTY] == ("error", "invalid_response", 200, 3)
    assert "not valid JSON" in error_text(tmp_db, FAULTY, "t-2")
    with connect(tmp_db, read_only=True) as con:
        kept = con.execute(
            "SELECT body FROM raw_responses WHERE tick_id = 't-2' AND scope_key = ?", [FAULTY]
        ).fetchall()[0][0]
    assert kept.startswith('{"AVAILABLE"')  # the broken body is kept for inspection
    assert_good_scopes_landed(tmp_db, server, "t-2")


def test_html_page_with_200_fails_fast_naming_kore_host(simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory)
    scope_faults(server, body=["html"])
    tick(tmp_db, settings_for(server))
    assert landed(tmp_db)[FAULTY] == ("error", "invalid_response", 200, 1)
    text = error_text(tmp_db, FAULTY)
    assert "HTML" in text and "text/html" in text and "KORE_HOST" in text
    assert_good_scopes_landed(tmp_db, server)
    assert_tick_consistent(tmp_db, "t-1", SCOPES)


def test_missing_buckets_land_what_is_there(simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory)
    scope_faults(server, body=["missing_buckets"])
    tick(tmp_db, settings_for(server))
    assert landed(tmp_db)[FAULTY] == ("ok", None, 200, 1)
    truth = server.simulator.availability({"skillIds": ["sk-sales"]}, FIXED)
    with connect(tmp_db, read_only=True) as con:
        statuses = con.execute(
            "SELECT status, count(*) FROM snapshots WHERE scope_key = ? GROUP BY ALL", [FAULTY]
        ).fetchall()
    expected = {k: len(v) for k, v in truth.items() if k in ("AVAILABLE", "BUSY") and v}
    assert dict(statuses) == expected
    assert_good_scopes_landed(tmp_db, server)
    assert_rerun_replaces(tmp_db, settings_for(server))


def test_extra_bucket_is_kept_as_a_status_of_its_own(simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory)
    scope_faults(server, body=["extra_bucket"])
    outcome = tick(tmp_db, settings_for(server))
    with connect(tmp_db, read_only=True) as con:
        training = con.execute(
            "SELECT count(*) FROM snapshots WHERE scope_key = ? AND status = 'TRAINING'", [FAULTY]
        ).fetchall()[0][0]
    assert training == 1
    assert snapshot_counts(tmp_db)[FAULTY] == len(server.simulator.scope_members(FAULTY))
    assert "TRAINING" in outcome.status_counts.columns
    assert_tick_consistent(tmp_db, "t-1", SCOPES)


def test_agent_in_two_buckets_is_stored_once_by_precedence(simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory)
    scope_faults(server, body=["duplicate_agent"])
    outcome = tick(tmp_db, settings_for(server))
    result = next(r for r in outcome.results if r.scope_key == FAULTY)
    assert result.buckets is not None
    listed = [a["_id"] for agents in result.buckets.values() for a in agents]
    twice = {agent_id for agent_id in listed if listed.count(agent_id) > 1}
    assert len(twice) == 1
    (agent_id,) = twice
    with connect(tmp_db, read_only=True) as con:
        stored = con.execute(
            "SELECT status FROM snapshots WHERE scope_key = ? AND agent_id = ?", [FAULTY, agent_id]
        ).fetchall()
        body = con.execute(
            "SELECT body FROM raw_responses WHERE tick_id = 't-1' AND scope_key = ?", [FAULTY]
        ).fetchall()[0][0]
    assert stored == [(agent_statuses(result.buckets)[agent_id],)]
    assert stored[0][0] != "OFFLINE"  # OFFLINE loses to any other status
    assert body.count(agent_id) == 2  # the raw body keeps both listings
    assert snapshot_counts(tmp_db)[FAULTY] == len(server.simulator.scope_members(FAULTY))
    assert_tick_consistent(tmp_db, "t-1", SCOPES)  # includes the duplicates check: clean


def test_null_and_missing_fields_land_as_nulls(simulator_factory: Factory, tmp_db: str):
    server = sim(simulator_factory)
    server.set_faults({"body": ["null_fields"]})
    tick(tmp_db, settings_for(server), scopes=[SALES])
    assert landed(tmp_db)[SALES.key][:2] == ("ok", None)
    with connect(tmp_db, read_only=True) as con:
        agents = con.execute(
            "SELECT count(*), count(first_name), count(email), count(user_id) FROM agents"
        ).fetchall()[0]
        away = con.execute("SELECT count(*) FROM snapshots WHERE status = 'AWAY'").fetchall()
        capacity = con.execute("SELECT count(*) FROM channel_capacity").fetchall()[0][0]
    members = len(server.simulator.scope_members(SALES.key))
    truly_away = len(server.simulator.availability({"skillIds": ["sk-sales"]}, FIXED)["AWAY"])
    assert truly_away and away == [(0,)]  # the null AWAY bucket lists nobody
    assert agents == (members - truly_away, 0, 0, 0)
    assert capacity == 0
    server.set_faults({"body": ["missing_fields", "unknown_fields"]})
    tick(tmp_db, settings_for(server), "t-2", scopes=[SALES])
    with connect(tmp_db, read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM snapshots WHERE tick_id = 't-2'").fetchall()
        kept = con.execute(
            "SELECT attributes->>'$.presence.source[0]' FROM agents LIMIT 1"
        ).fetchall()[0][0]
    assert rows[0][0] == members and kept == "voice"  # unknown fields kept in attributes


def test_odd_field_types_and_json_duckdb_refuses_still_land(tmp_db: str):
    """Values of the wrong type become NULL; repeated keys and lone surrogates (which DuckDB's
    JSON reader refuses and Python's accepts) are re-serialized, so the tick still lands."""
    body = (
        '{"AVAILABLE": [{"_id": "a-1", "firstName": 42, "userId": {"x": 1},'
        ' "isDigitalEnabled": "yes", "channelCapacity": "n/a"}],'
        ' "BUSY": [{"_id": "a-2\\ud800", "lastName": "Lone surrogate"}],'
        ' "BUSY": [{"_id": "a-3"}], "OFFLINE": [], "AWAY": null}'
    )
    with static_server(json_answer(body)) as host:
        tick(tmp_db, settings_for(host), scopes=[ALL])
    assert landed(tmp_db)["all"] == ("ok", None, 200, 1)
    with connect(tmp_db, read_only=True) as con:
        rows = con.execute("SELECT agent_id, status FROM snapshots ORDER BY agent_id").fetchall()
        first = con.execute(
            "SELECT first_name, user_id, is_digital_enabled FROM agents WHERE agent_id = 'a-1'"
        ).fetchall()
    assert rows == [("a-1", "AVAILABLE"), ("a-2?", "BUSY"), ("a-3", "BUSY")]
    assert first == [("42", '{"x":1}', True)]  # DuckDB reads "yes" as true


def test_agent_without_id_refuses_the_answer_rather_than_under_count(tmp_db: str):
    body = '{"AVAILABLE": [{"_id": "a-1"}, {"firstName": "Nobody"}], "BUSY": []}'
    with static_server(json_answer(body)) as host:
        tick(tmp_db, settings_for(host), scopes=[ALL])
    assert landed(tmp_db)["all"] == ("error", "invalid_response", 200, 1)
    assert "'_id'" in error_text(tmp_db, "all")
    assert snapshot_counts(tmp_db) == {}  # the interval stays unobserved, not "one agent"


@pytest.mark.slow
def test_50000_agent_payload_lands_in_one_tick(tmp_db: str):
    buckets: dict[str, list[dict[str, Any]]] = {b: [] for b in ("AVAILABLE", "BUSY", "AWAY")}
    buckets["OFFLINE"] = []
    names = list(buckets)
    for i in range(50_000):
        buckets[names[i % 4]].append(
            {
                "_id": f"a-{i:06d}",
                "userId": f"u-{i:06d}",
                "firstName": "Agent",
                "lastName": f"N{i}",
                "emailId": f"agent{i}@example.com",
                "customId": str(i),
                "phoneNumber": f"555{i:07d}",
                "isDigitalEnabled": True,
                "channelCapacity": {
                    c: {"isEnabled": True, "totalCapacity": 3, "usedCapacity": 1,
                        "availableCapacity": 2}
                    for c in ("liveChat", "messaging", "email", "voice", "voiceMail")
                },
            }
        )  # fmt: skip
    payload = json.dumps(buckets, separators=(",", ":")).encode("utf-8")
    with static_server(json_answer(payload)) as host:
        started = time.monotonic()
        outcome = tick(tmp_db, settings_for(host, read_timeout_s=30, tick_deadline_s=60),
                       scopes=[ALL], pii=PiiPolicy("hash", key=b"k" * 32))  # fmt: skip
        elapsed = time.monotonic() - started
    print(
        f"\n50,000 agents ({len(payload) / 1e6:.1f} MB body) polled and landed in {elapsed:.1f} s"
    )
    assert outcome.counts["snapshot_rows"] == 50_000
    with connect(tmp_db, read_only=True) as con:
        figures = con.execute(
            "SELECT (SELECT count(*) FROM agents), (SELECT count(*) FROM channel_capacity),"
            " (SELECT count(*) FROM agents WHERE email LIKE 'pii:%'),"
            " (SELECT count(DISTINCT status) FROM snapshots)"
        ).fetchall()[0]
    # How fast is the benchmarks' business (the figure above is for the reader): this test
    # checks that the answer lands whole within the tick's deadline, on any machine.
    assert figures == (50_000, 250_000, 50_000, 4)


# --------------------------------------------------------------------------------------------
# Through Dagster
# --------------------------------------------------------------------------------------------

CHECKS = [snapshots_have_no_duplicates, last_tick_is_fresh, last_tick_scopes_succeeded]


def dagster_resources(server: SimulatorServer, database: str, tmp_path: Path) -> dict[str, Any]:
    scopes_file = tmp_path / "scopes.toml"
    lines = []
    for s in SCOPES:
        lines += ["[[scope]]", f'kind = "{s.kind}"', f'name = "{s.name}"']
        lines += [f'id = "{s.ref_id}"'] if s.ref_id else []
    scopes_file.write_text("\n".join(lines) + "\n")
    env = server.env(include_secret=True)
    kore = KoreResource(
        **connection_settings(env),
        tick_deadline_seconds=8.0,
        max_attempts=3,
        backoff_base_seconds=0.05,
        backoff_cap_seconds=0.2,
    )
    return {
        "kore": kore,
        "scopes": ScopesResource(path=str(scopes_file)),
        "warehouse": WarehouseResource(database=database),
    }


def test_dagster_run_names_the_failed_scope_and_the_check_fails(
    simulator_factory: Factory, tmp_db: str, tmp_path: Path
):
    server = sim(simulator_factory)
    scope_faults(server, error_rates={"503": 1.0})
    result = materialize(
        [availability_snapshots, *CHECKS],
        resources=dagster_resources(server, tmp_db, tmp_path),
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert result.success  # the other scopes' data is in
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["failed_scope_keys"].value == [FAULTY]
    assert metadata["scopes_failed"].value == 1 and metadata["scopes_ok"].value == 3
    assert FAULTY in metadata["failed_scopes"].value and "server" in metadata["failed_scopes"].value
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["last_tick_scopes_succeeded"].passed
    assert FAULTY in checks["last_tick_scopes_succeeded"].metadata["failed"].value
    assert checks["snapshots_have_no_duplicates"].passed
    assert landed(tmp_db, metadata["tick_id"].value)[FAULTY] == ("error", "server", 503, 3)


def test_dagster_every_scope_failing_fails_the_run(
    simulator_factory: Factory, tmp_db: str, tmp_path: Path
):
    server = sim(simulator_factory)
    server.set_faults({"error_rates": {"403": 1.0}})
    result = materialize(
        [availability_snapshots],
        resources=dagster_resources(server, tmp_db, tmp_path),
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "KORE_CLIENT_ID" in str(failure.event_specific_data.error)
    with connect(tmp_db, read_only=True) as con:
        assert con.execute("SELECT scopes_asked, scopes_failed FROM ticks").fetchall() == [(4, 4)]


def test_dagster_rerun_of_a_schedule_slot_replaces_its_tick(
    simulator_factory: Factory, tmp_db: str, tmp_path: Path
):
    server = sim(simulator_factory)
    resources = dagster_resources(server, tmp_db, tmp_path)
    slot = {"dagster/scheduled_execution_time": "2026-11-25T19:30:00+00:00"}
    for faults in ({"scopes": {FAULTY: {"error_rates": {"502": 1.0}}}}, {"scopes": {}}):
        server.set_faults(faults)
        result = materialize(
            [availability_snapshots],
            resources=resources,
            instance=DagsterInstance.ephemeral(),
            tags=slot,
        )
        assert result.success
    tick_id = "sched-2026-11-25T19:30:00+00:00"
    assert_tick_consistent(tmp_db, tick_id, SCOPES)
    assert landed(tmp_db, tick_id)[FAULTY] == ("ok", None, 200, 1)  # the re-run's answer
    with connect(tmp_db, read_only=True) as con:
        assert con.execute("SELECT list(tick_id) FROM ticks").fetchall()[0][0] == [tick_id]
