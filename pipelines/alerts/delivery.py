"""Posting messages to webhooks: bounded attempts, retries with backoff, a rate limit per
destination, and no URL in anything that is kept or logged.

One evaluation posts each destination's due messages in order (an alert before its
recovery), every destination at once (asyncio), so a receiver that hangs holds up only its
own messages. An attempt is one POST under a whole-exchange limit
(AVAILABILITY_ALERT_TIMEOUT_SECONDS, enforced with ``asyncio.timeout`` around connecting,
sending and reading at most :data:`MAX_ANSWER_BYTES` of the answer), never following a
redirect (a webhook that moved must be configured anew; following it would send the message,
and the next one, wherever the answer points). 2xx is delivered; 408, 429 (its Retry-After
honoured up to the cap), 5xx, timeouts and connection errors are tried again after the
backoff, in this evaluation if the pause ends before its deadline, else in a later one; any
other answer is a permanent refusal. A destination stops when its rate limit for the last
minute is spent or its next message is waiting for a retry: later messages wait with it.
Delivery is at least once: attempts are recorded after the posts, so an evaluation that dies
in between posts its messages again next time.

Webhook URLs are bearer credentials. httpx logs every request's URL at INFO on the ``httpx``
logger; :class:`RedactWebhooks` rewrites those records, and every error text kept is
:func:`redact`-ed, so neither logs nor tables ever hold one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

from pipelines.alerts.config import BACKOFF_CAP_S, AlertSettings, Destination
from pipelines.alerts.figures import PendingMessage
from pipelines.kore.retry import parse_retry_after
from pipelines.net import is_loopback_host

__all__ = ["MAX_ANSWER_BYTES", "Attempt", "RedactWebhooks", "Sent", "deliver", "redact"]

MAX_ANSWER_BYTES = 4096  # of a receiver's answer, kept (redacted) in the error text
HIDDEN = "<webhook URL>"
_TRANSIENT_STATUS = {408, 429}


@dataclass(frozen=True)
class Attempt:
    """One POST of one message (a row of ``alert_attempts``)."""

    message_id: str
    destination: str
    fingerprint: str
    attempt: int
    started_at: datetime
    finished_at: datetime
    outcome: str  # delivered, refused, http_error, timeout, connection
    http_status: int | None
    error_text: str | None
    retry_at: datetime | None


@dataclass(frozen=True)
class Sent:
    """A message's state after this evaluation's attempts (updates ``alert_messages``)."""

    message_id: str
    status: str  # pending, delivered, failed, dropped
    attempts: int
    next_attempt_at: datetime
    finished_at: datetime | None
    last_error: str | None


def redact(text: str, urls: Sequence[str]) -> str:
    """``text`` without any of ``urls`` or their path and query (the secret part)."""
    for url in urls:
        parts = urlsplit(url)
        secret = parts.path + (f"?{parts.query}" if parts.query else "")
        text = text.replace(url, HIDDEN)
        if len(secret) > 1:
            text = text.replace(secret, HIDDEN)
    return text


class RedactWebhooks(logging.Filter):
    """Rewrites records of the loggers it is attached to so no webhook URL is in them."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.urls:
            message = record.getMessage()
            cleaned = redact(message, sorted(self.urls))
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


_FILTER = RedactWebhooks()
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_FILTER)


@dataclass(frozen=True)
class _Answer:
    outcome: str
    status: int | None = None
    error: str | None = None
    retry_after_s: float | None = None


async def _post(client: httpx.AsyncClient, url: str, body: str, limit_s: float) -> _Answer:
    try:
        async with asyncio.timeout(limit_s):
            request = client.build_request(
                "POST", url, content=body.encode(), headers={"Content-Type": "application/json"}
            )
            response = await client.send(request, stream=True)
            try:
                answer = b""
                async for chunk in response.aiter_bytes():
                    answer += chunk
                    if len(answer) >= MAX_ANSWER_BYTES:
                        break
            finally:
                await response.aclose()
    except TimeoutError:
        return _Answer("timeout", error=f"no complete answer within {limit_s:g} s")
    except httpx.TimeoutException as exc:
        return _Answer("timeout", error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # any failure ends this attempt, never the evaluation
        return _Answer("connection", error=f"{type(exc).__name__}: {exc}")
    status = response.status_code
    text = answer[:MAX_ANSWER_BYTES].decode("utf-8", "replace").strip()[:300]
    if 200 <= status < 300:
        return _Answer("delivered", status)
    if 300 <= status < 400:
        return _Answer("refused", status, f"HTTP {status}: redirects are not followed")
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    outcome = "http_error" if status in _TRANSIENT_STATUS or status >= 500 else "refused"
    return _Answer(
        outcome, status, f"HTTP {status}: {text}" if text else f"HTTP {status}", retry_after
    )


async def _destination(
    destination: Destination,
    messages: list[PendingMessage],
    config: AlertSettings,
    budget: int,
    deadline: float,
    clock: Callable[[], datetime],
) -> tuple[list[Attempt], list[Sent]]:
    attempts: list[Attempt] = []
    sent: list[Sent] = []
    host = urlsplit(destination.url).hostname or ""
    async with httpx.AsyncClient(
        timeout=httpx.Timeout(config.timeout_s),
        follow_redirects=False,
        trust_env=not is_loopback_host(host),
    ) as client:
        for message in messages:
            tries = message.attempts
            waiting_until = message.next_attempt_at
            state: Sent | None = None
            while True:
                pause = (waiting_until - clock()).total_seconds()
                if pause > 0:
                    if time.monotonic() + pause >= deadline:
                        break  # retried by a later evaluation
                    await asyncio.sleep(pause)
                if budget <= 0 or time.monotonic() >= deadline:
                    break
                budget -= 1
                tries += 1
                started = clock()
                answer = await _post(client, destination.url, message.body, config.timeout_s)
                finished = clock()
                error = None if answer.error is None else redact(answer.error, [destination.url])
                retry = answer.outcome in ("http_error", "timeout", "connection")
                retry = retry and tries < config.max_attempts
                pause_s = config.backoff(tries)
                if answer.retry_after_s is not None:
                    pause_s = min(max(pause_s, answer.retry_after_s), BACKOFF_CAP_S)
                waiting_until = finished + timedelta(seconds=pause_s)
                attempts.append(
                    Attempt(
                        message.message_id,
                        destination.name,
                        destination.fingerprint,
                        tries,
                        started,
                        finished,
                        answer.outcome,
                        answer.status,
                        error,
                        waiting_until if retry else None,
                    )  # fmt: skip
                )
                if answer.outcome == "delivered":
                    state = Sent(message.message_id, "delivered", tries, finished, finished, None)
                elif not retry:
                    state = Sent(message.message_id, "failed", tries, finished, finished, error)
                else:
                    state = Sent(message.message_id, "pending", tries, waiting_until, None, error)
                    continue
                break
            if state is not None:
                sent.append(state)
            if state is None or state.status == "pending":
                break  # keep the order: what follows waits for this message
    return attempts, sent


async def _all(
    due: dict[Destination, list[PendingMessage]],
    config: AlertSettings,
    recent: dict[str, int],
    clock: Callable[[], datetime],
    deadline: float,
) -> tuple[list[Attempt], list[Sent]]:
    results = await asyncio.gather(
        *(
            _destination(
                destination,
                messages,
                config,
                config.rate_limit_per_minute - recent.get(destination.name, 0),
                deadline,
                clock,
            )
            for destination, messages in due.items()
        )
    )
    attempts = [a for found, _ in results for a in found]
    sent = [s for _, done in results for s in done]
    return attempts, sent


def deliver(
    pending: list[PendingMessage],
    config: AlertSettings,
    recent: dict[str, int],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    deadline: float | None = None,
) -> tuple[list[Attempt], list[Sent]]:
    """Post every destination's pending messages, in order; no attempt starts after
    ``deadline`` (``time.monotonic()``; default: AVAILABILITY_ALERT_DEADLINE_SECONDS from now).

    A message queued for a destination that is no longer configured is dropped (its URL is
    gone); one whose destination URL changed goes to the new URL (the attempt records the new
    fingerprint). Returns the attempts made and the messages whose state changed.
    """
    by_name = {d.name: d for d in config.destinations}
    _FILTER.urls.update(d.url for d in config.destinations)
    now = clock()
    dropped = [
        Sent(m.message_id, "dropped", m.attempts, now, now, "destination no longer configured")
        for m in pending
        if m.destination not in by_name
    ]
    due: dict[Destination, list[PendingMessage]] = {}
    for message in pending:
        if message.destination in by_name:
            due.setdefault(by_name[message.destination], []).append(message)
    if not due:
        return [], dropped
    deadline = time.monotonic() + config.deadline_s if deadline is None else deadline
    attempts, sent = asyncio.run(_all(due, config, recent, clock, deadline))
    return attempts, dropped + sent
