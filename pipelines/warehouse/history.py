"""Exact status history in DuckDB: fetches of local days, their pages, and the spans.

A fetch (``status_history_fetches``) is the unit of resumption: what it asks is fixed when it
opens, and every page's spans, the page's record and the fetch's offset are written together
(sql/history/land_page.sql), so a crash between pages resumes at ``offset_reached`` and a
crash inside one leaves nothing of that page. Spans wait in ``status_history_staging`` until
a page says hasMore = false; that page's transaction replaces the day's rows in
``agent_status_history`` whole, so readers only ever see complete days. E-mail follows the PII
policy (AVAILABILITY_PII) in the spans and in the raw pages, as at ingest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pandas as pd

from pipelines.kore.statusdetails import SOURCE, DayAsk
from pipelines.warehouse.connection import registered, transaction
from pipelines.warehouse.pii import PiiPolicy
from pipelines.warehouse.sql import execute, fetch_all

__all__ = [
    "PAGE_LOG_COLUMNS",
    "SPAN_COLUMNS",
    "Fetch",
    "completed_days",
    "day_summary",
    "land_page",
    "open_fetches",
    "record_failed_page",
    "start_fetch",
]

SPAN_COLUMNS = (
    "fetch_id",
    "account_id",
    "day",
    "agent_id",
    "user_id",
    "email",
    "bucket",
    "secondary_status",
    "span_start",
    "span_end",
    "duration_stated_s",
    "duration_disagrees",
    "source",
    "fetched_at",
)
PAGE_LOG_COLUMNS = (
    "fetch_id",
    "account_id",
    "day",
    "run_id",
    "page_offset",
    "page_size",
    "tz_offset",
    "requested_at",
    "fetched_at",
    "attempts",
    "http_status",
    "outcome",
    "error_kind",
    "error_text",
    "has_more",
    "agents",
    "spans",
    "assumptions",
    "body",
)


@dataclass(frozen=True)
class Fetch:
    """One fetch of an account's local day and how far its pages got."""

    fetch_id: str
    account_id: str
    ask: DayAsk
    page_size: int
    pages_done: int = 0
    offset_reached: int = 0


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def open_fetches(con: duckdb.DuckDBPyConnection, account_id: str) -> list[Fetch]:
    """The account's unfinished fetches, oldest day first (to resume)."""
    found = []
    for row in fetch_all(con, "history/open_fetches.sql", account_id=account_id):
        fetch_id, day, zone, field, first, last, offset, ws, we, ds, de, size, pages, at = row
        ask = DayAsk(
            day=day,
            time_zone=zone,
            ask="utc" if offset == 0 and field == "range" else "local_noon",
            date_field=field,
            start_date=first,
            end_date=last,
            tz_offset=int(offset),
            window_start=_utc(ws),
            window_end=_utc(we),
            day_start=_utc(ds),
            day_end=_utc(de),
        )
        found.append(Fetch(fetch_id, account_id, ask, int(size), int(pages), int(at)))
    return found


def completed_days(
    con: duckdb.DuckDBPyConnection, account_id: str, first: date, last: date
) -> set[date]:
    """Local days in ``[first, last]`` whose history is complete."""
    rows = fetch_all(
        con, "history/completed_days.sql", account_id=account_id, first=first, last=last
    )
    return {day for (day,) in rows}


def start_fetch(con: duckdb.DuckDBPyConnection, fetch: Fetch, now: datetime) -> None:
    """Record a new fetch (an unfinished one of the same day is dropped with its staging)."""
    ask = fetch.ask
    with transaction(con):
        execute(
            con,
            "history/start_fetch.sql",
            fetch_id=fetch.fetch_id,
            account_id=fetch.account_id,
            time_zone=ask.time_zone,
            date_field=ask.date_field,
            day=ask.day,
            start_date=ask.start_date,
            end_date=ask.end_date,
            tz_offset=ask.tz_offset,
            page_size=fetch.page_size,
            window_start=ask.window_start,
            window_end=ask.window_end,
            day_start=ask.day_start,
            day_end=ask.day_end,
            now=now,
            covers_day=ask.covers_day,
        )


def _log_frame(log: Mapping[str, Any], pii: PiiPolicy) -> pd.DataFrame:
    row = {column: log.get(column) for column in PAGE_LOG_COLUMNS}
    row["body"] = pii.protect_body(row["body"], row["outcome"] == "ok")
    row["error_text"] = pii.scrub_text(row["error_text"])
    if isinstance(row["assumptions"], dict):
        row["assumptions"] = json.dumps(row["assumptions"], sort_keys=True)
    frame = pd.DataFrame([row])
    for column in ("requested_at", "fetched_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    text = ("fetch_id", "account_id", "run_id", "outcome", "error_kind", "error_text")
    for column in (*text, "assumptions", "body"):
        frame[column] = frame[column].astype("string")
    ints = ("page_offset", "page_size", "tz_offset", "attempts", "http_status", "agents", "spans")
    return frame.astype({**dict.fromkeys(ints, "Int32"), "has_more": "boolean"})


def _span_frame(
    fetch: Fetch, spans: Sequence[Mapping[str, Any]], fetched_at: datetime, pii: PiiPolicy
) -> pd.DataFrame:
    frame = pd.DataFrame(list(spans), columns=list(SPAN_COLUMNS[3:12]))
    frame.insert(0, "fetch_id", fetch.fetch_id)
    frame.insert(1, "account_id", fetch.account_id)
    frame.insert(2, "day", fetch.ask.day)
    frame["email"] = pd.array(
        [pii.protect_value(None if pd.isna(e) else e) for e in frame["email"]], dtype="string"
    )
    frame["source"] = SOURCE
    frame["fetched_at"] = fetched_at
    for column in ("span_start", "span_end", "fetched_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    for column in ("fetch_id", "account_id", "agent_id", "user_id", "bucket", "secondary_status"):
        frame[column] = frame[column].astype("string")
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    frame["duration_stated_s"] = frame["duration_stated_s"].astype("Float64")
    frame["duration_disagrees"] = frame["duration_disagrees"].astype("boolean")
    return frame[list(SPAN_COLUMNS)]


def land_page(
    con: duckdb.DuckDBPyConnection,
    fetch: Fetch,
    spans: Sequence[Mapping[str, Any]],
    log: Mapping[str, Any],
    *,
    offset_reached: int,
    agents: int,
    disagreements: int,
    done: bool,
    now: datetime,
    pii: PiiPolicy,
) -> None:
    """Stage one page's spans, record the page and advance the fetch in one transaction; the
    page that ends the day (``done``) also replaces the day's rows whole."""
    pii = pii.with_database_key(con)
    fetched_at = log.get("fetched_at") or now
    span_frame = _span_frame(fetch, spans, fetched_at, pii)
    log_frame = _log_frame({**log, "spans": len(spans)}, pii)
    with registered(con, history_spans=span_frame, history_page_log=log_frame), transaction(con):
        execute(
            con,
            "history/land_page.sql",
            fetch_id=fetch.fetch_id,
            account_id=fetch.account_id,
            day=fetch.ask.day,
            offset_reached=offset_reached,
            agents=agents,
            spans=len(spans),
            disagreements=disagreements,
            now=now,
            done=done,
        )


def record_failed_page(
    con: duckdb.DuckDBPyConnection, log: Mapping[str, Any], pii: PiiPolicy
) -> None:
    """Keep a page that failed (its error and what came back); the fetch does not move."""
    frame = _log_frame({**log, "spans": 0}, pii.with_database_key(con))
    with registered(con, history_page_log=frame), transaction(con):
        execute(con, "history/page_failed.sql")


def day_summary(con: duckdb.DuckDBPyConnection, account_id: str, day: date) -> dict[str, Any]:
    """Spans and agents stored for a local day, and when its history completed."""
    ((spans, agents, completed),) = fetch_all(
        con, "history/day_summary.sql", account_id=account_id, day=day
    )
    return {"spans": int(spans), "agents": int(agents), "completed_at": completed}
