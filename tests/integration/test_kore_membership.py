"""List All Agents, queues/agents and the shared request budget against the simulator.

The simulator runs as a real HTTP server on 127.0.0.1 with a fixed model clock, so the
membership the client reads can be compared with the simulator's truth exactly; the budget
tests count what the server itself answered (200s and 429s).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipelines.kore import (
    PRIORITY_MEMBERSHIP,
    AgentsPage,
    KoreAgentsClient,
    KoreAvailabilityClient,
    KoreQueuesClient,
    KoreScopeMissingError,
    KoreSettings,
    RequestPlanner,
    catalogue,
    membership_rows,
    next_pages,
)
from pipelines.scopes import Scope
from pipelines.simulator import SimulatorServer
from tests.support.kore import simulator_settings

Factory = Callable[..., SimulatorServer]
FIXED = datetime(2026, 11, 25, 19, 30, tzinfo=UTC)


def settings_for(server: SimulatorServer, **overrides: Any) -> KoreSettings:
    return simulator_settings(server.env(include_secret=True), **overrides)


def read_listing(client: KoreAgentsClient) -> list[AgentsPage]:
    """Page 1, then every page it announces (bounded by the total)."""
    (first,) = client.list_pages_sync([1])
    assert first.ok, first.error_text
    pages = [first.value]
    calls = client.list_pages_sync(next_pages(first.value))
    assert all(call.ok for call in calls), [c.error_text for c in calls if not c.ok]
    return pages + [call.value for call in calls]


def test_the_listing_gives_the_simulators_membership(simulator_factory: Factory) -> None:
    server = simulator_factory(
        agents=45, skills=9, queues=5, page_size=10, seed=3, clock=lambda: FIXED
    )
    pages = read_listing(KoreAgentsClient(settings_for(server)))
    assert [p.page for p in pages] == [1, 2, 3, 4, 5]
    assert pages[-1].has_more is False and pages[0].total_results == 45
    agents = [agent for page in pages for agent in page.agents]
    rows = membership_rows(agents)
    truth = server.simulator.membership_at(FIXED)
    expected = sorted(
        (agent_id, f"{kind}:{ref}")
        for agent_id, (skills, queues) in truth.items()
        for kind, refs in (("skill", skills), ("queue", queues))
        for ref in refs
    )
    assert sorted(zip(rows["agent_id"], rows["scope_key"], strict=True)) == expected
    found = catalogue(agents)
    names = dict(zip(found["scope_key"], found["name"], strict=True))
    for skill_id, name in server.simulator.catalogue.skills.items():
        if f"skill:{skill_id}" in names:
            assert names[f"skill:{skill_id}"] == name
    assert server.requests_by_route()["agents"][200] == 5


def test_queue_agents_match_the_listing(simulator_factory: Factory) -> None:
    server = simulator_factory(agents=40, queues=4, seed=5, clock=lambda: FIXED)
    settings = settings_for(server)
    rows = membership_rows(
        agent for page in read_listing(KoreAgentsClient(settings)) for agent in page.agents
    )
    queues = sorted(set(rows.loc[rows["kind"] == "queue", "ref_id"]))
    calls = KoreQueuesClient(settings).queues_agents_sync(queues)
    for queue_id, call in zip(queues, calls, strict=True):
        assert call.ok, call.error_text
        listed = set(rows.loc[rows["scope_key"] == f"queue:{queue_id}", "agent_id"])
        assert {agent.agent_id for agent in call.value} == listed
    some = sorted(set(rows["agent_id"]))[:1]
    call = KoreQueuesClient(settings).agent_queues_sync(some)
    assert set(call.value) == set(rows.loc[rows["agent_id"] == some[0]]["ref_id"]) & set(queues)


@pytest.mark.parametrize(
    ("missing", "listing_ok", "config_ok", "named"),
    [
        (("smartassist_analytics",), False, True, "SmartAssist Analytics"),
        (("configuration",), True, False, "Configuration"),
    ],
)
def test_a_missing_api_scope_is_named_so_acquisition_can_fall_back(
    simulator_factory: Factory,
    missing: tuple[str, ...],
    listing_ok: bool,
    config_ok: bool,
    named: str,
) -> None:
    server = simulator_factory(agents=20, missing_api_scopes=missing, clock=lambda: FIXED)
    settings = settings_for(server)
    (page,) = KoreAgentsClient(settings).list_pages_sync([1])
    (availability,) = KoreAvailabilityClient(settings).poll_sync([Scope("all", "", "All")])
    queues = KoreQueuesClient(settings).queue_agents_sync(["qu-any"])
    assert page.ok is listing_ok and availability.ok is config_ok and queues.ok is config_ok
    refused = [c for c in (page, queues) if not c.ok]
    if not availability.ok:
        assert availability.error_kind == "scope_missing"
        assert f"'{named}'" in (availability.error_text or "")
    for call in refused:
        assert call.error_kind == "scope_missing" and call.attempts == 1
        assert isinstance(call.last_error, KoreScopeMissingError)
        assert call.last_error.api_scope == named
        assert f"'{named}'" in (call.error_text or "")


def poll_in_thread(client: KoreAvailabilityClient, scopes: list[Scope], out: list) -> None:
    out.extend(client.poll_sync(scopes))


def test_two_overlapping_runs_on_one_ledger_never_trip_the_servers_limit(
    simulator_factory: Factory, tmp_path: Path
) -> None:
    """The measured bug: two runs outside the Dagster pool sent 120 requests in 25 s and got
    64 x 429. Each run here has its own planner (its own SQLite connection) on one ledger."""
    server = simulator_factory(agents=30, rate_limit_per_minute=60, clock=lambda: FIXED)
    ledger = tmp_path / "budget.sqlite"
    # Past the budget no slot frees within the 30 s deadline (the window is a minute), so the
    # deferred scopes fail at once; the long deadline only lets a slow machine send its 60.
    settings = settings_for(server, tick_deadline_s=30.0)
    scopes = [Scope("all", "", "All agents")] * 60
    results: list[list] = [[], []]
    planners = [RequestPlanner.for_settings(settings, ledger) for _ in range(2)]
    threads = [
        threading.Thread(
            target=poll_in_thread,
            args=(KoreAvailabilityClient(settings, planner=p), scopes, out),
        )
        for p, out in zip(planners, results, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    sent = sum(r.attempts for run in results for r in run)
    assert sent == 60
    assert server.requests_served[429] == 0 and server.requests_served[200] == 60
    deferred = [r for run in results for r in run if not r.ok]
    assert len(deferred) == 60 and {r.error_kind for r in deferred} == {"rate_limited"}
    assert len(planners[0].sends(settings.account_id)) == 60
    for planner in planners:
        planner.close()


def test_membership_pages_leave_the_next_availability_request_its_slot(
    simulator_factory: Factory, tmp_path: Path
) -> None:
    server = simulator_factory(agents=200, page_size=10, rate_limit_per_minute=10)
    # The pages past the budget fail at once (no slot frees within the deadline: the window is
    # a minute), so a long deadline costs nothing and only keeps a slow machine from failing.
    settings = settings_for(server, tick_deadline_s=30.0, rate_limit_per_minute=10)
    ledger = tmp_path / "budget.sqlite"
    with RequestPlanner.for_settings(settings, ledger) as refresher:
        calls = KoreAgentsClient(settings, planner=refresher).list_pages_sync(
            list(range(1, 21)), priority=PRIORITY_MEMBERSHIP
        )
    assert sum(call.ok for call in calls) == 9  # 10 a minute, one kept for availability
    assert {c.error_kind for c in calls if not c.ok} == {"rate_limited"}
    with RequestPlanner.for_settings(settings, ledger) as poller:
        (result,) = KoreAvailabilityClient(settings, planner=poller).poll_sync(
            [Scope("all", "", "All agents")]
        )
    assert result.ok, result.error_text
    assert server.requests_served[429] == 0 and server.requests_served[200] == 10
