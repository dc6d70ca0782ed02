"""Connections to the DuckDB file: migrations, a bounded wait for another process's lock,
and all-or-nothing transactions.

DuckDB lets one process at a time hold a file for writing, so every connection here is short
and opening one waits out another process's lock (bounded) instead of failing: a scheduled
poll, a coverage rebuild, a UI materialization and a notebook can share the file.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.warehouse.accounts import claim, refuse_foreign
from pipelines.warehouse.sql import sql_files

__all__ = [
    "DEFAULT_LOCK_TIMEOUT_S",
    "SchemaTooNewError",
    "connect",
    "is_lock_error",
    "migrate",
    "open_with_retry",
    "registered",
    "transaction",
]

logger = logging.getLogger(__name__)

DEFAULT_LOCK_TIMEOUT_S = 60.0
_MIGRATION_NAME = re.compile(r"^(\d+)_(.+)\.sql$")


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for filename, entry in sql_files("migrations"):
        match = _MIGRATION_NAME.match(filename)
        if not match:
            raise RuntimeError(f"migration file sql/migrations/{filename} is not NNN_name.sql")
        found.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration numbers in sql/migrations: {versions}")
    return found


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer release than this code."""


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
    known = _migrations()
    newest = max(version for version, _, _ in known)
    if done and max(done) > newest:
        # A newer release wrote this file: its tables may mean things this code does not
        # know, so writing to it could corrupt them. Refuse before anything is written.
        raise SchemaTooNewError(
            f"the database's schema is version {max(done)}, newer than this code's {newest} "
            "(sql/migrations); run the release that wrote it, or point AVAILABILITY_DB "
            "elsewhere"
        )
    applied = []
    for version, name, text in known:
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


def is_lock_error(error: BaseException) -> bool:
    """True for DuckDB's "another process holds the file" errors (worth waiting out)."""
    text = str(error)
    return "Could not set lock" in text or "Conflicting lock" in text


def open_with_retry(
    database: str, read_only: bool, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting out another process's lock with a bounded, growing pause.

    Writers hold the file for one short transaction, so a lock conflict means "wait a
    moment", not "fail the run"; only a lock held longer than ``timeout_s`` is raised. A wait
    is logged (INFO, logger ``pipelines.warehouse.connection``) so operators can see contention.
    """
    started = time.monotonic()
    deadline = started + timeout_s
    pause = 0.02
    waited = False
    try:
        while True:
            try:
                return duckdb.connect(database, read_only=read_only)
            except duckdb.IOException as exc:
                if not is_lock_error(exc) or time.monotonic() + pause > deadline:
                    raise
                waited = True
                # Jitter keeps several waiting processes from retrying in lockstep.
                time.sleep(pause * (0.5 + secrets.randbelow(1000) / 1000))
                pause = min(pause * 1.5, 0.5)
    finally:
        if waited:
            logger.info("waited %.3f s for the lock on %s", time.monotonic() - started, database)


@contextmanager
def connect(
    database: str | Path,
    read_only: bool = False,
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
    account: str | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection in UTC; writers get the schema migrated first.

    Opening waits up to ``lock_timeout_s`` for another process's lock, so overlapping writers
    queue instead of failing. A writer for ``account`` claims the file for it, or is refused
    when the file is another account's (pipelines.warehouse.accounts); a reader for ``account``
    is refused another account's file too, so a check never reports one account's rows as
    another's.
    """
    database = str(database)
    if not read_only and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    con = open_with_retry(database, read_only, lock_timeout_s)
    try:
        con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            migrate(con)
            if account is not None:
                claim(con, account, database)
        elif account is not None:
            refuse_foreign(con, account, database)
        yield con
    finally:
        con.close()


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
