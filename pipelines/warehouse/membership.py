"""Agent -> skill / queue membership from Kore's agents listing, kept as history.

A membership row says agent A was listed in scope S (``skill:<id>`` or ``queue:<id>``) over
``[valid_from, valid_to)``; ``valid_to`` NULL means still listed. A complete listing is
applied at one instant: rows no longer listed are closed then, new pairs are opened then, in
one transaction, in bulk (the listing is registered as a frame, never written row by row).
Applying the same listing twice changes nothing.

A refresh whose pages are fetched over several ticks is staged page by page
(:func:`open_refresh`, :func:`stage_page`) and applied once every page is there
(:func:`complete_refresh`), so a crash or a tick short of budget resumes where it stopped.

Coverage in membership mode (``sql/coverage/macros.sql``) counts, for every skill and queue,
the agents of the one ``all`` answer whose membership was valid at the observation time.
The SQL is in ``sql/membership/``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from pipelines.warehouse.connection import registered, transaction
from pipelines.warehouse.sql import execute, fetch_all

__all__ = [
    "MEMBERSHIP_COLUMNS",
    "RefreshState",
    "apply_membership",
    "complete_refresh",
    "discard_refresh",
    "members_at",
    "open_refresh",
    "record_drift",
    "stage_page",
    "upsert_discovered_scopes",
]

# One row per agent x scope of a listing.
MEMBERSHIP_COLUMNS = ["agent_id", "user_id", "scope_key", "kind", "ref_id", "name"]
_CATALOGUE_COLUMNS = ["scope_key", "kind", "ref_id", "name"]
_KINDS = ("skill", "queue")


def _listing(rows: pd.DataFrame, what: str = "membership rows") -> pd.DataFrame:
    """The listing's columns, typed as text, checked: kind skill|queue, key = kind:ref_id."""
    missing = [c for c in MEMBERSHIP_COLUMNS if c not in rows.columns]
    if missing:
        raise ValueError(f"{what} lack column(s) {missing}; expected {MEMBERSHIP_COLUMNS}")
    frame = rows.loc[:, MEMBERSHIP_COLUMNS].astype("string")
    if frame.empty:
        return frame
    bad_kind = ~frame["kind"].isin(_KINDS)
    if bad_kind.any():
        raise ValueError(
            f"{what}: kind must be one of {list(_KINDS)}, got "
            f"{sorted(set(frame.loc[bad_kind, 'kind'].astype(str)))}"
        )
    bad_key = frame["scope_key"] != frame["kind"] + ":" + frame["ref_id"]
    if bad_key.any():
        example = frame.loc[bad_key].iloc[0]
        raise ValueError(
            f"{what}: scope_key must be '<kind>:<ref_id>', got {example['scope_key']!r} for "
            f"kind {example['kind']!r}, ref_id {example['ref_id']!r}"
        )
    if frame["agent_id"].isna().any():
        raise ValueError(f"{what}: agent_id must not be empty")
    return frame


def _apply(con: duckdb.DuckDBPyConnection, account_id: str, refreshed_at: datetime) -> dict:
    """Run apply.sql on the relation membership_listing (inside the caller's transaction)."""
    ((latest,),) = fetch_all(con, "membership/latest_change.sql", account_id=account_id)
    if latest is not None and refreshed_at < latest:
        raise ValueError(
            f"membership of account {account_id!r} was already changed at {latest.isoformat()}; "
            f"a listing from {refreshed_at.isoformat()} is older and cannot be applied"
        )
    execute(con, "membership/apply.sql", account_id=account_id, refreshed_at=refreshed_at)
    ((listed, opened, closed, updated),) = fetch_all(con, "membership/plan_counts.sql")
    execute(con, "membership/apply_cleanup.sql")
    return {"listed": listed, "opened": opened, "closed": closed, "updated": updated}


def apply_membership(
    con: duckdb.DuckDBPyConnection,
    account_id: str,
    refreshed_at: datetime,
    rows: pd.DataFrame,
) -> dict[str, int]:
    """Make the account's open membership equal the complete listing ``rows`` at ``refreshed_at``.

    ``rows`` has ``MEMBERSHIP_COLUMNS`` (one row per agent x scope; duplicates are merged).
    Open rows not listed are closed (``valid_to = refreshed_at``), listed pairs without an open
    row are opened (``valid_from = refreshed_at``), in one transaction. A listing older than
    the account's latest change is refused (ValueError). Returns the counts ``listed``,
    ``opened``, ``closed`` and ``updated`` (open rows whose user ID or name changed).
    """
    listing = _listing(rows)
    with registered(con, membership_listing=listing), transaction(con):
        return _apply(con, account_id, refreshed_at)


@dataclass(frozen=True)
class RefreshState:
    """A refresh collecting pages: which are staged, how many the listing said there are."""

    refresh_id: str
    account_id: str
    started_at: datetime
    total_pages: int | None
    pages_done: frozenset[int]

    @property
    def pages_missing(self) -> list[int]:
        """Pages still to fetch (page numbers from 1); [1] before the first page is known."""
        if self.total_pages is None:
            return [1]
        return [p for p in range(1, self.total_pages + 1) if p not in self.pages_done]


def _state(con: duckdb.DuckDBPyConnection, account_id: str) -> RefreshState | None:
    found = fetch_all(con, "membership/refresh_pending.sql", account_id=account_id)
    if not found:
        return None
    refresh_id, started_at, total_pages = found[0]
    pages = fetch_all(con, "membership/refresh_pages.sql", refresh_id=refresh_id)
    return RefreshState(
        refresh_id=refresh_id,
        account_id=account_id,
        started_at=started_at,
        total_pages=total_pages,
        pages_done=frozenset(page for (page,) in pages),
    )


def open_refresh(
    con: duckdb.DuckDBPyConnection, account_id: str, started_at: datetime
) -> RefreshState:
    """The account's unfinished refresh (to resume), or a new one started at ``started_at``."""
    with transaction(con):
        state = _state(con, account_id)
        if state is None:
            refresh_id = f"membership-{account_id}-{started_at.isoformat()}"
            execute(
                con,
                "membership/refresh_start.sql",
                refresh_id=refresh_id,
                account_id=account_id,
                started_at=started_at,
            )
            state = _state(con, account_id)
    assert state is not None
    return state


def stage_page(
    con: duckdb.DuckDBPyConnection,
    refresh_id: str,
    page: int,
    fetched_at: datetime,
    rows: pd.DataFrame,
    agent_ids: Iterable[str],
    total_pages: int | None = None,
) -> None:
    """Stage one fetched page: every agent on it (``agent_ids``, members of nothing included)
    and its membership rows (``MEMBERSHIP_COLUMNS``). Re-staging a page replaces it."""
    listing = _listing(rows, what=f"page {page} of {refresh_id}")
    with registered(con, membership_page_listing=listing), transaction(con):
        execute(
            con,
            "membership/page_stage.sql",
            refresh_id=refresh_id,
            page=page,
            fetched_at=fetched_at,
            agent_ids=list(agent_ids),
            total_pages=total_pages,
        )


def complete_refresh(
    con: duckdb.DuckDBPyConnection,
    refresh_id: str,
    completed_at: datetime,
) -> dict[str, int]:
    """Apply a refresh whose pages are all staged, at ``completed_at``; mark it complete.

    Raises ValueError naming the missing pages when the refresh is not whole (applying part
    of a listing would close the membership of every agent on the missing pages).
    """
    with transaction(con):
        found = con.execute(
            "SELECT account_id FROM membership_refreshes WHERE refresh_id = ? AND NOT complete",
            [refresh_id],
        ).fetchall()
        if not found:
            raise ValueError(f"no unfinished membership refresh {refresh_id!r}")
        state = _state(con, found[0][0])
        if state is None or state.refresh_id != refresh_id:
            raise ValueError(f"membership refresh {refresh_id!r} is not the account's pending one")
        if state.pages_missing:
            raise ValueError(
                f"membership refresh {refresh_id!r} lacks page(s) {state.pages_missing} "
                f"of {state.total_pages}"
            )
        execute(con, "membership/refresh_listing.sql", refresh_id=refresh_id)
        counts = _apply(con, state.account_id, completed_at)
        execute(
            con,
            "membership/refresh_finish.sql",
            refresh_id=refresh_id,
            completed_at=completed_at,
            rows_opened=counts["opened"],
            rows_closed=counts["closed"],
        )
    return counts


def discard_refresh(con: duckdb.DuckDBPyConnection, refresh_id: str) -> None:
    """Drop an unfinished refresh and its staged pages (a complete one is kept)."""
    with transaction(con):
        execute(con, "membership/refresh_discard.sql", refresh_id=refresh_id)


def members_at(
    con: duckdb.DuckDBPyConnection, account_id: str, scope_key: str, at: datetime
) -> set[str]:
    """The agents whose membership of ``scope_key`` was valid at ``at``."""
    rows = fetch_all(
        con, "membership/members_at.sql", account_id=account_id, scope_key=scope_key, at=at
    )
    return {agent_id for (agent_id,) in rows}


def record_drift(
    con: duckdb.DuckDBPyConnection,
    account_id: str,
    scope_key: str,
    checked_at: datetime,
    answered_agent_ids: Iterable[str],
) -> dict[str, object]:
    """Compare Kore's filtered answer for one scope with the local member list at
    ``checked_at`` and store the result in ``membership_drift``.

    ``missing_agent_ids``: in Kore's answer, not in local membership; ``extra_agent_ids``: in
    local membership, not in Kore's answer. Returns the stored row as a dict (``drift`` is
    True when either list is non-empty).
    """
    asked = set(answered_agent_ids)
    known = members_at(con, account_id, scope_key, checked_at)
    row: dict[str, object] = {
        "checked_at": checked_at,
        "account_id": account_id,
        "scope_key": scope_key,
        "missing_agent_ids": sorted(asked - known),
        "extra_agent_ids": sorted(known - asked),
        "agents_asked": len(asked),
        "agents_known": len(known),
    }
    with transaction(con):
        execute(con, "membership/drift.sql", **row)
    return {**row, "drift": bool(row["missing_agent_ids"] or row["extra_agent_ids"])}


def upsert_discovered_scopes(
    con: duckdb.DuckDBPyConnection,
    catalogue: pd.DataFrame,
    now: datetime,
    *,
    include: Collection[str] | None = None,
    exclude: Collection[str] = (),
) -> dict[str, list[str]]:
    """Add the skills and queues of Kore's listing to ``scopes`` as source 'discovered'.

    ``catalogue`` has ``scope_key``, ``kind``, ``ref_id``, ``name`` (one row per skill or
    queue; duplicates merged). A scope the scopes file lists stays a file scope with the
    file's name; per-scope ticks never delete discovered scopes. ``exclude`` (scope keys) are
    never added and removed if present; with ``include`` only those keys are kept. Returns the
    discovered scope keys ``added`` and ``removed`` by this call and all ``discovered`` now.
    """
    missing = [c for c in _CATALOGUE_COLUMNS if c not in catalogue.columns]
    if missing:
        raise ValueError(
            f"scope catalogue lacks column(s) {missing}; expected {_CATALOGUE_COLUMNS}"
        )
    frame = catalogue.loc[:, _CATALOGUE_COLUMNS].astype("string").drop_duplicates("scope_key")
    if not frame["kind"].isin(_KINDS).all():
        raise ValueError(f"discovered scopes must be of kind {list(_KINDS)}")
    with registered(con, discovered_scopes=frame), transaction(con):
        before = {key for (key,) in fetch_all(con, "membership/discovered_keys.sql")}
        execute(
            con,
            "membership/discovered_scopes.sql",
            now=now,
            exclude=sorted(exclude),
            include=None if include is None else sorted(include),
        )
        after = {key for (key,) in fetch_all(con, "membership/discovered_keys.sql")}
    return {
        "added": sorted(after - before),
        "removed": sorted(before - after),
        "discovered": sorted(after),
    }
