"""The report's day-wide charts: shortfall and surplus per scope, and the net staffing heatmap.

The per-scope net staffing chart is :mod:`pipelines.report.scope_chart`; what all charts share
(PNG data URIs, the local time axis) is :mod:`pipelines.report.chartkit`; the colours are
:mod:`pipelines.report.palette`, shared with the notebooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from pipelines.report import palette
from pipelines.report.axis import Slot
from pipelines.report.chartkit import WIDTH_IN, apply_time_axis, chart_text, png_uri
from pipelines.report.data import Point
from pipelines.report.scope_chart import net_staffing_chart

__all__ = ["heatmap_chart", "net_staffing_chart", "ranking_chart"]


def ranking_chart(
    names: Sequence[str],
    shortfalls: Sequence[float | None],
    surpluses: Sequence[float | None],
    has_requirement: Sequence[bool],
) -> str:
    """Per scope, in the order given: shortfall agent-hours to the left, surplus to the right."""
    n = len(names)
    fig = Figure(figsize=(WIDTH_IN, 0.42 * n + 1.3), layout="constrained")
    ax = fig.add_subplot()
    short = np.array([-(s or 0.0) for s in shortfalls], dtype=float)
    over = np.array([s or 0.0 for s in surpluses], dtype=float)
    y = np.arange(n)
    ax.barh(y, short, color=palette.SHORTFALL, height=0.6, label="shortfall")
    ax.barh(y, over, color=palette.SURPLUS, height=0.6, alpha=0.8, label="surplus")
    ax.axvline(0, color=palette.REQUIRED, lw=0.8)
    ax.set_yticks(y, [chart_text(name) for name in names])
    ax.invert_yaxis()
    reach = max(float(np.abs(short).max(initial=0)), float(over.max(initial=0)), 0.5)
    ax.set_xlim(-reach * 1.35, reach * 1.35)
    for i, required in enumerate(has_requirement):
        if not required or shortfalls[i] is None:
            # A zero without any requirement is not "exactly staffed": say which it is.
            text, x, ha = "no requirement", 0.0, "left"
        else:
            text = f"-{shortfalls[i]:.2f} / +{surpluses[i] or 0.0:.2f}"
            x, ha = (over[i], "left") if over[i] >= -short[i] else (short[i], "right")
        offset = 4 if ha == "left" else -4
        ax.annotate(
            text, (x, i), xytext=(offset, 0), textcoords="offset points", ha=ha, va="center",
            fontsize=9, color=palette.TEXT_MUTED,
        )  # fmt: skip
    ax.set_xlabel("Agent-hours short (left) and over (right) the requirement")
    ax.set_title("Shortfall and surplus by scope")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, ncols=2, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return png_uri(fig)


def heatmap_chart(
    names: Sequence[str],
    keys: Sequence[str],
    slots: Sequence[Slot],
    by_scope: dict[str, dict[datetime, Point]],
    interval_minutes: int,
    tz: str,
) -> str:
    """Net staffing (on-queue - required) per scope (rows, in ``keys`` order) and interval.

    Diverging colours around 0: red short, white exactly staffed, blue over; the scale is
    symmetric so a shade means the same number of agents either way. Only judged cells get a
    colour (requirement, observed time, not in the future).
    """
    net = np.full((len(keys), len(slots)), np.nan)
    for row, key in enumerate(keys):
        cells = by_scope.get(key, {})
        for col, slot in enumerate(slots):
            p = cells.get(slot.start)
            if p is not None and p.judged:
                assert p.on_queue is not None and p.required is not None  # judged says so
                net[row, col] = p.on_queue - p.required
    finite = np.abs(net[np.isfinite(net)])
    # The 95th percentile sets the scale so one extreme interval does not wash out the rest.
    limit = max(1.0, float(np.percentile(finite, 95))) if finite.size else 1.0
    fig = Figure(figsize=(WIDTH_IN, 0.4 * len(keys) + 1.9), layout="constrained")
    ax = fig.add_subplot()
    # Missing cells are transparent over a hatched grey backdrop, so "no figure" cannot be
    # mistaken for the near-white of "exactly staffed".
    ax.add_patch(
        Rectangle(
            (0, 0),
            len(slots),
            len(keys),
            facecolor=palette.MISSING,
            edgecolor=palette.MISSING_EDGE,
            hatch="//",
            lw=0,
            zorder=0,
        )
    )
    mesh = ax.pcolormesh(
        np.arange(len(slots) + 1),
        np.arange(len(keys) + 1),
        np.ma.masked_invalid(net),
        cmap=palette.net_colormap(),
        norm=TwoSlopeNorm(vmin=-limit, vcenter=0.0, vmax=limit),
    )
    ax.set_yticks(np.arange(len(keys)) + 0.5, [chart_text(n, 32) for n in names])
    ax.set_ylim(len(keys), 0)  # first ranked scope on top
    apply_time_axis(ax, slots, interval_minutes, tz)
    ax.set_ylabel("Scope")
    ax.set_title("Net staffing (on-queue \u2212 required agents)")
    bar = fig.colorbar(mesh, ax=ax, extend="both", pad=0.01)
    bar.set_label("agents over (+) / short (-)")
    return png_uri(fig)
