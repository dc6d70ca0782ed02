"""Kore.ai's membership endpoints, answered from the model: List All Agents and queues/agents.

Both answer with the membership at the request's instant (:meth:`Simulator.membership_at`),
in roster order, with the shapes Kore.ai documents (``list-all-agents.mdx`` and
``get-a-list-of-agents-or-queues.mdx`` in ``Koredotcom/docs-v2``):

- ``GET /agentassist/api/v1/public/{streamId}/organizations/{orgId}/agents``, query
  ``page=N&includeQueues=True`` -> ``{results, hasMore, totalPages, totalResults, skip,
  limit}``, ``page_size`` results a page;
- ``POST /agentassist/api/v1/public/{botId}/queues/agents`` with ``{"queueIds": [...]}`` ->
  ``[{userId, aId, name, profImage}]``, with ``{"agentIds": [...]}`` -> ``["qu-...", ...]``.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pipelines.simulator.model import BadRequestError

if TYPE_CHECKING:
    from pipelines.simulator.model import Simulator
    from pipelines.simulator.roster import Agent

__all__ = [
    "agent_queues",
    "listing_page",
    "membership_document",
    "parse_page",
    "parse_queues_agents",
    "queue_agents",
]

_ONLINE = {"AVAILABLE": "Available", "BUSY": "Busy", "AWAY": "Away", "OFFLINE": "Offline"}


def parse_page(query: dict[str, list[str]]) -> tuple[int, bool]:
    """``(page, include_queues)`` from the query string; page defaults to 1 (1-based)."""
    raw = query.get("page", ["1"])[0]
    try:
        page = int(raw)
    except ValueError:
        raise BadRequestError("page must be a positive integer") from None
    if page < 1:
        raise BadRequestError("page must be a positive integer")
    include = query.get("includeQueues", ["false"])[0].strip().lower()
    if include not in ("true", "false", "1", "0", ""):
        raise BadRequestError("includeQueues must be true or false")
    return page, include in ("true", "1")


def listing_page(sim: Simulator, page: int, include_queues: bool, at: datetime) -> dict[str, Any]:
    """One page of List All Agents at instant ``at``; a page past the end has no results."""
    size = sim.config.page_size
    total = len(sim.roster)
    skip = (page - 1) * size
    membership = sim.membership_at(at)
    results = [
        _agent_result(sim, agent, membership[agent.agent_id], include_queues, at)
        for agent in sim.roster[skip : skip + size]
    ]
    return {
        "results": results,
        "hasMore": skip + size < total,
        "totalPages": math.ceil(total / size),
        "totalResults": total,
        "skip": skip,
        "limit": size,
    }


def _agent_result(
    sim: Simulator,
    agent: Agent,
    refs: tuple[tuple[str, ...], tuple[str, ...]],
    include_queues: bool,
    at: datetime,
) -> dict[str, Any]:
    config, catalogue = sim.config, sim.catalogue
    skills, queues = refs
    bucket, _ = sim.status_at(agent.agent_id, at)
    can_chat = agent.capacity("liveChat") > 0 or agent.capacity("messaging") > 0
    group = _hex(f"agent-group:{config.seed}:{agent.index % 3}")
    result: dict[str, Any] = {
        "status": "ACTIVE",
        "id": agent.agent_id,
        "userId": agent.user_id,
        "orgId": config.org_id,
        "accountId": config.account_id,
        "emailId": agent.email,
        "firstName": agent.first_name,
        "lastName": agent.last_name,
        "nickName": agent.first_name,
        "phoneNumber": agent.phone,
        "profImage": "no-avatar",
        "role": "Agent",
        "onlineStatus": _ONLINE.get(bucket, bucket.title()),
        "onlineStatusType": bucket if bucket in _ONLINE else "BUSY",
        "canSupportChat": can_chat,
        "maxChatSupport": agent.capacity("liveChat") + agent.capacity("messaging"),
        "canSupportVoice": agent.capacity("voice") > 0,
        "agentGroups": [
            {
                "groupId": f"ag-{group[:7]}-{group[7:11]}-{group[11:15]}-{group[15:27]}",
                "groupName": f"Team {agent.index % 3 + 1}",
                "role": "agent",
                "accessLevel": "view",
            }
        ],
        "skills": [
            {
                "userId": agent.user_id,
                "skillId": skill_id,
                "id": skill_id,
                "name": catalogue.skills[skill_id],
                "proficiencyLevel": catalogue.proficiency(agent.agent_id, skill_id),
                "skillGroupId": catalogue.skill_groups[skill_id][0],
                "skillGroupName": catalogue.skill_groups[skill_id][1],
            }
            for skill_id in skills
        ],
    }
    if include_queues:
        result["queues"] = [
            {
                "id": queue_id,
                "name": catalogue.queues[queue_id][0],
                "description": catalogue.queue_description(queue_id),
                "agents": [{"userId": agent.user_id, "isPreferredAgent": False}],
                "agentGroups": [],
            }
            for queue_id in queues
        ]
    return result


def parse_queues_agents(body: Any) -> tuple[str, list[str]]:
    """``("queueIds" | "agentIds", ids)`` from a queues/agents body; exactly one key."""
    if not isinstance(body, dict):
        raise BadRequestError("request body must be a JSON object")
    given = [k for k in ("queueIds", "agentIds") if body.get(k) is not None]
    if len(given) != 1:
        raise BadRequestError("exactly one of queueIds or agentIds is required")
    (key,) = given
    ids = body[key]
    if not isinstance(ids, list) or not all(isinstance(v, str) for v in ids):
        raise BadRequestError(f"{key} must be an array of strings")
    return key, ids


def queue_agents(sim: Simulator, queue_ids: list[str], at: datetime) -> list[dict[str, Any]]:
    """The agents of any of ``queue_ids`` at ``at``, once each, in roster order."""
    wanted = set(queue_ids)
    membership = sim.membership_at(at)
    return [
        {
            "userId": a.user_id,
            "aId": a.agent_id,
            "name": f"{a.first_name} {a.last_name}",
            "profImage": "no-avatar",
        }
        for a in sim.roster
        if wanted.intersection(membership[a.agent_id][1])
    ]


def agent_queues(sim: Simulator, agent_ids: list[str], at: datetime) -> list[str]:
    """The queues of any of ``agent_ids`` (``a-`` or ``u-`` ids) at ``at``, in catalogue order."""
    wanted = set(agent_ids)
    membership = sim.membership_at(at)
    queues: set[str] = set()
    for agent in sim.roster:
        if agent.agent_id in wanted or agent.user_id in wanted:
            queues.update(membership[agent.agent_id][1])
    return list(sim.catalogue.queue_order(queues))


def membership_document(sim: Simulator, at: datetime) -> dict[str, dict[str, list[str]]]:
    """The truth for ``/debug/truth/membership``: agent id -> its skills and queues at ``at``."""
    return {
        agent_id: {"skills": list(skills), "queues": list(queues)}
        for agent_id, (skills, queues) in sim.membership_at(at).items()
    }


def _hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
