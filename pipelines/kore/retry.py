"""Whether a failed attempt is worth asking again, and how long to wait first.

Three small pieces, after openai-python's ``_should_retry``, ``_calculate_retry_timeout`` and
``_parse_retry_after_header``:

- :data:`RETRY_TABLE`: kind of failure -> when to ask again (never, after a backoff, after
  ``Retry-After``, or at once with a fresh token);
- :func:`parse_retry_after`: the ``Retry-After`` header, as seconds;
- :func:`backoff_s`: capped exponential backoff with full jitter.

Which error an answer is belongs to :mod:`pipelines.kore.transport`; the attempt loop in
:mod:`pipelines.kore.client` adds the limits (KORE_MAX_ATTEMPTS, the tick deadline, one re-mint
per call). Nothing here depends on the endpoint.
"""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType

from pipelines.kore.clock import as_utc, utcnow
from pipelines.kore.errors import KoreError

__all__ = ["RETRY_TABLE", "Wait", "backoff_s", "parse_retry_after", "wait_rule", "wait_seconds"]


class Wait(Enum):
    """When to send a failed request again."""

    NEVER = "never"  # the same request would get the same answer
    BACKOFF = "backoff"  # after a capped exponential backoff with full jitter
    RETRY_AFTER = "retry_after"  # as long as Retry-After says; the backoff if it says nothing
    REMINT = "remint"  # at once, with a freshly minted token; once per call


# (error kind, transient) -> when to ask again. The kind is KoreError.kind (what
# raw_responses.error_kind stores); ``transient`` marks the one failure of an otherwise final
# kind that another try may cure. A pair not listed is never retried.
# fmt: off
RETRY_TABLE: Mapping[tuple[str, bool], Wait] = MappingProxyType({
    ("rate_limited",     False): Wait.RETRY_AFTER,  # 429, or a 4xx that says "rate limit"
    ("server",           False): Wait.RETRY_AFTER,  # 5xx
    ("timeout",          False): Wait.BACKOFF,      # no connection or no answer in time
    ("connection",       False): Wait.BACKOFF,      # refused, reset, dropped mid-body
    ("invalid_response", True):  Wait.BACKOFF,      # 2xx JSON cut short on the way
    ("auth",             True):  Wait.REMINT,       # JTI mode: token expired or replayed
    ("auth",             False): Wait.NEVER,        # 401: wrong client ID, secret or algorithm
    ("credentials",      False): Wait.NEVER,        # code 4002: not this account's credentials
    ("forbidden",        False): Wait.NEVER,        # 403: the API scope lacks the permission
    ("scope_missing",    False): Wait.NEVER,        # 401/403: the app lacks the API scope
    ("not_found",        False): Wait.NEVER,        # 404: wrong bot ID or host
    ("bad_request",      False): Wait.NEVER,        # any other 4xx
    ("invalid_response", False): Wait.NEVER,        # HTML page, wrong shape, redirect, too big
    ("deadline",         False): Wait.NEVER,        # the tick's time is up
})
# fmt: on


def wait_rule(error: KoreError) -> Wait:
    """The row of :data:`RETRY_TABLE` for ``error`` (NEVER for anything not listed)."""
    return RETRY_TABLE.get((error.kind, error.transient), Wait.NEVER)


def wait_seconds(
    rule: Wait,
    attempt: int,
    retry_after_s: float | None,
    *,
    base_s: float,
    cap_s: float,
    rng: random.Random,
) -> float:
    """Seconds to wait, as ``rule`` says, before the attempt after number ``attempt``.

    ``retry_after_s`` is the failed answer's ``Retry-After`` (see :func:`parse_retry_after`).
    NEVER has no wait to give; the caller stops before asking.
    """
    if rule is Wait.NEVER:
        raise ValueError("a failure the table never retries has no wait")
    if rule is Wait.REMINT:
        return 0.0
    if rule is Wait.RETRY_AFTER and retry_after_s is not None:
        return retry_after_s
    return backoff_s(attempt, base_s, cap_s, rng)


def backoff_s(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Capped exponential backoff with full jitter, so retries from many requests spread out.

    The ceiling doubles from ``base_s`` with each attempt (1, 2, ...) up to ``cap_s``; the wait
    is uniform between 0 and the ceiling.
    """
    ceiling = min(cap_s, base_s * (2 ** max(0, attempt - 1)))
    return rng.uniform(0.0, ceiling)


MAX_RETRY_AFTER_S = 120.0


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or HTTP date), or None when absent or unreadable.

    A date in the past means "now" (0 seconds); more than ``MAX_RETRY_AFTER_S`` counts as that.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = (as_utc(when) - utcnow()).total_seconds()
    if not math.isfinite(seconds):
        return None
    # Kore's window is a minute: a longer wait is no plan, and an absurd one (1e20) must not
    # overflow a timer or hold every process's ledger for ever.
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)
