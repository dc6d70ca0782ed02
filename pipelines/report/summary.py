"""The day's per-scope summary as Markdown (Dagster metadata) and as fixed-width text (the
demo's terminal output and logs): the same rows and figures as the HTML summary table.

Every average is coverage_daily_summary's, over the same judged intervals (requirement AND
observed AND not in the future), so "on-queue", "required" and "net" of a row compare like
with like; "met" says how many of those intervals had on-queue >= required.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import pandas as pd

from pipelines.markdown import markdown_table
from pipelines.report.formatting import NULL_MARK, fmt, num, signed, truncate

__all__ = ["summary_markdown", "summary_text", "verdict_lines"]

_HEADERS = (
    "Scope",
    "Avg on-queue",
    "Avg required",
    "Net staffing",
    "Judged intervals met",
    "Shortfall (agent-h)",
    "Surplus (agent-h)",
)
_TEXT_HEADERS = ("Scope", "On-queue", "Required", "Net", "Met", "Short h", "Over h")


def summary_markdown(summary: pd.DataFrame) -> str:
    """A compact Markdown table of a per-scope summary, for Dagster metadata and the demo.

    Expects the columns of ``load_summary`` (scope_key, name, avg_on_queue, avg_required,
    avg_net_staffing, intervals_met, intervals_judged, shortfall_agent_hours,
    surplus_agent_hours); rows keep the frame's order, which ``load_summary`` ranks by
    shortfall. Scope names are escaped by the project's one Markdown renderer.
    """
    rows = [dict(zip(_HEADERS, _cells(r), strict=True)) for r in _summary_rows(summary)]
    return markdown_table(rows, align=("left", *["right"] * 6), empty="_No coverage data._")


def summary_text(summary: pd.DataFrame) -> str:
    """The same summary as ``summary_markdown`` as fixed-width text, for terminals and logs."""
    if summary.empty:
        return "No coverage data."
    rows = [[truncate(r["name"], 32), *_cells(r)[1:]] for r in _summary_rows(summary)]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(_TEXT_HEADERS)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    out = [line(_TEXT_HEADERS), "  ".join("-" * w for w in widths)]
    out.extend(line(r) for r in rows)
    return "\n".join(out)


def verdict_lines(summary: pd.DataFrame, width: int = 100) -> list[str]:
    """Which scopes were short and which over on average, and which were short at times.

    E.g. "Short on average (net < 0): Billing -1.2 agents (6.50 agent-hours short).",
    "Over on average (net > 0): VIP +2.0, Sales +0.5 agents." (largest first) and "Short in
    some intervals all the same: VIP 3 of 48 intervals (0.75 agent-hours)."; wrapped to
    ``width``. Scopes without a judged interval are named on a line of their own.
    """
    short, over, even, unjudged, at_times = [], [], [], [], []
    for shown in _summary_rows(summary):
        net = num(shown["net_value"])
        if not shown["judged"] or net is None:
            unjudged.append((0.0, shown["name"]))
        elif net < 0:
            text = f"{shown['name']} {shown['net']} agents ({shown['shortfall']} agent-hours short)"
            short.append((net, text))
        elif net > 0:
            over.append((-net, f"{shown['name']} {shown['net']}"))
            missed = shown["judged_count"] - shown["met_count"]
            if missed > 0:
                at_times.append(
                    (
                        -(num(shown["shortfall_value"]) or 0.0),
                        f"{shown['name']} {missed} of {shown['judged_count']} intervals "
                        f"({shown['shortfall']} agent-hours)",
                    )
                )
        else:
            even.append((0.0, shown["name"]))
    parts = [
        ("Short on average (net < 0)", short, ""),
        ("Over on average (net > 0)", over, " agents" if over else ""),
    ]
    if at_times:
        parts.append(("Short in some intervals all the same", at_times, ""))
    if even:
        parts.append(("Exactly staffed on average", even, ""))
    if unjudged:
        parts.append(("No judged intervals (no requirement or no data)", unjudged, ""))
    lines = []
    for title, entries, unit in parts:
        names = ", ".join(text for _, text in sorted(entries, key=lambda e: e[0])) or "none"
        text = f"{title}: {names}{unit}."
        lines.append(textwrap.fill(text, width, subsequent_indent="  ", break_on_hyphens=False))
    return lines


def _cells(row: dict[str, Any]) -> tuple[str, ...]:
    return (
        row["name"],
        row["on_queue"],
        row["required"],
        row["net"],
        row["met"],
        row["shortfall"],
        row["surplus"],
    )


def _summary_rows(summary: pd.DataFrame) -> list[dict[str, Any]]:
    """Display strings shared by the Markdown and the plain-text summaries."""
    out = []
    for record in summary.to_dict("records"):
        name = record.get("name")
        if name is None or (not isinstance(name, str) and pd.isna(name)):
            name = str(record.get("scope_key", ""))
        judged = num(record.get("intervals_judged"))
        met = NULL_MARK
        if judged:
            met = f"{int(num(record.get('intervals_met')) or 0)} of {int(judged)}"
        out.append(
            {
                "name": " ".join(str(name).split()),
                "on_queue": fmt(record.get("avg_on_queue"), 1),
                "required": fmt(record.get("avg_required"), 1),
                "net": signed(record.get("avg_net_staffing"), 1),
                "met": met,
                "judged": "yes" if judged else "",
                "judged_count": int(judged or 0),
                "met_count": int(num(record.get("intervals_met")) or 0),
                "net_value": record.get("avg_net_staffing"),
                "shortfall_value": record.get("shortfall_agent_hours"),
                "shortfall": fmt(record.get("shortfall_agent_hours"), 2),
                "surplus": fmt(record.get("surplus_agent_hours"), 2),
            }
        )
    return out
