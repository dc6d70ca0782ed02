"""A per-scope tick: one availability request per scope the account's budget allows, landed
in one write. The acquisition for tenants whose app lacks the agents listing's API scope, and
the shape every tick's outcome shares.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import httpx
import pandas as pd

from pipelines.kore import KoreAvailabilityClient, KoreSettings, ScopeResult
from pipelines.kore.availability import agent_statuses, status_rank  # noqa: F401 (re-exported)
from pipelines.kore.planner import PRIORITY_AVAILABILITY, RequestPlanner, ledger_path
from pipelines.polling.tick_text import within_text_budget
from pipelines.scopes import Scope
from pipelines.warehouse import PiiPolicy, Tick, last_polled, write_tick
from pipelines.warehouse.sql import fetch_all

OpenDatabase = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


@dataclass
class TickOutcome:
    """What one tick did; the asset turns it into Dagster metadata.

    ``mode`` is how it acquired (``per_scope`` or ``membership``); ``details`` holds what a
    membership tick did besides the availability request (pages, drift, discovery, fallback).
    """

    tick: Tick
    results: list[ScopeResult]
    deferred: list[Scope]
    counts: dict[str, int]
    status_counts: pd.DataFrame = field(repr=False)
    mode: str = "per_scope"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> list[ScopeResult]:
        return [r for r in self.results if not r.ok]


def choose_scopes(
    scopes: Sequence[Scope], polled_at: dict[str, datetime], budget: int
) -> tuple[list[Scope], list[Scope]]:
    """Split scopes into (asked now, deferred): never-asked first, then the stalest.

    With more scopes than the per-minute budget, consecutive ticks serve them round robin
    instead of tripping the server's 429s.
    """
    order = sorted(
        range(len(scopes)),
        key=lambda i: (
            scopes[i].key in polled_at,
            polled_at.get(scopes[i].key) or datetime.min.replace(tzinfo=UTC),
            i,
        ),
    )
    budget = max(budget, 0)
    chosen = sorted(order[:budget])
    deferred = sorted(order[budget:])
    return [scopes[i] for i in chosen], [scopes[i] for i in deferred]


def landing_frame(results: Sequence[ScopeResult]) -> pd.DataFrame:
    """One landing row per scope result, in the column order the warehouse expects."""
    return pd.DataFrame(
        {
            "scope_key": [r.scope_key for r in results],
            "requested_at": pd.to_datetime([r.requested_at for r in results], utc=True),
            "answered_at": pd.to_datetime([r.answered_at for r in results], utc=True),
            "observed_at": pd.to_datetime([r.observed_at for r in results], utc=True),
            "attempts": pd.array([r.attempts for r in results], dtype="Int32"),
            "http_status": pd.array([r.http_status for r in results], dtype="Int32"),
            "latency_ms": pd.array([r.latency_ms for r in results], dtype="Float64"),
            "outcome": [r.outcome for r in results],
            "error_kind": pd.array([r.error_kind for r in results], dtype="string"),
            "error_text": pd.array([r.error_text for r in results], dtype="string"),
            # Packed bodies stay packed: the write unpacks one batch at a time.
            "body": pd.Series([r.packed_body for r in results], dtype=object),
        }
    )


def sends_frame(results: Sequence[ScopeResult]) -> pd.DataFrame:
    rows = [(r.scope_key, sent) for r in results for sent in r.sends]
    return pd.DataFrame(
        {
            "scope_key": pd.array([k for k, _ in rows], dtype="string"),
            "sent_at": pd.to_datetime([s for _, s in rows], utc=True),
        }
    )


def status_counts(results: Sequence[ScopeResult]) -> pd.DataFrame:
    """Agents per status per scope for the tick (statuses as columns, unknown ones kept).

    Counted like the snapshots table: an agent listed twice in one answer counts once.
    """
    rows = [
        {"scope_key": r.scope_key, "status": status, "agents": agents}
        for r in results
        if r.ok and r.counts is not None
        for status, agents in r.counts.items()
    ]
    return status_table(pd.DataFrame(rows), [r.scope_key for r in results])


def status_table(rows: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """``rows`` (scope_key, status, agents) as one row per scope and a column per status:
    the four known buckets first, any other status after, scopes in ``order``."""
    if rows.empty:
        return pd.DataFrame({"scope_key": []})
    frame = rows.pivot_table(
        index="scope_key", columns="status", values="agents", aggfunc="sum", fill_value=0
    )
    known = [c for c in ("AVAILABLE", "BUSY", "AWAY", "OFFLINE") if c in frame.columns]
    frame = frame[known + sorted(c for c in frame.columns if c not in known)]
    position = {key: i for i, key in enumerate(order)}
    frame = frame.reset_index().sort_values(
        "scope_key", key=lambda s: s.map(lambda k: position.get(k, len(position)))
    )
    frame.columns.name = None
    return frame.reset_index(drop=True)


def open_planner(open_db: OpenDatabase, settings: KoreSettings) -> RequestPlanner:
    """The account's request planner on AVAILABILITY_BUDGET_LEDGER, or on the ledger file
    beside the DuckDB file the tick writes (each database its own ledger by default)."""
    with open_db() as con:
        ((database,),) = fetch_all(con, "ingest/database_path.sql") or [(None,)]
    return RequestPlanner.for_settings(settings, ledger_path(database), poller=database)


def run_tick(
    open_db: OpenDatabase,
    settings: KoreSettings,
    scopes: Sequence[Scope],
    tick_id: str,
    run_id: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    pii: PiiPolicy | None = None,
    planner: RequestPlanner | None = None,
) -> TickOutcome:
    """Poll the scopes the account's remaining budget allows and land the tick.

    The budget is the account's, not this process's: every send is reserved in the ledger
    ``planner`` (default: AVAILABILITY_BUDGET_LEDGER, or beside the DuckDB file) before it is
    made, so earlier and overlapping runs, in Dagster or not, share one minute. The database
    is held only for the short reads before and the single write after the network calls,
    so readers and other writers wait a moment at most. ``pii`` (default: from the
    environment, hash) decides what is kept of agents' e-mail and phone; it is checked before
    any request, so a real tenant without AVAILABILITY_PII_KEY fails before polling.
    """
    settings.validate()
    pii = pii or PiiPolicy.from_env()
    pii.require_key_for(settings.host)
    started = datetime.now(UTC)
    with open_db() as con:
        polled_at = last_polled(con)
    own = planner is None
    if planner is None:
        planner = open_planner(open_db, settings)
    try:
        account = settings.account_id
        # Per-scope polling expects a request per scope each minute: lower priorities
        # (membership pages, drift checks) keep that much room.
        planner.expect(account, PRIORITY_AVAILABILITY, min(len(scopes), planner.budget))
        budget = planner.available(account, PRIORITY_AVAILABILITY)
        chosen, deferred = choose_scopes(scopes, polled_at, budget)
        client = KoreAvailabilityClient(settings, transport=transport, planner=planner)
        results = client.poll_sync(chosen) if chosen else []
        results = within_text_budget(results, settings.tick_text_budget_mb)
    finally:
        if own:
            planner.close()
    tick = Tick(
        tick_id=tick_id,
        account_id=settings.account_id,
        started_at=started,
        ended_at=datetime.now(UTC),
        run_id=run_id,
        scopes_deferred=len(deferred),
    )
    with open_db() as con:
        counts = write_tick(
            con, tick, landing_frame(results), sends_frame(results), scopes, pii=pii
        )
    counts["scopes_deferred"] = len(deferred)
    return TickOutcome(tick, results, deferred, counts, status_counts(results))
