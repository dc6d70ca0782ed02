"""One request budget per Kore.ai account, shared by every process of the machine.

Kore.ai allows an account 60 requests a minute across every Contact Center API, so every send
of every endpoint (retries included) is reserved here first. The ledger is a SQLite file
(stdlib ``sqlite3``, WAL, ``BEGIN IMMEDIATE``, a busy timeout): a reservation checks the sends
of the last 60 seconds and records its own in the same write transaction, **before** the
request leaves, so overlapping runs (a schedule and a UI materialization, a script outside
Dagster) can never spend the same slot twice. Recording sends only when a tick ended is what
let two overlapping runs send 120 requests in 25 s and collect 64 x 429.

Priorities keep availability first: priority 0 may use the account's limit less
``KORE_RATE_RESERVE_PER_MINUTE`` (left to other integrations); priority ``p > 0`` may use that
less the headroom of the priorities above it, their expected use in the next minute (declared
by the callers with :meth:`RequestPlanner.expect`, at least ``expected`` given to the planner:
one availability request per tick by default). So a membership page can never take the slot
the next availability request needs.

Sends are counted from ``now - 60 s`` on, later ones included: a process whose clock lags
still sees what a process ahead of it recorded, so any 60-second window holds at most the
budget whatever order the processes' writes land in.
"""

from __future__ import annotations

import math
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from pipelines import settings
from pipelines.kore.errors import KoreConfigError

if TYPE_CHECKING:
    from pipelines.kore.config import KoreSettings

__all__ = [
    "DEFAULT_EXPECTED",
    "PRIORITY_AVAILABILITY",
    "PRIORITY_DRIFT",
    "PRIORITY_LATER",
    "PRIORITY_MEMBERSHIP",
    "WINDOW_S",
    "Grant",
    "RequestPlanner",
    "ledger_path",
]

PRIORITY_AVAILABILITY = 0  # every tick's availability request(s)
PRIORITY_MEMBERSHIP = 1  # List All Agents pages, queues/agents
PRIORITY_DRIFT = 2  # the drift check's filtered availability request
PRIORITY_LATER = 3  # demand and history endpoints of later issues
WINDOW_S = 60.0
KEEP_S = 3600.0  # sends older than this are deleted now and then
# Expected requests per minute of each priority when nobody declared more: one availability
# request per tick (membership mode); per-scope polling declares its scopes count.
DEFAULT_EXPECTED: Mapping[int, int] = MappingProxyType({PRIORITY_AVAILABILITY: 1})

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sends (
        account_id TEXT NOT NULL, sent_at REAL NOT NULL, priority INTEGER NOT NULL,
        purpose TEXT NOT NULL, holder TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS sends_by_account_time ON sends (account_id, sent_at)",
    "CREATE TABLE IF NOT EXISTS holds (account_id TEXT PRIMARY KEY, until REAL NOT NULL)",
    """CREATE TABLE IF NOT EXISTS expectations (
        account_id TEXT NOT NULL, priority INTEGER NOT NULL, holder TEXT NOT NULL,
        per_minute INTEGER NOT NULL, until REAL NOT NULL,
        PRIMARY KEY (account_id, priority, holder))""",
)


def ledger_path(database: str | None = None) -> str:
    """AVAILABILITY_BUDGET_LEDGER, or ``<database>.budget.sqlite`` beside the DuckDB file
    (``database`` if given, else AVAILABILITY_DB)."""
    explicit = settings.get("AVAILABILITY_BUDGET_LEDGER")
    if explicit:
        return str(explicit)
    return f"{database or settings.get('AVAILABILITY_DB')}.budget.sqlite"


@dataclass(frozen=True)
class Grant:
    """Sends reserved (and recorded) for an account; ``sent_at`` is the planner clock's epoch."""

    account_id: str
    priority: int
    purpose: str
    count: int
    sent_at: float
    holder: str


class RequestPlanner:
    """Reserves sends of an account's per-minute budget in a ledger every process shares.

    ``path`` is the SQLite file (``":memory:"`` for a ledger private to this object).
    ``clock`` returns epoch seconds (tests drive simulated minutes with it). One connection
    per planner, guarded by a lock, so a planner may be shared by threads; other processes
    open their own planner on the same file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        limit_per_minute: int,
        reserve_per_minute: int = 0,
        *,
        expected: Mapping[int, int] = DEFAULT_EXPECTED,
        clock: Callable[[], float] = time.time,
        holder: str | None = None,
        poller: str | None = None,
        busy_timeout_s: float = 30.0,
    ):
        if isinstance(limit_per_minute, bool) or limit_per_minute < 1:
            raise KoreConfigError(
                f"KORE_RATE_LIMIT_PER_MINUTE must be >= 1, got {limit_per_minute!r}"
            )
        if reserve_per_minute < 0 or reserve_per_minute >= limit_per_minute:
            raise KoreConfigError(
                f"KORE_RATE_RESERVE_PER_MINUTE must be >= 0 and below "
                f"KORE_RATE_LIMIT_PER_MINUTE={limit_per_minute}, got {reserve_per_minute!r}"
            )
        self.path = str(path)
        self.limit = limit_per_minute
        self.reserve_per_minute = reserve_per_minute
        self.expected = dict(expected)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        # Who declares expectations: one poller (the database it fills) across its runs, so a
        # run replaces its predecessor's declaration while concurrent pollers add up.
        self.poller = poller or self.holder
        self._clock = clock
        self._lock = threading.Lock()
        self._writes = 0
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # ``timeout`` is SQLite's busy timeout: a writer waits that long for another's lock.
        self._con = sqlite3.connect(
            self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        # Switching a new file to WAL can meet another process doing the same ("database is
        # locked" without the busy handler): try again, a bounded number of times.
        for attempt in range(100):
            try:
                if self.path != ":memory:":
                    self._con.execute("PRAGMA journal_mode = WAL")
                    self._con.execute("PRAGMA synchronous = NORMAL")
                with self._write() as con:
                    for statement in _SCHEMA:
                        con.execute(statement)
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 99:
                    raise
                time.sleep(0.02)

    @classmethod
    def for_settings(
        cls,
        kore: KoreSettings,
        path: str | os.PathLike[str] | None = None,
        **kwargs: object,
    ) -> RequestPlanner:
        """The planner of ``kore``'s budget on the ledger at ``path`` (default:
        :func:`ledger_path`)."""
        return cls(
            path if path is not None else ledger_path(),
            kore.rate_limit_per_minute,
            kore.rate_reserve_per_minute,
            **kwargs,  # type: ignore[arg-type]
        )

    @property
    def budget(self) -> int:
        """Sends per minute this project may make: the limit less the reserve."""
        return self.limit - self.reserve_per_minute

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def __enter__(self) -> RequestPlanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the ledger --------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so reads and the insert that
        follows them are never interleaved with another process's."""
        with self._lock:
            con = self._con
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _used(self, con: sqlite3.Connection, account_id: str, now: float) -> int:
        """Sends counted against the account at ``now``: from ``now - 60 s`` on."""
        row = con.execute(
            "SELECT count(*) FROM sends WHERE account_id = ? AND sent_at > ?",
            (account_id, now - WINDOW_S),
        ).fetchone()
        return int(row[0])

    def _nth_oldest(self, con: sqlite3.Connection, account_id: str, now: float, n: int) -> float:
        row = con.execute(
            "SELECT sent_at FROM sends WHERE account_id = ? AND sent_at > ? "
            "ORDER BY sent_at LIMIT 1 OFFSET ?",
            (account_id, now - WINDOW_S, n - 1),
        ).fetchone()
        return float(row[0]) if row else now - WINDOW_S

    def _held_until(self, con: sqlite3.Connection, account_id: str) -> float:
        row = con.execute("SELECT until FROM holds WHERE account_id = ?", (account_id,)).fetchone()
        return row[0] if row else -math.inf

    def _expected(self, con: sqlite3.Connection, account_id: str, now: float) -> dict[int, int]:
        expected = dict(self.expected)
        rows = con.execute(
            "SELECT priority, sum(per_minute) FROM expectations "
            "WHERE account_id = ? AND until > ? GROUP BY priority",
            (account_id, now),
        ).fetchall()
        for priority, per_minute in rows:
            expected[priority] = max(expected.get(priority, 0), per_minute)
        return expected

    def _capacity(self, con: sqlite3.Connection, account_id: str, priority: int, now: float) -> int:
        expected = self._expected(con, account_id, now)
        headroom = sum(n for p, n in expected.items() if p < priority)
        return self.budget - headroom

    @staticmethod
    def _check(priority: int, count: int) -> None:
        if priority < 0 or count < 1:
            raise ValueError(f"priority must be >= 0 and count >= 1, got {priority}, {count}")

    # ---- reserving ---------------------------------------------------------------------------

    def reserve(self, account_id: str, priority: int, purpose: str, count: int = 1) -> Grant | None:
        """Record ``count`` sends now if the budget allows them all; None (nothing recorded)
        if it does not. The caller sends only after a grant."""
        self._check(priority, count)
        with self._write() as con:
            now = self._clock()
            if self._held_until(con, account_id) > now:
                return None
            used = self._used(con, account_id, now)
            if used + count > self._capacity(con, account_id, priority, now):
                return None
            con.executemany(
                "INSERT INTO sends VALUES (?, ?, ?, ?, ?)",
                [(account_id, now, priority, purpose, self.holder)] * count,
            )
            self._writes += 1
            if self._writes % 200 == 1:
                con.execute("DELETE FROM sends WHERE sent_at < ?", (now - KEEP_S,))
                con.execute("DELETE FROM expectations WHERE until < ?", (now,))
        return Grant(account_id, priority, purpose, count, now, self.holder)

    def next_slot_in(self, account_id: str, priority: int, count: int = 1) -> float:
        """Seconds until ``count`` sends at ``priority`` would fit, if nobody else took them:
        0 if they fit now, ``math.inf`` if they never can (more than the priority's share)."""
        self._check(priority, count)
        with self._write() as con:
            now = self._clock()
            capacity = self._capacity(con, account_id, priority, now)
            if count > capacity:
                return math.inf
            held = self._held_until(con, account_id) - now
            # The oldest `excess` sends must leave the window first.
            excess = self._used(con, account_id, now) + count - capacity
            if excess <= 0:
                return max(0.0, held)
            oldest = self._nth_oldest(con, account_id, now, excess)
        return max(0.0, oldest + WINDOW_S - now, held)

    def available(self, account_id: str, priority: int) -> int:
        """Sends at ``priority`` the budget allows right now."""
        with self._write() as con:
            now = self._clock()
            if self._held_until(con, account_id) > now:
                return 0
            used = self._used(con, account_id, now)
            return max(0, self._capacity(con, account_id, priority, now) - used)

    def hold_for(self, account_id: str, seconds: float) -> None:
        """Grant nothing for the account for ``seconds`` (Kore answered 429 with Retry-After);
        every process sharing the ledger waits."""
        with self._write() as con:
            until = self._clock() + max(0.0, seconds)
            con.execute(
                "INSERT INTO holds VALUES (?, ?) ON CONFLICT (account_id) "
                "DO UPDATE SET until = max(until, excluded.until)",
                (account_id, until),
            )

    def expect(self, account_id: str, priority: int, per_minute: int, ttl_s: float = 180.0) -> None:
        """Declare that this poller expects ``per_minute`` sends at ``priority`` for the next
        ``ttl_s`` seconds; lower priorities keep room for the sum over pollers (0 withdraws
        it)."""
        self._check(priority, 1)
        with self._write() as con:
            now = self._clock()
            con.execute(
                "INSERT INTO expectations VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (account_id, priority, holder) "
                "DO UPDATE SET per_minute = excluded.per_minute, until = excluded.until",
                (account_id, priority, self.poller, max(0, int(per_minute)), now + ttl_s),
            )

    # ---- reading -----------------------------------------------------------------------------

    def sends(self, account_id: str, since: float | None = None) -> list[Grant]:
        """The recorded sends of the account from ``since`` (default: the last 60 s) on."""
        with self._lock:
            start = self._clock() - WINDOW_S if since is None else since
            rows = self._con.execute(
                "SELECT priority, purpose, sent_at, holder FROM sends "
                "WHERE account_id = ? AND sent_at >= ? ORDER BY sent_at",
                (account_id, start),
            ).fetchall()
        return [Grant(account_id, p, purpose, 1, at, holder) for p, purpose, at, holder in rows]

    def used(self, account_id: str) -> dict[int, int]:
        """Sends per priority in the current 60-second window."""
        counts: dict[int, int] = {}
        for grant in self.sends(account_id, self._clock() - WINDOW_S + 1e-9):
            counts[grant.priority] = counts.get(grant.priority, 0) + 1
        return counts
