"""List All Agents and queues/agents: parsing, the requests built, and refusals, without a server.

Requests go through ``httpx.MockTransport`` so the method, path, query and headers the client
sends are checked directly; the real simulator is in tests/integration/test_kore_membership.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pipelines.kore import (
    AgentsPage,
    KoreAgentsClient,
    KoreConfigError,
    KoreInvalidResponseError,
    KoreQueuesClient,
    KoreSettings,
    QueueAgent,
    RequestPlanner,
    catalogue,
    membership_rows,
    next_pages,
    parse_agents_page,
)
from pipelines.kore.agents import MEMBERSHIP_COLUMNS, agents_page_request
from pipelines.kore.queues import parse_agent_queues, parse_queue_agents

ORG = "o-org/1"

# The documented sample's shape (list-all-agents.mdx), trimmed, plus fields it lacks.
SAMPLE = {
    "results": [
        {
            "status": "ACTIVE",
            "id": "a-1",
            "userId": "u-1",
            "orgId": "o-1",
            "emailId": "jane@example.com",
            "skills": [
                {"skillId": "sk-sales", "id": "x-1", "name": "Sales", "proficiencyLevel": 3},
                {"skillId": "sk-billing", "name": "Billing"},
                {"name": "no id here"},
            ],
            "queues": [{"id": "qu-front", "name": "Front desk", "agents": []}],
            "agentGroups": [{"groupId": "ag-1"}],
            "somethingNew": {"nested": True},
        },
        {"id": "a-2", "userId": "u-2", "skills": [{"skillId": "sk-sales"}]},
        {"id": "a-3"},
    ],
    "hasMore": True,
    "totalPages": 3,
    "totalResults": 23,
    "skip": 0,
    "limit": 10,
}


def settings(**overrides: Any) -> KoreSettings:
    base: dict[str, Any] = {
        "host": "http://127.0.0.1:9",
        "bot_id": "st-bot",
        "account_id": "acc-1",
        "client_id": "cs-x",
        "client_secret": "s" * 40,
        "org_id": ORG,
        "tick_deadline_s": 5.0,
        "backoff_base_s": 0.01,
        "backoff_cap_s": 0.02,
    }
    base.update(overrides)
    return KoreSettings(**base)


def mock(
    handler: Callable[[httpx.Request], httpx.Response],
) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def test_a_page_is_parsed_tolerating_missing_and_extra_fields() -> None:
    text = json.dumps(SAMPLE)
    page, stored = parse_agents_page(text, page=1)
    assert stored == text
    assert (page.page, page.has_more, page.total_pages, page.total_results) == (1, True, 3, 23)
    assert [a.agent_id for a in page.agents] == ["a-1", "a-2", "a-3"]
    first = page.agents[0]
    assert first.user_id == "u-1" and first.status == "ACTIVE"
    assert [(r.ref_id, r.name) for r in first.skills] == [
        ("sk-sales", "Sales"),
        ("sk-billing", "Billing"),
    ]
    assert [(r.ref_id, r.name) for r in first.queues] == [("qu-front", "Front desk")]
    assert first.raw["somethingNew"] == {"nested": True}
    assert page.skipped == 1  # the skill without skillId
    assert page.agents[2].skills == () and page.agents[2].user_id is None
    assert next_pages(page) == [2, 3]


@pytest.mark.parametrize(
    ("body", "page", "has_more", "after"),
    [
        ({"results": [], "hasMore": False}, 4, False, []),
        ({"results": [{"id": "a-1"}], "totalPages": 2}, 1, True, [2]),
        ({"results": [{"id": "a-1"}], "totalPages": 2}, 2, False, []),
        ({"results": [{"id": "a-1"}] * 2, "limit": 2}, 5, True, [6]),
        ({"results": [{"id": "a-1"}], "limit": 2}, 5, False, []),
        ({"results": [{"id": "a-1"}], "hasMore": "true"}, 1, True, [2]),
    ],
)
def test_has_more_is_settled_when_the_answer_does_not_say(
    body: dict, page: int, has_more: bool, after: list[int]
) -> None:
    parsed, _ = parse_agents_page(json.dumps(body), page=page)
    assert parsed.has_more is has_more
    assert next_pages(parsed) == after


@pytest.mark.parametrize(
    ("text", "fragment", "transient"),
    [
        (json.dumps({"results": [{"userId": "u-1"}]}), "no 'id'", False),
        (json.dumps({"results": [{"id": ""}]}), "no 'id'", False),
        (json.dumps({"results": ["a-1"]}), "agent object", False),
        (json.dumps({"results": {"id": "a-1"}}), "should be a list", False),
        (json.dumps({"results": [{"id": "a-1", "skills": "sk-1"}]}), "'skills'", False),
        (json.dumps([{"id": "a-1"}]), "JSON object", False),
        (json.dumps({"agents": []}), "no 'results'", False),
        ('{"results": [{"id": "a-1"', "not valid JSON", True),
        ("<html>login</html>", "HTML page", False),
        (json.dumps({"errors": [{"msg": "nope", "code": 7}]}), "nope", False),
    ],
)
def test_a_page_that_is_not_a_listing_is_refused(text: str, fragment: str, transient: bool) -> None:
    with pytest.raises(KoreInvalidResponseError, match=fragment) as caught:
        parse_agents_page(text)
    assert caught.value.transient is transient


def test_membership_rows_and_the_catalogue() -> None:
    page, _ = parse_agents_page(json.dumps(SAMPLE), page=1)
    again, _ = parse_agents_page(json.dumps({"results": SAMPLE["results"][:1]}), page=2)
    rows = membership_rows([*page.agents, *again.agents])  # a-1 twice: pages shifted
    assert tuple(rows.columns) == MEMBERSHIP_COLUMNS
    assert rows.astype(object).where(rows.notna(), None).values.tolist() == [
        ["a-1", "u-1", "queue:qu-front", "queue", "qu-front", "Front desk"],
        ["a-1", "u-1", "skill:sk-billing", "skill", "sk-billing", "Billing"],
        ["a-1", "u-1", "skill:sk-sales", "skill", "sk-sales", "Sales"],
        ["a-2", "u-2", "skill:sk-sales", "skill", "sk-sales", None],
    ]
    found = catalogue(page.agents)
    assert found.to_dict("records") == [
        {"scope_key": "skill:sk-billing", "kind": "skill", "ref_id": "sk-billing",
         "name": "Billing", "agents": 1},
        {"scope_key": "skill:sk-sales", "kind": "skill", "ref_id": "sk-sales",
         "name": "Sales", "agents": 2},
        {"scope_key": "queue:qu-front", "kind": "queue", "ref_id": "qu-front",
         "name": "Front desk", "agents": 1},
    ]  # fmt: skip
    empty = membership_rows([])
    assert empty.empty and tuple(empty.columns) == MEMBERSHIP_COLUMNS


def test_queue_answers_are_parsed() -> None:
    agents, _ = parse_queue_agents(
        json.dumps([{"userId": "u-1", "aId": "a-1", "name": "Jane Doe", "profImage": "x"}])
    )
    assert agents == [QueueAgent(user_id="u-1", agent_id="a-1", name="Jane Doe")]
    assert parse_queue_agents(json.dumps({"data": [{"userId": "u-2"}]}))[0][0].user_id == "u-2"
    with pytest.raises(KoreInvalidResponseError, match="neither"):
        parse_queue_agents(json.dumps([{"name": "nobody"}]))
    with pytest.raises(KoreInvalidResponseError, match="JSON list"):
        parse_queue_agents(json.dumps({"userId": "u-1"}))
    assert parse_agent_queues(json.dumps(["qu-1", {"id": "qu-2"}]))[0] == ["qu-1", "qu-2"]
    with pytest.raises(KoreInvalidResponseError, match="not a queue ID"):
        parse_agent_queues(json.dumps([None]))


# --------------------------------------------------------------------------------------------
# The requests sent, through the shared client
# --------------------------------------------------------------------------------------------


def test_a_page_is_a_get_with_the_org_in_the_path_and_reserves_at_priority_1(
    tmp_path: Any,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=SAMPLE)

    planner = RequestPlanner(tmp_path / "ledger.sqlite", 60)
    client = KoreAgentsClient(settings(), transport=mock(handler), planner=planner)
    (call,) = client.list_pages_sync([2])
    assert call.ok and isinstance(call.value, AgentsPage) and call.value.page == 2
    (request,) = seen
    assert request.method == "GET"
    path = request.url.raw_path.split(b"?")[0]
    assert path == b"/agentassist/api/v1/public/st-bot/organizations/o-org%2F1/agents"
    assert dict(request.url.params) == {"page": "2", "includeQueues": "True"}
    assert request.headers["accountId"] == "acc-1" and request.headers["auth"]
    assert "content-type" not in request.headers and request.content == b""
    assert [(g.priority, g.purpose) for g in planner.sends("acc-1")] == [(1, "agents")]


def test_every_attempt_reserves_in_the_ledger_retries_included(tmp_path: Any) -> None:
    answers = iter([httpx.Response(503, text="busy"), httpx.Response(200, json=SAMPLE)])
    planner = RequestPlanner(tmp_path / "ledger.sqlite", 60)
    client = KoreAgentsClient(settings(), transport=mock(lambda r: next(answers)), planner=planner)
    (call,) = client.list_pages_sync([1], priority=3)
    assert call.ok and call.attempts == 2
    assert [g.priority for g in planner.sends("acc-1")] == [3, 3]


def test_without_a_slot_left_no_request_is_sent(tmp_path: Any) -> None:
    sent: list[httpx.Request] = []
    planner = RequestPlanner(tmp_path / "ledger.sqlite", 3)
    planner.reserve("acc-1", 0, "availability", count=2)  # one left: kept for availability
    client = KoreAgentsClient(
        settings(tick_deadline_s=30.0),  # no slot frees within it: refused at once anyway
        transport=mock(lambda r: sent.append(r) or httpx.Response(200, json=SAMPLE)),
        planner=planner,
    )
    (call,) = client.list_pages_sync([1])
    assert sent == [] and call.error_kind == "rate_limited" and call.attempts == 0
    assert "KORE_RATE_RESERVE_PER_MINUTE" in (call.error_text or "")


@pytest.mark.parametrize("status", [401, 403])
def test_a_missing_api_scope_is_named(status: int) -> None:
    body = {
        "errors": [
            {
                "msg": "The app is not authorized for the API scope 'SmartAssist Analytics'",
                "code": status,
            }
        ]
    }
    client = KoreAgentsClient(
        settings(), transport=mock(lambda r: httpx.Response(status, json=body))
    )
    (call,) = client.list_pages_sync([1])
    assert call.error_kind == "scope_missing" and call.attempts == 1
    assert "'SmartAssist Analytics'" in (call.error_text or "")
    assert call.last_error is not None
    assert getattr(call.last_error, "api_scope", None) == "SmartAssist Analytics"


def test_a_plain_403_names_the_endpoints_scope() -> None:
    client = KoreQueuesClient(
        settings(), transport=mock(lambda r: httpx.Response(403, json={"message": "Forbidden"}))
    )
    call = client.queue_agents_sync(["qu-1"])
    assert call.error_kind == "forbidden" and "'Configuration'" in (call.error_text or "")


def test_listing_without_an_org_id_fails_before_sending() -> None:
    client = KoreAgentsClient(
        settings(org_id=None), transport=mock(lambda r: pytest.fail("nothing is sent"))
    )
    with pytest.raises(KoreConfigError, match="KORE_ORG_ID"):
        client.list_pages_sync([1])
    with pytest.raises(ValueError, match="page number"):
        agents_page_request(0)


def test_queue_requests_post_the_ids(tmp_path: Any) -> None:
    bodies: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.url.path == "/agentassist/api/v1/public/st-bot/queues/agents"
        body = json.loads(request.content)
        bodies.append(body)
        if "agentIds" in body:
            return httpx.Response(200, json=["qu-1"])
        return httpx.Response(200, json=[{"userId": "u-" + q, "aId": "a-" + q}
                                         for q in body["queueIds"]])  # fmt: skip

    client = KoreQueuesClient(settings(), transport=mock(handler))
    together = client.queue_agents_sync(["qu-1", "qu-2"])
    assert [a.agent_id for a in together.value] == ["a-qu-1", "a-qu-2"]
    apart = client.queues_agents_sync(["qu-1", "qu-2"])
    assert [c.key for c in apart] == ["queue:qu-1", "queue:qu-2"]
    assert [[a.agent_id for a in c.value] for c in apart] == [["a-qu-1"], ["a-qu-2"]]
    assert client.agent_queues_sync(["a-1"]).value == ["qu-1"]
    assert bodies[0] == {"queueIds": ["qu-1", "qu-2"]} and bodies[-1] == {"agentIds": ["a-1"]}
    with pytest.raises(ValueError):
        client.queue_agents_sync([])
