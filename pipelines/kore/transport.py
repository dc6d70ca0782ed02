"""One HTTP exchange with Kore.ai, as every endpoint needs it: send, cap, decode, map, redact.

An :class:`Endpoint` says what is specific to an API (method, path, how to parse a good
answer); a :class:`Request` is one call to it. :class:`KoreTransport` sends one attempt with
timeouts clipped to the tick deadline, reads at most :data:`MAX_BODY_BYTES`, and turns whatever
went wrong (a timeout, a dropped connection, a non-2xx status, a body that is not the
endpoint's payload) into the typed error that names the setting to fix. :func:`redact` keeps
the client secret and every minted JWT out of anything recorded. Whether to try again is
:mod:`pipelines.kore.retry`'s decision; the attempts themselves are :mod:`pipelines.kore.client`'s.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from pipelines.kore.config import KoreSettings
from pipelines.kore.decoding import (
    ACCEPT_ENCODING,
    BodyTooLarge,
    BodyUnreadable,
    OneLargeAnswer,
    UnreadAnswer,
    read_capped,
)
from pipelines.kore.errors import (
    KoreAuthError,
    KoreBadRequestError,
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
    unreadable_answer,
)
from pipelines.kore.retry import parse_retry_after
from pipelines.net import is_loopback_host

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_ERROR_BODY_CHARS",
    "REDACTED",
    "BodyTooLarge",
    "BodyUnreadable",
    "Endpoint",
    "Failure",
    "KoreTransport",
    "Reply",
    "Request",
    "UnreadAnswer",
    "kore_errors",
    "redact",
]

MAX_ERROR_BODY_CHARS = 4096
# A v2 agent object is ~700 bytes: 128 MiB leaves room for ~180,000 agents in one answer while
# keeping a runaway body (a proxy streaming a file, say) from exhausting memory.
MAX_BODY_BYTES = 128 * 1024 * 1024
REDACTED = "***"
_JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_RATE_LIMIT_PATTERN = re.compile(r"rate.?limit|too many requests", re.IGNORECASE)
# "The app is not authorized for the API scope 'SmartAssist Analytics'" (Kore's 401/403 body).
# A 401/403 naming a scope is a missing scope; one that does not stays a plain "forbidden".
_API_SCOPE_PATTERN = re.compile(
    r"api[ _-]?scope\s*:?\s*['\"\u2018\u201c]([^'\"\u2019\u201d]{1,80})['\"\u2019\u201d]",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Endpoint:
    """What is particular to one Kore.ai API; everything else is shared."""

    name: str  # in log lines: "kore availability skill:sk-sales: ..."
    method: str
    path: str  # below /agentassist/api/v1/public/{botId}/
    payload: str  # what a good answer is, for messages: "an availability payload"
    # A 2xx body's text -> (value, text to store); raises KoreInvalidResponseError.
    parse: Callable[[str], tuple[Any, str]]
    # What is kept of a finished call, made as soon as it finishes (not when the last one
    # does): the availability endpoint packs its body, so a tick never holds every answer.
    settle: Callable[[Any], Any] = lambda call: call

    # The app's API scope the endpoint needs, named when Kore refuses for want of it.
    api_scope: str = "Configuration"
    # The analytics family lives under .../public/analytics/account/{accountId}/ and names the
    # bot in an ``iId`` header instead of the account in ``accountId``.
    analytics: bool = False
    analytics_version: str = ""  # "1.1": .../analytics/1.1/account/{accountId}/


@dataclass(frozen=True)
class Request:
    """One call to an endpoint."""

    key: str  # names the call in log lines ("skill:sk-sales")
    subject: str  # opens every message about it ("scope skill:sk-sales")
    body: Any = None  # the JSON body; None sends none
    params: Mapping[str, str] | None = None  # the query string (GET endpoints' paging)


@dataclass(frozen=True)
class Reply:
    """A whole answer, read within the cap and decoded with its charset."""

    status: int
    headers: httpx.Headers
    text: str


@dataclass(frozen=True)
class Failure:
    """A failed attempt: the error, and the answer's Retry-After in seconds if it gave one."""

    error: KoreError
    retry_after_s: float | None = None


def kore_errors(text: str) -> list[tuple[str, Any]]:
    """(msg, code) pairs of Kore's ``{"errors": [{"msg", "code"}]}`` body, if that is the body."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        return []
    found: list[tuple[str, Any]] = []
    if isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list):
            for item in errors[:10]:
                if isinstance(item, dict):
                    found.append((str(item.get("msg", item.get("message", ""))), item.get("code")))
        for key in ("message", "error", "msg"):
            if isinstance(data.get(key), str):
                found.append((data[key], data.get("code")))
    return found


def redact(text: str, secrets: Iterable[str], *, data: bool = False) -> str:
    """Replace every secret (the client secret, minted tokens) with ``***``.

    Error texts also lose anything shaped like a JWT. In a success body (``data``) only
    exact matches are replaced, and a secret shorter than 8 characters is left alone there,
    since replacing it would corrupt data that merely contains the same letters.
    """
    for secret in sorted((s for s in set(secrets) if s), key=len, reverse=True):
        if data and len(secret) < 8:
            continue
        if secret in text:
            text = text.replace(secret, REDACTED)
    if not data:
        text = _JWT_PATTERN.sub(REDACTED, text)
    return text


class KoreTransport:
    """Sends attempts to one endpoint and says, as a typed error, what went wrong."""

    def __init__(
        self,
        settings: KoreSettings,
        endpoint: Endpoint,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.settings = settings
        self.endpoint = endpoint
        if endpoint.analytics:
            self.url = settings.analytics_url(endpoint.path, endpoint.analytics_version)
        else:
            self.url = settings.api_url(endpoint.path)
        self.path = urlsplit(self.url).path
        self._transport = transport
        # Per tick: one answer at a time past an eighth of the cap is read, parsed and packed.
        self.gate = OneLargeAnswer(max(MAX_BODY_BYTES // 8, 1 << 16))

    def open(self) -> httpx.AsyncClient:
        """A pooled client for one tick's calls; redirects are never followed."""
        settings = self.settings
        limits = httpx.Limits(
            max_connections=settings.max_concurrency,
            max_keepalive_connections=settings.max_concurrency,
        )
        timeout = httpx.Timeout(
            connect=settings.connect_timeout_s,
            read=settings.read_timeout_s,
            write=settings.read_timeout_s,
            pool=settings.tick_deadline_s,
        )
        return httpx.AsyncClient(
            transport=self._transport,
            limits=limits,
            timeout=timeout,
            follow_redirects=False,
            # Proxy variables must not divert loopback traffic (simulator, tests).
            trust_env=not is_loopback_host(urlsplit(self.url).hostname or ""),
        )

    async def send(
        self, http: httpx.AsyncClient, token: str, request: Request, deadline: float
    ) -> Reply:
        """One attempt, its timeouts clipped to ``deadline`` (monotonic).

        Raises ``httpx.RequestError`` (timeouts, connection errors, undecodable bodies) and
        :class:`BodyTooLarge`; :meth:`error_for_exception` says what they mean.
        """
        settings = self.settings
        remaining = max(0.001, deadline - time.monotonic())
        timeout = httpx.Timeout(
            connect=min(settings.connect_timeout_s, remaining),
            read=min(settings.read_timeout_s, remaining),
            write=min(settings.read_timeout_s, remaining),
            pool=remaining,
        )
        analytics = self.endpoint.analytics
        who = {"iId": settings.bot_id} if analytics else {"accountId": settings.account_id}
        headers = {
            "auth": token,
            **who,
            "Accept": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        content = None
        if request.body is not None:
            content = json.dumps(request.body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        async with http.stream(
            self.endpoint.method,
            self.url,
            params=dict(request.params) if request.params else None,
            headers=headers,
            content=content,
            timeout=timeout,
        ) as response:
            status = response.status_code
            try:
                raw = await read_capped(response, MAX_BODY_BYTES, self.gate)
                text = raw.decode(response.charset_encoding or "utf-8", errors="replace")
            except Exception as exc:  # the status line came; raw_responses keeps its status
                raise UnreadAnswer(status, exc) from exc
        return Reply(status, response.headers, text)

    def host_label(self) -> str:
        """``KORE_HOST scheme://host:port``, for messages that point at the host setting."""
        parts = urlsplit(self.url)
        return f"KORE_HOST {parts.scheme}://{parts.netloc}"

    # ---- what went wrong -----------------------------------------------------------------------

    def error_for_exception(
        self, exc: Exception, subject: str, attempt: int, at_deadline: bool
    ) -> KoreError:
        """The error for an exception :meth:`send` raised on attempt number ``attempt``."""
        settings = self.settings
        status = exc.status if isinstance(exc, UnreadAnswer) else None
        if isinstance(exc, UnreadAnswer):
            exc = exc.cause
        if isinstance(exc, httpx.TimeoutException):
            phase = "connect" if isinstance(exc, httpx.ConnectTimeout) else "answer"
            what = "could not connect to" if phase == "connect" else "got no answer from"
            if at_deadline:
                return KoreDeadlineError(
                    f"{subject}: {what} {self.host_label()} before the tick deadline "
                    f"(KORE_TICK_DEADLINE_SECONDS={settings.tick_deadline_s:g}; attempt "
                    f"{attempt})"
                )
            setting = (
                f"KORE_CONNECT_TIMEOUT_SECONDS={settings.connect_timeout_s:g}"
                if phase == "connect"
                else f"KORE_READ_TIMEOUT_SECONDS={settings.read_timeout_s:g}"
            )
            return KoreTimeoutError(
                f"{subject}: {what} {self.host_label()} within {setting} (attempt {attempt})"
            )
        if isinstance(exc, BodyTooLarge):
            return KoreInvalidResponseError(
                f"{subject}: the answer is larger than {MAX_BODY_BYTES} bytes; "
                f"not {self.endpoint.payload}",
                hint="Check KORE_HOST",
                status=status,
            )
        if isinstance(exc, BodyUnreadable | httpx.DecodingError):
            return KoreInvalidResponseError(
                f"{subject}: the answer could not be decoded ({exc})", status=status
            )
        if not isinstance(exc, httpx.RequestError):
            return unreadable_answer(subject, exc, status)
        return KoreConnectionError(
            f"{subject}: the connection to {self.host_label()} failed "
            f"({type(exc).__name__}: {exc or 'no detail'}; attempt {attempt})"
        )

    def error_for_payload(
        self, exc: KoreInvalidResponseError, subject: str, reply: Reply, attempt: int
    ) -> KoreInvalidResponseError:
        """A 2xx answer the endpoint could not parse; transient if it may come whole next time."""
        content_type = reply.headers.get("content-type", "unknown content type")
        return KoreInvalidResponseError(
            f"{subject}: HTTP {reply.status} answer ({content_type}) from {self.path} is not "
            f"{self.endpoint.payload}: {exc.detail} (attempt {attempt})",
            status=reply.status,
            hint=exc.hint or "Check KORE_HOST points at the Kore.ai platform host",
            transient=exc.transient,
        )

    def failure_for_status(
        self, subject: str, reply: Reply, attempt: int, body: Any, scrub: Callable[[str], str]
    ) -> Failure:
        """A non-2xx answer as the error naming what to fix, with its Retry-After.

        ``body`` is the request's JSON body (quoted when Kore refuses it); ``scrub`` redacts
        any text of the answer that goes into the message.
        """
        settings = self.settings
        status = reply.status
        errors = kore_errors(reply.text)
        messages = "; ".join(msg for msg, _ in errors if msg)
        if not messages:
            snippet = " ".join(scrub(reply.text).split())[:200]
            messages = snippet or "empty body"
        said = f"HTTP {status}: {messages}"
        codes = {str(code) for _, code in errors}
        retry_after = parse_retry_after(reply.headers.get("retry-after"))

        if "4002" in codes:
            return Failure(
                KoreCredentialsError(
                    f"{subject}: Kore.ai refused the credentials ({said}, code 4002) "
                    f"for account {settings.account_id}",
                    status=status,
                )
            )
        if status == 429 or (400 <= status < 500 and _RATE_LIMIT_PATTERN.search(messages)):
            told = f"Retry-After {retry_after:g} s" if retry_after is not None else "no Retry-After"
            error: KoreError = KoreRateLimitedError(
                f"{subject}: Kore.ai's per-minute rate limit was hit ({said}; {told}; "
                f"attempt {attempt})",
                status=status,
            )
            return Failure(error, retry_after)
        scope_said = _API_SCOPE_PATTERN.search(messages) if status in (401, 403) else None
        if scope_said:
            api_scope = scope_said.group(1).strip() or self.endpoint.api_scope
            error = KoreScopeMissingError(
                f"{subject}: the app of KORE_CLIENT_ID lacks the API scope '{api_scope}' "
                f"that {self.path} needs ({said})",
                api_scope=api_scope,
                status=status,
            )
            return Failure(error)
        if status == 401:
            return Failure(self._auth_error(subject, said, messages, status))
        if status == 403:
            error = KoreForbiddenError(
                f"{subject}: Kore.ai refused access to {self.path} ({said})",
                status=status,
                hint=(
                    f"The API scope of KORE_CLIENT_ID must include the Contact Center scope "
                    f"'{self.endpoint.api_scope}' and must be published (App Settings > Dev "
                    "Tools > API Scopes)"
                ),
            )
            return Failure(error)
        if status == 404:
            error = KoreNotFoundError(
                f"{subject}: {self.host_label()} has no {self.path} ({said})", status=status
            )
            return Failure(error)
        if 500 <= status < 600:
            error = KoreServerError(
                f"{subject}: Kore.ai answered {said} (attempt {attempt} of "
                f"KORE_MAX_ATTEMPTS={settings.max_attempts})",
                status=status,
            )
            return Failure(error, retry_after)
        if 300 <= status < 400:
            location = reply.headers.get("location", "")
            error = KoreInvalidResponseError(
                f"{subject}: HTTP {status} redirect to {location or 'nowhere'} from "
                f"{self.path}; the client does not follow redirects",
                status=status,
                hint="Set KORE_HOST to the final https:// platform host",
            )
            return Failure(error)
        hint = None
        if "accountid" in messages.lower().replace(" ", ""):
            hint = "Check KORE_ACCOUNT_ID: Kore.ai needs the account ID in the accountId header"
        error = KoreBadRequestError(
            f"{subject}: Kore.ai refused the request ({said}; body {json.dumps(body)})",
            status=status,
            hint=hint,
        )
        return Failure(error)

    def _auth_error(self, subject: str, said: str, messages: str, status: int) -> KoreAuthError:
        jti_mode = self.settings.jti_mode
        lowered = messages.lower()
        hint = None
        if "jti" in lowered or "replay" in lowered:
            hint = (
                KoreAuthError.default_hint
                + "; the app enforces JTI, so set KORE_JTI_MODE=true" * (not jti_mode)
            )
        # In JTI mode every token is fresh, so "expired" (clock skew, a slow queue) and
        # "replay" (a jti collision) are both cured by minting another token.
        stale = jti_mode and ("expired" in lowered or "replay" in lowered)
        return KoreAuthError(
            f"{subject}: Kore.ai rejected the JWT ({said})",
            status=status,
            hint=hint,
            transient=stale,
        )
