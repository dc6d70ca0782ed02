"""One contact volume sync run: pages of Kore's callvolume since the watermark, inside the
request planner's budget, each page landed as it comes.

Windows. The watermark is the latest interval end fully fetched (the ``to_ts`` of the last
completed window). A run asks [watermark - KORE_CALLVOLUME_RESTATEMENT_HOURS, now rounded down
to the interval boundary), so intervals Kore restates late are read again and replace their
rows. The first sync asks KORE_CALLVOLUME_FIRST_SYNC_DAYS back (default 28: the forecast needs
four weeks). It SENDS fromTimeStamp although Kore allows omitting it on a first sync: omitted,
Kore answers "from the first available record", which on an old tenant is years of pages that
the forecast does not use, at a cost nobody can bound in advance. A window never reaches back
further than that either, so a long outage fills at most the same days.

Resumption. ``to_ts`` is fixed when a window opens and stored with the skip reached; a crash
or a run that stops early (KORE_CALLVOLUME_PAGES_PER_RUN pages, or the planner has no slot at
PRIORITY_LATER) leaves the window open and the next run goes on at the same skip: no gap, and
no duplicate rows since every row has a key. The skip advances by the rows a page held, so a
server that caps ``limit`` lower than asked still pages correctly.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from pipelines import settings as env
from pipelines.kore import KoreSettings
from pipelines.kore.callvolume import KoreVolumeClient, VolumePage
from pipelines.kore.callvolume_units import LEVELS, UnitChoice, choose_unit, volume_frame
from pipelines.kore.client import Call
from pipelines.kore.planner import PRIORITY_LATER, RequestPlanner
from pipelines.polling.per_scope import OpenDatabase, open_planner
from pipelines.warehouse import volume as store

__all__ = ["INTERVAL", "VolumeOutcome", "VolumeSettings", "next_window", "sync_volume"]

INTERVAL = timedelta(minutes=15)  # Kore's callvolume rows are 15-minute intervals


@dataclass(frozen=True)
class VolumeSettings:
    """The KORE_CALLVOLUME_* settings (pipelines.settings declares them)."""

    time_unit: str = env.default("KORE_CALLVOLUME_TIME_UNIT")
    ambiguous_unit: str = env.default("KORE_CALLVOLUME_AMBIGUOUS_UNIT")
    first_sync_days: int = env.default("KORE_CALLVOLUME_FIRST_SYNC_DAYS")
    restatement_hours: float = env.default("KORE_CALLVOLUME_RESTATEMENT_HOURS")
    page_size: int = env.default("KORE_CALLVOLUME_PAGE_SIZE")
    pages_per_run: int = env.default("KORE_CALLVOLUME_PAGES_PER_RUN")
    skill_breakdown: bool = env.default("KORE_CALLVOLUME_SKILL_BREAKDOWN")

    @classmethod
    def from_env(cls) -> VolumeSettings:
        return cls(
            time_unit=env.get("KORE_CALLVOLUME_TIME_UNIT"),
            ambiguous_unit=env.get("KORE_CALLVOLUME_AMBIGUOUS_UNIT"),
            first_sync_days=env.get("KORE_CALLVOLUME_FIRST_SYNC_DAYS"),
            restatement_hours=env.get("KORE_CALLVOLUME_RESTATEMENT_HOURS"),
            page_size=env.get("KORE_CALLVOLUME_PAGE_SIZE"),
            pages_per_run=env.get("KORE_CALLVOLUME_PAGES_PER_RUN"),
            skill_breakdown=env.get("KORE_CALLVOLUME_SKILL_BREAKDOWN"),
        )


@dataclass
class VolumeOutcome:
    """What one run did. ``stopped`` says why it ended: "complete" (the window is done),
    "up_to_date" (nothing to ask), "page_limit" or "budget" (resumes next run), "error"."""

    account_id: str
    window: store.SyncWindow | None = None
    resumed: bool = False
    pages: int = 0
    rows: int = 0
    restated: int = 0
    requests: int = 0
    stopped: str = "up_to_date"
    watermark: datetime | None = None
    units: dict[str, UnitChoice] = field(default_factory=dict)
    error_kind: str | None = None
    error_text: str | None = None

    @property
    def failed(self) -> bool:
        return self.stopped == "error"


def floor_interval(at: datetime) -> datetime:
    """``at`` rounded down to a 15-minute boundary (UTC)."""
    at = at.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def next_window(
    account_id: str, mark: datetime | None, now: datetime, volume: VolumeSettings
) -> store.SyncWindow | None:
    """The window a run opens after the watermark ``mark`` (None: the first sync); None when
    there is nothing to ask."""
    to_ts = floor_interval(now)
    earliest = to_ts - timedelta(days=volume.first_sync_days)
    if mark is None:
        from_ts = earliest
    else:
        from_ts = max(mark - timedelta(hours=volume.restatement_hours), earliest)
    if from_ts >= to_ts:
        return None
    return store.SyncWindow(
        sync_id=_sync_id(),
        account_id=account_id,
        first_sync=mark is None,
        from_ts=from_ts,
        to_ts=to_ts,
        page_size=volume.page_size,
        skill_breakdown=volume.skill_breakdown,
    )


def _has_more(page: VolumePage, skip_next: int, limit: int) -> bool:
    if page.has_more is not None:
        return page.has_more
    if page.total_count is not None:
        return skip_next < page.total_count
    return page.updates >= limit  # said nothing: a full page may have a next one


def _log(window: store.SyncWindow, call: Call, skip: int, run_id: str | None) -> dict[str, Any]:
    page: VolumePage | None = call.value if call.ok else None
    return {
        "sync_id": window.sync_id,
        "account_id": window.account_id,
        "run_id": run_id,
        "skip": skip,
        "page_size": window.page_size,
        "requested_at": call.requested_at,
        "answered_at": call.answered_at,
        "attempts": call.attempts,
        "http_status": call.http_status,
        "latency_ms": call.latency_ms,
        "outcome": call.outcome or "error",
        "error_kind": call.error_kind,
        "error_text": call.error_text,
        "has_more": page.has_more if page else None,
        "total_count": page.total_count if page else None,
        "updates": page.updates if page else None,
        "body": call.body,
    }


def _window(
    open_db: OpenDatabase, account: str, now: datetime, volume: VolumeSettings
) -> tuple[store.SyncWindow | None, bool, dict[str, str]]:
    """The window to work on (the open one resumed, or one opened now), whether it was
    resumed, and the units last detected per level."""
    with open_db() as con:
        window = store.open_sync(con, account)
        resumed = window is not None
        if window is not None and (
            window.page_size != volume.page_size or window.skill_breakdown != volume.skill_breakdown
        ):
            # Paged otherwise now: its skips mean other rows, so the same days start over.
            window = replace(
                window,
                sync_id=_sync_id(),
                page_size=volume.page_size,
                skill_breakdown=volume.skill_breakdown,
                pages_done=0,
                skip_reached=0,
                total_count=None,
            )
            store.start_sync(con, window, now)
            resumed = False
        elif window is None:
            window = next_window(account, store.watermark(con, account), now, volume)
            if window is not None:
                store.start_sync(con, window, now)
        units = store.detected_units(con, account)
    return window, resumed, units


def _sync_id() -> str:
    return f"cv-{uuid.uuid4().hex[:16]}"


def sync_volume(
    open_db: OpenDatabase,
    settings: KoreSettings,
    volume: VolumeSettings | None = None,
    *,
    run_id: str | None = None,
    planner: RequestPlanner | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] | None = None,
) -> VolumeOutcome:
    """Fetch and land contact volume pages until the window is complete, the run's page
    allowance is spent, or the planner has no slot; never raises for an API failure (the
    outcome says it), but raises :class:`~pipelines.kore.KoreConfigError` before any request
    when KORE_ORG_ID is unset."""
    volume = volume or VolumeSettings.from_env()
    clock = clock or (lambda: datetime.now(UTC))
    account = settings.account_id
    own = planner is None
    planner = planner or open_planner(open_db, settings)
    try:
        client = KoreVolumeClient(settings, transport=transport, planner=planner)
        client.org_id()
        outcome = VolumeOutcome(account)
        window, outcome.resumed, detected = _window(open_db, account, clock(), volume)
        outcome.window = window
        if window is not None:
            _pages(open_db, client, planner, window, volume, detected, outcome, run_id, clock)
        with open_db() as con:
            outcome.watermark = store.watermark(con, account)
        return outcome
    finally:
        if own:
            planner.close()


def _batch(skip: int, step: int | None, total: int | None, allowed: int) -> list[int]:
    """The skips to ask at once: one page until a full page's length and the total are known,
    then as many as the run and the planner allow, up to the total."""
    if not step or total is None:
        return [skip]
    remaining = max(1, -(-(total - skip) // step))
    return [skip + i * step for i in range(min(allowed, remaining))]


def _pages(
    open_db: OpenDatabase,
    client: KoreVolumeClient,
    planner: RequestPlanner,
    window: store.SyncWindow,
    volume: VolumeSettings,
    detected: dict[str, str],
    outcome: VolumeOutcome,
    run_id: str | None,
    clock: Callable[[], datetime],
) -> None:
    """Ask pages (concurrently once their length and the total are known) and land them in
    order, each in its own transaction; a page that came back shorter than the rest makes the
    pages asked after it be asked again from where it ended."""
    skip, step, total = window.skip_reached, None, window.total_count
    left = volume.pages_per_run
    outcome.stopped = "page_limit"
    while left > 0:
        room = planner.available(window.account_id, PRIORITY_LATER)
        if room < 1:
            outcome.stopped = "budget"
            return
        skips = _batch(skip, step, total, min(left, room))
        calls = client.pages_sync(
            window.from_ts, window.to_ts, skips, window.page_size, window.skill_breakdown
        )
        left -= len(skips)
        outcome.requests += sum(len(call.sends) for call in calls)
        with open_db() as con:
            for asked, call in zip(skips, calls, strict=True):
                if asked != skip:
                    break  # an earlier page was short: this one starts elsewhere now
                page = _accepted(con, window, call, asked, run_id, outcome)
                if page is None:
                    return
                units = _units(page, volume, detected, outcome)
                fetched = call.answered_at or clock()
                frame = volume_frame(page.rows, units, window.account_id, fetched)
                skip = asked + page.updates
                done = not _has_more(page, skip, window.page_size)
                log = _log(window, call, asked, run_id)
                landed = store.land_page(
                    con, window, frame, log, skip_reached=skip, done=done, now=clock()
                )
                outcome.pages += 1
                outcome.rows += landed.rows
                outcome.restated += landed.restated
                if done:
                    outcome.stopped = "complete"
                    return
                step = page.updates if step is None else step
                total = page.total_count if page.total_count is not None else total


def _accepted(
    con: Any,
    window: store.SyncWindow,
    call: Call,
    skip: int,
    run_id: str | None,
    outcome: VolumeOutcome,
) -> VolumePage | None:
    """The call's page, or None after recording why the run stops here ("budget": the
    planner said no and nothing was sent; "error": the page is kept with its error)."""
    if not call.ok and call.error_kind == "rate_limited" and call.attempts == 0:
        outcome.stopped = "budget"
        return None
    page: VolumePage | None = call.value if call.ok else None
    log = _log(window, call, skip, run_id)
    if page is not None and page.updates == 0 and _has_more(page, skip, window.page_size):
        call.error_kind = "invalid_response"
        call.error_text = f"callvolume skip {skip}: hasMore is true but the page is empty"
        log.update(outcome="error", error_kind=call.error_kind, error_text=call.error_text)
        page = None
    if page is None:
        store.record_failed_page(con, log)
        outcome.stopped = "error"
        outcome.error_kind, outcome.error_text = call.error_kind, call.error_text
    return page


def _units(
    page: VolumePage, volume: VolumeSettings, detected: dict[str, str], outcome: VolumeOutcome
) -> dict[str, UnitChoice]:
    """The unit of each level of ``page``; a detected one is remembered for later pages."""
    units = {}
    for level in LEVELS:
        rows = [r for r in page.rows if r.level == level]
        choice = choose_unit(rows, volume.time_unit, volume.ambiguous_unit, detected.get(level))
        if choice.basis == "detected":
            detected[level] = choice.unit
        units[level] = choice
        if rows:
            outcome.units[level] = choice
    return units
