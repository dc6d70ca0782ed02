"""The simulator's agent-status history routes on 127.0.0.1: Agent Status Details v3 and
Historical Agent Status Summary, against the documented contract and the model's truth.

Paging over agents, Kore's inverted fixed offset (New York 300 on both 2026 DST days), the
sample's ``dateFilter.date``, ``filter.agents``, spans equal to ``Simulator.timeline`` to the
second, summary sums equal to the spans, and the refusals. The model clock is fixed; nothing
depends on the machine's speed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import jwt
import pytest

from pipelines.simulator import SimulatorServer
from pipelines.simulator.status_details import HANDLING, primary_status, secondary_status

Factory = Callable[..., SimulatorServer]
CLIENT = httpx.Client(timeout=60)
NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)  # after both 2026 DST days in New York
NEW_YORK = ZoneInfo("America/New_York")
DETAILS = "/agentassist/api/public/analytics/account/{account}/v3/agentstatusdetails"
SUMMARY = "/agentassist/api/public/analytics/1.1/account/{account}/userstatus"
SUMMARY_SAMPLE = "/agentassist/api/public/analytics/account/{account}/userstatus"  # no /1.1


def start(factory: Factory, **config: Any) -> SimulatorServer:
    config.setdefault("rate_limit_per_minute", None)
    config.setdefault("agents", 60)
    return factory(clock=lambda: NOW, **config)


def post(
    server: SimulatorServer,
    path: str,
    body: Any,
    query: str = "",
    *,
    iid: bool = True,
) -> httpx.Response:
    config = server.config
    headers = {
        "auth": jwt.encode({"appId": config.client_id}, config.client_secret, algorithm="HS256")
    }
    if iid:
        headers["iId"] = config.bot_id
    url = server.base_url + path.format(account=config.account_id) + (f"?{query}" if query else "")
    if isinstance(body, bytes):
        return CLIENT.post(url, content=body, headers=headers)
    return CLIENT.post(url, json=body, headers=headers)


def day_filter(day: date | str, offset: int, last: date | str | None = None) -> dict[str, Any]:
    return {
        "startDate": str(day),
        "endDate": str(last or day),
        "timeZoneOffSet": offset,
    }


def details(server: SimulatorServer, date_filter: dict[str, Any], **extra: Any) -> list[dict]:
    """Every agent's record, paged through with limit 50."""
    records, offset = [], 0
    while True:
        body = {"filter": {"dateFilter": date_filter, **extra}}
        answer = post(server, DETAILS, body, f"limit=50&offset={offset}")
        assert answer.status_code == 200, answer.text
        page = answer.json()
        records += page["data"]
        offset += len(page["data"])
        if not page["hasMore"]:
            return records


def zone_of(offset: int) -> timezone:
    return timezone(timedelta(minutes=-offset))


def window(day: date, offset: int) -> tuple[datetime, datetime]:
    zone = zone_of(offset)
    lo = datetime.combine(day, datetime.min.time(), zone).astimezone(UTC)
    return lo, lo + timedelta(days=1)


def as_utc(text: str, offset: int) -> datetime:
    """A zone-less local time of the answer, read in the requested offset."""
    naive = datetime.fromisoformat(text)
    assert naive.tzinfo is None, text
    return naive.replace(tzinfo=zone_of(offset)).astimezone(UTC)


def spans_of(record: dict[str, Any], offset: int) -> list[tuple[datetime, datetime, str, str]]:
    out = []
    for s in record["status"]:
        lo, hi = as_utc(s["startTime"], offset), as_utc(s["endTime"], offset)
        h, m, sec = (int(x) for x in s["duration"].split(":"))
        assert timedelta(hours=h, minutes=m, seconds=sec) == hi - lo
        out.append((lo, hi, s["primaryStatus"], s["secondaryStatus"]))
    return out


def truth(server: SimulatorServer, agent_id: str, lo: datetime, hi: datetime) -> list[tuple]:
    return [
        (s.start, s.end, primary_status(s.bucket), secondary_status(s.bucket, s.detail))
        for s in server.simulator.timeline(lo, hi, [agent_id])
    ]


# ---- paging and filters ---------------------------------------------------------------------


def test_status_details_page_over_agents_with_limit_offset_and_has_more(
    simulator_factory: Factory,
) -> None:
    server = start(simulator_factory, agents=60)
    body = {"filter": {"dateFilter": day_filter("2026-10-20", 240)}}
    seen, pages = [], []
    for offset in (0, 25, 50):
        page = post(server, DETAILS, body, f"limit=25&offset={offset}").json()
        pages.append((page["limit"], page["offset"], page["hasMore"], len(page["data"])))
        seen += [r["aId"] for r in page["data"]]
    assert pages == [(25, 0, True, 25), (25, 25, True, 25), (25, 50, False, 10)]
    assert seen == [a.agent_id for a in server.simulator.roster]
    past = post(server, DETAILS, body, "offset=60").json()
    assert (past["hasMore"], past["limit"], past["data"]) == (False, 50, [])
    first = post(server, DETAILS, body).json()  # no query: limit 50, offset 0
    assert (first["limit"], first["offset"], first["hasMore"], len(first["data"])) == (
        50,
        0,
        True,
        50,
    )
    summary = {**body, "granularity": "PT24H"}
    page = post(server, SUMMARY, summary, "limit=40&offset=40").json()
    assert (page["hasMore"], len(page["data"])) == (False, 20)
    assert [r["userId"] for r in page["data"]] == [a.user_id for a in server.simulator.roster[40:]]


def test_filter_agents_by_email_and_the_date_variant(simulator_factory: Factory) -> None:
    server = start(simulator_factory)
    roster = server.simulator.roster
    wanted = [roster[7].email.upper(), roster[3].email, "nobody@example.com"]
    date_filter = day_filter("2026-10-20", 240)
    records = details(server, date_filter, agents=wanted)
    assert [r["aId"] for r in records] == [roster[3].agent_id, roster[7].agent_id]
    sample = {"date": "2026-10-20", "timeZoneOffSet": 240}  # the docs' sample body
    assert details(server, sample, agents=wanted) == records
    assert any(r["status"] for r in records)
    assert details(server, date_filter, agents=[]) == details(server, date_filter)


# ---- the truth ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "offset"),
    [
        (date(2026, 10, 20), 240),  # New York in summer time
        (date(2026, 3, 8), 300),  # spring forward: the fixed offset gives 24 h, New York 23 h
        (date(2026, 11, 1), 240),  # fall back: 24 h from EDT midnight, New York has 25 h
        (date(2026, 11, 1), 300),
        (date(2026, 10, 20), -330),  # India: the inverted sign
    ],
)
def test_spans_equal_the_truth_exactly(simulator_factory: Factory, day: date, offset: int) -> None:
    server = start(simulator_factory, agents=30, status_details_offline=True)
    lo, hi = window(day, offset)
    records = details(server, day_filter(day, offset))
    assert len(records) == 30
    total_online = timedelta(0)
    for record in records:
        spans = spans_of(record, offset)
        assert spans == truth(server, record["aId"], lo, hi)
        assert spans[0][0] == lo and spans[-1][1] == hi  # clipped to the requested day
        local = [s["startTime"] for s in record["status"]]
        assert local[0] == f"{day.isoformat()}T00:00:00"
        total_online += sum((s[1] - s[0] for s in spans if s[2] != "OFFLINE"), timedelta(0))
    assert total_online > timedelta(hours=30 * 4)  # a working day, not an empty one
    # Without the knob, the same spans less OFFLINE, and log-in/out events at their edges.
    plain = start(simulator_factory, agents=30)
    for record, full in zip(details(plain, day_filter(day, offset)), records, strict=True):
        spans = spans_of(full, offset)
        assert spans_of(record, offset) == [s for s in spans if s[2] != "OFFLINE"]
        edges = [
            ("exit" if b[2] == "OFFLINE" else "entry", b[0])
            for a, b in zip(spans, spans[1:], strict=False)
            if (a[2] == "OFFLINE") != (b[2] == "OFFLINE")
        ]
        events = [
            (e["type"], datetime.fromisoformat(e["at"].replace("Z", "+00:00")))
            for e in record["events"]
        ]
        assert [e for e in events if e[1] > lo] == edges
        assert all(e["at"].endswith(".000Z") and e["ip"] for e in record["events"])


def test_new_york_300_is_new_york_wall_time_until_dst_starts(simulator_factory: Factory) -> None:
    """Kore takes a fixed offset: 300 is New York's wall clock in winter, and on 2026-03-08
    only until 07:00 UTC; after that the answer's wall times are an hour behind New York's."""
    server = start(simulator_factory, agents=20)
    for day, behind in ((date(2026, 1, 15), 0), (date(2026, 3, 8), 1)):
        for record in details(server, day_filter(day, 300)):
            for s in record["status"]:
                at = as_utc(s["startTime"], 300)
                wall = at.astimezone(NEW_YORK).replace(tzinfo=None)
                expected = 0 if at < datetime(2026, 3, 8, 7, tzinfo=UTC) else behind
                assert wall - datetime.fromisoformat(s["startTime"]) == timedelta(hours=expected)
    lo, hi = window(date(2026, 3, 8), 300)
    assert (lo, hi) == (datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 9, 5, tzinfo=UTC))


def test_userstatus_sums_equal_the_spans_and_the_truth(simulator_factory: Factory) -> None:
    server = start(simulator_factory, agents=24)
    day, offset = date(2026, 11, 1), 240
    lo, hi = window(day, offset)
    records = details(server, day_filter(day, offset))
    body = {"filter": {"dateFilter": day_filter(day, offset)}, "granularity": "PT15M"}
    answer = post(server, SUMMARY, body).json()
    assert answer == post(server, SUMMARY_SAMPLE, body).json()  # the sample's path, no /1.1
    by_user = {r["userId"]: r for r in answer["data"]}
    starts = [lo + timedelta(minutes=15 * k) for k in range(96)]
    checked = interacting_seen = 0
    for record in records:
        expect: dict[int, dict[str, list[int]]] = defaultdict(dict)
        for a, b, primary, secondary in spans_of(record, offset):
            assert (primary, secondary) != ("OFFLINE", "Logged out")
            handling = secondary in HANDLING
            for k, at in enumerate(starts):
                cut = (min(b, at + timedelta(minutes=15)) - max(a, at)).total_seconds()
                if cut > 0:
                    entry = expect[k].setdefault(primary, [0, 0])
                    entry[0] += int(cut)
                    entry[1] += int(cut) if handling else 0
        # ... and the spans themselves are the truth
        true = [s for s in truth(server, record["aId"], lo, hi) if s[2] != "OFFLINE"]
        assert spans_of(record, offset) == true
        intervals = by_user[record["userId"]]["timeInterval"]
        assert [i["startTime"] for i in intervals] == [
            at.strftime("%Y-%m-%dT%H:%M:%SZ") for at in starts
        ]
        for k, interval in enumerate(intervals):
            got: dict[str, list[int]] = {}
            idle: dict[str, int] = {}
            for row in interval["status"]:
                seconds = int(row["stats"]["sum"].removesuffix(" sec"))
                name = row["value"].split(":")[0].upper()
                if row["metric"] == "AgentStatus":
                    assert row["value"] == name.title()  # Available, Busy, Away
                    got[name] = [seconds, 0]
                elif row["value"] == f"{name}:Interacting":  # the sample's casing
                    got[name][1] = seconds
                else:
                    assert row["value"] == f"{name.title()}:Idle"
                    idle[name] = seconds
            assert got == expect.get(k, {}), (record["email"], interval["startTime"])
            assert idle == {name: v[0] - v[1] for name, v in got.items()}
            assert sum(v[0] for v in got.values()) <= 900
            interacting_seen += sum(v[1] for v in got.values())
            checked += 1
    assert checked == 24 * 96 and interacting_seen > 0
    hourly = {**body, "granularity": "PT1H"}
    first = post(server, SUMMARY, hourly, "limit=1").json()["data"][0]["timeInterval"]
    assert len(first) == 24 and first[1]["startTime"] == "2026-11-01T05:00:00Z"


def test_a_day_in_progress_ends_at_now(simulator_factory: Factory) -> None:
    server = start(simulator_factory, agents=10, status_details_offline=True)
    today = NOW.astimezone(zone_of(300)).date()
    for record in details(server, day_filter(today, 300)):
        assert spans_of(record, 300)[-1][1] == NOW
    body = {"filter": {"dateFilter": day_filter(today, 300)}, "granularity": "PT1H"}
    intervals = post(server, SUMMARY, body, "limit=1").json()["data"][0]["timeInterval"]
    assert len(intervals) == 7  # 05:00Z .. 12:00Z: the hours begun before now
    future = details(server, day_filter(today + timedelta(days=1), 300))
    assert all(r["status"] == [] and r["events"] == [] for r in future)


# ---- refusals and the shared machinery ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "query", "message"),
    [
        (DETAILS, {"filter": {"dateFilter": day_filter("2026-3-8", 300)}}, "", "yyyy-mm-dd"),
        (DETAILS, {"filter": {"dateFilter": day_filter("2026-02-30", 300)}}, "", "valid date"),
        (DETAILS, {"filter": {"dateFilter": day_filter("2026-03-09", 300, "2026-03-08")}}, "",
         "before"),
        (DETAILS, {"filter": {"dateFilter": {"startDate": "2026-03-08", "timeZoneOffSet": 0}}},
         "", "both"),
        (DETAILS, {"filter": {"dateFilter": day_filter("2026-03-01", 300, "2026-04-01")}}, "",
         "31 days"),
        (DETAILS, {"filter": {"dateFilter": {"date": "2026-03-08"}}}, "", "timeZoneOffSet"),
        (DETAILS, {"filter": {"dateFilter": day_filter("2026-03-08", 900)}}, "", "between"),
        (DETAILS, {"filter": {"dateFilter": day_filter("2026-03-08", 300)}}, "limit=51", "limit"),
        (DETAILS, {"filter": {"dateFilter": day_filter("2026-03-08", 300)}}, "limit=0", "limit"),
        (DETAILS, {"filter": {"dateFilter": day_filter("2026-03-08", 300)}}, "offset=-1", "offset"),
        (DETAILS, {"filter": {"dateFilter": day_filter("2026-03-08", 300), "agents": "a@b.c"}}, "",
         "agents"),
        (DETAILS, {"dateFilter": day_filter("2026-03-08", 300)}, "", "filter"),
        (SUMMARY, {"filter": {"dateFilter": day_filter("2026-03-08", 300)}}, "", "granularity"),
        (SUMMARY, {"filter": {"dateFilter": day_filter("2026-03-08", 300)}, "granularity": "PT5M"},
         "", "granularity"),
        (SUMMARY, {"filter": {"dateFilter": day_filter("2026-03-08", 300)}, "granularity": "PT1H"},
         "limit=51", "limit"),
    ],
)  # fmt: skip
def test_refused_requests_answer_400_with_a_reason(
    simulator_factory: Factory, path: str, body: dict[str, Any], query: str, message: str
) -> None:
    server = start(simulator_factory, agents=5)
    answer = post(server, path, body, query)
    assert answer.status_code == 400
    assert message in answer.json()["errors"][0]["msg"]


def test_iid_scope_faults_budget_body_cap_and_the_31_day_bound(simulator_factory: Factory) -> None:
    server = start(simulator_factory, agents=5)
    body = {"filter": {"dateFilter": day_filter("2026-10-01", 240, "2026-10-31")}}
    summary = {**body, "granularity": "PT24H"}
    for path, payload in ((DETAILS, body), (SUMMARY, summary)):
        answer = post(server, path, payload, iid=False)
        assert answer.status_code == 400 and "iId" in answer.json()["errors"][0]["msg"]
        assert post(server, path, payload, "limit=1").status_code == 200  # 31 days pass
    summary_timezone_optional = {"filter": {"dateFilter": {"date": "2026-10-01"}}}
    no_offset = post(server, SUMMARY, {**summary_timezone_optional, "granularity": "PT24H"})
    assert no_offset.json()["data"][0]["timeInterval"][0]["startTime"] == "2026-10-01T00:00:00Z"
    assert post(server, DETAILS, b"{not json").status_code == 400
    big = {**body, "padding": "x" * (1 << 21)}
    assert post(server, DETAILS, big).status_code == 413  # the request-body cap
    locked = start(simulator_factory, agents=5, missing_api_scopes=("smartassist_analytics",))
    for path, payload in ((DETAILS, body), (SUMMARY, summary)):
        answer = post(locked, path, payload)
        assert answer.status_code == 403
        assert "SmartAssist Analytics" in answer.json()["errors"][0]["msg"]
    faulty = start(
        simulator_factory,
        agents=5,
        faults={"scopes": {"route:agentstatusdetails": {"error_rates": {503: 1}}}},
    )
    assert post(faulty, DETAILS, body).status_code == 503
    assert post(faulty, SUMMARY, summary).status_code == 200
    budget = start(simulator_factory, agents=5, rate_limit_per_minute=2)
    assert post(budget, DETAILS, body).status_code == 200
    assert post(budget, SUMMARY, summary).status_code == 200
    assert post(budget, DETAILS, body).status_code == 429  # one window for every endpoint
    assert budget.requests_by_route()["agentstatusdetails"] == {200: 1, 429: 1}


def test_a_custom_break_status_reports_as_away_with_its_name(simulator_factory: Factory) -> None:
    """Kore's custom statuses are of type Away or Busy: the custom bucket is AWAY, named Break."""
    server = start(simulator_factory, agents=20, custom_status_bucket="COFFEE")
    day, offset = date(2026, 10, 20), 240
    lo, hi = window(day, offset)
    truth_spans = server.simulator.timeline(lo, hi)
    assert any(s.bucket == "COFFEE" for s in truth_spans)
    breaks = sorted((s.start, s.end) for s in truth_spans if s.bucket == "COFFEE")
    records = details(server, day_filter(day, offset))
    served = sorted(
        (a, b) for r in records for a, b, p, d in spans_of(r, offset) if (p, d) == ("AWAY", "Break")
    )
    assert served == breaks
    body = {"filter": {"dateFilter": day_filter(day, offset)}, "granularity": "PT24H"}
    values = {
        row["value"]
        for r in post(server, SUMMARY, body).json()["data"]
        for i in r["timeInterval"]
        for row in i["status"]
    }
    assert "Away" in values and not any("COFFEE" in v.upper() for v in values)
