"""Which dates and offset ask Agent Status Details for one local day, and what window of
UTC the answer then covers (the choice is explained in :mod:`pipelines.kore.statusdetails`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["ASK_MODES", "DATE_FIELDS", "DayAsk", "inverted_offset", "plan_day"]

ASK_MODES = ("utc", "local_noon")
DATE_FIELDS = ("range", "date")


def inverted_offset(zone: ZoneInfo, at: datetime) -> int:
    """Kore's timeZoneOffSet at ``at``: minutes WEST of UTC (New York in winter 300)."""
    offset = at.astimezone(zone).utcoffset() or timedelta(0)
    return -round(offset.total_seconds() / 60)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


@dataclass(frozen=True)
class DayAsk:
    """How one local day is asked, and the UTC window the answer is taken to cover."""

    day: date
    time_zone: str
    ask: str
    date_field: str
    start_date: date
    end_date: date
    tz_offset: int  # minutes west of UTC, as sent
    window_start: datetime
    window_end: datetime
    day_start: datetime
    day_end: datetime

    @property
    def covers_day(self) -> bool:
        return self.window_start <= self.day_start and self.window_end >= self.day_end

    @property
    def fixed_zone(self) -> timezone:
        """The zone zone-less timestamps are read in: the offset asked, fixed."""
        return timezone(timedelta(minutes=-self.tz_offset))

    def assumptions(self) -> dict[str, Any]:
        return {
            "ask": self.ask,
            "date_field": self.date_field,
            "timeZoneOffSet": self.tz_offset,
            "offset_sign": "minutes west of UTC (documented inverted sign)",
            "zoneless_times_read_at_utc_offset_minutes": -self.tz_offset,
            "end_date": "inclusive",
            "iId": "header (the sample), not a path segment",
            "window": [self.window_start.isoformat(), self.window_end.isoformat()],
            "covers_day": self.covers_day,
            "paging": "offset counts data[] items (agents)",
            "gaps": "time with no status[] entry is stored as no span (Kore may leave "
            "logged-out time out): read it as not logged in",
        }


def plan_day(day: date, time_zone: str, ask: str = "utc", date_field: str = "range") -> DayAsk:
    """The request dates and offset for one local day (see the module docstring)."""
    if ask not in ASK_MODES or date_field not in DATE_FIELDS:
        raise ValueError(f"ask must be one of {ASK_MODES}, date_field one of {DATE_FIELDS}")
    if date_field == "date":
        ask = "local_noon"  # one UTC date never holds a local day that is not UTC's
    zone = ZoneInfo(time_zone)
    day_start = _local_midnight(day, zone)
    day_end = _local_midnight(day + timedelta(days=1), zone)
    if ask == "utc":
        offset = 0
        first, last = day_start.date(), (day_end - timedelta(microseconds=1)).date()
    else:
        offset = inverted_offset(zone, datetime.combine(day, time(12), zone))
        first = last = day
    fixed = timezone(timedelta(minutes=-offset))

    def window(a: date, b: date) -> tuple[datetime, datetime]:
        start = datetime.combine(a, time(0), fixed).astimezone(UTC)
        return start, datetime.combine(b + timedelta(days=1), time(0), fixed).astimezone(UTC)

    if date_field == "date":
        last = first  # one date is all the sample's field can name
    else:
        start, end = window(first, last)
        first -= timedelta(days=1) if start > day_start else timedelta(0)
        last += timedelta(days=1) if end < day_end else timedelta(0)
    start, end = window(first, last)
    return DayAsk(
        day, time_zone, ask, date_field, first, last, offset, start, end, day_start, day_end
    )
