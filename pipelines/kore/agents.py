"""Kore.ai's "List All Agents": who is in which skill and queue, one page per request.

    GET {host}/agentassist/api/v1/public/{streamId}/organizations/{orgId}/agents
        ?page=N&includeQueues=True            (headers auth, accountId; scope SmartAssist Analytics)
    -> {"results": [...], "hasMore", "totalPages", "totalResults", "skip", "limit"}

Each result carries the agent's ``id`` (``a-...``, the availability answer's ``_id``),
``userId``, ``skills[] {skillId, name, ...}`` and ``queues[] {id, name, ...}``. The parser is
tolerant (missing or extra fields, a skill or queue entry without an ID is left out and
counted) but refuses a result without ``id``: membership without the agent it belongs to
cannot be joined to snapshots. :func:`membership_rows` turns agents into the membership
frame (one row per agent x scope) and :func:`catalogue` into the skills and queues found.
Budget, tokens, retries and deadlines are :mod:`pipelines.kore.client`'s; every page reserves
a send at priority 1 (membership) unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import pandas as pd

from pipelines.kore.client import Call, KoreClient, run_sync
from pipelines.kore.errors import KoreInvalidResponseError
from pipelines.kore.payload import flag, page_items, text_or_none
from pipelines.kore.planner import PRIORITY_MEMBERSHIP
from pipelines.kore.transport import Endpoint, Request

__all__ = [
    "CATALOGUE_COLUMNS",
    "LIST_AGENTS_SCOPE",
    "MEMBERSHIP_COLUMNS",
    "AgentsPage",
    "KoreAgentsClient",
    "ListedAgent",
    "Ref",
    "agents_endpoint",
    "agents_page_request",
    "catalogue",
    "membership_rows",
    "next_pages",
    "parse_agents_page",
]

LIST_AGENTS_SCOPE = "SmartAssist Analytics"
MEMBERSHIP_COLUMNS = ("agent_id", "user_id", "scope_key", "kind", "ref_id", "name")
CATALOGUE_COLUMNS = ("scope_key", "kind", "ref_id", "name", "agents")
PAYLOAD = "a List All Agents page"


@dataclass(frozen=True)
class Ref:
    """A skill or queue an agent belongs to: its ID and, if given, its name."""

    ref_id: str
    name: str | None = None


@dataclass(frozen=True)
class ListedAgent:
    """One result of the listing: the fields membership needs; ``raw`` keeps the rest."""

    agent_id: str
    user_id: str | None
    email_id: str | None
    status: str | None
    skills: tuple[Ref, ...]
    queues: tuple[Ref, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class AgentsPage:
    """One page of the listing. ``page`` is the number asked for; ``skipped`` counts skill and
    queue entries left out for want of an ID."""

    page: int | None
    has_more: bool
    total_pages: int | None
    total_results: int | None
    agents: tuple[ListedAgent, ...]
    skipped: int = 0
    # Whether the answer said hasMore; if not, it is settled by the total once the page's
    # number is known.
    has_more_given: bool = field(default=True, repr=False, compare=False)


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _refs(agent: Mapping[str, Any], key: str, id_keys: tuple[str, ...]) -> tuple[list[Ref], int]:
    items = agent.get(key)
    if items is None:
        return [], 0
    if not isinstance(items, list):
        raise KoreInvalidResponseError(
            f"agent {agent.get('id')!r}: {key!r} should be a list, got {type(items).__name__}"
        )
    refs: dict[str, Ref] = {}
    skipped = 0
    for item in items:
        ref_id = None
        if isinstance(item, dict):
            ref_id = next((text_or_none(item.get(k)) for k in id_keys if item.get(k)), None)
        elif isinstance(item, str):  # a bare ID: tolerated
            ref_id = text_or_none(item)
        if ref_id is None:
            skipped += 1
            continue
        name = text_or_none(item.get("name")) if isinstance(item, dict) else None
        if ref_id not in refs or refs[ref_id].name is None:
            refs[ref_id] = Ref(ref_id, name)
    return list(refs.values()), skipped


def parse_agent(item: Any, index: int) -> tuple[ListedAgent, int]:
    """One result as a :class:`ListedAgent`, and how many of its entries lacked an ID."""
    if not isinstance(item, dict):
        raise KoreInvalidResponseError(
            f"results item {index} should be an agent object, got {type(item).__name__}"
        )
    agent_id = item.get("id")
    if not isinstance(agent_id, str) or not agent_id.strip():
        raise KoreInvalidResponseError(
            f"results item {index} has no 'id' (every agent needs one to join its availability)"
        )
    # The docs list skillId (and an `id` of the assignment): only skillId names the skill.
    skills, skipped_skills = _refs(item, "skills", ("skillId",))
    queues, skipped_queues = _refs(item, "queues", ("id", "queueId"))
    agent = ListedAgent(
        agent_id=agent_id,
        user_id=text_or_none(item.get("userId")),
        email_id=text_or_none(item.get("emailId")),
        status=text_or_none(item.get("status")),
        skills=tuple(skills),
        queues=tuple(queues),
        raw=item,
    )
    return agent, skipped_skills + skipped_queues


def parse_agents_page(text: str, page: int | None = None) -> tuple[AgentsPage, str]:
    """A page of the listing and the text to store (the body itself)."""
    data, results = page_items(text, PAYLOAD, "results", ("hasMore", "totalPages", "totalResults"))
    agents: list[ListedAgent] = []
    skipped = 0
    for index, item in enumerate(results):
        agent, missing = parse_agent(item, index)
        agents.append(agent)
        skipped += missing
    total_pages = _count(data.get("totalPages"))
    has_more = flag(data.get("hasMore"))
    if has_more is None:
        # Not said: more pages if the total says so, or if the page came back full.
        limit = _count(data.get("limit"))
        if total_pages is not None and page is not None:
            has_more = page < total_pages
        else:
            has_more = bool(limit and len(results) >= limit)
    parsed = AgentsPage(
        page=page,
        has_more=has_more,
        total_pages=total_pages,
        total_results=_count(data.get("totalResults")),
        agents=tuple(agents),
        skipped=skipped,
        has_more_given=flag(data.get("hasMore")) is not None,
    )
    return parsed, text


def next_pages(page: AgentsPage) -> list[int]:
    """The pages still to ask after ``page``: all of them when the total is known."""
    if page.page is None or not page.has_more:
        return []
    if page.total_pages is not None and page.total_pages > page.page:
        return list(range(page.page + 1, page.total_pages + 1))
    return [page.page + 1]


# --------------------------------------------------------------------------------------------
# Membership and the catalogue
# --------------------------------------------------------------------------------------------


def _memberships(agent: ListedAgent) -> Iterable[tuple[str, Ref]]:
    for ref in agent.skills:
        yield "skill", ref
    for ref in agent.queues:
        yield "queue", ref


def membership_rows(agents: Iterable[ListedAgent]) -> pd.DataFrame:
    """One row per agent x skill/queue: agent_id, user_id, scope_key (``skill:<id>`` /
    ``queue:<id>``), kind, ref_id, name (the skill's or queue's). An agent listed twice
    (pages shifting while they are read) counts once."""
    rows: dict[tuple[str, str], tuple[Any, ...]] = {}
    for agent in agents:
        for kind, ref in _memberships(agent):
            scope_key = f"{kind}:{ref.ref_id}"
            rows[(agent.agent_id, scope_key)] = (
                agent.agent_id,
                agent.user_id,
                scope_key,
                kind,
                ref.ref_id,
                ref.name,
            )
    ordered = [rows[key] for key in sorted(rows)]
    frame = pd.DataFrame(ordered, columns=list(MEMBERSHIP_COLUMNS))
    return frame.astype({column: "string" for column in MEMBERSHIP_COLUMNS})


def catalogue(agents: Iterable[ListedAgent]) -> pd.DataFrame:
    """The skills and queues the agents belong to: scope_key, kind, ref_id, name (the first
    name given, by agent order) and the number of member agents."""
    names: dict[str, str | None] = {}
    members: dict[str, set[str]] = {}
    kinds: dict[str, tuple[str, str]] = {}
    for agent in agents:
        for kind, ref in _memberships(agent):
            scope_key = f"{kind}:{ref.ref_id}"
            kinds[scope_key] = (kind, ref.ref_id)
            if names.get(scope_key) is None:
                names[scope_key] = ref.name
            members.setdefault(scope_key, set()).add(agent.agent_id)
    keys = sorted(kinds, key=lambda k: (kinds[k][0] != "skill", k))
    frame = pd.DataFrame(
        {
            "scope_key": pd.array(keys, dtype="string"),
            "kind": pd.array([kinds[k][0] for k in keys], dtype="string"),
            "ref_id": pd.array([kinds[k][1] for k in keys], dtype="string"),
            "name": pd.array([names[k] for k in keys], dtype="string"),
            "agents": pd.array([len(members[k]) for k in keys], dtype="Int64"),
        }
    )
    return frame[list(CATALOGUE_COLUMNS)]


# --------------------------------------------------------------------------------------------
# The endpoint and its client
# --------------------------------------------------------------------------------------------


def agents_endpoint(org_id: str) -> Endpoint:
    """List All Agents of ``org_id`` (quoted so it cannot alter the path)."""
    return Endpoint(
        name="agents",
        method="GET",
        path=f"organizations/{quote(org_id, safe='')}/agents",
        payload=PAYLOAD,
        parse=parse_agents_page,
        api_scope=LIST_AGENTS_SCOPE,
    )


def agents_page_request(page: int) -> Request:
    """The request for page ``page`` (1-based), queues included."""
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise ValueError(f"a page number is an integer >= 1, got {page!r}")
    return Request(
        key=f"page:{page}",
        subject=f"agents page {page}",
        params={"page": str(page), "includeQueues": "True"},
    )


class KoreAgentsClient(KoreClient):
    """Reads pages of List All Agents (KORE_ORG_ID), each within the account's budget."""

    async def list_pages(
        self, pages: Sequence[int], *, priority: int = PRIORITY_MEMBERSHIP
    ) -> list[Call]:
        """Ask for ``pages`` concurrently; one :class:`Call` each, in order. A good call's
        ``value`` is its :class:`AgentsPage` (``page`` set); a refused one says why in
        ``error_kind``/``error_text`` ("scope_missing" names the API scope to enable).
        Raises :class:`KoreConfigError` before any request when KORE_ORG_ID is unset."""
        endpoint = agents_endpoint(self.settings.require_org_id())
        requests = [agents_page_request(page) for page in pages]
        calls = await self.call_many(endpoint, requests, priority=priority)
        for page, call in zip(pages, calls, strict=True):
            if call.ok and isinstance(call.value, AgentsPage):
                call.value = replace(call.value, page=page, has_more=_has_more(call.value, page))
        return calls

    def list_pages_sync(
        self, pages: Sequence[int], *, priority: int = PRIORITY_MEMBERSHIP
    ) -> list[Call]:
        """Blocking :meth:`list_pages` (runs in a worker thread if a loop is running)."""
        return run_sync(self.list_pages(pages, priority=priority))


def _has_more(page: AgentsPage, number: int) -> bool:
    # The parser did not know the page number: settle hasMore-less answers by the total.
    if not page.has_more_given and page.total_pages is not None:
        return number < page.total_pages
    return page.has_more
