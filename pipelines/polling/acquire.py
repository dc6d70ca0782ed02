"""Which acquisition a tick uses: membership where the tenant allows it, per scope otherwise.

``AVAILABILITY_ACQUISITION``: ``membership`` (one availability request per tick, membership
from Kore's agents listing), ``per_scope`` (one request per scope of the scopes file, for apps
without the listing's API scope) or ``auto`` (the default): membership, falling back to per
scope with a message naming what is missing (KORE_ORG_ID, or the API scope "SmartAssist
Analytics"). After a fallback, ``auto`` asks the listing again only once the membership
refresh interval has passed, so a refused listing costs one request an hour, not one a minute.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import httpx

from pipelines import settings as config_settings
from pipelines.kore import KoreConfigError, KoreSettings
from pipelines.kore.clock import utcnow
from pipelines.kore.planner import RequestPlanner
from pipelines.polling.membership import Cadence, ListingRefused, run_membership_tick
from pipelines.polling.per_scope import OpenDatabase, TickOutcome, open_planner, run_tick
from pipelines.scopes import load_config, load_scopes
from pipelines.warehouse import PiiPolicy, transaction
from pipelines.warehouse.sql import execute, fetch_all

MODES = ("auto", "membership", "per_scope")


def cadence_from_settings() -> Cadence:
    return Cadence(
        refresh=timedelta(minutes=config_settings.get("AVAILABILITY_MEMBERSHIP_REFRESH_MINUTES")),
        drift=timedelta(minutes=config_settings.get("AVAILABILITY_DRIFT_CHECK_MINUTES")),
        pages_per_tick=config_settings.get("AVAILABILITY_MEMBERSHIP_PAGES_PER_TICK"),
    )


def _record(
    open_db: OpenDatabase, account: str, mode: str, reason: str | None, at: datetime
) -> None:
    """Store a change of mode (only a change: the table stays small)."""
    with open_db() as con:
        last = fetch_all(con, "ingest/acquisition_last.sql", account_id=account)
        if last and last[0][1] == mode and last[0][2] == reason:
            return
        with transaction(con):
            execute(
                con,
                "ingest/acquisition_event.sql",
                changed_at=at,
                account_id=account,
                mode=mode,
                reason=reason,
            )


def _recent_fallback(
    open_db: OpenDatabase, account: str, cadence: Cadence, now: datetime
) -> str | None:
    with open_db() as con:
        last = fetch_all(con, "ingest/acquisition_last.sql", account_id=account)
    if last and last[0][1] == "per_scope" and last[0][2]:
        at, _, reason = last[0]
        if now - at < cadence.refresh:
            return reason
    return None


def poll(
    open_db: OpenDatabase,
    settings: KoreSettings,
    scopes_path: str,
    tick_id: str,
    run_id: str | None = None,
    mode: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    pii: PiiPolicy | None = None,
    planner: RequestPlanner | None = None,
    cadence: Cadence | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> TickOutcome:
    """One tick in the configured acquisition mode; see the module docstring. ``clock`` dates
    membership ticks and decides what is due (tests drive simulated minutes with it)."""
    mode = mode or config_settings.get("AVAILABILITY_ACQUISITION")
    cadence = cadence or cadence_from_settings()
    settings.validate()
    pii = pii or PiiPolicy.from_env()
    pii.require_key_for(settings.host)
    account = settings.account_id
    own = planner is None
    planner = planner or open_planner(open_db, settings)
    try:
        reason = None
        if mode != "per_scope":
            if not settings.org_id:
                reason = (
                    "membership acquisition needs KORE_ORG_ID (the organization in the agents "
                    "listing's path); polling per scope"
                )
            elif mode == "auto":
                reason = _recent_fallback(open_db, account, cadence, clock())
            if reason is None:
                try:
                    outcome = run_membership_tick(
                        open_db,
                        settings,
                        load_config(scopes_path),
                        tick_id,
                        planner,
                        run_id=run_id,
                        transport=transport,
                        pii=pii,
                        cadence=cadence,
                        clock=clock,
                    )
                    _record(open_db, account, "membership", None, clock())
                    return outcome
                except ListingRefused as exc:
                    reason = (
                        f"Kore refused the agents listing ({exc}); membership acquisition needs "
                        'the API scope "SmartAssist Analytics" on the app; polling per scope'
                    )
            if mode == "membership":
                raise KoreConfigError(f"AVAILABILITY_ACQUISITION=membership: {reason}")
        _record(open_db, account, "per_scope", reason, clock())
        outcome = run_tick(
            open_db,
            settings,
            load_scopes(scopes_path),
            tick_id,
            run_id=run_id,
            transport=transport,
            pii=pii,
            planner=planner,
        )
        if reason:
            outcome.details["fallback"] = reason
        return outcome
    finally:
        if own:
            planner.close()
