"""The DuckDB warehouse: schema migrations, connections, and the bulk write of one tick."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.scopes import Scope

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"


def read_sql(name: str) -> str:
    """Text of ``sql/<name>``; SQL lives in files so analysts can read and run it by hand."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = re.match(r"^(\d+)_(.+)\.sql$", path.name)
        if not match:
            raise RuntimeError(f"migration file {path.name} is not named NNN_name.sql")
        found.append((int(match.group(1)), match.group(2), path.read_text(encoding="utf-8")))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration numbers in {MIGRATIONS_DIR}: {versions}")
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations not yet recorded in ``schema_version``; return those applied.

    Each migration runs in its own transaction together with its version row, so a crash
    leaves either the old schema or the new one, never half of it.
    """
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}
    applied = []
    for version, name, text in _migrations():
        if version in done:
            continue
        with transaction(con):
            con.execute(text)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [version, name, datetime.now(UTC)],
            )
        applied.append(version)
    return applied


@contextmanager
def connect(database: str | Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection in UTC; writers get the schema migrated first."""
    database = str(database)
    if not read_only and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(database, read_only=read_only)
    try:
        con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            migrate(con)
        yield con
    finally:
        con.close()


def run_script(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> None:
    """Run every statement of ``sql/<name>``, binding each to the ``$params`` it names.

    DuckDB prepares one statement at a time and refuses parameters a statement does not use,
    so the file is split on statement-ending semicolons and each part gets only its own.
    """
    for statement in re.split(r";\s*$", read_sql(name), flags=re.MULTILINE):
        if not re.sub(r"--[^\n]*", "", statement).strip():
            continue
        wanted = set(re.findall(r"\$(\w+)", statement))
        missing = wanted - params.keys()
        if missing:
            raise KeyError(f"sql/{name} needs parameter(s) {sorted(missing)}")
        con.execute(statement, {key: params[key] for key in wanted})


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a crash or an error inside leaves the database as it was."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@dataclass(frozen=True)
class Tick:
    """One poll of some or all scopes. ``tick_id`` is deterministic so a re-run replaces it."""

    tick_id: str
    account_id: str
    started_at: datetime
    ended_at: datetime
    source: str = "poll"
    run_id: str | None = None
    scopes_deferred: int = 0


LANDING_COLUMNS = [
    "scope_key",
    "requested_at",
    "answered_at",
    "observed_at",
    "attempts",
    "http_status",
    "latency_ms",
    "outcome",
    "error_kind",
    "error_text",
    "body",
]


def scopes_frame(scopes: Sequence[Scope]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scope_key": [s.key for s in scopes],
            "kind": [s.kind for s in scopes],
            "ref_id": [s.ref_id for s in scopes],
            "name": [s.name for s in scopes],
            "agent_ids": [list(s.agent_ids) if s.kind == "agents" else None for s in scopes],
        }
    )


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **frames: pd.DataFrame) -> Iterator[None]:
    """Expose DataFrames to SQL by name for the block; registered outside any transaction so
    an aborted one cannot keep them from being unregistered."""
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        yield
    finally:
        for name in frames:
            con.unregister(name)


def write_tick(
    con: duckdb.DuckDBPyConnection,
    tick: Tick,
    landing: pd.DataFrame,
    sends: pd.DataFrame,
    scopes: Sequence[Scope],
) -> dict[str, int]:
    """Write one tick in one transaction, in bulk, replacing any earlier write of the same tick.

    ``landing`` has one row per scope asked (``LANDING_COLUMNS``); ``sends`` one row per
    request attempt (``scope_key``, ``sent_at``) for the account's shared rate budget.
    Snapshots, agents and channel capacity are derived from the landed bodies by SQL.
    """
    missing = [c for c in LANDING_COLUMNS if c not in landing.columns]
    if missing:
        raise ValueError(f"landing frame lacks column(s) {missing}")
    landing = landing[LANDING_COLUMNS].copy()
    landing.insert(0, "tick_id", tick.tick_id)
    landing.insert(2, "account_id", tick.account_id)
    sends = sends[["scope_key", "sent_at"]].copy()
    sends.insert(0, "tick_id", tick.tick_id)
    sends.insert(0, "account_id", tick.account_id)
    ok = int((landing["outcome"] == "ok").sum())
    incoming = {
        "incoming_scopes": scopes_frame(scopes),
        "incoming_landing": landing,
        "incoming_sends": sends,
    }
    with registered(con, **incoming), transaction(con):
        run_script(con, "ingest/scopes.sql", now=datetime.now(UTC))
        for table in ("snapshots", "channel_capacity", "raw_responses", "ticks"):
            con.execute(f"DELETE FROM {table} WHERE tick_id = ?", [tick.tick_id])
        con.execute("INSERT INTO raw_responses BY NAME SELECT * FROM incoming_landing")
        con.execute("INSERT INTO request_log BY NAME SELECT * FROM incoming_sends")
        run_script(con, "ingest/snapshots.sql", tick_id=tick.tick_id)
        run_script(con, "ingest/agents.sql", tick_id=tick.tick_id)
        con.execute(
            "INSERT INTO ticks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                tick.tick_id,
                tick.account_id,
                tick.source,
                tick.run_id,
                tick.started_at,
                tick.ended_at,
                len(landing),
                ok,
                len(landing) - ok,
                tick.scopes_deferred,
                datetime.now(UTC),
            ],
        )
        con.execute(
            "DELETE FROM request_log WHERE account_id = ? AND sent_at < ?",
            [tick.account_id, datetime.now(UTC) - REQUEST_LOG_RETENTION],
        )
        snapshot_rows = con.execute(
            "SELECT count(*) FROM snapshots WHERE tick_id = ?", [tick.tick_id]
        ).fetchall()[0][0]
    return {
        "scopes_asked": len(landing),
        "scopes_ok": ok,
        "scopes_failed": len(landing) - ok,
        "snapshot_rows": int(snapshot_rows),
    }


REQUEST_LOG_RETENTION = timedelta(days=1)


def recent_sends(
    con: duckdb.DuckDBPyConnection, account_id: str, since: datetime
) -> list[datetime]:
    """Send times already spent from the account's per-minute budget, by any process."""
    rows = con.execute(
        "SELECT sent_at FROM request_log WHERE account_id = ? AND sent_at >= ? ORDER BY sent_at",
        [account_id, since],
    ).fetchall()
    return [row[0] for row in rows]


def last_polled(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    """When each scope was last asked, so a tick short of budget serves the stalest first."""
    rows = con.execute(
        "SELECT scope_key, max(requested_at) FROM raw_responses GROUP BY scope_key"
    ).fetchall()
    return dict(rows)
