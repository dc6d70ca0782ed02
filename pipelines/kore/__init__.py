"""Kore.ai Agent AI: settings, tokens, the account's budget, retries, and the endpoints we call.

The rest of the project imports only the names below. Inside, one module per concern:
``errors`` (what can go wrong), ``config`` (:class:`KoreSettings`), ``auth`` (the JWT),
``budget`` (:class:`RateLimiter`), ``retry`` (whether and when to ask again), ``transport``
(one HTTP exchange), ``client`` (attempts within budget and deadline), and one module per
endpoint family (``availability``).
"""

from pipelines.kore.availability import (
    KoreAvailabilityClient,
    ScopeResult,
    parse_availability_body,
)
from pipelines.kore.budget import RateLimiter
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
    KoreServerError,
    KoreTimeoutError,
)

__all__ = [
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
    "KoreRateLimitedError",
    "KoreServerError",
    "KoreSettings",
    "KoreTimeoutError",
    "RateLimiter",
    "ScopeResult",
    "parse_availability_body",
]
