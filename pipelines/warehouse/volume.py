"""Contact volume in DuckDB: sync windows, the watermark, and one page landed per transaction.

A sync window (``contact_volume_syncs``) is the unit of resumption: its ``to_ts`` is fixed
when it opens, and every page's rows, the page's record and the window's progress are written
together (sql/volume/land_page.sql), so a crash between pages resumes at ``skip_reached`` and
a crash inside one leaves nothing of that page. Rows arrive as one frame per page (registered
once, never row by row); a key already stored is replaced, and the rows that replace different
figures are counted as restated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from pipelines.warehouse.connection import registered, transaction
from pipelines.warehouse.sql import execute, fetch_all

__all__ = [
    "PAGE_LOG_COLUMNS",
    "LandedPage",
    "SyncWindow",
    "detected_units",
    "land_page",
    "open_sync",
    "record_failed_page",
    "start_sync",
    "watermark",
]

PAGE_LOG_COLUMNS = (
    "sync_id",
    "account_id",
    "run_id",
    "skip",
    "page_size",
    "requested_at",
    "answered_at",
    "attempts",
    "http_status",
    "latency_ms",
    "outcome",
    "error_kind",
    "error_text",
    "has_more",
    "total_count",
    "updates",
    "rows_written",
    "body",
)
_LOG_TYPES = {
    "attempts": "Int32",
    "http_status": "Int32",
    "skip": "Int32",
    "page_size": "Int32",
    "latency_ms": "Float64",
    "has_more": "boolean",
    "total_count": "Int64",
    "updates": "Int32",
    "rows_written": "Int32",
}


@dataclass(frozen=True)
class SyncWindow:
    """One sync window of an account and how far its pages got."""

    sync_id: str
    account_id: str
    first_sync: bool
    from_ts: datetime | None
    to_ts: datetime
    page_size: int
    skill_breakdown: bool
    pages_done: int = 0
    skip_reached: int = 0
    total_count: int | None = None


@dataclass(frozen=True)
class LandedPage:
    """What landing one page did."""

    rows: int
    restated: int
    completed: bool


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def open_sync(con: duckdb.DuckDBPyConnection, account_id: str) -> SyncWindow | None:
    """The account's unfinished window, to resume; None if every window completed."""
    rows = fetch_all(con, "volume/open_sync.sql", account_id=account_id)
    if not rows:
        return None
    sync_id, first, from_ts, to_ts, size, skills, pages, skip, total = rows[0]
    return SyncWindow(
        sync_id=sync_id,
        account_id=account_id,
        first_sync=bool(first),
        from_ts=_utc(from_ts),
        to_ts=to_ts.astimezone(UTC),
        page_size=int(size),
        skill_breakdown=bool(skills),
        pages_done=int(pages),
        skip_reached=int(skip),
        total_count=total,
    )


def watermark(con: duckdb.DuckDBPyConnection, account_id: str) -> datetime | None:
    """The latest interval end fully fetched for the account (None: no sync completed)."""
    ((value,),) = fetch_all(con, "volume/watermark.sql", account_id=account_id)
    return _utc(value)


def start_sync(con: duckdb.DuckDBPyConnection, window: SyncWindow, now: datetime) -> None:
    """Record a new window (an unfinished one of the account is dropped: its pages' rows stay,
    and the new window asks them again)."""
    with transaction(con):
        execute(
            con,
            "volume/start_sync.sql",
            sync_id=window.sync_id,
            account_id=window.account_id,
            first_sync=window.first_sync,
            skill_breakdown=window.skill_breakdown,
            from_ts=window.from_ts,
            to_ts=window.to_ts,
            now=now,
            page_size=window.page_size,
        )


def detected_units(con: duckdb.DuckDBPyConnection, account_id: str) -> dict[str, str]:
    """The unit last detected per level ("queue", "skill") for the account."""
    return dict(fetch_all(con, "volume/last_unit.sql", account_id=account_id))


def _log_frame(log: Mapping[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame([{column: log.get(column) for column in PAGE_LOG_COLUMNS}])
    for column in ("requested_at", "answered_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    for column in ("sync_id", "account_id", "run_id", "outcome", "error_kind", "error_text"):
        frame[column] = frame[column].astype("string")
    frame["body"] = frame["body"].astype("string")
    return frame.astype(_LOG_TYPES)


def land_page(
    con: duckdb.DuckDBPyConnection,
    window: SyncWindow,
    rows: pd.DataFrame,
    log: Mapping[str, Any],
    *,
    skip_reached: int,
    done: bool,
    now: datetime,
) -> LandedPage:
    """Write one page's rows (contact_volume's columns, times in seconds), its record and the
    window's progress in one transaction."""
    log_frame = _log_frame({**log, "rows_written": len(rows)})
    with registered(con, volume_page=rows, volume_page_log=log_frame), transaction(con):
        ((restated,),) = fetch_all(con, "volume/restated.sql")
        execute(
            con,
            "volume/land_page.sql",
            sync_id=window.sync_id,
            skip_reached=skip_reached,
            rows=len(rows),
            restated=int(restated),
            total_count=log.get("total_count"),
            now=now,
            done=done,
        )
    return LandedPage(len(rows), int(restated), done)


def record_failed_page(con: duckdb.DuckDBPyConnection, log: Mapping[str, Any]) -> None:
    """Keep a page that failed (its error and what came back); the window does not move."""
    frame = _log_frame({**log, "rows_written": 0})
    with registered(con, volume_page_log=frame), transaction(con):
        execute(con, "volume/page_failed.sql")
