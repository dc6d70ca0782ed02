"""The day's per-scope summary as Markdown (Dagster metadata) and as fixed-width text (the
demo's terminal output and logs): the same rows and figures as the HTML summary table.

Every average is coverage_daily_summary's, over the same judged intervals (requirement AND
observed AND not in the future), so "on-queue", "required" and "net" of a row compare like
with like; "met" says how many of those intervals had on-queue >= required.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipelines.markdown import markdown_table
from pipelines.report.formatting import NULL_MARK, fmt, met_label, num, signed, truncate

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


def verdict_lines(summary: pd.DataFrame) -> list[str]:
    """One sentence per scope with a requirement: short or over, in agents and agent-hours.

    E.g. "Billing: short by 1.2 agents on average (31.0 on-queue vs 32.2 required over 48
    judged intervals); 20 of 48 judged intervals met; 6.50 agent-hours short, 1.25 over."
    """
    lines = []
    for r, shown in zip(summary.to_dict("records"), _summary_rows(summary), strict=True):
        judged = int(num(r.get("intervals_judged")) or 0)
        net = num(r.get("avg_net_staffing"))
        if not judged or net is None:
            lines.append(f"{shown['name']}: no judged intervals (no requirement or no data).")
            continue
        state = "short" if net < 0 else "over" if net > 0 else "exactly staffed"
        by = f" by {fmt(abs(net), 1)} agents on average" if net != 0 else " on average"
        lines.append(
            f"{shown['name']}: {state}{by} ({shown['on_queue']} on-queue vs "
            f"{shown['required']} required over {judged} judged intervals); "
            f"{shown['met_long']}; {shown['shortfall']} agent-hours short, "
            f"{shown['surplus']} over."
        )
    return lines


def _cells(row: dict[str, str]) -> tuple[str, ...]:
    return (
        row["name"],
        row["on_queue"],
        row["required"],
        row["net"],
        row["met"],
        row["shortfall"],
        row["surplus"],
    )


def _summary_rows(summary: pd.DataFrame) -> list[dict[str, str]]:
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
                "met_long": met_label(record.get("intervals_met"), judged),
                "shortfall": fmt(record.get("shortfall_agent_hours"), 2),
                "surplus": fmt(record.get("surplus_agent_hours"), 2),
            }
        )
    return out
