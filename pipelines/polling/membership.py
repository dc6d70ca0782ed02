"""A membership tick: ONE availability request with the empty filter (every agent), and the
agent -> skill and agent -> queue membership from Kore's agents listing, refreshed on its own
cadence with its pages spread over ticks inside the account's budget.

Per skill and per queue figures come from joining the one answer with the membership valid at
its observation time (coverage does it in SQL), so 70 scopes cost one request a minute instead
of seventy. Kore does not document how the empty filter behaves on every tenant, so a drift
check asks one skill or queue directly now and then (default hourly) and stores how Kore's
filtered answer differs from the local member list.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pipelines.kore import KoreAvailabilityClient, KoreSettings
from pipelines.kore.agents import KoreAgentsClient, membership_rows
from pipelines.kore.clock import utcnow
from pipelines.kore.planner import (
    PRIORITY_AVAILABILITY,
    PRIORITY_DRIFT,
    PRIORITY_MEMBERSHIP,
    RequestPlanner,
)
from pipelines.polling.per_scope import (
    OpenDatabase,
    TickOutcome,
    landing_frame,
    sends_frame,
    status_table,
)
from pipelines.scopes import Scope, ScopesConfig
from pipelines.warehouse import PiiPolicy, Tick, write_tick
from pipelines.warehouse.membership import (
    complete_refresh,
    open_refresh,
    record_drift,
    stage_page,
    upsert_discovered_scopes,
)
from pipelines.warehouse.sql import fetch_all, fetch_df

ALL = Scope("all", "", "All agents")


class ListingRefused(Exception):
    """Kore refused the agents listing for good (the app lacks its API scope, say)."""


@dataclass(frozen=True)
class Cadence:
    """How often membership is refreshed and drift is checked, and how fast a refresh after
    the first may spend the budget: ``pages_per_tick`` listing pages at most (the first
    listing takes whatever the budget leaves, so a new installation counts per skill and
    queue within minutes)."""

    refresh: timedelta = timedelta(minutes=60)
    drift: timedelta = timedelta(minutes=60)
    pages_per_tick: int = 2


def _due(con: Any, account: str, now: datetime, cadence: Cadence) -> tuple[bool, bool]:
    ((last_complete, pending),) = fetch_all(con, "membership/refresh_due.sql", account_id=account)
    refresh = pending or last_complete is None or now - last_complete >= cadence.refresh
    ((last_drift,),) = fetch_all(con, "membership/drift_last.sql", account_id=account)
    drift = last_complete is not None and (last_drift is None or now - last_drift >= cadence.drift)
    return refresh, drift


def _fetch_pages(
    open_db: OpenDatabase,
    settings: KoreSettings,
    config: ScopesConfig,
    cadence: Cadence,
    planner: RequestPlanner,
    transport: httpx.AsyncBaseTransport | None,
    now: datetime,
) -> dict[str, Any]:
    """Fetch the missing pages of the account's refresh the budget allows; stage them; apply
    the refresh once whole. Raises :class:`ListingRefused` when Kore refuses the listing."""
    account = settings.account_id
    with open_db() as con:
        state = open_refresh(con, account, now)
        ((first_refresh,),) = fetch_all(con, "membership/first_refresh.sql", account_id=account)
    wanted = state.pages_missing
    room = planner.available(account, PRIORITY_MEMBERSHIP)
    if not first_refresh:
        room = min(room, cadence.pages_per_tick)
    pages = wanted[: max(room, 0)]
    if not pages:
        return {"requests": 0, "pages_fetched": 0, "pages_missing": len(wanted)}
    client = KoreAgentsClient(settings, transport=transport, planner=planner)
    calls = client.list_pages_sync(pages)
    # Only a refusal of the listing itself means the app lacks its API scope; a JWT Kore
    # cannot verify (HTTP 401, kind "auth") fails every endpoint alike, so falling back to one
    # request per scope would only multiply the refused requests.
    refused = [c for c in calls if c.error_kind in ("scope_missing", "forbidden")]
    if refused:
        raise ListingRefused(refused[0].error_text or "the agents listing was refused")
    fetched = [c for c in calls if c.ok]
    with open_db() as con:
        for call in fetched:
            page = call.value
            stage_page(
                con,
                state.refresh_id,
                page.page,
                call.observed_at or now,
                membership_rows(page.agents),
                [agent.agent_id for agent in page.agents],
                total_pages=page.total_pages if page.total_pages else None,
            )
        details: dict[str, Any] = {
            "requests": sum(len(c.sends) for c in calls),
            "pages_fetched": len(fetched),
            "pages_failed": [c.error_text for c in calls if not c.ok],
        }
        state = open_refresh(con, account, now)
        details["pages_missing"] = len(state.pages_missing)
        if not state.pages_missing:
            listed = fetch_df(con, "membership/refresh_catalogue.sql", refresh_id=state.refresh_id)
            # The first listing also stands for the minutes it took to collect, so the ticks
            # of a new installation count per skill and queue from the start.
            valid_from = state.started_at if first_refresh else now
            details["refresh"] = complete_refresh(con, state.refresh_id, valid_from)
            left_out = [k for k in listed["scope_key"] if not config.discovery.admits(k)]
            details["discovery"] = upsert_discovered_scopes(con, listed, now, exclude=left_out)
    return details


def _check_drift(
    open_db: OpenDatabase,
    settings: KoreSettings,
    planner: RequestPlanner,
    transport: httpx.AsyncBaseTransport | None,
    scopes: list[Scope],
) -> dict[str, Any] | None:
    """Ask the least recently checked skill or queue directly; store the difference."""
    account = settings.account_id
    candidates = [s for s in scopes if s.kind in ("skill", "queue")]
    if not candidates or planner.available(account, PRIORITY_DRIFT) < 1:
        return None
    with open_db() as con:
        checked = dict(fetch_all(con, "membership/drift_by_scope.sql", account_id=account))
    never = datetime.min.replace(tzinfo=UTC)
    scope = min(candidates, key=lambda s: (checked.get(s.key) or never, s.key))
    client = KoreAvailabilityClient(settings, transport=transport, planner=planner)
    (result,) = client.poll_sync([scope], priority=PRIORITY_DRIFT)
    if not result.ok or result.buckets is None:
        return {"scope_key": scope.key, "error": result.error_text, "requests": len(result.sends)}
    answered = {
        agent["_id"]
        for agents in result.buckets.values()
        for agent in agents
        if isinstance(agent, dict) and isinstance(agent.get("_id"), str)
    }
    with open_db() as con:
        row = record_drift(con, account, scope.key, result.observed_at, answered)
    keys = ("scope_key", "drift", "missing_agent_ids", "extra_agent_ids")
    return {**{key: row[key] for key in keys}, "requests": len(result.sends)}


def _rest_of_tick(settings: KoreSettings, began: float) -> KoreSettings | None:
    """The settings for the tick's later requests (pages, drift check): what is left of its
    deadline, so a slow Kore costs a tick one deadline, not one per request; None when less
    than a second is left (they wait for a later tick)."""
    left = settings.tick_deadline_s - (time.monotonic() - began)
    return replace(settings, tick_deadline_s=left) if left >= 1.0 else None


def resolved_scopes(open_db: OpenDatabase, config: ScopesConfig) -> list[Scope]:
    """The tick's scopes: discovered skills and queues through the scopes file's filter."""
    with open_db() as con:
        rows = fetch_all(con, "membership/discovered.sql")
    return config.resolve(Scope(kind, ref_id, name) for kind, ref_id, name in rows)


def run_membership_tick(
    open_db: OpenDatabase,
    settings: KoreSettings,
    config: ScopesConfig,
    tick_id: str,
    planner: RequestPlanner,
    run_id: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    pii: PiiPolicy | None = None,
    cadence: Cadence = Cadence(),
    clock: Callable[[], datetime] = utcnow,
) -> TickOutcome:
    """One availability request for every agent, then membership pages and a drift check as
    far as the budget allows after it; landed as one tick of mode ``membership``.

    Raises :class:`ListingRefused` (before anything is landed) when Kore refuses the listing,
    so ``auto`` acquisition can fall back to per-scope polling. ``clock`` dates the tick and
    decides what is due (tests drive simulated minutes with it).
    """
    account = settings.account_id
    started = clock()
    began = time.monotonic()
    planner.expect(account, PRIORITY_AVAILABILITY, 1)
    with open_db() as con:
        refresh_due, drift_due = _due(con, account, started, cadence)
    client = KoreAvailabilityClient(settings, transport=transport, planner=planner)
    (result,) = client.poll_sync([ALL])
    details: dict[str, Any] = {}
    if refresh_due and (rest := _rest_of_tick(settings, began)):
        details["membership"] = _fetch_pages(
            open_db, rest, config, cadence, planner, transport, started
        )
    scopes = resolved_scopes(open_db, config)
    if drift_due and (rest := _rest_of_tick(settings, began)):
        details["drift_check"] = _check_drift(open_db, rest, planner, transport, scopes)
    sent = len(result.sends) + sum(
        (details.get(part) or {}).get("requests", 0) for part in ("membership", "drift_check")
    )
    tick = Tick(
        tick_id=tick_id,
        account_id=account,
        started_at=started,
        ended_at=max(clock(), started),
        run_id=run_id,
        mode="membership",
        requests=sent,
    )
    # The file's own scopes keep their rows (and names) in `scopes`; discovered ones were
    # added by the refresh.
    file_scopes = list(config.scopes) + (
        [] if any(s.kind == "all" for s in config.scopes) else [ALL]
    )
    with open_db() as con:
        counts = write_tick(
            con, tick, landing_frame([result]), sends_frame([result]), file_scopes, pii=pii
        )
        per_scope = fetch_df(con, "ingest/tick_scope_status.sql", tick_id=tick_id)
    counts["scopes_deferred"] = 0
    details["scopes"] = len(scopes)
    details["tick_requests"] = sent
    details["requests"] = planner.used(account)
    order = [s.key for s in scopes]
    return TickOutcome(
        tick, [result], [], counts, status_table(per_scope, order), "membership", details
    )
