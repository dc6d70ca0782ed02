"""One scope's net staffing through the day, as a WFM analyst reads it.

Top panel, in agents per interval: required on-queue agents (the yardstick), on-queue agents
(available + productive busy, what is judged against it), idle available agents (the spare
capacity among them) and scheduled agents when a schedules file gave them. The difference,
net staffing = on-queue - required, is shaded: red where short, blue where over. Intervals
without observed time are grey; intervals still ahead when coverage was built are a pale
yellow band, where only the (forecast) requirement and the schedule are drawn.

Bottom panel, only when either is known: the requirement's expected service level and the
occupancy seen (busy / staffed), both in percent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from pipelines.report import palette
from pipelines.report.axis import Slot
from pipelines.report.chartkit import WIDTH_IN, apply_time_axis, chart_text, png_uri, runs
from pipelines.report.data import Point

__all__ = ["net_staffing_chart"]


def net_staffing_chart(
    name: str,
    slots: Sequence[Slot],
    by_start: dict[datetime, Point],
    interval_minutes: int,
    tz: str,
) -> str:
    """The chart of one scope as a PNG data URI (see the module docstring)."""
    n = len(slots)
    points = [by_start.get(s.start) for s in slots]

    def series(attr: str) -> np.ndarray:
        values = [getattr(p, attr) if p is not None else None for p in points]
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    required, on_queue = series("required"), series("on_queue")
    idle, scheduled = series("available"), series("scheduled")
    service_level, occupancy = series("service_level"), series("occupancy")
    future = np.array([p is not None and p.is_future for p in points], dtype=bool)
    unobserved = ~(series("observed_share") > 0) & ~future
    edges = np.arange(n + 1)

    shares_known = bool(np.isfinite(service_level).any() or np.isfinite(occupancy).any())
    fig = Figure(figsize=(WIDTH_IN, 4.3 if shares_known else 3.2), layout="constrained")
    if shares_known:
        ax, low = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    else:
        ax, low = fig.add_subplot(), None

    for axis in (ax, low) if low is not None else (ax,):
        for k, (a, b) in enumerate(runs(unobserved)):
            label = "not observed" if k == 0 and axis is ax else None
            axis.axvspan(a, b, color=palette.NOT_OBSERVED, lw=0, label=label)
        for k, (a, b) in enumerate(runs(future)):
            label = "forecast (ahead)" if k == 0 and axis is ax else None
            axis.axvspan(a, b, color=palette.FORECAST, lw=0, label=label)

    has_requirement = bool(np.isfinite(required).any())
    if has_requirement:
        _shade_difference(ax, edges, on_queue, required)
        ax.stairs(required, edges, color=palette.REQUIRED, lw=2, label="required", baseline=None)
    ax.stairs(on_queue, edges, color=palette.ON_QUEUE, lw=1.8, label="on-queue", baseline=None)
    ax.stairs(
        idle, edges, color=palette.IDLE_AVAILABLE, lw=1.1, label="idle available", baseline=None
    )
    if np.isfinite(scheduled).any():
        ax.stairs(
            scheduled, edges, color=palette.SCHEDULED, lw=1.3, ls="--", label="scheduled",
            baseline=None,
        )  # fmt: skip
    finite = np.concatenate([a[np.isfinite(a)] for a in (required, on_queue, idle, scheduled)])
    ax.set_ylim(0, max(1.0, float(finite.max()) * 1.12) if finite.size else 1.0)
    ax.set_ylabel("Agents")
    title = chart_text(name, 48) + ("" if has_requirement else "  (no requirement set)")
    ax.set_title(title, loc="left")
    ax.grid(alpha=0.3)
    # Legend above the plot area, right of the title, so it never hides a line.
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, ncols=4, frameon=False)
    if low is None:
        apply_time_axis(ax, slots, interval_minutes, tz)
    else:
        apply_time_axis(ax, slots, interval_minutes, tz, label=False)
        _shares_panel(low, edges, service_level, occupancy)
        apply_time_axis(low, slots, interval_minutes, tz)
    return png_uri(fig)


def _shade_difference(
    ax: Axes, edges: np.ndarray, on_queue: np.ndarray, required: np.ndarray
) -> None:
    """Red between on-queue and required where short, blue where over."""
    both = np.isfinite(on_queue) & np.isfinite(required)
    for mask, colour, label in (
        (both & (on_queue < required), palette.SHORTFALL, "short (net < 0)"),
        (both & (on_queue > required), palette.SURPLUS, "over (net > 0)"),
    ):
        for k, (a, b) in enumerate(runs(mask)):
            ax.fill_between(
                edges[a : b + 1],
                np.append(on_queue[a:b], on_queue[b - 1]),
                np.append(required[a:b], required[b - 1]),
                step="post",
                color=colour,
                alpha=0.22,
                lw=0,
                label=label if k == 0 else None,
            )


def _shares_panel(
    ax: Axes, edges: np.ndarray, service_level: np.ndarray, occupancy: np.ndarray
) -> None:
    """Expected service level and occupancy in percent, on the same time axis."""
    if np.isfinite(service_level).any():
        ax.stairs(
            service_level * 100, edges, color=palette.SERVICE_LEVEL, lw=1.5,
            label="service level expected", baseline=None,
        )  # fmt: skip
    if np.isfinite(occupancy).any():
        ax.stairs(
            occupancy * 100, edges, color=palette.OCCUPANCY, lw=1.2, ls="-.",
            label="occupancy", baseline=None,
        )  # fmt: skip
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, ncols=2, frameon=False)
