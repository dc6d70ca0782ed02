"""One status history run: closed local days fetched page by page from Agent Status Details,
inside the request planner's budget, each page landed as it comes.

Which days. Only CLOSED local days (AVAILABILITY_TIME_ZONE): a day still going would be
stored as if complete. Without an explicit day the run resumes an unfinished fetch first,
then opens the oldest day of the last KORE_STATUS_HISTORY_DAYS_BACK that is not complete, and
goes on to the next until the run's page allowance (KORE_STATUS_HISTORY_PAGES_PER_RUN) is
spent or the planner has no slot at PRIORITY_LATER: history never takes a send the minute's
availability request (or membership, or the drift check) needs.

Paging. ``offset`` advances by the agents a page held (so a server capping ``limit`` lower
than asked still pages right); the fetch completes only on a page with hasMore = false, and
an empty page that says hasMore = true is an error, not an endless loop.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from pipelines import settings as env
from pipelines.coverage.calendar import local_date
from pipelines.kore import KoreSettings
from pipelines.kore.client import Call
from pipelines.kore.planner import PRIORITY_LATER, RequestPlanner
from pipelines.kore.statusdetails import KoreStatusDetailsClient, StatusPage, plan_day, spans_of
from pipelines.polling.per_scope import OpenDatabase, open_planner
from pipelines.warehouse import history as store
from pipelines.warehouse.pii import PiiPolicy

__all__ = ["HistoryOutcome", "HistorySettings", "closed_days", "sync_history"]


@dataclass(frozen=True)
class HistorySettings:
    """The KORE_STATUS_HISTORY_* settings and the reporting zone."""

    time_zone: str = env.default("AVAILABILITY_TIME_ZONE")
    ask: str = env.default("KORE_STATUS_HISTORY_ASK")
    date_field: str = env.default("KORE_STATUS_HISTORY_DATE_FIELD")
    page_size: int = env.default("KORE_STATUS_HISTORY_PAGE_SIZE")
    pages_per_run: int = env.default("KORE_STATUS_HISTORY_PAGES_PER_RUN")
    days_back: int = env.default("KORE_STATUS_HISTORY_DAYS_BACK")

    @classmethod
    def from_env(cls) -> HistorySettings:
        return cls(
            time_zone=env.get("AVAILABILITY_TIME_ZONE"),
            ask=env.get("KORE_STATUS_HISTORY_ASK"),
            date_field=env.get("KORE_STATUS_HISTORY_DATE_FIELD"),
            page_size=env.get("KORE_STATUS_HISTORY_PAGE_SIZE"),
            pages_per_run=env.get("KORE_STATUS_HISTORY_PAGES_PER_RUN"),
            days_back=env.get("KORE_STATUS_HISTORY_DAYS_BACK"),
        )


@dataclass
class HistoryOutcome:
    """What one run did. ``stopped``: "complete" (every day asked is), "up_to_date" (nothing
    to fetch), "page_limit" or "budget" (resumes next run), "error", "not_closed"."""

    account_id: str
    days_completed: list[date] = field(default_factory=list)
    resumed: list[date] = field(default_factory=list)
    pages: int = 0
    agents: int = 0
    spans: int = 0
    requests: int = 0
    disagreements: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    assumptions: dict[str, Any] = field(default_factory=dict)
    stopped: str = "up_to_date"
    error_kind: str | None = None
    error_text: str | None = None

    @property
    def failed(self) -> bool:
        return self.stopped == "error"


def closed_days(now: datetime, time_zone: str, days_back: int) -> list[date]:
    """The last ``days_back`` local days that have ended by ``now``, oldest first."""
    today = local_date(now, time_zone)
    return [today - timedelta(days=n) for n in range(days_back, 0, -1)]


def _new_fetch(account: str, day: date, history: HistorySettings) -> store.Fetch:
    ask = plan_day(day, history.time_zone, history.ask, history.date_field)
    return store.Fetch(f"sh-{uuid.uuid4().hex[:16]}", account, ask, history.page_size)


def _plan(
    open_db: OpenDatabase,
    account: str,
    days: Sequence[date] | None,
    now: datetime,
    history: HistorySettings,
    outcome: HistoryOutcome,
) -> list[store.Fetch]:
    """The fetches to work on, in order: unfinished ones resumed, then new ones opened."""
    wanted = (
        list(days) if days is not None else closed_days(now, history.time_zone, history.days_back)
    )
    if not wanted:
        return []
    with open_db() as con:
        unfinished = {f.ask.day: f for f in store.open_fetches(con, account)}
        done = store.completed_days(con, account, min(wanted), max(wanted))
    fetches = []
    for day in sorted(wanted):
        if day in unfinished and unfinished[day].page_size == history.page_size:
            fetches.append(unfinished[day])
            outcome.resumed.append(day)
        elif days is not None or day not in done:
            fetches.append(_new_fetch(account, day, history))
    return fetches


def sync_history(
    open_db: OpenDatabase,
    settings: KoreSettings,
    history: HistorySettings | None = None,
    *,
    days: Sequence[date] | None = None,
    run_id: str | None = None,
    planner: RequestPlanner | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] | None = None,
    pii: PiiPolicy | None = None,
    wait_for_slot: Callable[[float], None] | None = None,
) -> HistoryOutcome:
    """Fetch and land status history: ``days`` (each fetched again whole unless a fetch of it
    is unfinished, which resumes), or the missing closed days. Never raises for an API failure
    (the outcome says it); a day not yet closed is refused ("not_closed") before any request.

    When the planner has no slot the run stops ("budget"), unless ``wait_for_slot`` is given
    (``time.sleep`` for a run that should finish its day, like the asset): then it waits the
    seconds until the next slot at PRIORITY_LATER and goes on."""
    history = history or HistorySettings.from_env()
    clock = clock or (lambda: datetime.now(UTC))
    pii = pii or PiiPolicy.from_env()
    pii.require_key_for(settings.host)
    account = settings.account_id
    outcome = HistoryOutcome(account)
    now = clock()
    if days is not None and any(d >= local_date(now, history.time_zone) for d in days):
        outcome.stopped = "not_closed"
        outcome.error_text = f"only closed local days ({history.time_zone}) are fetched"
        return outcome
    own = planner is None
    planner = planner or open_planner(open_db, settings)
    try:
        client = KoreStatusDetailsClient(settings, transport=transport, planner=planner)
        fetches = _plan(open_db, account, days, now, history, outcome)
        left = history.pages_per_run
        for fetch in fetches:
            if fetch.ask.day not in outcome.resumed:
                with open_db() as con:
                    store.start_fetch(con, fetch, clock())
            left = _pages(
                open_db, client, planner, fetch, left, outcome, run_id, clock, pii, wait_for_slot
            )
            if outcome.stopped != "complete":
                break
        return outcome
    finally:
        if own:
            planner.close()


def _log(fetch: store.Fetch, call: Call, offset: int, run_id: str | None) -> dict[str, Any]:
    page: StatusPage | None = call.value if call.ok else None
    return {
        "fetch_id": fetch.fetch_id,
        "account_id": fetch.account_id,
        "day": fetch.ask.day,
        "run_id": run_id,
        "page_offset": offset,
        "page_size": fetch.page_size,
        "tz_offset": fetch.ask.tz_offset,
        "requested_at": call.requested_at,
        "fetched_at": call.answered_at,
        "attempts": call.attempts,
        "http_status": call.http_status,
        "outcome": call.outcome or "error",
        "error_kind": call.error_kind,
        "error_text": call.error_text,
        "has_more": page.has_more if page else None,
        "agents": len(page.agents) if page else None,
        "assumptions": fetch.ask.assumptions(),
        "body": call.body,
    }


def _pages(
    open_db: OpenDatabase,
    client: KoreStatusDetailsClient,
    planner: RequestPlanner,
    fetch: store.Fetch,
    left: int,
    outcome: HistoryOutcome,
    run_id: str | None,
    clock: Callable[[], datetime],
    pii: PiiPolicy,
    wait_for_slot: Callable[[float], None] | None,
) -> int:
    """Ask one day's pages in order, one at a time (the next offset is known only from the
    page before), each landed in its own transaction; returns the pages still allowed."""
    offset = fetch.offset_reached
    outcome.assumptions = fetch.ask.assumptions()
    while True:
        if left < 1:
            outcome.stopped = "page_limit"
            return left
        if planner.available(fetch.account_id, PRIORITY_LATER) < 1:
            wait = planner.next_slot_in(fetch.account_id, PRIORITY_LATER)
            if wait_for_slot is None or wait == float("inf"):
                outcome.stopped = "budget"
                return left
            wait_for_slot(max(wait, 0.05))
            continue
        [call] = client.pages_sync(fetch.ask, [offset], fetch.page_size)
        left -= 1
        outcome.requests += len(call.sends)
        log = _log(fetch, call, offset, run_id)
        page = _accepted(call, log, outcome)
        if page is None:
            if outcome.stopped == "error":
                with open_db() as con:
                    store.record_failed_page(con, log, pii)
            return left
        spans, counts = spans_of(page, fetch.ask)
        log["assumptions"] = {**fetch.ask.assumptions(), **counts}
        for key, value in counts.items():
            outcome.counts[key] = outcome.counts.get(key, 0) + value
        offset += len(page.agents)
        done = (
            not page.has_more if page.has_more is not None else len(page.agents) < fetch.page_size
        )
        with open_db() as con:
            store.land_page(
                con,
                fetch,
                spans,
                log,
                offset_reached=offset,
                agents=len(page.agents),
                disagreements=counts["disagreements"],
                done=done,
                now=clock(),
                pii=pii,
            )
        outcome.pages += 1
        outcome.agents += len(page.agents)
        outcome.spans += len(spans)
        outcome.disagreements += counts["disagreements"]
        if done:
            outcome.days_completed.append(fetch.ask.day)
            outcome.stopped = "complete"
            return left


def _accepted(call: Call, log: dict[str, Any], outcome: HistoryOutcome) -> StatusPage | None:
    """The call's page, or None with ``outcome.stopped`` saying why ("budget": the planner
    said no and nothing was sent; "error": the page is to be kept with its error)."""
    if not call.ok and call.error_kind == "rate_limited" and call.attempts == 0:
        outcome.stopped = "budget"
        return None
    page: StatusPage | None = call.value if call.ok else None
    if page is not None and not page.agents and page.has_more:
        call.error_kind = "invalid_response"
        call.error_text = f"agentstatusdetails offset {log['page_offset']}: hasMore but no data"
        log.update(outcome="error", error_kind=call.error_kind, error_text=call.error_text)
        page = None
    if page is None:
        outcome.stopped = "error"
        outcome.error_kind, outcome.error_text = call.error_kind, call.error_text
    return page
