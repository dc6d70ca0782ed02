"""The simulator honours Kore.ai's availability contract and its truth is exact and consistent.

Everything HTTP-facing runs against the real server on 127.0.0.1 with PyJWT-minted tokens, so
the pipeline's client is later tested against the same behaviour these tests pin down.
"""

from __future__ import annotations

import json
import selectors
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import jwt
import pytest

from pipelines.net import is_loopback_host
from pipelines.simulator import (
    BUCKETS,
    CHANNELS,
    QUEUES,
    RATE_LIMIT_MESSAGE,
    SKILLS,
    Simulator,
    SimulatorConfig,
    SimulatorServer,
    StatusSpan,
    main,
)

ROOT = Path(__file__).resolve().parents[2]
WRONG_SECRET = "a-wrong-secret-long-enough-for-hs256-keys"
# 15:00 in New York on a Monday: day, early and evening shifts overlap, every bucket is populated.
BUSY_AFTERNOON = datetime(2026, 5, 4, 19, 0, tzinfo=UTC)
V1_FIELDS = {"_id", "userId", "firstName", "lastName", "emailId", "customId", "phoneNumber"}

Factory = Callable[..., SimulatorServer]
# One pooled client for the module: building an httpx client per request costs ~20 ms.
CLIENT = httpx.Client(timeout=10)


def fixed(at: datetime) -> Callable[[], datetime]:
    return lambda: at


def token(
    server: SimulatorServer,
    algorithm: str = "HS256",
    secret: str | None = None,
    **claims: Any,
) -> str:
    payload = {"appId": server.config.client_id, **claims}
    return jwt.encode(payload, secret or server.config.client_secret, algorithm=algorithm)


def post(
    server: SimulatorServer,
    body: Any = None,
    *,
    auth: str | None = "",
    account: str | None = "",
    bot_id: str | None = None,
    content: bytes | None = None,
) -> httpx.Response:
    """One availability request; ``auth``/``account`` default to valid values, None omits."""
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["auth"] = auth or token(server)
    if account is not None:
        headers["accountId"] = account or server.config.account_id
    url = f"{server.base_url}/agentassist/api/v1/public/{bot_id or server.config.bot_id}"
    url += "/agents/availability"
    if content is None:
        content = json.dumps({} if body is None else body).encode()
    return CLIENT.post(url, content=content, headers=headers)


def ids_in(response: dict[str, list[dict[str, Any]]]) -> set[str]:
    return {agent["_id"] for agents in response.values() for agent in agents}


def assert_kore_error(response: httpx.Response, status: int, code: int, msg: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"errors": [{"msg": msg, "code": code}]}


def assert_contiguous(spans: list[StatusSpan], start: datetime, end: datetime) -> None:
    by_agent: dict[str, list[StatusSpan]] = {}
    for span in spans:
        by_agent.setdefault(span.agent_id, []).append(span)
    for agent_spans in by_agent.values():
        assert agent_spans[0].start == start
        assert agent_spans[-1].end == end
        for before, after in zip(agent_spans, agent_spans[1:], strict=False):
            assert before.end == after.start
            assert before.start < before.end
            assert (before.bucket, before.detail) != (after.bucket, after.detail)


# ---- the response ----------------------------------------------------------------------------


def test_v2_response_has_every_bucket_and_consistent_capacity(simulator_factory: Factory) -> None:
    server = simulator_factory(clock=fixed(BUSY_AFTERNOON))
    response = post(server)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert set(data) == set(BUCKETS)
    assert all(data[bucket] for bucket in BUCKETS), {b: len(v) for b, v in data.items()}
    assert len(ids_in(data)) == sum(len(v) for v in data.values()) == 200
    sim = server.simulator
    for bucket, agents in data.items():
        for agent in agents:
            assert set(agent) == V1_FIELDS | {"isDigitalEnabled", "channelCapacity"}
            assert agent["_id"].startswith("a-") and agent["userId"].startswith("u-")
            assert agent["emailId"].endswith("@example.com")
            capacity = agent["channelCapacity"]
            assert set(capacity) == set(CHANNELS)
            enabled = [c for c in CHANNELS if capacity[c]["isEnabled"]]
            assert enabled
            for channel in capacity.values():
                assert (
                    channel["usedCapacity"] + channel["availableCapacity"]
                    <= channel["totalCapacity"]
                )
                assert channel["isEnabled"] or channel["totalCapacity"] == 0
            digital = any(capacity[c]["isEnabled"] for c in ("liveChat", "messaging", "email"))
            assert agent["isDigitalEnabled"] == digital
            handling = sim.status_at(agent["_id"], BUSY_AFTERNOON)[1] in ("On Call", "On Chat")
            # Used capacity exactly when the agent handles a contact (never in Training).
            assert any(capacity[c]["usedCapacity"] > 0 for c in enabled) == handling
            if bucket == "BUSY":
                assert all(capacity[c]["availableCapacity"] == 0 for c in CHANNELS)
            elif bucket == "AVAILABLE":
                assert any(capacity[c]["availableCapacity"] > 0 for c in enabled)
            else:
                assert all(capacity[c]["availableCapacity"] == 0 for c in CHANNELS)
    sim = server.simulator
    for bucket, agents in data.items():
        for agent in agents:
            assert sim.status_at(agent["_id"], BUSY_AFTERNOON)[0] == bucket


def test_v1_response_has_only_the_classic_fields(simulator_factory: Factory) -> None:
    server = simulator_factory(response_shape="v1", clock=fixed(BUSY_AFTERNOON))
    data = post(server).json()
    assert set(data) == set(BUCKETS)
    agents = [agent for bucket in data.values() for agent in bucket]
    assert len(agents) == 200
    assert all(set(agent) == V1_FIELDS for agent in agents)
    first = server.simulator.roster[0]
    by_id = {agent["_id"]: agent for agent in agents}
    assert by_id[first.agent_id] == {
        "_id": first.agent_id,
        "userId": first.user_id,
        "firstName": first.first_name,
        "lastName": first.last_name,
        "emailId": first.email,
        "customId": first.custom_id,
        "phoneNumber": first.phone,
    }


def test_filters_match_the_model_membership(simulator_factory: Factory) -> None:
    server = simulator_factory(rate_limit_per_minute=None, clock=fixed(BUSY_AFTERNOON))
    sim = server.simulator
    assert all(a.skills and len(a.skills) <= 3 for a in sim.roster)
    for skill in SKILLS:
        expected = set(sim.scope_members(f"skill:{skill}"))
        assert expected, f"skill {skill} has no members"
        assert ids_in(post(server, {"skillIds": [skill]}).json()) == expected
    for queue, (_, skills) in QUEUES.items():
        expected = {a.agent_id for a in sim.queue_members(queue)}
        assert expected == set(sim.scope_members(f"queue:{queue}"))
        assert expected == {a.agent_id for a in sim.roster if set(a.skills) & set(skills)}
        assert ids_in(post(server, {"queueIds": [queue]}).json()) == expected
    picked = [a.agent_id for a in sim.roster[5:9]]
    assert ids_in(post(server, {"agentIds": picked}).json()) == set(picked)
    # OR within a key, AND across keys.
    either = set(sim.scope_members("skill:sk-sales")) | set(sim.scope_members("skill:sk-vip"))
    assert ids_in(post(server, {"skillIds": ["sk-sales", "sk-vip"]}).json()) == either
    both = set(sim.scope_members("skill:sk-sales")) & set(sim.scope_members("queue:qu-support"))
    combined = post(server, {"skillIds": ["sk-sales"], "queueIds": ["qu-support"]}).json()
    assert ids_in(combined) == both
    assert ids_in(post(server, {"skillIds": [], "queueIds": []}).json()) == set(
        sim.scope_members("all")
    )
    for body in ({"skillIds": ["sk-nope"]}, {"queueIds": ["qu-nope"]}, {"agentIds": ["a-x"]}):
        unknown = post(server, body)
        assert unknown.status_code == 200
        assert unknown.json() == {bucket: [] for bucket in BUCKETS}


def test_invalid_bodies_get_400(simulator_factory: Factory) -> None:
    server = simulator_factory(rate_limit_per_minute=None)
    for content in (b"[1, 2]", b"not json", b'"text"', b'{"skillIds": "sk-sales"}'):
        response = post(server, content=content)
        assert response.status_code == 400, content
        assert response.json()["errors"][0]["code"] == 400
    assert post(server, {"agentIds": [1, 2]}).status_code == 400
    assert post(server, content=b"").status_code == 200


# ---- auth, account and rate limit ------------------------------------------------------------


def test_unknown_bot_gets_404(simulator: SimulatorServer) -> None:
    assert_kore_error(post(simulator, bot_id="st-other"), 404, 404, "Bot not found: st-other")


def test_jwt_failures_get_401_with_kore_body(simulator: SimulatorServer) -> None:
    cases = {
        "invalid signature": token(simulator, secret=WRONG_SECRET),
        "invalid appId": token(simulator, appId="cs-someone-else"),
        "jwt malformed": "not-a-jwt",
        "jwt must be provided": None,
        "jwt expired": token(simulator, exp=int(time.time()) - 600),
        "invalid algorithm": jwt.encode(
            {"appId": simulator.config.client_id}, simulator.config.client_secret, "HS384"
        ),
    }
    for reason, value in cases.items():
        response = post(simulator, auth=value)
        assert_kore_error(response, 401, 401, f"error verifying the jwt: {reason}")
    assert simulator.requests_served[401] == len(cases)


def test_hs512_and_claims_beyond_app_id_are_accepted(simulator: SimulatorServer) -> None:
    assert post(simulator, auth=token(simulator, "HS512")).status_code == 200
    now = int(time.time())
    assert post(simulator, auth=token(simulator, sub="x", exp=now + 60)).status_code == 200


def test_account_header_is_required_and_checked(simulator: SimulatorServer) -> None:
    assert_kore_error(post(simulator, account=None), 400, 400, "accountId header is required")
    assert_kore_error(post(simulator, account="other"), 401, 4002, "Invalid SDK credentials")
    # The JWT is checked before the account, as the contract orders them.
    response = post(simulator, auth="junk", account=None)
    assert response.status_code == 401


def test_rate_limit_per_account_with_retry_after(simulator_factory: Factory) -> None:
    server = simulator_factory(rate_limit_per_minute=5)
    for _ in range(3):  # refused requests do not count toward the limit
        assert post(server, auth=token(server, secret=WRONG_SECRET)).status_code == 401
        assert post(server, account="other").status_code == 401
    assert [post(server).status_code for _ in range(5)] == [200] * 5
    limited = post(server)
    assert_kore_error(limited, 429, 429, RATE_LIMIT_MESSAGE)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    counts = server.requests_served
    assert counts[200] == 5 and counts[429] == 1 and counts[401] == 6
    assert counts == {200: 5, 429: 1, 401: 6} and counts.total == 12


def test_rate_limit_without_retry_after_header(simulator_factory: Factory) -> None:
    server = simulator_factory(rate_limit_per_minute=1, retry_after_header=False)
    assert post(server).status_code == 200
    limited = post(server)
    assert limited.status_code == 429
    assert "retry-after" not in limited.headers


def test_enforced_jti(simulator_factory: Factory) -> None:
    server = simulator_factory(enforce_jti=True, rate_limit_per_minute=None)
    now = int(time.time())

    def fresh(**claims: Any) -> str:
        return token(server, **{"jti": uuid.uuid4().hex, "iat": now, "exp": now + 300, **claims})

    reused = fresh()
    assert post(server, auth=reused).status_code == 200
    assert post(server, auth=fresh()).status_code == 200
    prefix = "error verifying the jwt: "
    assert_kore_error(
        post(server, auth=reused), 401, 401, prefix + "jti already used, possibly a replay"
    )
    too_long = fresh(exp=now + 3601)
    assert_kore_error(
        post(server, auth=too_long), 401, 401, prefix + "exp must be at most 1 hour after iat"
    )
    expired = fresh(iat=now - 900, exp=now - 300)
    assert_kore_error(post(server, auth=expired), 401, 401, prefix + "jwt expired")
    assert_kore_error(post(server, auth=token(server)), 401, 401, prefix + "jti is required")


# ---- the model -------------------------------------------------------------------------------


def test_same_seed_same_roster_and_statuses() -> None:
    first, second = Simulator(SimulatorConfig()), Simulator(SimulatorConfig())
    assert first.roster == second.roster
    assert len({a.agent_id for a in first.roster}) == 200
    assert len({a.email for a in first.roster}) == 200
    instants = [BUSY_AFTERNOON + timedelta(minutes=37 * k) for k in range(40)]
    for agent in first.roster:
        for at in instants:
            assert first.status_at(agent.agent_id, at) == second.status_at(agent.agent_id, at)
    assert first.availability({}, BUSY_AFTERNOON) == second.availability({}, BUSY_AFTERNOON)
    other = Simulator(SimulatorConfig(seed=8))
    assert [a.agent_id for a in other.roster] != [a.agent_id for a in first.roster]


def test_the_roster_covers_every_skill_and_uses_the_scopes_file_ids() -> None:
    sim = Simulator(SimulatorConfig())
    assert set(SKILLS) == {
        "sk-billing",
        "sk-sales",
        "sk-tech-support",
        "sk-retention",
        "sk-spanish",
        "sk-vip",
    }
    text = (ROOT / "config" / "scopes.toml").read_text()
    for ref in [*SKILLS, *QUEUES]:
        assert f'id = "{ref}"' in text
        assert sim.scope_members(f"{'skill' if ref.startswith('sk-') else 'queue'}:{ref}")
    assert sim.scope_members("skill:sk-unknown") == []
    with pytest.raises(ValueError):
        sim.scope_members("team:x")


def test_timeline_is_contiguous_covers_the_range_and_agrees_with_status_at() -> None:
    sim = Simulator(SimulatorConfig())
    start = datetime(2026, 5, 4, 13, 17, 42, 123456, tzinfo=UTC)
    end = start + timedelta(days=1, hours=3)
    spans = sim.timeline(start, end)  # how fast: benchmarks/bench_sizing.py
    assert {s.agent_id for s in spans} == {a.agent_id for a in sim.roster}
    assert_contiguous(spans, start, end)
    assert {s.bucket for s in spans} == set(BUCKETS)
    details = {s.detail for s in spans}
    assert {"Break", "Lunch", "On Call", "On Chat", "Login Prep", "Logged out"} <= details
    for span in spans[::7]:
        probes = [span.start, span.start + (span.end - span.start) / 2]
        for at in probes:
            assert sim.status_at(span.agent_id, at) == (span.bucket, span.detail)
    some = [a.agent_id for a in sim.roster[:3]]
    subset = sim.timeline(start, end, some)
    assert subset == [s for s in spans if s.agent_id in some]
    assert sim.timeline(start, start) == []


@pytest.mark.parametrize("day", ["2026-03-08", "2026-11-01"])
def test_timeline_is_contiguous_across_dst(day: str) -> None:
    sim = Simulator(SimulatorConfig())
    tz = ZoneInfo("America/New_York")
    local_midnight = datetime.fromisoformat(day).replace(tzinfo=tz)
    start = (local_midnight - timedelta(hours=6)).astimezone(UTC)
    end = (local_midnight + timedelta(hours=30)).astimezone(UTC)
    spans = sim.timeline(start, end)
    assert_contiguous(spans, start, end)
    for span in spans[::5]:
        assert sim.status_at(span.agent_id, span.start) == (span.bucket, span.detail)
    # Night-shift agents are logged in through the 02:00 transition.
    transition = datetime.fromisoformat(f"{day}T07:00:00+00:00")
    working = [a for a in sim.roster if sim.status_at(a.agent_id, transition)[0] != "OFFLINE"]
    assert working and all(a.shift == "night" for a in working)


def test_statuses_change_over_a_few_minutes() -> None:
    sim = Simulator(SimulatorConfig())
    for base in (BUSY_AFTERNOON, datetime(2026, 5, 5, 6, 30, tzinfo=UTC)):
        before = {a.agent_id: sim.status_at(a.agent_id, base)[0] for a in sim.roster}
        after = {
            a.agent_id: sim.status_at(a.agent_id, base + timedelta(minutes=10))[0]
            for a in sim.roster
        }
        changed = sum(before[k] != after[k] for k in before)
        assert changed >= 5, changed
        assert sum(v != "OFFLINE" for v in before.values()) >= 30


def test_the_server_reports_the_clock_it_is_given(simulator_factory: Factory) -> None:
    current = [BUSY_AFTERNOON]
    server = simulator_factory(rate_limit_per_minute=None, clock=lambda: current[0])
    sim = server.simulator
    for _ in range(3):
        data = post(server).json()
        for bucket, agents in data.items():
            for agent in agents:
                assert sim.status_at(agent["_id"], current[0])[0] == bucket
        current[0] += timedelta(minutes=4)


def test_custom_status_bucket(simulator_factory: Factory) -> None:
    plain = Simulator(SimulatorConfig())
    window = plain.timeline(BUSY_AFTERNOON, BUSY_AFTERNOON + timedelta(hours=1))
    on_break = next(s for s in window if s.detail == "Break")
    at = on_break.start
    server = simulator_factory(custom_status_bucket="BREAK", clock=fixed(at))
    data = post(server).json()
    assert set(data) == {*BUCKETS, "BREAK"}
    breaking = {a.agent_id for a in plain.roster if plain.status_at(a.agent_id, at)[1] == "Break"}
    assert {agent["_id"] for agent in data["BREAK"]} == breaking
    assert not breaking & {agent["_id"] for agent in data["AWAY"]}
    assert server.simulator.status_at(on_break.agent_id, at) == ("BREAK", "Break")
    # Without anyone on a break the extra key is left out, the four standard ones stay.
    assert set(server.simulator.availability({"agentIds": ["a-none"]}, at)) == set(BUCKETS)


# ---- faults ----------------------------------------------------------------------------------


def test_fault_injection(simulator_factory: Factory) -> None:
    server = simulator_factory(rate_limit_per_minute=None, faults={"error_rates": {503: 1.0}})
    assert_kore_error(post(server), 503, 503, "Service Unavailable")
    # Faults come after auth: a bad token still gets 401.
    assert post(server, auth=token(server, secret=WRONG_SECRET)).status_code == 401
    server.set_faults({"error_rates": {}, "malformed_rate": 1.0})
    broken = post(server)
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)
    server.set_faults({"malformed_rate": 0.0, "latency_ms": 150})
    began = time.perf_counter()
    assert post(server).status_code == 200
    assert time.perf_counter() - began >= 0.15
    counts = server.requests_served
    assert counts[503] == 1 and counts[401] == 1 and counts[200] == 2


def test_fault_rates_are_probabilities(simulator_factory: Factory) -> None:
    server = simulator_factory(rate_limit_per_minute=None)
    server.set_faults({"error_rates": {500: 0.5}})
    statuses = [post(server).status_code for _ in range(40)]
    assert 5 <= statuses.count(500) <= 35
    assert set(statuses) == {200, 500}


def test_debug_faults_endpoint(simulator: SimulatorServer) -> None:
    url = f"{simulator.base_url}/debug/faults"
    changed = CLIENT.post(url, json={"error_rates": {"502": 1.0}, "latency_ms": 5})
    assert changed.status_code == 200
    assert changed.json() == {"latency_ms": 5, "error_rates": {"502": 1.0}, "malformed_rate": 0.0}
    assert_kore_error(post(simulator), 502, 502, "Bad Gateway")
    assert CLIENT.post(url, json={"error_rates": {"502": 2}}).status_code == 400
    assert CLIENT.post(url, json={"bogus": 1}).status_code == 400
    assert CLIENT.get(url).json()["error_rates"] == {"502": 1.0}  # failed updates change nothing
    assert CLIENT.post(url, json={"error_rates": {}}).status_code == 200
    assert post(simulator).status_code == 200


def test_fail_first_and_per_scope_faults(simulator_factory: Factory) -> None:
    server = simulator_factory(rate_limit_per_minute=None, clock=fixed(BUSY_AFTERNOON))
    server.set_faults(
        {
            "scopes": {
                "skill:sk-sales": {"error_rates": {"503": 1.0}, "fail_first": 2},
                "queue:qu-billing": {"error_rates": {"403": 1.0}},
            }
        }
    )
    sales = [post(server, {"skillIds": ["sk-sales"]}).status_code for _ in range(3)]
    assert sales == [503, 503, 200]  # fails twice, then recovers
    assert [post(server, {"queueIds": ["qu-billing"]}).status_code for _ in range(2)] == [403] * 2
    assert post(server).status_code == 200  # other scopes are not affected
    assert post(server, {"skillIds": ["sk-billing"]}).status_code == 200
    server.set_faults(
        {"scopes": {"skill:sk-sales": {"error_rates": {"503": 1.0}, "fail_first": 1}}}
    )
    assert post(server, {"skillIds": ["sk-sales"]}).status_code == 503  # counts restart
    assert server.simulator.scope_key_of({"agentIds": ["a-1", "a-2"]}) == "agents:a-1,a-2"


def test_injected_401_429_and_403_bodies(simulator_factory: Factory) -> None:
    server = simulator_factory(rate_limit_per_minute=None)
    server.set_faults({"error_rates": {"401": 1.0}})
    assert_kore_error(post(server), 401, 401, "error verifying the jwt: jwt expired")
    server.set_faults({"auth_error": "jti already used, possibly a replay"})
    assert "replay" in post(server).json()["errors"][0]["msg"]
    server.set_faults({"error_rates": {"429": 1.0}, "retry_after_s": 2})
    limited = post(server)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    server.set_faults({"retry_after_s": None})
    assert "Retry-After" not in post(server).headers
    server.set_faults({"error_rates": {"403": 1.0}})
    assert post(server).json()["errors"][0]["code"] == 403


def test_body_faults(simulator_factory: Factory) -> None:
    server = simulator_factory(rate_limit_per_minute=None, clock=fixed(BUSY_AFTERNOON))
    normal = post(server).json()
    server.set_faults({"body": ["html"]})
    page = post(server)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    server.set_faults({"body": ["missing_buckets"]})
    assert set(post(server).json()) == {"AVAILABLE", "BUSY"}
    server.set_faults({"body": ["extra_bucket"]})
    extra = post(server).json()
    assert len(extra["TRAINING"]) == 1 and ids_in(extra) == ids_in(normal)
    server.set_faults({"body": ["duplicate_agent"]})
    doubled = post(server).json()
    listed = [a["_id"] for agents in doubled.values() for a in agents]
    assert len(listed) == len(set(listed)) + 1
    server.set_faults({"body": ["null_fields"]})
    nulled = post(server).json()
    assert nulled["AWAY"] is None
    assert all(set(a.values()) - {a["_id"]} <= {None} for a in nulled["AVAILABLE"])
    server.set_faults({"body": ["missing_fields", "unknown_fields"]})
    bare = post(server).json()
    assert all(set(a) == {"_id", "presence", "tags"} for a in bare["BUSY"])
    server.set_faults({"body": ["truncate"]})
    with pytest.raises(json.JSONDecodeError):
        json.loads(post(server).content)
    server.set_faults({"body": ["reset"]})
    with pytest.raises(httpx.TransportError):
        post(server)
    server.set_faults({"body": []})
    assert post(server).json() == normal


def test_fault_settings_are_validated(simulator: SimulatorServer) -> None:
    url = f"{simulator.base_url}/debug/faults"
    for bad in (
        {"body": ["melt"]},
        {"fail_first": -1},
        {"retry_after_s": "soon"},
        {"scopes": {"all": {"bogus": 1}}},
        {"scopes": {"all": {"error_rates": {"200": 1.0}}}},
        {"error_rates": {"500": 0.7, "503": 0.7}},
    ):
        assert CLIENT.post(url, json=bad).status_code == 400, bad
    changed = CLIENT.post(url, json={"fail_first": 1, "scopes": {"all": {"latency_ms": 5}}})
    assert changed.json()["fail_first"] == 1
    assert changed.json()["scopes"] == {"all": {"latency_ms": 5}}


# ---- debug endpoints -------------------------------------------------------------------------


def test_debug_truth_roster_and_health(simulator_factory: Factory) -> None:
    server = simulator_factory(clock=fixed(BUSY_AFTERNOON))
    base = server.base_url
    assert CLIENT.get(f"{base}/debug/health").json() == {"ok": True}
    roster = CLIENT.get(f"{base}/debug/roster").json()
    assert len(roster["agents"]) == 200
    first = roster["agents"][0]
    agent = server.simulator.roster[0]
    assert first["agentId"] == agent.agent_id and first["skills"] == list(agent.skills)
    assert first["queues"] == list(agent.queues)
    ids = [a.agent_id for a in server.simulator.roster[:4]]
    start, end = BUSY_AFTERNOON, BUSY_AFTERNOON + timedelta(hours=2)
    params = {"start": start.isoformat(), "end": end.isoformat(), "agentIds": ",".join(ids)}
    truth = CLIENT.get(f"{base}/debug/truth", params=params).json()["spans"]
    expected = server.simulator.timeline(start, end, ids)
    assert [
        (s["agentId"], datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]))
        for s in truth
    ] == [(s.agent_id, s.start, s.end) for s in expected]
    assert [(s["bucket"], s["detail"]) for s in truth] == [(s.bucket, s.detail) for s in expected]
    # The truth agrees with what the availability endpoint answered at the clock's instant.
    answered = post(server, {"agentIds": ids}).json()
    at_start = {s["agentId"]: s["bucket"] for s in truth if s["start"] == start.isoformat()}
    assert {a["_id"]: b for b, agents in answered.items() for a in agents} == at_start
    bad = CLIENT.get(f"{base}/debug/truth", params={"start": "yesterday"})
    assert bad.status_code == 400
    assert CLIENT.get(f"{base}/nowhere").status_code == 404


def test_debug_endpoints_are_for_loopback_clients_only() -> None:
    assert (
        is_loopback_host("127.0.0.1") and is_loopback_host("::1") and is_loopback_host("localhost")
    )
    assert not is_loopback_host("10.0.0.5") and not is_loopback_host("0.0.0.0")
    assert not is_loopback_host("example.com")


# ---- the server ------------------------------------------------------------------------------


def test_concurrent_keep_alive_requests(simulator_factory: Factory) -> None:
    server = simulator_factory(rate_limit_per_minute=None)
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    with httpx.Client(limits=limits, timeout=10) as client:
        headers = {"auth": token(server), "accountId": server.config.account_id}
        url = f"{server.base_url}/agentassist/api/v1/public/{server.config.bot_id}"
        url += "/agents/availability"

        def one(_: int) -> int:
            return client.post(url, json={"skillIds": ["sk-sales"]}, headers=headers).status_code

        with ThreadPoolExecutor(max_workers=100) as pool:
            statuses = list(pool.map(one, range(200)))
    assert statuses == [200] * 200
    assert server.requests_served[200] == 200


def test_stop_releases_the_port_and_secrets_stay_out_of_repr() -> None:
    server = SimulatorServer(SimulatorConfig()).start()
    url = server.base_url
    assert url.startswith("http://127.0.0.1:")
    with httpx.Client() as client:
        assert client.get(f"{url}/debug/health").status_code == 200
        server.stop()
        server.stop()
        with pytest.raises(httpx.TransportError):
            client.get(f"{url}/debug/health", timeout=2)
    assert "simulated-client-secret-for-the-kore-compatible-simulator-only-00001" not in repr(
        server.config
    )
    with SimulatorServer(SimulatorConfig(rate_limit_per_minute=None)) as again:
        assert httpx.get(f"{again.base_url}/debug/health").status_code == 200


def test_fixtures_point_at_the_running_simulator(
    simulator: SimulatorServer, kore_env: dict[str, str], tmp_db: str
) -> None:
    assert kore_env == {
        "KORE_HOST": simulator.base_url,
        "KORE_BOT_ID": "st-simulated-bot",
        "KORE_ACCOUNT_ID": "sim-account",
        "KORE_CLIENT_ID": "cs-simulated-client",
        "KORE_ORG_ID": SimulatorConfig().org_id,
        "KORE_CLIENT_SECRET": SimulatorConfig().client_secret,
    }
    assert tmp_db.endswith(".duckdb") and not Path(tmp_db).exists()


# ---- command line ----------------------------------------------------------------------------


def _read_line(proc: subprocess.Popen[str], timeout: float = 15.0) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        assert selector.select(timeout), "the simulator printed nothing"
    return proc.stdout.readline().strip()


@pytest.mark.subprocess
@pytest.mark.parametrize("print_env", [False, True])
def test_cli_serves_until_sigterm(print_env: bool) -> None:
    args = [sys.executable, "-m", "pipelines.simulator", "--port", "0", "--agents", "20"]
    args += ["--rate-limit", "0", "--shape", "v1"] + (["--print-env"] if print_env else [])
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        first = _read_line(proc)
        assert first.startswith("listening on http://127.0.0.1:")
        base_url = first.removeprefix("listening on ")
        assert httpx.get(f"{base_url}/debug/health", timeout=5).json() == {"ok": True}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout is not None
        out = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert f"KORE_HOST={base_url}" in out and "KORE_CLIENT_ID=cs-simulated-client" in out
    assert (
        "simulated-client-secret-for-the-kore-compatible-simulator-only-00001" in out
    ) is print_env


def test_cli_refuses_a_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err
