"""The report's charts: matplotlib figures rendered to PNG data URIs.

Charts are PNGs drawn with matplotlib's ``Figure`` API and inlined as data URIs, so the HTML
needs nothing from the network. pyplot is never imported: its global figure registry is not
thread-safe and would leak state between Dagster runs sharing a process.

Every chart's x axis is the interval's position in the day (see :mod:`pipelines.report.axis`).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import matplotlib
import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from pipelines.report.axis import Slot
from pipelines.report.data import Point
from pipelines.report.formatting import truncate

__all__ = ["heatmap_chart", "ranking_chart", "scope_chart"]

_DPI = 110
_WIDTH_IN = 10.0
# Coverage ratio colour scale: red below 1 (short), blue above; ratios above 2 saturate, since
# "more than double the requirement" needs no finer shading.
_RATIO_MAX = 2.0
_MISSING_COLOUR = "#d9d9d9"


def _chart_text(text: str, width: int = 40) -> str:
    """Scope names go into matplotlib text, where '$' would start mathtext: escape it."""
    return truncate(" ".join(text.split()), width).replace("$", r"\$")


def _png_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    # No "Software" tag: it carries a URL, and nothing in the report should point anywhere.
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _ticks(slots: Sequence[Slot], interval_minutes: int) -> tuple[list[int], list[str]]:
    """Tick positions at whole local hours, thinned to about a dozen labels."""
    n = len(slots)
    if n <= 12:
        positions = list(range(n))
    else:
        hours = n * interval_minutes / 60
        step = next((s for s in (1, 2, 3, 4, 6, 12) if hours / s <= 12), 24)
        positions = [
            i for i, s in enumerate(slots) if s.local.minute == 0 and s.local.hour % step == 0
        ]
        if not positions:  # intervals not aligned to whole hours
            positions = list(range(0, n, max(1, math.ceil(n / 12))))
    return positions, [slots[i].tick for i in positions]


def _apply_time_axis(ax: Any, slots: Sequence[Slot], interval_minutes: int, tz: str) -> None:
    positions, labels = _ticks(slots, interval_minutes)
    ax.set_xticks(positions, labels)
    ax.set_xlim(0, max(len(slots), 1))
    ax.set_xlabel(f"Local time ({tz})")


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges where ``mask`` is true."""
    runs = []
    start = None
    for i, flag in enumerate(mask):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(mask)))
    return runs


def ranking_chart(
    names: Sequence[str], shortfalls: Sequence[float | None], has_requirement: Sequence[bool]
) -> str:
    """Horizontal bars of each scope's shortfall in agent-hours, in the order given."""
    n = len(names)
    fig = Figure(figsize=(_WIDTH_IN, 0.42 * n + 1.3), layout="constrained")
    ax = fig.add_subplot()
    values = [s or 0.0 for s in shortfalls]
    y = np.arange(n)
    ax.barh(y, values, color="#c0392b", height=0.6)
    ax.set_yticks(y, [_chart_text(name) for name in names])
    ax.invert_yaxis()
    top = max(values, default=0.0)
    ax.set_xlim(0, top * 1.15 if top > 0 else 1.0)
    for i, (shortfall, required) in enumerate(zip(shortfalls, has_requirement, strict=True)):
        # A zero shortfall without any requirement is not "fully staffed": say which it is.
        text = "no requirement" if shortfall is None or not required else f"{shortfall:.2f}"
        ax.annotate(
            text,
            (values[i], i),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            color="#57606a",
        )
    ax.set_xlabel("Shortfall (agent-hours)")
    ax.set_title("Shortfall ranking")
    ax.grid(axis="x", alpha=0.3)
    return _png_uri(fig)


def scope_chart(
    name: str,
    slots: Sequence[Slot],
    by_start: dict[datetime, Point],
    interval_minutes: int,
    tz: str,
) -> str:
    """One scope's available, staffed and required agents through the day, shortfall shaded."""
    n = len(slots)
    points = [by_start.get(s.start) for s in slots]

    def series(attr: str) -> np.ndarray:
        values = [getattr(p, attr) if p is not None else None for p in points]
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    available, staffed, required = series("available"), series("staffed"), series("required")
    observed = series("observed_share")
    unobserved = ~(observed > 0)
    edges = np.arange(n + 1)

    fig = Figure(figsize=(_WIDTH_IN, 3.0), layout="constrained")
    ax = fig.add_subplot()
    for k, (a, b) in enumerate(_runs(unobserved)):
        ax.axvspan(a, b, color="#eeeeee", lw=0, label="not observed" if k == 0 else None)
    has_requirement = bool(np.isfinite(required).any())
    if has_requirement:
        short = np.isfinite(available) & np.isfinite(required) & (available < required)
        for k, (a, b) in enumerate(_runs(short)):
            ax.fill_between(
                edges[a : b + 1],
                np.append(available[a:b], available[b - 1]),
                np.append(required[a:b], required[b - 1]),
                step="post",
                color="#c0392b",
                alpha=0.25,
                lw=0,
                label="shortfall" if k == 0 else None,
            )
        ax.stairs(required, edges, color="#1f2328", lw=2, label="required", baseline=None)
    ax.stairs(available, edges, color="#1f77b4", lw=1.8, label="available", baseline=None)
    ax.stairs(staffed, edges, color="#2ca02c", lw=1.2, ls="--", label="staffed", baseline=None)
    finite = np.concatenate([a[np.isfinite(a)] for a in (available, staffed, required)])
    ax.set_ylim(0, max(1.0, float(finite.max()) * 1.12) if finite.size else 1.0)
    _apply_time_axis(ax, slots, interval_minutes, tz)
    ax.set_ylabel("Agents")
    title = _chart_text(name, 48) + ("" if has_requirement else "  (no requirement set)")
    ax.set_title(title, loc="left")
    ax.grid(alpha=0.3)
    # Legend above the plot area, right of the title, so it never hides a line.
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, ncols=5, frameon=False)
    return _png_uri(fig)


def heatmap_chart(
    names: Sequence[str],
    keys: Sequence[str],
    slots: Sequence[Slot],
    by_scope: dict[str, dict[datetime, Point]],
    interval_minutes: int,
    tz: str,
) -> str:
    """Available / required per scope (rows, in ``keys`` order) and interval (columns)."""
    ratio = np.full((len(keys), len(slots)), np.nan)
    for row, key in enumerate(keys):
        cells = by_scope.get(key, {})
        for col, slot in enumerate(slots):
            p = cells.get(slot.start)
            if (
                p is not None
                and p.available is not None
                and p.required is not None
                and p.required > 0
                and (p.observed_share or 0) > 0
            ):
                ratio[row, col] = p.available / p.required
    fig = Figure(figsize=(_WIDTH_IN, 0.4 * len(keys) + 1.9), layout="constrained")
    ax = fig.add_subplot()
    # Missing cells are transparent over a hatched grey backdrop, so "no figure" cannot be
    # mistaken for the near-white of "exactly met".
    ax.add_patch(
        Rectangle(
            (0, 0),
            len(slots),
            len(keys),
            facecolor=_MISSING_COLOUR,
            edgecolor="#b0b0b0",
            hatch="//",
            lw=0,
            zorder=0,
        )
    )
    cmap = matplotlib.colormaps["RdBu"].with_extremes(bad=(0, 0, 0, 0), over="#08306b")
    norm = TwoSlopeNorm(vmin=0.0, vcenter=1.0, vmax=_RATIO_MAX)
    mesh = ax.pcolormesh(
        np.arange(len(slots) + 1),
        np.arange(len(keys) + 1),
        np.ma.masked_invalid(ratio),
        cmap=cmap,
        norm=norm,
    )
    ax.set_yticks(np.arange(len(keys)) + 0.5, [_chart_text(n, 32) for n in names])
    ax.set_ylim(len(keys), 0)  # first ranked scope on top
    _apply_time_axis(ax, slots, interval_minutes, tz)
    ax.set_ylabel("Scope")
    ax.set_title("Coverage ratio (available / required)")
    bar = fig.colorbar(mesh, ax=ax, extend="max", pad=0.01)
    bar.set_label("available / required")
    return _png_uri(fig)
