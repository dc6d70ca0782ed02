"""The report's finalization part: whether the day is counted from Kore's exact status history
(finalized) or from polls (provisional), and, in the completeness section, per scope the
cells the polls saw, the cells covered after finalization, the cells history repaired and how
far the polls were from the exact figures (``coverage_reconciliation``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipelines.coverage.finalized import DayBasis
from pipelines.report.formatting import fmt, pct

__all__ = ["ReconciliationRow", "finalization_context"]

_BASIS_TEXT = {
    "finalized": "finalized: counted from Kore's exact status history",
    "partly finalized": (
        "partly finalized: scopes whose members are known are counted from Kore's exact status "
        "history, the others from polls"
    ),
    "provisional": "provisional: counted from polls (the day's exact history is not complete)",
}


@dataclass(frozen=True)
class ReconciliationRow:
    scope_key: str
    name: str
    basis: str
    polled: str  # "90 of 96"
    covered: str
    repaired: str
    mae_available: str  # "0.07 (1.8%)" or the em dash
    mae_on_queue: str


def _mae(mae: Any, share: Any) -> str:
    text = fmt(mae, 2)
    return text if share is None or pd.isna(share) else f"{text} ({pct(share)})"


def finalization_context(basis: DayBasis | None, frame: pd.DataFrame | None) -> dict[str, Any]:
    """Display strings for the template: the day's basis, the membership note and one row
    per scope."""
    label = basis.label if basis is not None else "provisional"
    rows = [
        ReconciliationRow(
            scope_key=str(r["scope_key"]),
            name=str(r["name"]),
            basis=str(r["basis"]),
            polled=f"{int(r['cells_polled'])} of {int(r['cells'])}",
            covered=f"{int(r['cells_covered'])} of {int(r['cells'])}",
            repaired=str(int(r["cells_repaired"])),
            mae_available=_mae(r["mae_available"], r["mae_available_share"]),
            mae_on_queue=_mae(r["mae_on_queue"], r["mae_on_queue_share"]),
        )
        # A provisional day has nothing exact to compare with: the completeness above says it.
        for r in (frame.to_dict("records") if frame is not None and label != "provisional" else [])
    ]
    return {
        "basis": label,
        "basis_text": _BASIS_TEXT[label],
        "membership_before_first_listing": bool(basis and basis.before_first_listing),
        "reconciliation_rows": rows,
    }
