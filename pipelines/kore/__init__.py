"""Kore.ai Agent AI: settings, tokens, the account's budget, retries, and the endpoints we call.

The rest of the project imports only the names below. Inside, one module per concern:
``errors`` (what can go wrong), ``config`` (:class:`KoreSettings`), ``auth`` (the JWT),
``planner`` (:class:`RequestPlanner`, the account's budget shared by every process),
``budget`` (:class:`RateLimiter`, an optional in-process pacer), ``retry`` (whether and when to
ask again), ``transport`` (one HTTP exchange), ``client`` (attempts within budget and
deadline), and one module per endpoint family (``availability``, ``agents``, ``queues``,
``callvolume`` with ``callvolume_units``).
"""

from pipelines.kore.agents import (
    AgentsPage,
    KoreAgentsClient,
    ListedAgent,
    catalogue,
    membership_rows,
    next_pages,
    parse_agents_page,
)
from pipelines.kore.availability import (
    KoreAvailabilityClient,
    ScopeResult,
    parse_availability_body,
)
from pipelines.kore.budget import RateLimiter
from pipelines.kore.callvolume import KoreVolumeClient, VolumePage, VolumeRow, parse_volume_page
from pipelines.kore.config import KoreSettings
from pipelines.kore.errors import (
    KoreAuthError,
    KoreBadRequestError,
    KoreConfigError,
    KoreConnectionError,
    KoreCredentialsError,
    KoreDeadlineError,
    KoreError,
    KoreForbiddenError,
    KoreInvalidResponseError,
    KoreNotFoundError,
    KoreRateLimitedError,
    KoreScopeMissingError,
    KoreServerError,
    KoreTimeoutError,
)
from pipelines.kore.planner import (
    PRIORITY_AVAILABILITY,
    PRIORITY_DRIFT,
    PRIORITY_LATER,
    PRIORITY_MEMBERSHIP,
    Grant,
    RequestPlanner,
    ledger_path,
)
from pipelines.kore.queues import KoreQueuesClient, QueueAgent

__all__ = [
    "PRIORITY_AVAILABILITY",
    "PRIORITY_DRIFT",
    "PRIORITY_LATER",
    "PRIORITY_MEMBERSHIP",
    "AgentsPage",
    "Grant",
    "KoreAgentsClient",
    "KoreAuthError",
    "KoreAvailabilityClient",
    "KoreBadRequestError",
    "KoreConfigError",
    "KoreConnectionError",
    "KoreCredentialsError",
    "KoreDeadlineError",
    "KoreError",
    "KoreForbiddenError",
    "KoreInvalidResponseError",
    "KoreNotFoundError",
    "KoreQueuesClient",
    "KoreRateLimitedError",
    "KoreScopeMissingError",
    "KoreServerError",
    "KoreSettings",
    "KoreTimeoutError",
    "KoreVolumeClient",
    "ListedAgent",
    "QueueAgent",
    "RateLimiter",
    "RequestPlanner",
    "ScopeResult",
    "VolumePage",
    "VolumeRow",
    "catalogue",
    "ledger_path",
    "membership_rows",
    "next_pages",
    "parse_agents_page",
    "parse_availability_body",
    "parse_volume_page",
]
