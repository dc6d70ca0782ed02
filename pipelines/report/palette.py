"""The colours of every staffing chart, defined once for the report and the notebooks.

An analyst reads the HTML report and the notebooks side by side: "required" drawn black in one
and green in the other would make them compare the wrong lines. The report's charts
(:mod:`pipelines.report.charts`) and the notebooks' cells both take their colours from here.

Lines: required on-queue agents (the Erlang or target figure, before shrinkage) in black;
on-queue agents (available + productive busy, the figure judged against it) in blue; idle
available agents (spare capacity) in green; scheduled agents in purple, dashed. Net staffing
(on-queue - required) is red when short and blue when over, on the diverging ``NET_CMAP``
centred on 0 in every heatmap.
"""

from __future__ import annotations

from typing import Any

import matplotlib
from matplotlib.colors import Colormap

__all__ = [
    "FORECAST",
    "IDLE_AVAILABLE",
    "LOGGED_IN",
    "MISSING",
    "MISSING_EDGE",
    "NET_CMAP",
    "NOT_OBSERVED",
    "OCCUPANCY",
    "ON_QUEUE",
    "REQUIRED",
    "SCHEDULED",
    "SERVICE_LEVEL",
    "SHORTFALL",
    "STATUS_COLOURS",
    "SURPLUS",
    "TEXT_MUTED",
    "net_colormap",
]

REQUIRED = "#1f2328"  # required on-queue agents: the yardstick, black
ON_QUEUE = "#1f77b4"  # on-queue agents: available + productive busy
IDLE_AVAILABLE = "#2ca02c"  # idle available agents: spare capacity
SCHEDULED = "#8e44ad"  # scheduled agents (schedules file)
LOGGED_IN = "#9e9e9e"  # logged-in agents: every status but OFFLINE
SHORTFALL = "#c0392b"  # on-queue below required
SURPLUS = "#2166ac"  # on-queue above required
SERVICE_LEVEL = "#e67e22"  # expected service level of the requirement (share)
OCCUPANCY = "#7f8c8d"  # busy / staffed (share)
NOT_OBSERVED = "#eeeeee"  # background band of intervals without observed time
FORECAST = "#fff4d6"  # background band of intervals still ahead (forecast, not actual)
MISSING = "#d9d9d9"  # heatmap cells without a figure (hatched)
MISSING_EDGE = "#b0b0b0"  # the hatching over them
TEXT_MUTED = "#57606a"  # annotations (the page's muted text colour)

# Agent status colours (timelines, time-in-status charts).
STATUS_COLOURS: dict[str, str] = {
    "AVAILABLE": IDLE_AVAILABLE,
    "BUSY": ON_QUEUE,
    "AWAY": "#ef6c00",
    "OFFLINE": LOGGED_IN,
}

NET_CMAP = "RdBu"  # red short, white net 0, blue over: used with limits symmetric around 0


def net_colormap(**extremes: Any) -> Colormap:
    """The diverging map of net staffing; missing cells transparent unless told otherwise."""
    extremes.setdefault("bad", (0, 0, 0, 0))
    return matplotlib.colormaps[NET_CMAP].with_extremes(**extremes)
