"""The simulator as a small contact centre: routing, conservation, and the callvolume route.

The model is checked against its own contact log (who answered what, when), and the route
against Kore's documented contract on the real server on 127.0.0.1 with PyJWT-minted tokens.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from pipelines.coverage import day_bounds
from pipelines.simulator import Simulator, SimulatorConfig, SimulatorServer

Factory = Callable[..., SimulatorServer]
CLIENT = httpx.Client(timeout=30)
ZONE = "America/New_York"
DAY = date(2026, 5, 5)  # a Tuesday
DAY_START, DAY_END = day_bounds(DAY, ZONE)
# 17:07 in New York: the day's peaks are over, the evening shift is on.
NOW = datetime(2026, 5, 5, 21, 7, 30, tzinfo=UTC)
HANDLING = ("On Call", "On Chat")


def fixed(at: datetime) -> Callable[[], datetime]:
    return lambda: at


def sim(**overrides: Any) -> Simulator:
    return Simulator(SimulatorConfig(**overrides), clock=fixed(NOW))


def callvolume(
    server: SimulatorServer,
    body: Any,
    *,
    iid: str | None = "",
    account: str | None = None,
) -> httpx.Response:
    """One callvolume request; ``iid`` defaults to the right stream ID, None omits it."""
    config = server.config
    headers = {
        "auth": jwt.encode({"appId": config.client_id}, config.client_secret, algorithm="HS256")
    }
    if iid is not None:
        headers["iId"] = iid or config.bot_id
    path = f"/agentassist/api/public/analytics/account/{account or config.account_id}/callvolume"
    return CLIENT.post(server.base_url + path, json=body, headers=headers)


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "orgId": SimulatorConfig().org_id,
        "fromTimeStamp": DAY_START.isoformat(),
        "toTimeStamp": NOW.isoformat(),
        **overrides,
    }


# ---- the model ------------------------------------------------------------------------------


def test_every_row_conserves_contacts_and_the_skill_breakdown_covers_the_queue() -> None:
    model = sim()
    for as_served in (True, False):
        rows = model.contact_volume(DAY_START, DAY_END, True, as_served=as_served)
        ended = (NOW - DAY_START) // timedelta(minutes=15)
        assert len(rows) == ended * len(model.catalogue.queues)
        assert sum(r["offeredContacts"] for r in rows) > 1000
        for row in rows:
            assert row["offeredContacts"] == row["answeredContacts"] + row["abandonedContacts"]
            assert row["completedContacts"] <= row["answeredContacts"]
            skills = model.catalogue.queues[row["queueId"]][1]
            assert [s["skillId"] for s in row["skillBreakdown"]] == list(skills)
            for metric in ("offeredContacts", "answeredContacts", "abandonedContacts"):
                total = sum(s[metric] for s in row["skillBreakdown"])
                assert total >= row[metric]
                assert total == row[metric] * len(skills)  # every skill of the queue counts it
        keys = [(r["intervalStartTimeStamp"], r["queueId"]) for r in rows]
        order = {q: k for k, q in enumerate(model.catalogue.queues)}
        assert keys == sorted(keys, key=lambda k: (k[0], order[k[1]]))
    # The truth counts the same contacts as the log.
    log = model.contacts(DAY_START, NOW - timedelta(minutes=7, seconds=30))
    truth = model.contact_volume(DAY_START, DAY_END, as_served=False)
    assert sum(r["offeredContacts"] for r in truth) == len(log)
    assert sum(r["abandonedContacts"] for r in truth) == sum(c["agentId"] is None for c in log)


def test_contacts_go_only_to_available_agents_with_a_skill_of_the_queue() -> None:
    model = sim(membership_changes_per_day=40)
    log = model.contacts(DAY_START, DAY_END)
    answered = [c for c in log if c["agentId"]]
    assert len(answered) > 0.8 * len(log)
    for c in answered:
        at = datetime.fromisoformat(c["answeredAt"])
        skills, _ = model.membership_at(at)[c["agentId"]]
        assert set(skills) & set(model.catalogue.queues[c["queueId"]][1]), c
        assert model.status_at(c["agentId"], at)[1] in HANDLING
        assert c["waitSeconds"] == (at - datetime.fromisoformat(c["arrival"])).total_seconds()
    abandoned = [c for c in log if c["agentId"] is None]
    assert abandoned
    for c in abandoned:
        assert c["waitSeconds"] <= c["patienceSeconds"]


def test_waiting_contacts_of_a_queue_are_answered_first_come_first_served() -> None:
    model = sim(contact_load=1.6)
    log = model.contacts(DAY_START, DAY_END)
    waited = [c for c in log if c["queueId"] == "qu-billing" and c["agentId"] and c["waitSeconds"]]
    assert len(waited) > 50
    answered_at = [c["answeredAt"] for c in sorted(waited, key=lambda c: c["arrival"])]
    assert answered_at == sorted(answered_at)


def test_a_contact_answered_on_arrival_goes_to_the_agent_idle_longest() -> None:
    model = sim()
    result = model.day(DAY)
    queue_skills = {q: set(skills) for q, (_, skills) in model.catalogue.queues.items()}

    def idle_since(index: int, at: int, still: bool) -> int | None:
        """Start of the agent's AVAILABLE segment covering ``at`` (``still``) or ending there."""
        k = bisect.bisect_right(result.starts[index], at) - 1
        segments = result.segments[index]
        if still:
            s, _, bucket, _ = segments[k]
            return s if bucket == "AVAILABLE" else None
        if k >= 1 and segments[k - 1][1] == at and segments[k - 1][2] == "AVAILABLE":
            return segments[k - 1][0]
        return at

    checked = 0
    for c in result.contacts:
        if c.answered != c.arrival or checked >= 300:
            continue
        checked += 1
        chosen = (idle_since(c.agent, c.arrival, still=False), c.agent)
        for agent in model.roster:
            if agent.index == c.agent or not queue_skills[c.queue_id] & set(agent.skills):
                continue
            since = idle_since(agent.index, c.arrival, still=True)
            if since is not None:
                assert (since, agent.index) > chosen, (c.contact_id, agent.agent_id)
    assert checked == 300


def test_busy_on_contacts_is_exactly_the_handled_contacts() -> None:
    model = sim()
    result = model.day(DAY)
    handled: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for c in result.contacts:
        if c.answered is not None:
            handled[c.agent].append((c.answered, c.ended))
    for index, segments in enumerate(result.segments):
        busy = [(s, e) for s, e, bucket, detail in segments if detail in HANDLING]
        assert all(bucket == "BUSY" for _, _, bucket, d in segments if d in HANDLING)
        assert busy == sorted(handled[index]), model.roster[index].agent_id
    assert sum(len(v) for v in handled.values()) > 1000


def test_a_day_is_the_same_in_every_simulator_and_changes_with_the_seed() -> None:
    first, again, other = sim(), sim(), sim(seed=8)
    assert first.contacts(DAY_START, DAY_END) == again.contacts(DAY_START, DAY_END)
    assert first.contact_volume(DAY_START, DAY_END) == again.contact_volume(DAY_START, DAY_END)
    assert first.timeline(DAY_START, DAY_END) == again.timeline(DAY_START, DAY_END)
    assert first.contacts(DAY_START, DAY_END) != other.contacts(DAY_START, DAY_END)


def test_offered_contacts_follow_the_true_arrival_rate() -> None:
    model = sim()
    rows = model.contact_volume(DAY_START, DAY_END, as_served=False)
    for queue_id in model.catalogue.queues:
        mine = [r for r in rows if r["queueId"] == queue_id]
        expected = sum(
            model.arrival_rate(queue_id, datetime.fromisoformat(r["intervalStartTimeStamp"])) / 4
            for r in mine
        )
        offered = sum(r["offeredContacts"] for r in mine)
        assert abs(offered - expected) < 5 * expected**0.5, (queue_id, offered, expected)
    morning = datetime(2026, 5, 5, 14, 30, tzinfo=UTC)  # 10:30 local
    night = datetime(2026, 5, 5, 7, 30, tzinfo=UTC)  # 03:30 local
    assert model.arrival_rate("qu-support", morning) > 10 * model.arrival_rate("qu-support", night)
    with pytest.raises(KeyError):
        model.arrival_rate("qu-nope", morning)


# ---- the callvolume route -------------------------------------------------------------------


def test_callvolume_pages_with_skip_limit_has_more_and_total_count(
    simulator_factory: Factory,
) -> None:
    server = simulator_factory(clock=fixed(NOW), rate_limit_per_minute=None)
    truth = server.simulator.contact_volume(DAY_START, NOW, True)
    got: list[dict[str, Any]] = []
    skip = 0
    while True:
        answer = callvolume(server, body(skip=skip, limit=70, includeSkillBreakdown=True))
        assert answer.status_code == 200, answer.text
        data = answer.json()
        assert set(data) == {"hasMore", "totalCount", "CallVolumeUpdate"}
        assert data["totalCount"] == len(truth)
        got += data["CallVolumeUpdate"]
        skip += 70
        assert data["hasMore"] == (skip < len(truth))
        if not data["hasMore"]:
            break
    assert got == truth
    row = got[40]
    assert set(row) >= {
        "_id", "intervalStartTimeStamp", "intervalEndTimeStamp", "orgId", "queueId",
        "queueName", "source", "offeredContacts", "answeredContacts", "abandonedContacts",
        "completedContacts", "conversationHandleTime", "conversationTalkTime", "acwDuration",
        "holdDuration", "queueHoldTimeAnswered", "maxQueueHoldTimeAnswered",
        "queueHoldTimeAbandoned", "maxqueueHoldTimeAbandoned", "csatResponses", "csatScore",
        "skillBreakdown",
    }  # fmt: skip
    assert row["source"] == "rtm" and row["orgId"] == server.config.org_id
    assert row["intervalStartTimeStamp"].endswith(":00.000Z")
    assert set(row["skillBreakdown"][0]) >= {"skillId", "skillName", "skillGroupId"}
    # Default and maximum page: 100 rows; no breakdown unless asked.
    data = callvolume(server, body(limit=5000)).json()
    assert len(data["CallVolumeUpdate"]) == 100 and data["hasMore"]
    assert "skillBreakdown" not in data["CallVolumeUpdate"][0]
    assert callvolume(server, body(skip=len(truth))).json() == {
        "hasMore": False,
        "totalCount": len(truth),
        "CallVolumeUpdate": [],
    }


def test_callvolume_without_from_starts_at_the_first_available_record(
    simulator_factory: Factory,
) -> None:
    server = simulator_factory(clock=fixed(NOW), callvolume_history_days=2, agents=40)
    answer = callvolume(server, {"orgId": server.config.org_id, "toTimeStamp": "2026-05-30"})
    data = answer.json()
    assert data["totalCount"] == 2 * 96 * 4  # two days of ended intervals, four queues
    assert data["CallVolumeUpdate"][0]["intervalStartTimeStamp"] == "2026-05-03T21:00:00.000Z"


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"orgId": SimulatorConfig().org_id}, 400, "toTimeStamp is required"),
        ({"orgId": SimulatorConfig().org_id, "toTimeStamp": "soon"}, 400, "toTimeStamp is not"),
        ({"toTimeStamp": "2026-05-05T12:00:00Z"}, 400, "orgId is required"),
        ({"orgId": "o-other", "toTimeStamp": "2026-05-05T12:00:00Z"}, 404, "Organization"),
        (body(skip=-1), 400, "skip"),
        (body(limit=0), 400, "limit"),
        (body(limit="ten"), 400, "limit"),
        (body(includeSkillBreakdown="yes"), 400, "includeSkillBreakdown"),
        ([], 400, "JSON object"),
    ],
)
def test_callvolume_refuses_bodies_kore_refuses(
    simulator_factory: Factory, payload: Any, status: int, message: str
) -> None:
    server = simulator_factory(clock=fixed(NOW), agents=20)
    answer = callvolume(server, payload)
    assert answer.status_code == status
    assert message in answer.json()["errors"][0]["msg"]


def test_callvolume_checks_the_stream_the_account_the_scope_and_the_rate_limit(
    simulator_factory: Factory,
) -> None:
    server = simulator_factory(clock=fixed(NOW), agents=20, rate_limit_per_minute=3)
    assert callvolume(server, body(), iid=None).status_code == 400
    assert callvolume(server, body(), iid="st-someone-else").status_code == 401
    assert callvolume(server, body(), account="other-account").status_code == 401
    assert callvolume(server, body()).status_code == 200
    assert CLIENT.post(  # the availability route spends the same budget
        f"{server.base_url}/agentassist/api/v1/public/{server.config.bot_id}/agents/availability",
        json={},
        headers={
            "auth": jwt.encode(
                {"appId": server.config.client_id}, server.config.client_secret, "HS256"
            ),
            "accountId": server.config.account_id,
        },
    ).is_success
    assert callvolume(server, body()).status_code == 200
    answer = callvolume(server, body())
    assert answer.status_code == 429
    assert server.requests_by_route()["callvolume"][429] == 1
    scoped = simulator_factory(clock=fixed(NOW), agents=20, missing_api_scopes=("wfm_integration",))
    answer = callvolume(scoped, body())
    assert answer.status_code == 403
    assert "WFM Integration" in answer.json()["errors"][0]["msg"]
    faulty = simulator_factory(
        clock=fixed(NOW),
        agents=20,
        faults={"scopes": {"route:callvolume": {"error_rates": {503: 1}}}},
    )
    assert callvolume(faulty, body()).status_code == 503
    big = {**body(), "padding": "x" * (1 << 21)}
    assert callvolume(server, big).status_code == 413


def test_callvolume_times_in_milliseconds_or_seconds(simulator_factory: Factory) -> None:
    millis = simulator_factory(clock=fixed(NOW), rate_limit_per_minute=None)
    seconds = simulator_factory(
        clock=fixed(NOW), rate_limit_per_minute=None, callvolume_time_unit="seconds"
    )
    a = callvolume(millis, body(includeSkillBreakdown=True)).json()["CallVolumeUpdate"]
    b = callvolume(seconds, body(includeSkillBreakdown=True)).json()["CallVolumeUpdate"]
    busy = [k for k, row in enumerate(b) if row["conversationHandleTime"] > 0]
    assert busy
    times = ("conversationHandleTime", "acwDuration", "queueHoldTimeAnswered")
    for k in busy:
        for name in times:
            assert a[k][name] == 1000 * b[k][name]
            assert a[k]["skillBreakdown"][0][name] == 1000 * b[k]["skillBreakdown"][0][name]
        assert a[k]["offeredContacts"] == b[k]["offeredContacts"]
        assert b[k]["conversationHandleTime"] / b[k]["completedContacts"] < 3600


def test_callvolume_restates_the_last_intervals_when_fetched_again_later(
    simulator_factory: Factory,
) -> None:
    clock = {"now": NOW}
    server = simulator_factory(
        clock=lambda: clock["now"], rate_limit_per_minute=None, callvolume_restate_last=3
    )
    recently = body(fromTimeStamp=(NOW - timedelta(hours=3)).isoformat())
    first = callvolume(server, recently).json()["CallVolumeUpdate"]
    assert len(first) == 11 * 4  # 18:15 to 20:45 started and ended
    clock["now"] = NOW + timedelta(hours=2)
    later = {
        (r["intervalStartTimeStamp"], r["queueId"]): r
        for r in callvolume(server, recently).json()["CallVolumeUpdate"]
    }
    changed = [r for r in first if r != later[(r["intervalStartTimeStamp"], r["queueId"])]]
    assert changed
    recent = {r["intervalStartTimeStamp"] for r in first[-4 * 4 :]}
    assert {r["intervalStartTimeStamp"] for r in changed} <= recent
    for row in changed:
        again = later[(row["intervalStartTimeStamp"], row["queueId"])]
        assert again["offeredContacts"] >= row["offeredContacts"]
        assert again["offeredContacts"] == again["answeredContacts"] + again["abandonedContacts"]
    final = server.simulator.contact_volume(NOW - timedelta(hours=3), NOW, as_served=False)
    assert [later[(r["intervalStartTimeStamp"], r["queueId"])] for r in final] == final


def test_debug_truth_serves_the_contact_log_volume_and_rates(simulator_factory: Factory) -> None:
    server = simulator_factory(clock=fixed(NOW), agents=60)
    start, end = NOW - timedelta(hours=2), NOW
    params = {"start": start.isoformat(), "end": end.isoformat()}
    log = CLIENT.get(server.base_url + "/debug/truth/contacts", params=params).json()
    assert log["contacts"] == server.simulator.contacts(start, end)
    volume = CLIENT.get(
        server.base_url + "/debug/truth/volume", params={**params, "includeSkills": "true"}
    ).json()
    assert volume["CallVolumeUpdate"] == server.simulator.contact_volume(
        start, end, True, as_served=False
    )
    rate = CLIENT.get(
        server.base_url + "/debug/truth/arrival-rate",
        params={"queueId": "qu-sales", "at": start.isoformat()},
    ).json()
    assert rate["perHour"] == server.simulator.arrival_rate("qu-sales", start) > 0
    bad = CLIENT.get(server.base_url + "/debug/truth/arrival-rate", params={"at": "x"})
    assert bad.status_code == 400
