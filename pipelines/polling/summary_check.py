"""The cross-check of a day's exact history against Kore's Historical Agent Status Summary.

Kore states, per agent (by ``userId``: the summary has no ``aId``), per 15-minute interval and
per status, the seconds spent (``AgentStatus``, "919 sec"). For a local day whose exact spans
are stored, :func:`check_day` reads the summary for the same dates and offset (every page, at
the request planner's lowest priority, as the history fetch does), and stores per (user,
interval of the day, status) both totals in ``status_summary_checks``, replacing the day
whole; ``differs`` marks a difference of more than 1 s. A disagreement means spans read in the
wrong zone, a page the history missed, or Kore's two reports disagreeing. Not scheduled: it
costs as many requests as the history fetch (one page per 50 agents).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
import pandas as pd

from pipelines.coverage.calendar import day_bounds
from pipelines.kore import KoreSettings
from pipelines.kore.planner import RequestPlanner
from pipelines.kore.statusdays import plan_day
from pipelines.kore.userstatus import KoreUserStatusClient
from pipelines.polling.history import HistorySettings
from pipelines.polling.per_scope import OpenDatabase, open_planner
from pipelines.warehouse import execute, fetch_all, registered, transaction

__all__ = ["SummaryCheck", "check_day"]

TOLERANCE_S = 1.0  # the summary's seconds are whole
MAX_PAGES = 1000  # 50,000 agents


@dataclass
class SummaryCheck:
    """What one check did: pages and requests, rows stored, rows that differ, users; or the
    error of the page that stopped it (nothing is stored then)."""

    pages: int = 0
    requests: int = 0
    rows: int = 0
    differing: int = 0
    users: int = 0
    error_text: str | None = None


def check_day(
    open_db: OpenDatabase,
    settings: KoreSettings,
    history: HistorySettings,
    day: date,
    *,
    planner: RequestPlanner | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], datetime] | None = None,
) -> SummaryCheck:
    """Read the day's summary (every page) and store its comparison with the stored spans."""
    clock = clock or (lambda: datetime.now(UTC))
    ask = plan_day(day, history.time_zone, history.ask, history.date_field)
    own = planner is None
    planner = planner or open_planner(open_db, settings)
    outcome = SummaryCheck()
    rows = []
    try:
        client = KoreUserStatusClient(settings, transport=transport, planner=planner)
        offset = 0
        while outcome.pages < MAX_PAGES:
            [call] = client.pages_sync(ask, [offset], history.page_size)
            outcome.requests += len(call.sends)
            if not call.ok:
                outcome.error_text = f"{call.error_kind}: {call.error_text}"
                return outcome
            page = call.value
            outcome.pages += 1
            rows += [r for r in page.rows if r.metric == "AgentStatus"]
            offset += page.agents
            more = page.has_more if page.has_more is not None else page.agents >= history.page_size
            if not more or page.agents == 0:
                break
    finally:
        if own:
            planner.close()
    frame = pd.DataFrame(
        {
            "user_id": pd.Series([r.user_id for r in rows], dtype="string"),
            "interval_start": pd.to_datetime([r.interval_start for r in rows], utc=True),
            "interval_end": pd.to_datetime([r.interval_end for r in rows], utc=True),
            "bucket": pd.Series([r.value for r in rows], dtype="string"),
            "seconds": pd.Series([r.seconds for r in rows], dtype="float64"),
        }
    )
    start, end = day_bounds(day, history.time_zone)
    params = {"account_id": settings.account_id, "day": day}
    with open_db() as con:
        with registered(con, summary_rows=frame), transaction(con):
            execute(
                con, "history/summary_check.sql", **params, day_start=start, day_end=end,
                tolerance_s=TOLERANCE_S, now=clock(),
            )  # fmt: skip
        ((stored, differing, users),) = fetch_all(con, "history/summary_check_counts.sql", **params)
    outcome.rows, outcome.differing, outcome.users = int(stored), int(differing), int(users)
    return outcome
