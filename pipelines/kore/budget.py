"""An in-process pacer: a sliding 60-second window over this process's sends.

The account's budget, shared by every process, is :mod:`pipelines.kore.planner`'s ledger,
which every attempt reserves in. :class:`RateLimiter` remains as an optional pacer a client
can add on top (tests and benchmarks use it to cap one client); ``prior_sends`` seeds it with
send times known from elsewhere.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from pipelines.kore.clock import as_utc, utcnow
from pipelines.kore.errors import KoreConfigError

__all__ = ["WINDOW", "RateLimiter"]

WINDOW = timedelta(seconds=60)


class RateLimiter:
    """Sliding 60-second window over the account's sends, shared across ticks and processes.

    ``prior_sends`` are send times recorded by other ticks (the pipeline reads them from
    ``request_log``), so a tick only spends what is left of the account's minute. ``sends``
    lists what this limiter granted, for the caller to record in turn.
    """

    def __init__(
        self,
        limit_per_minute: int,
        prior_sends: Iterable[datetime] = (),
        clock: Callable[[], datetime] = utcnow,
    ):
        if limit_per_minute < 1:
            raise KoreConfigError(
                f"KORE_RATE_LIMIT_PER_MINUTE must be >= 1, got {limit_per_minute!r}"
            )
        self.limit = limit_per_minute
        self._clock = clock
        self._window: list[datetime] = sorted(as_utc(moment) for moment in prior_sends)
        self._hold_until: datetime | None = None
        self.sends: list[datetime] = []
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def _now(self, now: datetime | None = None) -> datetime:
        return as_utc(now) if now is not None else as_utc(self._clock())

    def _prune(self, now: datetime) -> None:
        cut = bisect.bisect_right(self._window, now - WINDOW)
        if cut:
            del self._window[:cut]

    def remaining(self, now: datetime | None = None) -> int:
        """Requests still allowed in the 60 seconds ending at ``now``."""
        moment = self._now(now)
        self._prune(moment)
        return max(0, self.limit - len(self._window))

    def hold_until(self, until: datetime) -> None:
        """Grant nothing before ``until``: Kore said (Retry-After) the account must wait."""
        until = as_utc(until)
        if self._hold_until is None or until > self._hold_until:
            self._hold_until = until

    def _wait_seconds(self, now: datetime) -> float:
        self._prune(now)
        wait = 0.0
        excess = len(self._window) - self.limit
        if excess >= 0:
            wait = (self._window[excess] + WINDOW - now).total_seconds()
        if self._hold_until is not None:
            wait = max(wait, (self._hold_until - now).total_seconds())
        return wait

    def _get_lock(self) -> asyncio.Lock:
        # asyncio.Lock binds to the loop it first waits in; poll_sync runs a new loop per tick.
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock = asyncio.Lock()
            self._lock_loop = loop
        return self._lock

    async def acquire(self, deadline: float) -> bool:
        """Wait for a free slot; False at once if none frees before ``deadline`` (monotonic)."""
        lock = self._get_lock()
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                await lock.acquire()
        except TimeoutError:
            return False
        try:
            for _ in range(1000):
                now = self._now()
                wait = self._wait_seconds(now)
                if wait <= 0:
                    bisect.insort(self._window, now)
                    self.sends.append(now)
                    return True
                if time.monotonic() + wait > deadline:
                    return False
                await asyncio.sleep(wait)
            return False
        finally:
            lock.release()
