"""The day's intervals as the report shows them: the x axis shared by every chart and table.

The x axis of every chart is the interval's position in the day, labelled with local times:
on a fall-back day the repeated hour appears twice, so local times cannot serve as
coordinates. The number of intervals a full day should have comes from the coverage grid
itself (:func:`pipelines.coverage.interval_count`), so the report's "expected" count can never
disagree with what the coverage job builds (a 24.5-hour Lord Howe day has 25 hourly cells).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from pipelines.coverage import CoverageSettings, interval_count
from pipelines.report.data import Point
from pipelines.report.formatting import NULL_MARK

__all__ = ["Slot", "build_axis", "expected_intervals", "local_label"]


@dataclass(frozen=True)
class Slot:
    """One interval on the shared x axis of all charts."""

    start: datetime  # UTC
    local: datetime  # naive local wall time
    tick: str  # short label; a repeated local time gets a trailing '*'
    label: str  # unambiguous label: adds the UTC offset when the local time occurs twice


def expected_intervals(day: date, time_zone: str, interval_minutes: int) -> int:
    """Intervals in the local day as the coverage grid cuts it: 96 at 15 minutes, 92 or 100
    on DST change days, and a last, shorter cell when the day is not a whole number of them."""
    settings = CoverageSettings(time_zone=time_zone, interval_minutes=interval_minutes)
    return interval_count(day, settings)


def build_axis(points: Iterable[Point], zone: ZoneInfo) -> list[Slot]:
    """All intervals of the day in UTC order, labelled with the pipeline's local start times."""
    local_by_start: dict[datetime, datetime | None] = {}
    for p in points:
        if local_by_start.get(p.interval_start) is None:
            local_by_start[p.interval_start] = p.local_start
    starts = sorted(local_by_start)
    locals_ = [local_by_start[s] or s.astimezone(zone).replace(tzinfo=None, fold=0) for s in starts]
    counts = Counter(local.strftime("%H:%M") for local in locals_)
    seen: Counter[str] = Counter()
    slots = []
    for start, local in zip(starts, locals_, strict=True):
        hm = local.strftime("%H:%M")
        seen[hm] += 1
        slots.append(
            Slot(
                start=start,
                local=local,
                tick=hm if seen[hm] == 1 else hm + "*",
                label=hm if counts[hm] == 1 else f"{hm} ({_utc_offset(local, start)})",
            )
        )
    return slots


def local_label(
    start: Any, local: Any, slots_by_start: dict[datetime, Slot], zone: ZoneInfo
) -> str:
    """Label of the worst interval: the axis label when known, else converted here."""
    if start is None or pd.isna(start):
        return NULL_MARK
    start_utc = pd.Timestamp(start).to_pydatetime().astimezone(UTC)
    slot = slots_by_start.get(start_utc)
    if slot is not None:
        return slot.label
    if local is not None and not pd.isna(local):
        return pd.Timestamp(local).to_pydatetime().strftime("%H:%M")
    return start_utc.astimezone(zone).strftime("%H:%M")


def _utc_offset(local: datetime, start_utc: datetime) -> str:
    minutes = round((local - start_utc.replace(tzinfo=None)).total_seconds() / 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"
