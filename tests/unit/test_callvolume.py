"""Contact Volume parsing, the request body and the unit rule, on Kore's documented shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipelines.kore import KoreInvalidResponseError, parse_volume_page
from pipelines.kore.callvolume import iso_z, volume_request
from pipelines.kore.callvolume_units import (
    MILLISECONDS,
    SECONDS,
    choose_unit,
    unit_from_mean,
    volume_frame,
)

# The sample of ai-for-service/apis/contact-center/contact-volume.mdx (Koredotcom/docs-v2).
DOC_SAMPLE = {
    "hasMore": False,
    "CallVolumeUpdate": [
        {
            "_id": "647868bfc0cf4c7b7671xxxx",
            "intervalStartTimeStamp": "2023-06-01T09:45:00.000Z",
            "intervalEndTimeStamp": "2023-06-01T10:00:00.000Z",
            "queueId": "qu-xxxx",
            "queueName": "General Information",
            "offeredContacts": 10,
            "answeredContacts": 8,
            "abandonedContacts": 2,
            "skillBreakdown": [
                {
                    "skillId": "sk-xxxx-1",
                    "skillName": "Italian Market",
                    "skillGroupId": "sg-xxxx",
                    "skillGroupName": "Languages",
                    "offeredContacts": 6,
                    "answeredContacts": 5,
                    "abandonedContacts": 1,
                    "completedContacts": 5,
                    "conversationHandleTime": 190000,
                    "conversationTalkTime": 170000,
                    "acwDuration": 11000,
                    "holdDuration": 2000,
                    "queueHoldTimeAnswered": 30000,
                    "maxQueueHoldTimeAnswered": 8000,
                    "queueHoldTimeAbandoned": 15000,
                    "maxqueueHoldTimeAbandoned": 15000,
                    "csatResponses": 3,
                    "csatScore": 4,
                }
            ],
        }
    ],
    "totalCount": 1,
}


def test_the_documented_sample_parses_into_a_queue_row_and_a_skill_row() -> None:
    text = json.dumps(DOC_SAMPLE)
    page, stored = parse_volume_page(text)
    assert stored == text  # the body is stored whole: csat, skillGroup... survive there
    assert (page.has_more, page.total_count, page.updates) == (False, 1, 1)
    queue, skill = page.rows
    assert (queue.queue_id, queue.skill_id, queue.level) == ("qu-xxxx", "", "queue")
    assert queue.interval_start == datetime(2023, 6, 1, 9, 45, tzinfo=UTC)
    assert queue.counts == {"offered": 10, "answered": 8, "abandoned": 2, "completed": None}
    assert queue.times["handle"] is None  # not in the sample at queue level
    assert (skill.skill_id, skill.skill_name, skill.queue_name) == (
        "sk-xxxx-1",
        "Italian Market",
        "General Information",
    )
    assert skill.times["max_wait_abandoned"] == 15000  # Kore's lower-case q is read
    assert skill.times["handle"] == 190000


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"offeredContacts": -1}, ["CallVolumeUpdate[1]", "'offeredContacts'", "-1"]),
        ({"answeredContacts": 2.5}, ["CallVolumeUpdate[1]", "'answeredContacts'", "whole"]),
        ({"acwDuration": "lots"}, ["CallVolumeUpdate[1]", "'acwDuration'", "lots"]),
        ({"intervalStartTimeStamp": "yesterday"}, ["CallVolumeUpdate[1]", "ISO-8601"]),
        ({"queueId": None}, ["CallVolumeUpdate[1]", "'queueId' is missing"]),
    ],
)
def test_a_bad_row_refuses_the_page_naming_the_field_and_the_row(
    change: dict[str, object], words: list[str]
) -> None:
    good = DOC_SAMPLE["CallVolumeUpdate"][0]
    bad = {**good, **change}
    body = {**DOC_SAMPLE, "CallVolumeUpdate": [good, bad]}
    with pytest.raises(KoreInvalidResponseError) as caught:
        parse_volume_page(json.dumps(body))
    for word in words:
        assert word in str(caught.value)


def test_a_bad_skill_row_names_the_breakdown_entry() -> None:
    good = DOC_SAMPLE["CallVolumeUpdate"][0]
    skill = {**good["skillBreakdown"][0], "holdDuration": -5}
    body = {"hasMore": False, "CallVolumeUpdate": [{**good, "skillBreakdown": [skill]}]}
    with pytest.raises(KoreInvalidResponseError, match=r"skillBreakdown\[0\].*'holdDuration'"):
        parse_volume_page(json.dumps(body))


def test_a_body_that_is_not_a_volume_page_is_refused() -> None:
    with pytest.raises(KoreInvalidResponseError, match="CallVolumeUpdate"):
        parse_volume_page('{"results": []}')
    page, _ = parse_volume_page('{"hasMore": false, "totalCount": 0}')
    assert page.rows == ()


def test_the_request_sends_iso_z_times_and_omits_from_only_when_asked() -> None:
    to_ts = datetime(2023, 1, 8, 10, 0, tzinfo=UTC)
    first = volume_request("o-1", None, to_ts, 0, 50, True)
    assert first.body == {
        "orgId": "o-1",
        "toTimeStamp": "2023-01-08T10:00:00Z",
        "skip": 0,
        "limit": 50,
        "includeSkillBreakdown": True,
    }
    later = volume_request("o-1", datetime(2023, 1, 7, 9, 45, tzinfo=UTC), to_ts, 50, 50, False)
    assert later.body["fromTimeStamp"] == "2023-01-07T09:45:00Z"
    assert iso_z(datetime(2023, 1, 7, 9, 45, 30, 123, tzinfo=UTC)) == "2023-01-07T09:45:30Z"


@pytest.mark.parametrize(
    ("mean", "unit"),
    [
        (None, None),
        (300.0, SECONDS),  # 5 minutes a contact
        (2_000.0, SECONDS),  # 33 minutes, the longest read as seconds
        (2_000.5, None),  # ambiguous: 33 min as seconds or 2 s as milliseconds
        (19_999.0, None),
        (20_000.0, MILLISECONDS),  # 20 s a contact; 5.6 h if it were seconds
        (300_000.0, MILLISECONDS),
    ],
)
def test_the_unit_rule_and_its_ambiguous_zone(mean: float | None, unit: str | None) -> None:
    assert unit_from_mean(mean) == unit


def _rows(handle: float, answered: int = 4) -> list:
    sample = {**DOC_SAMPLE["CallVolumeUpdate"][0], "skillBreakdown": []}
    sample.update(answeredContacts=answered, conversationHandleTime=handle)
    page, _ = parse_volume_page(json.dumps({"CallVolumeUpdate": [sample]}))
    return list(page.rows)


def test_choose_unit_detects_falls_back_and_obeys_the_setting() -> None:
    assert choose_unit(_rows(4 * 250_000), "auto", SECONDS).unit == MILLISECONDS
    assert choose_unit(_rows(4 * 250), "auto", MILLISECONDS).basis == "detected"
    ambiguous = _rows(4 * 9_000)
    fallback = choose_unit(ambiguous, "auto", MILLISECONDS)
    assert (fallback.unit, fallback.basis) == (MILLISECONDS, "setting")
    carried = choose_unit(ambiguous, "auto", MILLISECONDS, previous=SECONDS)
    assert (carried.unit, carried.basis) == (SECONDS, "detected")
    night = choose_unit(_rows(0, answered=0), "auto", SECONDS, previous=MILLISECONDS)
    assert (night.unit, night.basis, night.mean_handle) == (MILLISECONDS, "detected", None)
    # One contact's odd second does not overrule a unit seen before on real evidence.
    odd = choose_unit(_rows(1_000, answered=1), "auto", SECONDS, previous=MILLISECONDS)
    assert (odd.unit, odd.basis) == (MILLISECONDS, "detected")
    assert choose_unit(_rows(1_000, answered=1), "auto", MILLISECONDS).unit == SECONDS
    forced = choose_unit(_rows(4 * 250_000), "seconds", MILLISECONDS)
    assert (forced.unit, forced.basis) == (SECONDS, "setting")


def test_the_frame_is_in_seconds_per_level_and_records_the_unit() -> None:
    page, _ = parse_volume_page(json.dumps(DOC_SAMPLE))
    units = {
        "queue": choose_unit([], "auto", SECONDS),
        "skill": choose_unit([page.rows[1]], "auto", SECONDS),
    }
    frame = volume_frame(page.rows, units, "acct", datetime(2026, 1, 1, tzinfo=UTC))
    skill = frame[frame["skill_id"] == "sk-xxxx-1"].iloc[0]
    assert skill["handle_seconds"] == 190.0  # 190,000 ms / 5 answered = 38 s each: detected
    assert (skill["time_unit"], skill["unit_basis"]) == (MILLISECONDS, "detected")
    queue = frame[frame["skill_id"] == ""].iloc[0]
    assert (queue["time_unit"], queue["unit_basis"]) == (SECONDS, "setting")
    assert queue["offered"] == 10
