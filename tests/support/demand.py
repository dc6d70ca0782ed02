"""Hand-made contact volume for the demand tests: rows of contact_volume (migration 007),
written in bulk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

__all__ = ["add_scopes", "volume_row", "write_volume"]

_FETCHED = datetime(2026, 1, 1, tzinfo=UTC)


def volume_row(
    queue_id: str,
    start: datetime,
    offered: int,
    answered: int | None = None,
    abandoned: int = 0,
    handle_seconds: float = 0.0,
    wait_answered_seconds: float = 0.0,
    wait_abandoned_seconds: float = 0.0,
    skill_id: str = "",
    minutes: int = 15,
) -> dict[str, Any]:
    """One 15-minute row (queue level unless ``skill_id``); answered defaults to offered -
    abandoned."""
    answered = offered - abandoned if answered is None else answered
    return {
        "account_id": "acct",
        "queue_id": queue_id,
        "skill_id": skill_id,
        "interval_start": start,
        "interval_end": start + timedelta(minutes=minutes),
        "offered": offered,
        "answered": answered,
        "abandoned": abandoned,
        "completed": answered,
        "handle_seconds": float(handle_seconds),
        "wait_answered_seconds": float(wait_answered_seconds),
        "wait_abandoned_seconds": float(wait_abandoned_seconds),
        "time_unit": "seconds",
        "unit_basis": "setting",
        "fetched_at": _FETCHED,
    }


def write_volume(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    """Insert rows in one statement (restated keys replace earlier ones)."""
    frame = pd.DataFrame(rows)
    con.register("volume_in", frame)
    try:
        con.execute("INSERT OR REPLACE INTO contact_volume BY NAME SELECT * FROM volume_in")
    finally:
        con.unregister("volume_in")


def add_scopes(con: duckdb.DuckDBPyConnection, *keys: str) -> None:
    """Rows of the scopes table (the coverage grid is every scope x every interval)."""
    frame = pd.DataFrame(
        {
            "scope_key": list(keys),
            "kind": [key.split(":")[0] for key in keys],
            "ref_id": [key.split(":")[-1] if ":" in key else "" for key in keys],
            "name": [f"Scope {key}" for key in keys],
            "updated_at": [_FETCHED] * len(keys),
        }
    )
    con.register("scopes_in", frame)
    try:
        con.execute("INSERT INTO scopes BY NAME SELECT * FROM scopes_in")
    finally:
        con.unregister("scopes_in")
