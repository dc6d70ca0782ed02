"""Agent Status Details v3: the parser's errors name field and row, durations, the inverted
offset, the day plan on normal and DST days, the request's shape."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from pipelines.kore.errors import KoreInvalidResponseError
from pipelines.kore.statusdetails import (
    inverted_offset,
    parse_duration,
    parse_status_page,
    plan_day,
    spans_of,
    status_request,
)

NY = ZoneInfo("America/New_York")


def page(*status: dict, **agent: object) -> str:
    item = {"aId": "a-1", "userId": "u-1", "email": "x@example.com", "status": list(status)}
    item.update(agent)
    return json.dumps({"hasMore": False, "limit": 50, "offset": 0, "data": [item]})


def entry(**fields: object) -> dict:
    base = {
        "primaryStatus": "AVAILABLE",
        "secondaryStatus": "AVAILABLE",
        "startTime": "2026-06-10T14:31:58",
        "endTime": "2026-06-10T15:39:46",
        "duration": "01:07:48",
    }
    base.update(fields)
    return base


def test_the_offset_sign_is_inverted() -> None:
    assert inverted_offset(ZoneInfo("Asia/Kolkata"), datetime(2026, 6, 1, tzinfo=UTC)) == -330
    assert inverted_offset(NY, datetime(2026, 1, 15, tzinfo=UTC)) == 300
    assert inverted_offset(NY, datetime(2026, 7, 15, tzinfo=UTC)) == 240


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("01:07:48", 4068.0), ("00:00:00", 0.0), ("25:00:01", 90001.0), (None, None), (61, 61.0)],
)
def test_durations(text: object, seconds: float | None) -> None:
    assert parse_duration(text, "here") == seconds


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"startTime": "soon"}, "'startTime'"),
        ({"startTime": None}, "'startTime' is missing"),
        ({"duration": "1h"}, "'duration'"),
        ({"primaryStatus": "Lunch"}, "'primaryStatus'"),
        ({"endTime": "2026-06-10T14:00:00"}, "'endTime' is before"),
        ({"endTime": "2026-06-10T15:00:00Z"}, "has a zone"),
    ],
)
def test_a_bad_status_row_names_field_and_row(fields: dict, named: str) -> None:
    with pytest.raises(KoreInvalidResponseError) as caught:
        parse_status_page(page(entry(), entry(**fields)))
    assert "data[0] (agent 'a-1').status[1]" in str(caught.value) and named in str(caught.value)


def test_an_agent_without_its_id_is_refused() -> None:
    with pytest.raises(KoreInvalidResponseError, match=r"data\[0\]: 'aId' is missing"):
        parse_status_page(page(entry(), aId=""))


def test_buckets_are_mapped_whatever_the_case() -> None:
    parsed, _ = parse_status_page(page(entry(primaryStatus="Away", secondaryStatus="Break")))
    [item] = parsed.agents[0].entries
    assert (item.bucket, item.secondary, item.stated_s) == ("AWAY", "Break", 4068.0)


def test_zone_less_times_are_read_at_the_offset_asked() -> None:
    ask = plan_day(date(2026, 6, 10), "America/New_York", "local_noon")
    parsed, _ = parse_status_page(page(entry()))
    [span], counts = spans_of(parsed, ask)
    assert span["span_start"] == datetime(2026, 6, 10, 18, 31, 58, tzinfo=UTC)  # 14:31 EDT
    assert counts == {"zoned": 0, "open_ends": 0, "disagreements": 0, "outside": 0}
    zoned = entry(startTime="2026-06-10T14:31:58Z", endTime="2026-06-10T15:39:46Z")
    [span], counts = spans_of(parse_status_page(page(zoned))[0], ask)
    assert span["span_start"] == datetime(2026, 6, 10, 14, 31, 58, tzinfo=UTC)
    assert counts["zoned"] == 1


def test_the_day_plan_covers_both_dst_days() -> None:
    for day in (date(2026, 3, 8), date(2026, 11, 1), date(2026, 6, 10)):
        for ask in ("utc", "local_noon"):
            plan = plan_day(day, "America/New_York", ask)
            assert plan.covers_day, (day, ask)
    autumn = plan_day(date(2026, 11, 1), "America/New_York", "local_noon")
    assert (autumn.start_date, autumn.end_date, autumn.tz_offset) == (
        date(2026, 10, 31),
        date(2026, 11, 1),
        300,
    )
    assert not plan_day(date(2026, 11, 1), "America/New_York", date_field="date").covers_day


def test_the_request_puts_paging_in_the_query_and_dates_in_the_filter() -> None:
    request = status_request(plan_day(date(2026, 6, 10), "America/New_York"), 100, 50)
    assert request.params == {"limit": "50", "offset": "100"}
    assert request.body == {
        "filter": {
            "dateFilter": {"startDate": "2026-06-10", "endDate": "2026-06-11", "timeZoneOffSet": 0}
        }
    }
    with pytest.raises(ValueError):
        status_request(plan_day(date(2026, 6, 10), "UTC"), 0, 51)
