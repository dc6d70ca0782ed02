"""The day's coverage table as CSV: one row per scope x interval, every figure unrounded.

The CSV is for spreadsheets and other tools, so it carries the raw figures (``repr`` of the
float, no rounding) and leaves a missing value empty rather than writing the em dash the HTML
shows. ``requirement_source`` keeps the pipeline's codes (``target``, ``forecast_erlang_c``,
``kore_erlang_a``, ``kore_erlang_c``, ``profile_erlang_a``, ``profile_erlang_c``; the HTML
shows readable names) and ``is_future`` marks intervals still ahead. ``gap`` repeats
``net_staffing`` for older readers.

Scope keys and names come from outside (the scopes file, the Kore API). A spreadsheet runs a
cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return before one) as a
formula, so such a text cell gets a leading apostrophe, which spreadsheets show as text.
Only text is changed: numbers are written by the export as numbers, so ``-1.5`` stays a figure.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["CSV_COLUMNS", "render_csv"]

CSV_COLUMNS: tuple[str, ...] = (
    "day",
    "scope_key",
    "scope_name",
    "interval_start",
    "local_start",
    "is_future",
    "basis",
    "observed_share",
    "avg_available",
    "avg_busy",
    "avg_busy_productive",
    "avg_busy_other",
    "avg_away",
    "avg_offline",
    "avg_other",
    "staffed",
    "on_queue",
    "logged_in",
    "shrinkage",
    "busy_capacity_known",
    "min_available",
    "max_available",
    "occupancy",
    "zero_available_share",
    "required_agents",
    "requirement_source",
    "service_level_expected",
    "scheduled_required",
    "scheduled",
    "net_staffing",
    "gap",
    "met",
)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def render_csv(rows: Iterable[Sequence[Any]]) -> str:
    """The CSV text: a header of ``CSV_COLUMNS`` and one line per row, ``\\n`` line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return buffer.getvalue()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_STARTS) else value
    return str(value)
