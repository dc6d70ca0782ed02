"""Local days and intervals (pipelines/coverage/calendar.py), worked out by hand per zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from pipelines.coverage import CoverageSettings
from pipelines.coverage.calendar import (
    as_day,
    day_bounds,
    interval_count,
    interval_labels,
    local_date,
    local_days,
    utc_offset,
)

NY = "America/New_York"
LORD_HOWE = "Australia/Lord_Howe"  # a 30-minute DST shift: days of 23.5 and 24.5 hours


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_as_day_takes_dates_and_iso_text_but_not_datetimes() -> None:
    assert as_day("2026-11-01") == as_day(date(2026, 11, 1)) == date(2026, 11, 1)
    with pytest.raises(TypeError, match="datetime"):
        as_day(datetime(2026, 11, 1, tzinfo=UTC))  # type: ignore[arg-type]


def test_day_bounds_take_a_zone_name_or_object() -> None:
    assert day_bounds(date(2026, 11, 1), ZoneInfo(NY)) == day_bounds("2026-11-01", NY)
    assert day_bounds("2026-11-01", NY) == (utc("2026-11-01 04:00"), utc("2026-11-02 05:00"))


@pytest.mark.parametrize(
    ("day", "minutes", "expected"),
    [
        (date(2026, 4, 4), 60, 24),
        (date(2026, 4, 5), 60, 25),  # 24.5 hours: the last, half-hour interval is kept
        (date(2026, 10, 4), 60, 24),  # 23.5 hours
        (date(2026, 4, 5), 30, 49),
        (date(2026, 10, 4), 15, 94),
    ],
)
def test_interval_count_rounds_up_on_half_hour_dst_days(
    day: date, minutes: int, expected: int
) -> None:
    assert interval_count(day, CoverageSettings(LORD_HOWE, minutes)) == expected


def test_local_date_of_an_instant() -> None:
    assert local_date(utc("2026-11-02 04:59"), NY) == date(2026, 11, 1)
    assert local_date(utc("2026-11-02 05:00"), NY) == date(2026, 11, 2)
    assert local_date(datetime(2026, 11, 2, 4, 59), NY) == date(2026, 11, 1)  # naive is UTC
    assert local_date(utc("2026-01-04 18:30"), ZoneInfo("Asia/Kolkata")) == date(2026, 1, 5)


def test_local_days_cut_a_range_at_local_midnights() -> None:
    """Noon Oct 31 to noon Nov 2 in New York, across the fall-back day (25 hours)."""
    start, end = utc("2026-10-31 16:00"), utc("2026-11-02 17:00")
    assert local_days(start, end, NY) == [
        (date(2026, 10, 31), start, utc("2026-11-01 04:00")),
        (date(2026, 11, 1), utc("2026-11-01 04:00"), utc("2026-11-02 05:00")),
        (date(2026, 11, 2), utc("2026-11-02 05:00"), end),
    ]


def test_local_days_edges() -> None:
    midnight = utc("2026-11-02 05:00")  # local midnight starting Nov 2
    assert local_days(midnight, midnight, NY) == []
    assert local_days(utc("2026-11-02 06:00"), utc("2026-11-02 05:00"), NY) == []
    assert local_days(utc("2026-11-01 04:00"), midnight, NY) == [
        (date(2026, 11, 1), utc("2026-11-01 04:00"), midnight)
    ]
    # A range ending at a local midnight gives no empty chunk for the next day.
    assert [day for day, _, _ in local_days(utc("2026-11-01 12:00"), midnight, NY)] == [
        date(2026, 11, 1)
    ]


def test_local_days_tile_the_range_as_day_bounds_do() -> None:
    start, end = utc("2026-03-06 10:00"), utc("2026-03-10 10:00")  # spring forward Mar 8
    chunks = local_days(start, end, NY)
    assert chunks[0][1] == start and chunks[-1][2] == end
    for (_, _, previous_end), (_, next_start, _) in zip(chunks, chunks[1:], strict=False):
        assert previous_end == next_start
    for day, lo, hi in chunks[1:-1]:
        assert (lo, hi) == day_bounds(day, NY)


def test_utc_offset() -> None:
    assert utc_offset(datetime(2026, 1, 5, 0, 0), utc("2026-01-04 18:30")) == "UTC+05:30"
    assert utc_offset(datetime(2026, 11, 1, 1, 0), utc("2026-11-01 06:00")) == "UTC-05:00"
    assert utc_offset(datetime(2026, 1, 5, 9, 0), utc("2026-01-05 09:00")) == "UTC+00:00"


def test_interval_labels_tell_the_repeated_hour_apart() -> None:
    zone = ZoneInfo(NY)
    starts = [utc(f"2026-11-01 {clock}") for clock in ("04:45", "05:00", "06:00", "07:00")]
    cells = [(start, start.astimezone(zone).replace(tzinfo=None)) for start in starts]
    assert interval_labels(cells) == [
        "00:45",
        "01:00 (UTC-04:00)",
        "01:00 (UTC-05:00)",
        "02:00",
    ]
    assert interval_labels([]) == []
