"""Kore.ai's "Get a list of agents or queues": the agents of given queues (and back).

    POST {host}/agentassist/api/v1/public/{botId}/queues/agents   (scope Configuration)
    {"queueIds": [...]}  -> [{"userId", "aId", "name", "profImage"}, ...]
    {"agentIds": [...]}  -> ["qu-...", ...]

Kore documents no paging and no per-queue grouping of the answer: one request with several
queue IDs answers their agents together, so a caller that needs each queue's members asks one
queue per request. Every request reserves a send in the account's budget at the priority
given (1, membership, by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.kore.client import Call, KoreClient, run_sync
from pipelines.kore.errors import KoreInvalidResponseError
from pipelines.kore.payload import load_json_body, text_or_none
from pipelines.kore.planner import PRIORITY_MEMBERSHIP
from pipelines.kore.transport import Endpoint, Request

__all__ = [
    "AGENT_QUEUES",
    "QUEUE_AGENTS",
    "KoreQueuesClient",
    "QueueAgent",
    "parse_agent_queues",
    "parse_queue_agents",
]


@dataclass(frozen=True)
class QueueAgent:
    """One agent of the asked queues: ``agent_id`` is the answer's ``aId`` (``a-...``)."""

    user_id: str | None
    agent_id: str | None
    name: str | None


def _items(data: Any) -> list[Any]:
    """The answer's list: the body itself, or the list under results/data/agents/queues."""
    if isinstance(data, dict):
        for key in ("results", "data", "agents", "queues"):
            if isinstance(data.get(key), list):
                return data[key]
    if not isinstance(data, list):
        raise KoreInvalidResponseError(f"expected a JSON list, got {type(data).__name__}")
    return data


def parse_queue_agents(text: str) -> tuple[list[QueueAgent], str]:
    """The agents of a ``{"queueIds": [...]}`` answer; an item without userId and aId is
    refused (it could not be matched to anybody)."""
    agents: list[QueueAgent] = []
    for index, item in enumerate(_items(load_json_body(text, "a list of agents"))):
        if not isinstance(item, dict):
            raise KoreInvalidResponseError(
                f"item {index} should be an agent object, got {type(item).__name__}"
            )
        user_id = text_or_none(item.get("userId"))
        agent_id = text_or_none(item.get("aId")) or text_or_none(item.get("agentId"))
        if user_id is None and agent_id is None:
            raise KoreInvalidResponseError(f"item {index} has neither 'userId' nor 'aId'")
        name = text_or_none(item.get("name"))
        agents.append(QueueAgent(user_id=user_id, agent_id=agent_id, name=name))
    return agents, text


def parse_agent_queues(text: str) -> tuple[list[str], str]:
    """The queue IDs of an ``{"agentIds": [...]}`` answer (objects with ``id`` tolerated)."""
    queues: list[str] = []
    for index, item in enumerate(_items(load_json_body(text, "a list of queues"))):
        if isinstance(item, dict):
            item = item.get("id") or item.get("queueId")
        queue_id = text_or_none(item)
        if queue_id is None:
            raise KoreInvalidResponseError(f"item {index} is not a queue ID")
        queues.append(queue_id)
    return queues, text


QUEUE_AGENTS = Endpoint(
    name="queue agents",
    method="POST",
    path="queues/agents",
    payload="a list of agents",
    parse=parse_queue_agents,
    api_scope="Configuration",
)
AGENT_QUEUES = Endpoint(
    name="agent queues",
    method="POST",
    path="queues/agents",
    payload="a list of queue IDs",
    parse=parse_agent_queues,
    api_scope="Configuration",
)


def _ids(ids: Sequence[str], what: str) -> list[str]:
    if isinstance(ids, str) or not ids or not all(isinstance(i, str) and i for i in ids):
        raise ValueError(f"{what} must be a non-empty list of IDs, got {ids!r}")
    return list(ids)


class KoreQueuesClient(KoreClient):
    """Asks which agents belong to queues (or which queues to agents)."""

    async def queue_agents(
        self, queue_ids: Sequence[str], *, priority: int = PRIORITY_MEMBERSHIP
    ) -> Call:
        """One request for ``queue_ids``; a good call's ``value`` is a list of
        :class:`QueueAgent` (all the queues' agents together)."""
        ids = _ids(queue_ids, "queue_ids")
        key = "queues:" + ",".join(ids)
        request = Request(key=key, subject=f"agents of {key}", body={"queueIds": ids})
        (call,) = await self.call_many(QUEUE_AGENTS, [request], priority=priority)
        return call

    async def queues_agents(
        self, queue_ids: Sequence[str], *, priority: int = PRIORITY_MEMBERSHIP
    ) -> list[Call]:
        """One request per queue, concurrently, so each queue's members are known apart;
        the calls come back in the order of ``queue_ids`` (key ``queue:<id>``)."""
        requests = [
            Request(key=f"queue:{q}", subject=f"agents of queue:{q}", body={"queueIds": [q]})
            for q in _ids(queue_ids, "queue_ids")
        ]
        return await self.call_many(QUEUE_AGENTS, requests, priority=priority)

    async def agent_queues(
        self, agent_ids: Sequence[str], *, priority: int = PRIORITY_MEMBERSHIP
    ) -> Call:
        """One request for ``agent_ids``; a good call's ``value`` is a list of queue IDs."""
        ids = _ids(agent_ids, "agent_ids")
        key = "agents:" + ",".join(ids)
        request = Request(key=key, subject=f"queues of {key}", body={"agentIds": ids})
        (call,) = await self.call_many(AGENT_QUEUES, [request], priority=priority)
        return call

    def queue_agents_sync(
        self, queue_ids: Sequence[str], *, priority: int = PRIORITY_MEMBERSHIP
    ) -> Call:
        return run_sync(self.queue_agents(queue_ids, priority=priority))

    def queues_agents_sync(
        self, queue_ids: Sequence[str], *, priority: int = PRIORITY_MEMBERSHIP
    ) -> list[Call]:
        return run_sync(self.queues_agents(queue_ids, priority=priority))

    def agent_queues_sync(
        self, agent_ids: Sequence[str], *, priority: int = PRIORITY_MEMBERSHIP
    ) -> Call:
        return run_sync(self.agent_queues(agent_ids, priority=priority))
