"""The simulator's catalogue, changing membership, membership endpoints, API scopes, one rate
budget, request log and drift, against the real server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from pipelines.scopes import Scope
from pipelines.simulator import (
    QUEUES,
    RATE_LIMIT_MESSAGE,
    SKILLS,
    Simulator,
    SimulatorConfig,
    SimulatorServer,
)
from pipelines.simulator.cli import _parser
from pipelines.simulator.history import seed_history
from pipelines.warehouse import connect

BUSY_AFTERNOON = datetime(2026, 5, 4, 19, 0, tzinfo=UTC)
DAY_START = datetime(2026, 5, 4, 4, 0, tzinfo=UTC)  # local midnight in New York
Factory = Callable[..., SimulatorServer]
CLIENT = httpx.Client(timeout=10)
SCOPE_403 = "The app is not authorized for the API scope '{}'"


class Clock:
    """A settable model clock."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def headers(server: SimulatorServer) -> dict[str, str]:
    token = jwt.encode({"appId": server.config.client_id}, server.config.client_secret, "HS256")
    return {"auth": token, "accountId": server.config.account_id}


def public(server: SimulatorServer, tail: str) -> str:
    return f"{server.base_url}/agentassist/api/v1/public/{server.config.bot_id}{tail}"


def availability(server: SimulatorServer, body: dict[str, Any]) -> httpx.Response:
    return CLIENT.post(public(server, "/agents/availability"), json=body, headers=headers(server))


def listing(
    server: SimulatorServer, page: int | None = 1, include_queues: str | None = "True", **kw: Any
) -> httpx.Response:
    params: dict[str, Any] = {}
    if page is not None:
        params["page"] = page
    if include_queues is not None:
        params["includeQueues"] = include_queues
    org = kw.get("org", server.config.org_id)
    url = public(server, f"/organizations/{org}/agents")
    return CLIENT.get(url, params=params, headers=kw.get("headers", headers(server)))


def queues_agents(server: SimulatorServer, body: Any) -> httpx.Response:
    return CLIENT.post(public(server, "/queues/agents"), json=body, headers=headers(server))


def all_pages(server: SimulatorServer) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = listing(server, page).json()
        results += answer["results"]
        if not answer["hasMore"]:
            return results
        page += 1
        assert page <= answer["totalPages"]


def ids_in(answer: dict[str, list[dict[str, Any]]]) -> set[str]:
    return {a["_id"] for agents in answer.values() for a in agents}


# ---- catalogue -------------------------------------------------------------------------------


def test_default_catalogue_and_roster_are_unchanged() -> None:
    sim = Simulator(SimulatorConfig())
    assert sim.catalogue.skills == SKILLS and sim.catalogue.queues == QUEUES
    for agent in sim.roster:
        served = {q for q, (_, skills) in QUEUES.items() if set(skills) & set(agent.skills)}
        assert set(agent.queues) == served
    assert sim.membership_at(BUSY_AFTERNOON) == {
        a.agent_id: (a.skills, a.queues) for a in sim.roster
    }


def test_a_large_catalogue_gives_every_scope_members_deterministically() -> None:
    config = SimulatorConfig(agents=2000, skills=40, queues=30)
    sim = Simulator(config)
    assert list(sim.catalogue.skills) == [f"sk-{i:03d}" for i in range(1, 41)]
    assert list(sim.catalogue.queues) == [f"qu-{i:03d}" for i in range(1, 31)]
    assert all(sim.catalogue.skills.values()) and all(n for n, _ in sim.catalogue.queues.values())
    assert all(1 <= len(a.skills) <= 4 for a in sim.roster)
    for skill in sim.catalogue.skills:
        assert sim.scope_members(f"skill:{skill}", BUSY_AFTERNOON)
    for queue in sim.catalogue.queues:
        assert sim.scope_members(f"queue:{queue}", BUSY_AFTERNOON)
    again = Simulator(SimulatorConfig(agents=2000, skills=40, queues=30))
    assert [(a.skills, a.queues) for a in again.roster] == [
        (a.skills, a.queues) for a in sim.roster
    ]
    other = Simulator(SimulatorConfig(agents=2000, skills=40, queues=30, seed=8))
    assert [a.skills for a in other.roster] != [a.skills for a in sim.roster]
    # Names, IDs and shifts are the roster's whatever the catalogue size.
    plain = Simulator(SimulatorConfig(agents=2000))
    assert [a.agent_id for a in plain.roster] == [a.agent_id for a in sim.roster]


# ---- membership changes ----------------------------------------------------------------------


def test_membership_changes_k_times_a_day_one_agent_one_ref_at_a_time() -> None:
    config = SimulatorConfig(agents=300, skills=12, queues=8, membership_changes_per_day=10)
    sim = Simulator(config)
    changes = sim.membership_changes(DAY_START, DAY_START + timedelta(days=1))
    assert len(changes) == 10
    assert changes == sorted(changes, key=lambda c: c.at)
    for change in changes:
        before = sim.membership_at(change.at - timedelta(seconds=1))
        after = sim.membership_at(change.at)
        differ = {a for a in before if before[a] != after[a]}
        assert differ == {change.agent_id}
        slot = 0 if change.kind == "skill" else 1
        old, new = set(before[change.agent_id][slot]), set(after[change.agent_id][slot])
        assert new ^ old == {change.ref_id}
        assert (change.ref_id in new) == (change.action == "add")
        assert 1 <= len(after[change.agent_id][0]) <= 4
        members = set(sim.scope_members(f"{change.kind}:{change.ref_id}", change.at))
        assert (change.agent_id in members) == (change.action == "add")
    # The same in another process (another instance), whatever was asked first.
    other = Simulator(config)
    late = DAY_START + timedelta(hours=23)
    assert other.membership_at(late) == sim.membership_at(late)
    assert other.membership_changes(DAY_START, DAY_START + timedelta(days=1)) == changes
    static = Simulator(SimulatorConfig(agents=300, skills=12, queues=8))
    assert static.membership_changes(DAY_START, DAY_START + timedelta(days=1)) == []


def test_endpoints_answer_with_the_membership_at_request_time(simulator_factory: Factory) -> None:
    config = dict(agents=120, skills=8, queues=5, membership_changes_per_day=24)
    probe = Simulator(SimulatorConfig(**config))
    changes = probe.membership_changes(DAY_START, DAY_START + timedelta(days=1))
    change = next(c for c in changes if c.kind == "queue")
    clock = Clock(change.at - timedelta(seconds=1))
    server = simulator_factory(rate_limit_per_minute=None, clock=clock, **config)
    key = "queueIds"
    answers = []
    for at in (change.at - timedelta(seconds=1), change.at):
        clock.at = at
        listed = {r["id"]: [q["id"] for q in r["queues"]] for r in all_pages(server)}
        members = {a["aId"] for a in queues_agents(server, {key: [change.ref_id]}).json()}
        queues = queues_agents(server, {"agentIds": [change.agent_id]}).json()
        filtered = ids_in(availability(server, {key: [change.ref_id]}).json())
        truth = CLIENT.get(
            f"{server.base_url}/debug/truth/membership", params={"at": at.isoformat()}
        ).json()
        assert (
            members == filtered == set(server.simulator.scope_members(f"queue:{change.ref_id}", at))
        )
        assert listed == {a: t["queues"] for a, t in truth.items()}
        assert queues == truth[change.agent_id]["queues"]
        answers.append(change.agent_id in members)
    assert answers == [change.action == "remove", change.action == "add"]
    document = CLIENT.get(
        f"{server.base_url}/debug/truth/membership/changes",
        params={"start": DAY_START.isoformat(), "end": (DAY_START + timedelta(days=1)).isoformat()},
    ).json()
    assert [c["at"] for c in document["changes"]] == [c.at.isoformat() for c in changes]


# ---- the listing and queues/agents -----------------------------------------------------------


def test_list_all_agents_pages_and_shape(simulator_factory: Factory) -> None:
    server = simulator_factory(
        agents=23, skills=8, queues=5, page_size=7, clock=Clock(BUSY_AFTERNOON)
    )
    first = listing(server, 1).json()
    assert {k: first[k] for k in ("hasMore", "totalPages", "totalResults", "skip", "limit")} == {
        "hasMore": True,
        "totalPages": 4,
        "totalResults": 23,
        "skip": 0,
        "limit": 7,
    }
    last = listing(server, 4).json()
    assert (len(last["results"]), last["hasMore"], last["skip"]) == (2, False, 21)
    assert listing(server, 5).json()["results"] == []
    results = all_pages(server)
    sim = server.simulator
    assert [r["id"] for r in results] == [a.agent_id for a in sim.roster]
    everyone = availability(server, {}).json()
    assert {r["id"] for r in results} == ids_in(everyone)
    membership = sim.membership_at(BUSY_AFTERNOON)
    for result, agent in zip(results, sim.roster, strict=True):
        assert result["userId"] == agent.user_id and result["status"] == "ACTIVE"
        assert result["orgId"] == server.config.org_id
        assert result["accountId"] == server.config.account_id
        assert (result["emailId"], result["firstName"]) == (agent.email, agent.first_name)
        assert result["agentGroups"] and result["phoneNumber"] == agent.phone
        skills, queues = membership[agent.agent_id]
        assert [s["skillId"] for s in result["skills"]] == list(skills)
        for s in result["skills"]:
            assert s["id"] == s["skillId"] and s["name"] == sim.catalogue.skills[s["skillId"]]
            assert s["userId"] == agent.user_id
            assert {"proficiencyLevel", "skillGroupId", "skillGroupName"} <= set(s)
        assert [q["id"] for q in result["queues"]] == list(queues)
        for q in result["queues"]:
            assert q["name"] == sim.catalogue.queues[q["id"]][0]
            assert {"description", "agents", "agentGroups"} <= set(q)
    assert "queues" not in listing(server, 1, include_queues=None).json()["results"][0]
    assert "queues" not in listing(server, 1, include_queues="false").json()["results"][0]
    assert listing(server, None).json()["skip"] == 0  # page defaults to 1
    for bad in (0, "x"):
        assert listing(server, bad).status_code == 400  # type: ignore[arg-type]
    missing = listing(server, 1, org="o-unknown")
    assert missing.status_code == 404
    assert missing.json() == {"errors": [{"msg": "Organization not found: o-unknown", "code": 404}]}


def test_queues_agents_both_ways(simulator_factory: Factory) -> None:
    server = simulator_factory(clock=Clock(BUSY_AFTERNOON))
    sim = server.simulator
    agents = queues_agents(server, {"queueIds": ["qu-billing", "qu-sales"]}).json()
    members = set(sim.scope_members("queue:qu-billing")) | set(sim.scope_members("queue:qu-sales"))
    assert [a["aId"] for a in agents] == [a.agent_id for a in sim.roster if a.agent_id in members]
    assert all(a.keys() == {"userId", "aId", "name", "profImage"} for a in agents)
    first = sim.agent(agents[0]["aId"])
    assert agents[0]["name"] == f"{first.first_name} {first.last_name}"
    assert agents[0]["userId"] == first.user_id
    agent = sim.roster[0]
    assert queues_agents(server, {"agentIds": [agent.agent_id]}).json() == list(agent.queues)
    assert queues_agents(server, {"agentIds": [agent.user_id]}).json() == list(agent.queues)
    assert queues_agents(server, {"queueIds": ["qu-nowhere"]}).json() == []
    for bad in ({}, {"queueIds": ["qu-sales"], "agentIds": []}, {"queueIds": "qu-sales"}, [1]):
        assert queues_agents(server, bad).status_code == 400


@pytest.mark.parametrize("route", ["availability", "listing", "queues_agents"])
def test_every_endpoint_checks_the_contract(simulator_factory: Factory, route: str) -> None:
    server = simulator_factory()
    url = {
        "availability": public(server, "/agents/availability"),
        "listing": public(server, f"/organizations/{server.config.org_id}/agents?page=1"),
        "queues_agents": public(server, "/queues/agents"),
    }[route]
    method = "GET" if route == "listing" else "POST"
    body = json.dumps({"queueIds": ["qu-sales"]} if route == "queues_agents" else {})
    good = headers(server)

    def send(hdrs: dict[str, str], target: str = url) -> httpx.Response:
        return CLIENT.request(method, target, headers=hdrs, content=body)

    assert send(good).status_code == 200
    assert send({"accountId": good["accountId"]}).json()["errors"][0]["code"] == 401
    wrong = jwt.encode({"appId": server.config.client_id}, "x" * 40, "HS256")
    refused = send({**good, "auth": wrong})
    assert refused.status_code == 401 and "invalid signature" in refused.text
    assert send({"auth": good["auth"]}).status_code == 400
    assert send({**good, "accountId": "other"}).json()["errors"][0]["code"] == 4002
    assert send(good, url.replace(server.config.bot_id, "st-other")).status_code == 404


# ---- API scopes, rate budget, request log ----------------------------------------------------


def test_missing_api_scopes_answer_403_with_kores_body(simulator_factory: Factory) -> None:
    analytics = simulator_factory(missing_api_scopes=("smartassist_analytics",))
    refused = listing(analytics)
    assert refused.status_code == 403
    assert refused.json() == {
        "errors": [{"msg": SCOPE_403.format("SmartAssist Analytics"), "code": 403}]
    }
    assert availability(analytics, {}).status_code == 200
    assert queues_agents(analytics, {"queueIds": ["qu-sales"]}).status_code == 200
    configuration = simulator_factory(missing_api_scopes=("configuration",))
    for response in (
        availability(configuration, {}),
        queues_agents(configuration, {"queueIds": ["qu-sales"]}),
    ):
        assert response.status_code == 403
        assert response.json()["errors"][0]["msg"] == SCOPE_403.format("Configuration")
    assert listing(configuration).status_code == 200
    with pytest.raises(ValueError, match="unknown API scope"):
        SimulatorConfig(missing_api_scopes=("wfm",)).validate()


def test_one_rate_budget_for_every_endpoint_of_the_account(simulator_factory: Factory) -> None:
    clock = Clock(BUSY_AFTERNOON)
    server = simulator_factory(rate_limit_per_minute=5, rate_clock="model", clock=clock)
    assert availability(server, {}).status_code == 200
    assert listing(server, 1).status_code == 200
    assert listing(server, 2).status_code == 200
    assert queues_agents(server, {"queueIds": ["qu-sales"]}).status_code == 200
    assert availability(server, {"skillIds": ["sk-sales"]}).status_code == 200
    for refused in (
        listing(server, 3),
        availability(server, {}),
        queues_agents(server, {"agentIds": []}),
    ):
        assert refused.status_code == 429
        assert refused.json() == {"errors": [{"msg": RATE_LIMIT_MESSAGE, "code": 429}]}
        assert refused.headers["Retry-After"] == "60"
    clock.at += timedelta(seconds=61)  # the window follows the model's clock
    assert listing(server, 3).status_code == 200
    by_route = server.requests_by_route()
    assert {r: dict(c) for r, c in by_route.items()} == {
        "availability": {200: 2, 429: 1},
        "agents": {200: 3, 429: 1},
        "queues_agents": {200: 1, 429: 1},
    }
    assert server.requests_served.total == 9
    stats = CLIENT.get(f"{server.base_url}/debug/stats").json()
    assert stats["total"] == 9 and stats["byRoute"]["agents"] == {"200": 3, "429": 1}


def test_the_request_log_says_what_was_served_and_when(simulator_factory: Factory) -> None:
    clock = Clock(BUSY_AFTERNOON)
    server = simulator_factory(rate_limit_per_minute=None, clock=clock)
    for minute in range(30):
        clock.at = BUSY_AFTERNOON + timedelta(minutes=minute)
        availability(server, {})
        if minute % 10 == 0:
            listing(server, 1)
    log = server.requests_log
    assert len(log) == 33 and server.requests_served[200] == 33
    assert [r.route for r in log[:2]] == ["availability", "agents"]
    assert log[1].method == "GET" and log[1].path.endswith(f"/{server.config.org_id}/agents")
    assert log[-1].at == BUSY_AFTERNOON + timedelta(minutes=29)
    minutes = (log[-1].at - log[0].at).total_seconds() / 60 + 1
    assert len(log) / minutes <= 1.1  # what "at most N requests a minute" tests read
    served = CLIENT.get(f"{server.base_url}/debug/requests").json()["requests"]
    assert [(r["route"], r["status"], r["at"]) for r in served] == [
        (r.route, r.status, r.at.isoformat()) for r in log
    ]
    CLIENT.get(f"{server.base_url}/debug/health")  # debug calls are not Kore requests
    assert len(server.requests_log) == 33


# ---- drift -----------------------------------------------------------------------------------


def test_drift_makes_filtered_answers_disagree_with_the_listing(simulator_factory: Factory) -> None:
    server = simulator_factory(
        rate_limit_per_minute=None, drift_agents=2, clock=Clock(BUSY_AFTERNOON)
    )
    sim = server.simulator
    listed = all_pages(server)
    for kind, key in (("skill", "skillIds"), ("queue", "queueIds")):
        ref = "sk-sales" if kind == "skill" else "qu-support"
        slot = "skills" if kind == "skill" else "queues"
        field = "skillId" if kind == "skill" else "id"
        from_listing = {r["id"] for r in listed if ref in [x[field] for x in r[slot]]}
        answered = ids_in(availability(server, {key: [ref]}).json())
        assert len(from_listing - answered) == 2 and len(answered - from_listing) == 2
        assert set(sim.scope_members(f"{kind}:{ref}")) == from_listing  # the truth is the listing
        assert ids_in(availability(server, {key: [ref]}).json()) == answered  # deterministic
    assert ids_in(availability(server, {}).json()) == {r["id"] for r in listed}
    plain = simulator_factory(rate_limit_per_minute=None, clock=Clock(BUSY_AFTERNOON))
    answered = ids_in(availability(plain, {"skillIds": ["sk-sales"]}).json())
    assert answered == set(plain.simulator.scope_members("skill:sk-sales"))


# ---- synthetic history and the command line --------------------------------------------------


def test_synthetic_history_uses_the_membership_at_each_tick(tmp_db: str) -> None:
    knobs = dict(skills=8, queues=5, membership_changes_per_day=48)
    sim = Simulator(SimulatorConfig(agents=60, seed=3, **knobs))
    start, end = DAY_START + timedelta(hours=10), DAY_START + timedelta(hours=12)
    changes = sim.membership_changes(start, end)
    assert changes, "the window must hold a membership change"
    scopes = [Scope(kind="all", ref_id="", name="All")] + [
        Scope(kind=c.kind, ref_id=c.ref_id, name=c.ref_id) for c in changes
    ]
    scopes = list({s.key: s for s in scopes}.values())
    with connect(tmp_db) as con:
        summary = seed_history(con, start=start, end=end, agents=60, seed=3, scopes=scopes, **knobs)
        rows = con.execute(
            "SELECT observed_at, scope_key, list(agent_id) FROM snapshots GROUP BY ALL"
        ).fetchall()
        ticks = [t for (t,) in con.execute("SELECT started_at FROM ticks ORDER BY 1").fetchall()]
    assert summary.ticks == len(ticks) == 120
    assert summary.snapshot_rows == sum(len(ids) for _, _, ids in rows)
    stored = {(observed_at, key): sorted(ids) for observed_at, key, ids in rows}
    for tick in ticks:
        for scope in scopes:
            expected = sorted(sim.scope_members(scope.key, tick))
            assert stored.get((tick, scope.key), []) == expected, (tick, scope.key)
    # Each change shows up between the ticks on either side of it.
    for change in changes:
        key = f"{change.kind}:{change.ref_id}"
        after = next(t for t in ticks if t >= change.at)
        before = after - timedelta(minutes=1)
        assert (change.agent_id in stored.get((after, key), [])) == (change.action == "add")
        assert (change.agent_id in stored.get((before, key), [])) == (change.action == "remove")


def test_cli_flags_for_the_new_knobs() -> None:
    args = _parser().parse_args(
        [
            "--skills", "40", "--queues", "30", "--page-size", "25",
            "--membership-changes-per-day", "12", "--drift-agents", "3",
            "--missing-api-scope", "smartassist_analytics", "--org-id", "o-test",
        ]
    )  # fmt: skip
    assert (args.skills, args.queues, args.page_size) == (40, 30, 25)
    assert (args.membership_changes_per_day, args.drift_agents) == (12, 3)
    assert args.missing_api_scope == ["smartassist_analytics"] and args.org_id == "o-test"
    defaults = _parser().parse_args([])
    assert (defaults.skills, defaults.queues, defaults.missing_api_scope) == (6, 4, [])
