"""The errors a Kore.ai call can end with, one class per thing to fix.

Every class has a ``kind`` (the short label stored in ``raw_responses.error_kind``) and a
``default_hint`` naming the setting (environment variable) to change, so an operator reading a
failed tick knows what to do without reading code. Nothing here knows about HTTP or retries:
:mod:`pipelines.kore.transport` decides which error an answer is, :mod:`pipelines.kore.retry`
whether it is worth asking again.
"""

from __future__ import annotations

__all__ = [
    "KoreAuthError",
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
    "KoreScopeMissingError",
    "KoreServerError",
    "KoreTimeoutError",
]


class KoreError(Exception):
    """A Kore.ai call or setting went wrong; the message says what happened and what to fix.

    ``kind`` is the short label stored in ``raw_responses.error_kind``; ``hint`` is the part of
    the message that names the setting (environment variable) to change. ``transient`` marks
    one failure worth asking again although its kind usually is not (a body cut short on the
    way, a JTI token that expired in a queue); see :data:`pipelines.kore.retry.RETRY_TABLE`.
    """

    kind: str = "error"
    default_hint: str = ""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        hint: str | None = None,
        transient: bool = False,
    ):
        self.status = status
        self.hint = self.default_hint if hint is None else hint
        self.detail = message
        self.transient = transient
        text = f"{message}. {self.hint}" if self.hint else message
        super().__init__(text)


class KoreConfigError(KoreError, ValueError):
    """A setting is missing or invalid; raised before any request is sent."""

    kind = "config"


class KoreAuthError(KoreError):
    """HTTP 401 on the JWT: wrong client ID, wrong secret or wrong signing algorithm."""

    kind = "auth"
    default_hint = (
        "Check KORE_CLIENT_ID and KORE_CLIENT_SECRET (the Client ID and Client Secret of the "
        "app's API scope) and KORE_JWT_ALGORITHM (HS256 or HS512, as configured on the app)"
    )


class KoreCredentialsError(KoreError):
    """Kore's code 4002 "Invalid SDK credentials": the credentials do not match the account."""

    kind = "credentials"
    default_hint = (
        "Check KORE_ACCOUNT_ID (the account the bot belongs to) and that KORE_CLIENT_ID / "
        "KORE_CLIENT_SECRET come from an API scope of that account"
    )


class KoreForbiddenError(KoreError):
    """HTTP 403: the token is valid but the API scope may not call this endpoint."""

    kind = "forbidden"
    default_hint = (
        "The API scope of KORE_CLIENT_ID must include the Contact Center scope 'Configuration' "
        "and must be published (App Settings > Dev Tools > API Scopes)"
    )


class KoreScopeMissingError(KoreForbiddenError):
    """HTTP 401/403 saying the app is not authorized for an API scope the endpoint needs.

    ``api_scope`` names it ("SmartAssist Analytics", "Configuration"), so a caller can fall
    back (membership acquisition to per-scope polling) with a message naming what to enable.
    """

    kind = "scope_missing"

    def __init__(self, message: str, *, api_scope: str, status: int | None = None):
        self.api_scope = api_scope
        super().__init__(
            message,
            status=status,
            hint=(
                f"Add the Contact Center API scope '{api_scope}' to the app of KORE_CLIENT_ID "
                "and publish it (App Settings > Dev Tools > API Scopes)"
            ),
        )


class KoreNotFoundError(KoreError):
    """HTTP 404: the bot ID or the host is wrong."""

    kind = "not_found"
    default_hint = (
        "Check KORE_BOT_ID (the bot/stream ID, st-...) and KORE_HOST (the region's platform "
        "host, e.g. https://platform.kore.ai)"
    )


class KoreRateLimitedError(KoreError):
    """The account's per-minute budget is used up (Kore answered 429, or our limiter refused)."""

    kind = "rate_limited"
    default_hint = (
        "The account allows 60 requests per minute, shared by every client of the account; "
        "lower KORE_RATE_LIMIT_PER_MINUTE or poll fewer scopes per tick"
    )


class KoreServerError(KoreError):
    """HTTP 5xx from Kore.ai, after the retries allowed by KORE_MAX_ATTEMPTS."""

    kind = "server"
    default_hint = "Kore.ai answered with a server error; retried up to KORE_MAX_ATTEMPTS times"


class KoreTimeoutError(KoreError):
    """No answer in time (connect or read timeout)."""

    kind = "timeout"
    default_hint = (
        "Check that KORE_HOST is reachable; KORE_CONNECT_TIMEOUT_SECONDS and "
        "KORE_READ_TIMEOUT_SECONDS bound each attempt"
    )


class KoreConnectionError(KoreError):
    """The connection failed or dropped before a whole answer arrived."""

    kind = "connection"
    default_hint = "Check KORE_HOST and the network path to it"


class KoreInvalidResponseError(KoreError):
    """The answer is not the endpoint's payload (HTML page, truncated or wrongly shaped JSON).

    ``transient`` marks answers worth asking again (JSON cut short on the way); an HTML page
    or a wrongly shaped object would come back the same, so those fail at once.
    """

    kind = "invalid_response"
    default_hint = ""


class KoreBadRequestError(KoreError):
    """HTTP 400 (or another 4xx): Kore refused the request as built."""

    kind = "bad_request"
    default_hint = "Check KORE_ACCOUNT_ID and the scope's skill, queue or agent IDs"


class KoreDeadlineError(KoreError):
    """The tick's time ran out before the scope finished (``error_kind`` "deadline")."""

    kind = "deadline"
    default_hint = (
        "Raise KORE_TICK_DEADLINE_SECONDS (it must stay below the schedule interval), "
        "poll fewer scopes, or raise KORE_MAX_CONCURRENCY"
    )


def unreadable_answer(
    subject: str, exc: Exception, status: int | None = None
) -> KoreInvalidResponseError:
    """The error for an answer that could not be read for an unforeseen reason (an unknown
    charset, a decoder's or parser's exception): it ends that one request, not the tick."""
    detail = str(exc)[:200] or "no detail"
    return KoreInvalidResponseError(
        f"{subject}: the answer could not be read ({type(exc).__name__}: {detail})",
        status=status,
    )
