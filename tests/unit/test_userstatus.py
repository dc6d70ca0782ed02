"""Historical Agent Status Summary: "919 sec" sums, errors that name field and row, the
documented /1.1 path and the sample's, and the comparison with exact spans."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from pipelines.kore import KoreSettings
from pipelines.kore.errors import KoreInvalidResponseError
from pipelines.kore.transport import KoreTransport
from pipelines.kore.userstatus import USERSTATUS, USERSTATUS_SAMPLE, compare, parse_summary_page

T0 = datetime(2022, 12, 12, 15, 30, tzinfo=UTC)


def body(sum_text: object = "919 sec") -> str:
    interval = {
        "startTime": "2022-12-12T15:30:00Z",
        "endTime": "2022-12-12T16:00:00Z",
        "status": [
            {"metric": "AgentStatus", "value": "Available", "stats": {"sum": sum_text}},
            {"metric": "AgentState", "value": "Available:Idle", "stats": {"sum": "565 sec"}},
        ],
    }
    return json.dumps({"hasMore": False, "data": [{"userId": "u-1", "timeInterval": [interval]}]})


def test_sums_are_read_in_seconds() -> None:
    page, _ = parse_summary_page(body())
    assert [(r.metric, r.value, r.seconds) for r in page.rows] == [
        ("AgentStatus", "Available", 919.0),
        ("AgentState", "Available:Idle", 565.0),
    ]
    assert page.rows[0].interval_start == T0


def test_a_bad_sum_names_field_and_row() -> None:
    with pytest.raises(
        KoreInvalidResponseError, match=r"user 'u-1'\)\.timeInterval\[0\]\.status\[0\]: 'stats.sum'"
    ):
        parse_summary_page(body("a while"))


def test_the_documented_path_has_1_1_and_the_samples_does_not() -> None:
    settings = KoreSettings(
        host="https://platform.kore.ai", bot_id="st-b", account_id="acc", client_id="cs-1",
        client_secret="secret-secret-secret-secret-0001",
    )  # fmt: skip
    assert KoreTransport(settings, USERSTATUS).path == (
        "/agentassist/api/public/analytics/1.1/account/acc/userstatus"
    )
    assert KoreTransport(settings, USERSTATUS_SAMPLE).path == (
        "/agentassist/api/public/analytics/account/acc/userstatus"
    )


def test_compare_finds_seconds_that_disagree() -> None:
    page, _ = parse_summary_page(body())
    span = ("u-1", "AVAILABLE", T0, T0 + timedelta(seconds=919))
    assert compare(page.rows, [span]) == []
    longer = ("u-1", "AVAILABLE", T0, T0 + timedelta(seconds=960))
    assert compare(page.rows, [longer]) == [("u-1", T0, "AVAILABLE", 919.0, 960.0)]
