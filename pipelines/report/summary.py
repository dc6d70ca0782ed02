"""The day's per-scope summary as Markdown (Dagster metadata) and as fixed-width text (the
demo's terminal output and logs): the same rows and figures as the HTML summary table."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipelines.markdown import markdown_table
from pipelines.report.formatting import fmt, pct, truncate

__all__ = ["summary_markdown", "summary_text"]

_HEADERS = ("Scope", "Avg available", "Avg required", "Intervals met", "Shortfall (agent-h)")


def summary_markdown(summary: pd.DataFrame) -> str:
    """A compact Markdown table of a per-scope summary, for Dagster metadata and the demo.

    Expects the columns of ``load_summary`` (at least scope_key, name, avg_available,
    avg_required, share_met, shortfall_agent_hours); rows keep the frame's order, which
    ``load_summary`` already ranks by shortfall. ``share_met`` is a fraction shown as a percent.
    Scope names are escaped by the project's one Markdown renderer.
    """
    rows = [dict(zip(_HEADERS, _cells(r), strict=True)) for r in _summary_rows(summary)]
    return markdown_table(
        rows, align=("left", "right", "right", "right", "right"), empty="_No coverage data._"
    )


def summary_text(summary: pd.DataFrame) -> str:
    """The same summary as ``summary_markdown`` as fixed-width text, for terminals and logs."""
    if summary.empty:
        return "No coverage data."
    headers = ["Scope", "Avg avail", "Avg req", "Met", "Shortfall h"]
    rows = [[truncate(r["name"], 32), *_cells(r)[1:]] for r in _summary_rows(summary)]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    out.extend(line(r) for r in rows)
    return "\n".join(out)


def _cells(row: dict[str, str]) -> tuple[str, ...]:
    return (row["name"], row["available"], row["required"], row["met"], row["shortfall"])


def _summary_rows(summary: pd.DataFrame) -> list[dict[str, str]]:
    """Display strings shared by the Markdown and the plain-text summaries."""
    out = []
    for record in summary.to_dict("records"):
        name = record.get("name")
        if name is None or (not isinstance(name, str) and pd.isna(name)):
            name = str(record.get("scope_key", ""))
        out.append(
            {
                "name": " ".join(str(name).split()),
                "available": fmt(record.get("avg_available"), 1),
                "required": fmt(record.get("avg_required"), 1),
                "met": pct(record.get("share_met")),
                "shortfall": fmt(record.get("shortfall_agent_hours"), 2),
            }
        )
    return out
