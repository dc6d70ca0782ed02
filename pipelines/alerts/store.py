"""Recording an evaluation: episodes opened and ended, messages queued, attempts made and the
messages' new state, in one short write transaction (``sql/alerts/record.sql``), in bulk.

An evaluation writes at most twice, briefly: once for its decisions (before any webhook is
called, so a crash while posting never loses an alert: the message stays pending and the
next evaluation sends it) and once for its attempts (after every post has finished). Neither
holds the file while a receiver is waited on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import duckdb
import pandas as pd

from pipelines.alerts.delivery import Attempt, Sent
from pipelines.warehouse import execute, registered, transaction

__all__ = ["EPISODE_COLUMNS", "MESSAGE_COLUMNS", "record"]

EPISODE_COLUMNS = {
    "episode_id": "str", "day": "date", "scope_key": "str", "scope_name": "str",
    "short_since": "ts", "alerted_at": "ts", "ended_at": "ts", "threshold": "str",
    "short_in": "str", "interval_start": "ts", "on_queue": "float", "required": "float",
    "net_staffing": "float", "next_required": "float", "next_net_staffing": "float",
    "worst_net_staffing": "float", "end_on_queue": "float", "end_required": "float",
    "end_net_staffing": "float",
}  # fmt: skip
CLOSED_COLUMNS = {
    "episode_id": "str", "ended_at": "ts", "worst_net_staffing": "float",
    "end_on_queue": "float", "end_required": "float", "end_net_staffing": "float",
}  # fmt: skip
MESSAGE_COLUMNS = {
    "message_id": "str", "episode_id": "str", "event": "str", "destination": "str",
    "fingerprint": "str", "body": "str", "created_at": "ts", "status": "str",
    "attempts": "int", "next_attempt_at": "ts", "finished_at": "ts", "last_error": "str",
}  # fmt: skip
ATTEMPT_COLUMNS = {
    "message_id": "str", "destination": "str", "fingerprint": "str", "attempt": "int",
    "started_at": "ts", "finished_at": "ts", "outcome": "str", "http_status": "int",
    "error_text": "str", "retry_at": "ts",
}  # fmt: skip
SENT_COLUMNS = {
    "message_id": "str", "status": "str", "attempts": "int", "next_attempt_at": "ts",
    "finished_at": "ts", "last_error": "str",
}  # fmt: skip


def frame(rows: Sequence[dict[str, Any]], columns: dict[str, str]) -> pd.DataFrame:
    """Rows as a DataFrame with a fixed dtype per column, so an empty or all-NULL column
    still reaches DuckDB with its type."""
    data = pd.DataFrame(list(rows), columns=list(columns))
    for name, kind in columns.items():
        if kind == "ts":
            data[name] = pd.to_datetime(data[name], utc=True)
        elif kind == "float":
            data[name] = pd.to_numeric(data[name]).astype("float64")
        elif kind == "int":
            data[name] = pd.array(data[name], dtype="Int64")
        else:  # text, and dates (python date objects reach DuckDB as DATE)
            data[name] = data[name].astype("object")
    return data


def record(
    con: duckdb.DuckDBPyConnection,
    *,
    opened: Sequence[dict[str, Any]] = (),
    closed: Sequence[dict[str, Any]] = (),
    queued: Sequence[dict[str, Any]] = (),
    attempts: Sequence[Attempt] = (),
    sent: Sequence[Sent] = (),
) -> None:
    """Write one evaluation's changes atomically (a no-op when there are none)."""
    if not (opened or closed or queued or attempts or sent):
        return
    frames = {
        "alert_opened": frame(opened, EPISODE_COLUMNS),
        "alert_closed": frame(closed, CLOSED_COLUMNS),
        "alert_queued": frame(queued, MESSAGE_COLUMNS),
        "alert_tried": frame([asdict(a) for a in attempts], ATTEMPT_COLUMNS),
        "alert_sent": frame([asdict(s) for s in sent], SENT_COLUMNS),
    }
    with registered(con, **frames), transaction(con):
        execute(con, "alerts/record.sql")
