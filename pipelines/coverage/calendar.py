"""Local days and intervals: the one place that turns a local calendar day into UTC instants.

Coverage is partitioned by LOCAL day in the reporting time zone and cut into intervals of
``interval_minutes``; the report, the synthetic history and the simulator cut time the same
way, so they take their days and intervals from here rather than each working them out again
(copies already disagreed once: the report counted a day's intervals rounding down, coverage
rounding up).

The rules, shared by every user:

* A local day is the UTC range [local midnight, next local midnight), each midnight resolved
  with ``fold=0``: where midnight is skipped that is the first instant of the day, where it
  repeats the first occurrence. Consecutive days therefore tile time with no gap or overlap.
  A DST day lasts 23 or 25 hours (23.5 or 24.5 on Lord Howe Island).
* Intervals step ``interval_minutes`` in UTC from the day's start; the count is rounded UP,
  so a day whose length is not a whole number of intervals ends with a short interval
  rather than losing its last minutes (Lord Howe's 24.5-hour day has 25 hourly intervals).
* A local wall-clock time that occurs twice (the repeated hour of a fall-back day) is told
  apart by its UTC offset.

Time zones may be given as IANA names or as ``ZoneInfo`` objects.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = [
    "INTERVAL_MINUTES_CHOICES",
    "Grid",
    "as_day",
    "day_bounds",
    "interval_count",
    "interval_labels",
    "local_date",
    "local_days",
    "utc_offset",
]

# Intervals that divide an hour evenly, so every interval starts on a local wall-clock
# boundary on both sides of a whole-hour DST shift.
INTERVAL_MINUTES_CHOICES = (5, 15, 30, 60)


class Grid(Protocol):
    """How a day is cut: any object with these two attributes (e.g. ``CoverageSettings``)."""

    @property
    def time_zone(self) -> str: ...

    @property
    def interval_minutes(self) -> int: ...


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def as_day(day: date | str) -> date:
    """A partition key as a date: keys arrive as dates or 'YYYY-MM-DD'.

    A datetime is refused because it would hide a time zone (which day is 23:30 UTC?).
    """
    if isinstance(day, datetime):
        raise TypeError(f"day must be a date, not a datetime: {day!r}")
    if isinstance(day, date):
        return day
    return date.fromisoformat(day)


def day_bounds(day: date | str, tz: str | ZoneInfo) -> tuple[datetime, datetime]:
    """UTC [start, end) of the local calendar day ``day`` in ``tz``.

    Local midnight is resolved with fold=0: where midnight is skipped this is the first
    instant of the day, where it repeats the first occurrence, so consecutive days tile time.
    """
    day = as_day(day)
    zone = _zone(tz)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def interval_count(day: date | str, grid: Grid) -> int:
    """Intervals in the day: 96 quarter hours, 92 on a spring-forward day, 100 on fall-back.

    Rounded up: a day that is not a whole number of intervals long keeps its last, short one.
    """
    start, end = day_bounds(day, grid.time_zone)
    step = timedelta(minutes=grid.interval_minutes)
    return math.ceil((end - start) / step)


def local_date(at: datetime, tz: str | ZoneInfo) -> date:
    """The local calendar day in ``tz`` that the instant ``at`` falls in (naive = UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(_zone(tz)).date()


def local_days(
    start: datetime, end: datetime, tz: str | ZoneInfo
) -> list[tuple[date, datetime, datetime]]:
    """[start, end) cut at local midnights of ``tz``: (local date, chunk start, chunk end).

    Each chunk is exactly the part of one local day (:func:`day_bounds`) that lies in the
    range, so work done per chunk lines up with the coverage partitions. Empty if end <= start.
    """
    chunks: list[tuple[date, datetime, datetime]] = []
    if end <= start:
        return chunks
    day = local_date(start, tz)
    while True:
        lo, hi = day_bounds(day, tz)
        lo, hi = max(lo, start), min(hi, end)
        if lo < hi:
            chunks.append((day, lo, hi))
        if hi >= end:
            return chunks
        day += timedelta(days=1)


def utc_offset(local: datetime, start: datetime) -> str:
    """'UTC+05:30': how far the naive wall clock ``local`` is ahead of the UTC instant ``start``."""
    utc_wall = start.astimezone(UTC).replace(tzinfo=None) if start.tzinfo else start
    minutes = round((local.replace(tzinfo=None) - utc_wall).total_seconds() / 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def interval_labels(cells: Sequence[tuple[datetime, datetime]]) -> list[str]:
    """Labels for intervals given as (UTC start, naive local start), in the same order.

    A label is the local start 'HH:MM'; a wall-clock time that occurs more than once among
    the cells (the repeated hour of a fall-back day) gets its UTC offset too, e.g.
    '01:00 (UTC-04:00)' and '01:00 (UTC-05:00)', so no two intervals share a label.
    """
    clocks = [local.strftime("%H:%M") for _, local in cells]
    repeats = Counter(clocks)
    return [
        clock if repeats[clock] == 1 else f"{clock} ({utc_offset(local, start)})"
        for clock, (start, local) in zip(clocks, cells, strict=True)
    ]
