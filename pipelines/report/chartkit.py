"""What every report chart shares: PNG data URIs, safe chart text and the local time axis.

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
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from pipelines.report.axis import Slot
from pipelines.report.formatting import truncate

__all__ = ["DPI", "WIDTH_IN", "apply_time_axis", "chart_text", "png_uri", "runs"]

DPI = 110
WIDTH_IN = 10.0


def chart_text(text: str, width: int = 40) -> str:
    """Scope names go into matplotlib text, where '$' would start mathtext: escape it."""
    return truncate(" ".join(text.split()), width).replace("$", r"\$")


def png_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    # No "Software" tag: it carries a URL, and nothing in the report should point anywhere.
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
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


def apply_time_axis(
    ax: Any, slots: Sequence[Slot], interval_minutes: int, tz: str, *, label: bool = True
) -> None:
    positions, labels = _ticks(slots, interval_minutes)
    ax.set_xticks(positions, labels)
    ax.set_xlim(0, max(len(slots), 1))
    if label:
        ax.set_xlabel(f"Local time ({tz})")


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges where ``mask`` is true."""
    found = []
    start = None
    for i, flag in enumerate(mask):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            found.append((start, i))
            start = None
    if start is not None:
        found.append((start, len(mask)))
    return found
