"""Safe reads for notebooks and reports: short read-only connections that wait out writers.

DuckDB lets one process at a time hold a database file for writing, and a process holding
it for reading keeps writers out too. Scheduled polls write every minute while analysts'
notebooks read the same file, so the rule on both sides is: never keep a connection open
longer than one piece of work. Writers (``WarehouseResource.connection``) write a tick in one
short transaction and close; readers use :func:`query` / :func:`read_many` here, which open
the file read-only, run, fetch everything into pandas, and close in ``finally``, so a
notebook left open over lunch holds nothing. A reader that finds a writer in the file retries
with short growing pauses (``open_with_retry``, shared with the writers) for up to
``timeout_s``, then fails with a message saying so instead of DuckDB's bare lock error.

One limitation of DuckDB: inside ONE process, a file already open read-write cannot also be
opened read-only ("different configuration"). Notebooks and report jobs are processes of their
own, so this only bites code that reads here while holding a writer connection itself; it gets
a :class:`ReadError` explaining that, and should read through its own connection instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipelines import accounts, settings
from pipelines.warehouse import is_lock_error, open_with_retry
from pipelines.warehouse.sql import bind, single_statement

__all__ = [
    "DatabaseBusyError",
    "DatabaseMissingError",
    "ReadError",
    "default_database",
    "query",
    "query_accounts",
    "read_many",
]

Params = Mapping[str, Any] | Sequence[Any] | None


class ReadError(RuntimeError):
    """The database could not be read; the message says why and what to do."""


class DatabaseMissingError(ReadError, FileNotFoundError):
    """The database file does not exist yet (nothing has been polled or seeded)."""


class DatabaseBusyError(ReadError):
    """A writer kept the file locked for longer than the reader was willing to wait."""


def default_database(account: str | None = None) -> Path:
    """The DuckDB file the pipeline writes: AVAILABILITY_DB if set, else the project's; with an
    accounts file, ``account``'s own file (None: AVAILABILITY_ACCOUNT_NAME's, which keeps
    AVAILABILITY_DB)."""
    if account is not None:
        database = accounts.named(account).database
        if database is not None:
            return Path(database)
    return Path(settings.get("AVAILABILITY_DB"))


def query_accounts(
    sql_or_name: str, params: Params = None, *, timeout_s: float = 30.0
) -> pd.DataFrame:
    """One statement on every configured account's file, its rows after an ``account`` column:
    each account's data stays in its own file, and this is how a notebook sets them side by
    side. An account whose file does not exist yet (never polled) contributes no rows."""
    frames = []
    for account in accounts.configured():
        path = default_database(account.name)
        if not path.is_file():
            continue
        frame = query(sql_or_name, params, database=path, timeout_s=timeout_s)
        frames.append(frame.assign(account=account.name)[["account", *frame.columns]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"account": []})


def query(
    sql_or_name: str,
    params: Params = None,
    *,
    database: str | Path | None = None,
    timeout_s: float = 30.0,
) -> pd.DataFrame:
    """Run one statement read-only and return its rows as a DataFrame.

    ``sql_or_name`` is SQL text, or the name of a file under ``sql/`` when it ends in
    ``.sql`` (e.g. ``"notebooks/completeness.sql"``). ``params`` is a list for ``?``
    placeholders or a dict for ``$name`` ones; a dict may carry more names than the statement
    uses (one dict can serve a whole notebook), but every ``$name`` used must be given.
    """
    frames = read_many({"result": (sql_or_name, params)}, database=database, timeout_s=timeout_s)
    return frames["result"]


def read_many(
    queries: Mapping[str, tuple[str, Params]],
    *,
    database: str | Path | None = None,
    timeout_s: float = 30.0,
) -> dict[str, pd.DataFrame]:
    """Run several statements in ONE short read-only connection; a DataFrame per name.

    One connection means one lock acquisition, and since no writer can enter the file while
    it is held, every result comes from the same state of the database (e.g. a table and
    its totals cannot disagree because a tick landed in between).
    """
    prepared = {name: _prepare(sql, params) for name, (sql, params) in queries.items()}
    path = _existing(database)
    con = _open(path, timeout_s)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return {name: con.execute(sql, bound).df() for name, (sql, bound) in prepared.items()}
    finally:
        con.close()


def _prepare(sql_or_name: str, params: Params) -> tuple[str, Any]:
    """The statement text and the parameters it uses (DuckDB rejects unused named ones)."""
    is_file = sql_or_name.strip().endswith(".sql")
    sql = single_statement(sql_or_name.strip()) if is_file else sql_or_name
    if params is None or not isinstance(params, Mapping):
        return sql, None if params is None else list(params)
    return sql, bind(sql, params, sql_or_name[:60] if not is_file else f"sql/{sql_or_name}")


def _existing(database: str | Path | None) -> Path:
    path = Path(database) if database is not None else default_database()
    if not path.is_file():
        raise DatabaseMissingError(
            f"no DuckDB database at {path} (AVAILABILITY_DB="
            f"{settings.get('AVAILABILITY_DB')}). Create one with `make demo`, "
            "or fill it with synthetic history: `availability seed-history`; or point "
            "AVAILABILITY_DB at the pipeline's file."
        )
    return path


def _open(path: Path, timeout_s: float) -> duckdb.DuckDBPyConnection:
    try:
        return open_with_retry(str(path), True, timeout_s)
    except duckdb.IOException as exc:
        if not is_lock_error(exc):
            raise
        raise DatabaseBusyError(
            f"{path} stayed locked by a writer for longer than {timeout_s:g} s; a pipeline run "
            "or a notebook with an open read-write connection is holding it. Try again, or "
            f"close that connection. DuckDB said: {exc}"
        ) from exc
    except duckdb.ConnectionException as exc:
        if "different configuration" not in str(exc):
            raise
        raise ReadError(
            f"this process already has {path} open for writing, and DuckDB cannot open the "
            "same file read-only alongside it. Read through that connection, or close it "
            "first; notebooks and reports are separate processes and are not affected."
        ) from exc
