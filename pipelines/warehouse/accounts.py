"""Which account a DuckDB file belongs to: claimed on the first write, checked on every other.

One file holds one account's data (pipelines.accounts); a setting that pointed two accounts
at one file, or an account at another's file, would mix two clients' rows for good. The
claim makes that an error before anything is written.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from pipelines.warehouse.sql import execute, fetch_all

__all__ = ["AccountMismatchError", "claim", "owner", "refuse_foreign"]


class AccountMismatchError(RuntimeError):
    """The DuckDB file belongs to another account."""


def owner(con: duckdb.DuckDBPyConnection) -> str | None:
    """The account the file belongs to, or None before its first account-bound write."""
    rows = fetch_all(con, "accounts/owner.sql")
    return rows[0][0] if rows else None


def refuse_foreign(con: duckdb.DuckDBPyConnection, name: str, database: str) -> None:
    """For a reader (which claims nothing): refuse a file claimed by another account. A file
    not claimed yet, or older than the claim table, is read as it is."""
    ((found,),) = fetch_all(con, "accounts/claim_table.sql")
    owned_by = owner(con) if found else None
    if owned_by is not None and owned_by != name:
        raise _mismatch(database, owned_by, name)


def claim(con: duckdb.DuckDBPyConnection, name: str, database: str) -> None:
    """Make the file ``name``'s, or refuse it when it is another account's."""
    found = owner(con)
    if found is None:
        execute(con, "accounts/claim.sql", account=name, claimed_at=datetime.now(UTC))
        found = owner(con)
    if found != name:
        raise _mismatch(database, found, name)


def _mismatch(database: str, owned_by: str | None, name: str) -> AccountMismatchError:
    return AccountMismatchError(
        f"the DuckDB file {database} belongs to account {owned_by!r}, not {name!r}: give "
        f"account {name!r} its own database in AVAILABILITY_ACCOUNTS_FILE (or set "
        f"AVAILABILITY_ACCOUNT_NAME={owned_by} if this file is that account's)"
    )
