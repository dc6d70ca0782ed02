"""The attempts of Kore.ai calls: budget, token, send, retry, all within the tick's deadline.

Endpoint-neutral: an endpoint family (:mod:`pipelines.kore.availability` today) hands
:meth:`KoreClient.call_many` its :class:`~pipelines.kore.transport.Endpoint` and one
:class:`~pipelines.kore.transport.Request` per call, and gets back one finished :class:`Call`
each, in order. A call never raises an API error: whatever happened is in the record (attempts,
status, latency, the redacted body, the error kind and text), so one bad call cannot sink the
others and the landing table keeps a row that says why.

Each attempt reserves a send in the account's ledger first
(:class:`~pipelines.kore.planner.RequestPlanner`, at the priority the caller gives: 0 for
availability, 1 for membership pages, ...), then takes a token
(:class:`~pipelines.kore.auth.TokenMinter`); a failure is retried as
:data:`~pipelines.kore.retry.RETRY_TABLE` says, at most KORE_MAX_ATTEMPTS times plus one
re-mint, and never past the tick deadline.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import random
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx

from pipelines.contacts import scrub_contacts
from pipelines.kore.auth import TokenMinter
from pipelines.kore.budget import RateLimiter
from pipelines.kore.clock import utcnow
from pipelines.kore.config import KoreSettings
from pipelines.kore.errors import (
    KoreConfigError,
    KoreDeadlineError,
    KoreError,
    KoreInvalidResponseError,
    KoreRateLimitedError,
    KoreServerError,
    unreadable_answer,
)
from pipelines.kore.planner import PRIORITY_AVAILABILITY, RequestPlanner
from pipelines.kore.retry import Wait, wait_rule, wait_seconds
from pipelines.kore.transport import (
    MAX_ERROR_BODY_CHARS,
    Endpoint,
    Failure,
    KoreTransport,
    Reply,
    Request,
    redact,
)

__all__ = ["Call", "KoreClient", "run_sync"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Call:
    """One request's attempts so far, and at the end its outcome; a deadline can cut in anywhere.

    On success ``value`` is what the endpoint parsed and ``body`` the text to store; on failure
    ``error_kind``/``error_text`` say why and ``body`` is the last answer, redacted and cut to
    4 KiB. ``sends`` lists every attempt's send time, for the account's budget.
    """

    key: str
    requested_at: datetime
    attempts: int = 0
    answered_at: datetime | None = None
    observed_at: datetime | None = None
    http_status: int | None = None
    latency_ms: float | None = None
    outcome: str | None = None
    error_kind: str | None = None
    error_text: str | None = None
    body: str | None = None
    value: Any = None
    sends: list[datetime] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set, repr=False)
    last_error: KoreError | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to the end from blocking code (Dagster ops), even inside a running
    event loop (then in a worker thread with a loop of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


# Shortest pause before asking the ledger again: another process may have taken the slot.
_MIN_LEDGER_WAIT_S = 0.02


class KoreClient:
    """Calls Kore.ai endpoints concurrently, within the account's budget and the tick deadline.

    ``planner`` is the account's ledger every attempt reserves in; pass the shared one
    (``RequestPlanner.for_settings(settings)``) wherever other processes may call Kore.ai too.
    Without one the client keeps a private in-memory ledger (its own sends only). ``limiter``
    is an optional in-process pacer on top (tests, benchmarks).
    """

    def __init__(
        self,
        settings: KoreSettings,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        planner: RequestPlanner | None = None,
    ):
        settings.validate()
        self.settings = settings
        self.limiter = limiter
        self.planner = planner or RequestPlanner(
            ":memory:", settings.rate_limit_per_minute, settings.rate_reserve_per_minute
        )
        self._transport = transport
        self._minter = TokenMinter(settings)
        self._random = random.Random()

    async def call_many(
        self,
        endpoint: Endpoint,
        requests: Sequence[Request],
        *,
        priority: int = PRIORITY_AVAILABILITY,
        purpose: str | None = None,
    ) -> list[Any]:
        """Send every request concurrently; the calls come back in the order of ``requests``
        (each as the endpoint's ``settle`` keeps it: the :class:`Call` itself by default).

        Every attempt reserves a send at ``priority`` in the planner's ledger, recorded with
        ``purpose`` (default: the endpoint's name). All of them end within
        ``tick_deadline_s``: a call that has not finished by then comes back with error_kind
        "deadline" so the next tick is never delayed.
        """
        if not requests:
            return []
        if priority < 0:
            raise KoreConfigError(f"a request priority must be >= 0, got {priority}")
        budget = _Budget(priority, purpose or endpoint.name)
        settings = self.settings
        started = time.monotonic()
        hard_deadline = started + settings.tick_deadline_s
        # Leave a sliver so specific reasons (rate_limited, timeout) win over the backstop.
        deadline = hard_deadline - min(0.1, settings.tick_deadline_s * 0.05)
        semaphore = asyncio.Semaphore(settings.max_concurrency)
        wire = KoreTransport(settings, endpoint, self._transport)
        async with wire.open() as http:
            return list(
                await asyncio.gather(
                    *(
                        self._call(wire, http, request, deadline, hard_deadline, semaphore, budget)
                        for request in requests
                    )
                )
            )

    # ---- one call --------------------------------------------------------------------------------

    async def _call(
        self,
        wire: KoreTransport,
        http: httpx.AsyncClient,
        request: Request,
        deadline: float,
        hard_deadline: float,
        semaphore: asyncio.Semaphore,
        budget: _Budget,
    ) -> Call:
        call = Call(key=request.key, requested_at=utcnow())
        try:
            async with asyncio.timeout(max(0.0, hard_deadline - time.monotonic())):
                async with semaphore:
                    await self._attempts(wire, http, request, deadline, call, budget)
        except TimeoutError:
            wire.gate.release()
            self._fail(wire, call, self._deadline_error(request, call))
        return wire.endpoint.settle(call)

    def _deadline_error(self, request: Request, call: Call) -> KoreDeadlineError:
        waited = "before it could be sent" if call.attempts == 0 else "before it finished"
        previous = f"; last error: {call.last_error.detail}" if call.last_error else ""
        return KoreDeadlineError(
            f"{request.subject}: the tick deadline (KORE_TICK_DEADLINE_SECONDS="
            f"{self.settings.tick_deadline_s:g}) passed {waited}, after {call.attempts} "
            f"attempt(s){previous}"
        )

    def _budget_error(self, request: Request, call: Call, budget: _Budget) -> KoreRateLimitedError:
        previous = f"; last error: {call.last_error.detail}" if call.last_error else ""
        planner = self.planner
        share = (
            ""
            if budget.priority == PRIORITY_AVAILABILITY
            else f", less the room kept for higher priorities than {budget.priority}"
        )
        return KoreRateLimitedError(
            f"{request.subject}: the request budget for account {self.settings.account_id} "
            f"(KORE_RATE_LIMIT_PER_MINUTE={planner.limit} less KORE_RATE_RESERVE_PER_MINUTE="
            f"{planner.reserve_per_minute}{share}) is used up for this "
            f"minute and no slot frees before the tick deadline ({call.attempts} "
            f"attempt(s) sent{previous})",
            status=call.http_status,
            hint=(
                "Requests by other ticks count too, and the scope is left for a later "
                "tick; poll fewer scopes, or raise KORE_RATE_LIMIT_PER_MINUTE only if "
                "Kore.ai allows the account more"
            ),
        )

    async def _attempts(
        self,
        wire: KoreTransport,
        http: httpx.AsyncClient,
        request: Request,
        deadline: float,
        call: Call,
        budget: _Budget,
    ) -> Call:
        settings = self.settings
        name = f"kore {wire.endpoint.name} {request.key}"
        reminted = False
        # Bounded: max_attempts attempts plus at most one immediate re-mint retry.
        for _ in range(settings.max_attempts + 1):
            if time.monotonic() >= deadline:
                return self._fail(wire, call, self._deadline_error(request, call))
            if not await self._reserve(budget, deadline):
                return self._fail(wire, call, self._budget_error(request, call, budget))
            failure = await self._attempt(wire, http, request, deadline, call)
            wire.gate.release()  # a large answer is parsed and packed (or failed) by now
            if failure is None:
                return call
            error = call.last_error = failure.error
            if error.kind == "rate_limited" and failure.retry_after_s is not None:
                self.planner.hold_for(settings.account_id, failure.retry_after_s)
                if self.limiter is not None:
                    self.limiter.hold_until(utcnow() + timedelta(seconds=failure.retry_after_s))
            rule = wait_rule(error)
            if rule is Wait.NEVER:
                return self._fail(wire, call, error)
            if rule is Wait.REMINT:
                if reminted:
                    return self._fail(wire, call, error)
                reminted = True
                logger.info("%s: token expired, minting a new one", name)
                continue
            if call.attempts >= settings.max_attempts:
                return self._fail(wire, call, error)
            wait = wait_seconds(
                rule,
                call.attempts,
                failure.retry_after_s,
                base_s=settings.backoff_base_s,
                cap_s=settings.backoff_cap_s,
                rng=self._random,
            )
            if time.monotonic() + wait >= deadline:
                late = type(error)(
                    f"{error.detail}; no retry: waiting {wait:.1f} s would pass the tick "
                    f"deadline (KORE_TICK_DEADLINE_SECONDS={settings.tick_deadline_s:g})",
                    status=error.status,
                    hint=error.hint,
                )
                return self._fail(wire, call, late)
            logger.info(
                "%s: attempt %d failed (%s, HTTP %s); retrying in %.2f s",
                name,
                call.attempts,
                error.kind,
                call.http_status,
                wait,
            )
            await asyncio.sleep(wait)
        return self._fail(wire, call, call.last_error or KoreServerError("no attempt succeeded"))

    async def _reserve(self, budget: _Budget, deadline: float) -> bool:
        """Wait for the ledger to grant one send at the budget's priority; False if none comes
        before ``deadline`` (monotonic). The grant is recorded before the send is made."""
        if self.limiter is not None and not await self.limiter.acquire(deadline):
            return False
        account = self.settings.account_id
        planner = self.planner
        for _ in range(100_000):
            if planner.reserve(account, budget.priority, budget.purpose) is not None:
                return True
            wait = max(_MIN_LEDGER_WAIT_S, planner.next_slot_in(account, budget.priority))
            if time.monotonic() + wait > deadline:
                return False
            await asyncio.sleep(wait)
        return False

    async def _attempt(
        self,
        wire: KoreTransport,
        http: httpx.AsyncClient,
        request: Request,
        deadline: float,
        call: Call,
    ) -> Failure | None:
        """One attempt; None when it succeeded (``call`` is then complete)."""
        name = f"kore {wire.endpoint.name} {request.key}"
        token = self._minter.token()
        call.tokens.add(token)
        sent_at = utcnow()
        if call.attempts == 0:
            call.requested_at = sent_at
        call.attempts += 1
        call.sends.append(sent_at)
        logger.debug("%s: attempt %d sent", name, call.attempts)
        started = time.monotonic()
        try:
            reply = await wire.send(http, token, request, deadline)
        except Exception as exc:  # whatever reading one answer raises ends this request only
            call.latency_ms = (time.monotonic() - started) * 1000
            at_deadline = time.monotonic() >= deadline - 0.01
            error = wire.error_for_exception(exc, request.subject, call.attempts, at_deadline)
            call.http_status = error.status or call.http_status
            return Failure(error)

        received_at = utcnow()
        latency_ms = (time.monotonic() - started) * 1000
        # A success body is data: only exact secrets long enough not to collide with it go.
        reply = Reply(reply.status, reply.headers, self._redact(reply.text, call, data=True))
        call.answered_at = received_at
        call.http_status = reply.status
        call.latency_ms = latency_ms
        logger.debug(
            "%s: attempt %d answered HTTP %d in %.0f ms",
            name,
            call.attempts,
            reply.status,
            latency_ms,
        )
        if not 200 <= reply.status < 300:
            call.body = self._redact(reply.text, call)[:MAX_ERROR_BODY_CHARS]
            try:
                scrub = lambda raw: self._redact(raw, call)  # noqa: E731
                return wire.failure_for_status(
                    request.subject, reply, call.attempts, request.body, scrub
                )
            except Exception as exc:  # reading an error answer fails this request only
                return Failure(unreadable_answer(request.subject, exc, reply.status))
        call.body = reply.text
        try:
            value, stored = wire.endpoint.parse(reply.text)
        except Exception as exc:  # a parser's failure on one answer is its own
            call.body = reply.text[: 2 * MAX_ERROR_BODY_CHARS]  # not the whole answer, retried
            if isinstance(exc, KoreInvalidResponseError):
                # A body cut short is worth another try (transient); a page or a shape is not.
                return Failure(wire.error_for_payload(exc, request.subject, reply, call.attempts))
            return Failure(unreadable_answer(request.subject, exc, reply.status))
        call.observed_at = sent_at + (received_at - sent_at) / 2
        call.outcome = "ok"
        call.body = stored
        call.value = value
        return None

    # ---- the record ------------------------------------------------------------------------------

    def _redact(self, text: str, call: Call | None = None, *, data: bool = False) -> str:
        """``text`` without the secret or any token this client minted (see :func:`redact`)."""
        secrets = {self.settings.client_secret, *self._minter.minted}
        if call is not None:
            secrets |= call.tokens
        return redact(text, secrets, data=data)

    def _fail(self, wire: KoreTransport, call: Call, error: KoreError) -> Call:
        message = self.settings.in_its_terms(scrub_contacts(self._redact(str(error), call)))
        # A call deferred by our own budget before any send is routine, not a warning.
        deferred = call.attempts == 0 and error.kind == "rate_limited"
        level = logging.INFO if deferred else logging.WARNING
        logger.log(level, "kore %s %s failed: %s", wire.endpoint.name, call.key, message)
        call.outcome = "error"
        call.error_kind = error.kind
        call.error_text = message
        call.observed_at = None
        call.value = None
        call.body = self._redact(call.body, call)[:MAX_ERROR_BODY_CHARS] if call.body else None
        return call


@dataclass(frozen=True)
class _Budget:
    """What one batch of calls reserves as: its priority and the purpose recorded."""

    priority: int
    purpose: str
