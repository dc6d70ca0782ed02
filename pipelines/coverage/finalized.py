"""Finalized vs provisional coverage, as the assets, the reconciliation check and the report
read it: the day's basis, and per scope its completeness before and after finalization and
how far the polls were from the exact history (``coverage_reconciliation``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from pipelines.coverage.build import query_rows
from pipelines.coverage.calendar import as_day
from pipelines.coverage.checks import CheckOutcome
from pipelines.warehouse import fetch_all, fetch_df

__all__ = ["DayBasis", "check_reconciliation", "day_basis", "identity", "reconciliation"]


@dataclass(frozen=True)
class DayBasis:
    """How one day was built: scopes counted from exact history and from polls."""

    finalized: int
    provisional: int
    before_first_listing: bool  # skills and queues counted with the first listing's members

    @property
    def label(self) -> str:
        """'finalized' (every scope), 'provisional' (none, or the day is not built), or
        'partly finalized'."""
        if self.finalized and not self.provisional:
            return "finalized"
        return "partly finalized" if self.finalized else "provisional"


def day_basis(con: duckdb.DuckDBPyConnection, day: date) -> DayBasis:
    """The basis of ``day`` as its last spans build decided it."""
    ((finalized, provisional, before),) = fetch_all(con, "coverage/day_basis.sql", day=as_day(day))
    return DayBasis(int(finalized), int(provisional), bool(before))


def identity(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, int]:
    """How the day's history agents meet the agents listing, joined by ``agent_id`` (history
    ``aId`` = the listing's ``id``): ``history_agents``, ``by_agent_id``, ``by_user_id_only``
    (listed under their user ID but another agent ID: their skills and queues are missed) and
    ``unlisted``. Needs the coverage macros (``build.query_rows`` defines them)."""
    columns, rows = query_rows(con, "coverage/identity.sql", {"day": as_day(day)})
    return {name: int(value) for name, value in zip(columns, rows[0], strict=True)}


def reconciliation(con: duckdb.DuckDBPyConnection, day: date) -> pd.DataFrame:
    """Per scope of ``day``: basis, completeness before (polled) and after (covered), cells
    repaired, and the MAE of the poll-based available and on-queue agents against the exact
    ones (agents, and share of the exact mean) over the cells the polls saw whole."""
    return fetch_df(con, "coverage/reconciliation.sql", day=as_day(day))


def check_reconciliation(
    con: duckdb.DuckDBPyConnection, day: date, threshold: float
) -> CheckOutcome:
    """Polls agree with the exact history: for every finalized scope, the MAE of available and
    of on-queue agents is at most ``threshold`` of the exact mean. A larger difference means
    membership drift, clock skew or a broken poller. Provisional days pass (nothing exact)."""
    frame = reconciliation(con, day)
    finalized = frame[(frame["basis"] == "finalized") & (frame["cells_compared"] > 0)]
    share = finalized[["mae_available_share", "mae_on_queue_share"]].max(axis=1)
    over = finalized[share > threshold].assign(worst_share=share[share > threshold])
    rows = [
        {
            "scope_key": r["scope_key"],
            "cells_compared": int(r["cells_compared"]),
            "mae_available": round(float(r["mae_available"]), 3),
            "mae_available_share": round(float(r["mae_available_share"] or 0), 4),
            "mae_on_queue": round(float(r["mae_on_queue"]), 3),
            "mae_on_queue_share": round(float(r["mae_on_queue_share"] or 0), 4),
        }
        for r in over.sort_values("worst_share", ascending=False).to_dict("records")
    ]
    return CheckOutcome(
        passed=not rows,
        metadata={
            "threshold": threshold,
            "scopes_compared": len(finalized),
            "scopes_over": len(rows),
            "worst_share": round(float(share.max()), 4) if len(share) else 0.0,
            "over": rows[:20],
        },
    )
