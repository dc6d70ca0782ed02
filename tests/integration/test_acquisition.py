"""Membership acquisition end to end: ``poll`` against the simulator as a real server on
127.0.0.1 and real DuckDB files, compared with the simulator's own answers and counted by
the server itself (requests per simulated minute, 429s).

The simulator's clock (and, where the budget matters, the request planner's) is driven by
the test, so "one instant" and "thirty simulated minutes" are exact; the pipeline's own
timestamps (observation times, membership validity) stay on the wall clock.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipelines.defs.ingest.checks import membership_matches_kore
from pipelines.kore import KoreAvailabilityClient, KoreConfigError, KoreSettings
from pipelines.kore.planner import RequestPlanner
from pipelines.polling import Cadence, TickOutcome, agent_statuses, poll
from pipelines.resources import WarehouseResource
from pipelines.scopes import Scope
from pipelines.settings import DEFAULT_SCOPES
from pipelines.simulator import SimulatorServer
from pipelines.warehouse import PiiPolicy, connect
from pipelines.warehouse.sql import fetch_df
from tests.support.kore import simulator_settings
from tests.support.membership import build

Factory = Callable[..., SimulatorServer]
# A Wednesday afternoon in the simulator's time zone: most shifts are on.
FIXED = datetime(2026, 11, 25, 19, 30, tzinfo=UTC)
KEEP = PiiPolicy("keep")
SCOPES_FILE = str(DEFAULT_SCOPES)


def settings_for(server: SimulatorServer, **overrides: Any) -> KoreSettings:
    return simulator_settings(server.env(include_secret=True), **overrides)


class SimulatedClock:
    """One clock for the simulator (datetime) and the request planner (epoch seconds)."""

    def __init__(self, start: datetime):
        self.moment = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self.moment

    def epoch(self) -> float:
        return self.now().timestamp()

    def set(self, at: datetime) -> None:
        with self._lock:
            self.moment = at

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self.moment += delta


def tick(
    database: str,
    settings: KoreSettings,
    tick_id: str,
    planner: RequestPlanner | None = None,
    mode: str = "membership",
    cadence: Cadence | None = None,
) -> TickOutcome:
    return poll(
        partial(connect, database),
        settings,
        SCOPES_FILE,
        tick_id,
        mode=mode,
        pii=KEEP,
        planner=planner,
        cadence=cadence or Cadence(),
    )


def membership_complete(outcome: TickOutcome) -> bool:
    refresh = outcome.details.get("membership")
    return refresh is None or (refresh.get("pages_missing") == 0 and "refresh" in refresh)


def counts_by_status(buckets: dict[str, list[dict]]) -> dict[str, int]:
    """Agents per status of one answer, an agent listed twice counted once (as stored)."""
    return dict(Counter(agent_statuses(buckets).values()))


def table_counts(table: pd.DataFrame) -> dict[str, dict[str, int]]:
    """TickOutcome.status_counts as {scope_key: {status: agents}}, zero counts left out."""
    statuses = [c for c in table.columns if c != "scope_key"]
    return {
        row["scope_key"]: {s: int(row[s]) for s in statuses if int(row[s]) > 0}
        for _, row in table.iterrows()
    }


# ---------------------------------------------------------------------------------------
# 1. One instant: membership-derived figures = the simulator's per-scope answers


def test_per_scope_figures_from_membership_equal_the_simulators_per_scope_answers(
    simulator_factory: Factory, tmp_db: str
) -> None:
    server = simulator_factory(
        agents=120, skills=9, queues=6, page_size=20, seed=11,
        rate_limit_per_minute=None, clock=lambda: FIXED,
    )  # fmt: skip
    # A budget of 4 a minute: the 6 pages of the listing take four ticks (one availability
    # request and at most two pages each; page 1 alone first, as it tells how many there
    # are); the planner's minute passes between ticks while the simulator stays at one instant.
    settings = settings_for(server, rate_limit_per_minute=4)
    clock = SimulatedClock(FIXED)
    planner = RequestPlanner(f"{tmp_db}.budget.sqlite", 4, clock=clock.epoch)
    outcomes = []
    for n in range(10):
        outcomes.append(tick(tmp_db, settings, f"t-{n}", planner=planner))
        clock.advance(timedelta(minutes=1))
        if membership_complete(outcomes[-1]):
            break
    assert membership_complete(outcomes[-1]), [o.details for o in outcomes]
    assert len(outcomes) == 4, [o.details.get("membership") for o in outcomes]
    assert all(o.mode == "membership" for o in outcomes)
    derived = table_counts(outcomes[-1].status_counts)

    # The simulator's own answer for every skill and queue, asked with its filter.
    truth = server.simulator.membership_at(FIXED)
    keys = sorted(
        {f"skill:{s}" for skills, _ in truth.values() for s in skills}
        | {f"queue:{q}" for _, queues in truth.values() for q in queues}
    )
    assert len(keys) == 9 + 6
    scopes = [Scope("all", "", "All agents")] + [
        Scope(k.split(":")[0], k.split(":")[1], k) for k in keys
    ]
    with RequestPlanner(":memory:", 1000) as own:
        answers = KoreAvailabilityClient(
            settings_for(server, rate_limit_per_minute=1000), planner=own
        ).poll_sync(scopes)
    asked = {}
    for scope, answer in zip(scopes, answers, strict=True):
        assert answer.ok and answer.buckets is not None, answer.error_text
        asked[scope.key] = counts_by_status(answer.buckets)
        # The model without HTTP says the same.
        body = {"skillIds": [scope.ref_id]} if scope.kind == "skill" else {}
        if scope.kind == "queue":
            body = {"queueIds": [scope.ref_id]}
        assert counts_by_status(server.simulator.availability(body, FIXED)) == asked[scope.key]
    assert set(derived) == set(asked) == {"all", *keys}
    for key in ["all", *keys]:
        assert derived[key] == asked[key], key
    # Not trivially equal: scopes of different sizes and more than one status each.
    assert len({sum(c.values()) for c in derived.values()}) > 5
    assert all(len(c) >= 2 for c in derived.values())
    planner.close()


# ---------------------------------------------------------------------------------------
# 2. A membership change at a known instant, through two refreshes around it


def scope_members_counted(database: str, tick_id: str, scope_key: str) -> set[str]:
    """Agents of a tick's one answer counted in ``scope_key`` by the membership valid at its
    observation time (as tick_scope_status.sql and coverage join them)."""
    with connect(database, read_only=True) as con:
        rows = con.execute(
            "SELECT s.agent_id FROM snapshots AS s JOIN membership AS m"
            " ON m.agent_id = s.agent_id AND s.observed_at >= m.valid_from"
            " AND (m.valid_to IS NULL OR s.observed_at < m.valid_to)"
            " WHERE s.tick_id = ? AND s.scope_key = 'all' AND m.scope_key = ?",
            [tick_id, scope_key],
        ).fetchall()
    return {agent_id for (agent_id,) in rows}


def test_membership_change_is_attributed_to_the_right_intervals(
    simulator_factory: Factory, tmp_db: str
) -> None:
    clock = SimulatedClock(FIXED)
    server = simulator_factory(
        agents=40, skills=5, queues=3, page_size=50, membership_changes_per_day=24,
        clock=clock.now,
    )  # fmt: skip
    model = server.simulator
    changes = model.membership_changes(FIXED - timedelta(hours=12), FIXED + timedelta(hours=12))
    # An agent gaining a skill or queue, with no other change within ten minutes of it.
    change = next(
        c
        for i, c in enumerate(changes)
        if c.action == "add"
        and all(abs((o.at - c.at).total_seconds()) > 600 for o in changes[:i] + changes[i + 1 :])
    )
    scope_key = f"{change.kind}:{change.ref_id}"
    before = model.membership_at(change.at - timedelta(seconds=1))
    after = model.membership_at(change.at)
    slot = 0 if change.kind == "skill" else 1
    assert change.ref_id not in before[change.agent_id][slot]
    assert change.ref_id in after[change.agent_id][slot]

    settings = settings_for(server)
    keep = Cadence(refresh=timedelta(hours=1))  # no refresh due on the wall clock
    refresh = Cadence(refresh=timedelta(0))  # a refresh due now
    # (model minute relative to the change, cadence): the first tick lists (a new database
    # always does), the third is after the change on the stale listing, the fourth refreshes.
    plan = [("A", -2, keep), ("B", -1, keep), ("C", 1, keep), ("D", 2, refresh), ("E", 3, keep)]
    outcomes: dict[str, TickOutcome] = {}
    for name, minute, cadence in plan:
        clock.set(change.at + timedelta(minutes=minute))
        outcomes[name] = tick(tmp_db, settings, name, cadence=cadence)
        assert outcomes[name].mode == "membership" and not outcomes[name].failed
    assert membership_complete(outcomes["A"]) and "refresh" in outcomes["A"].details["membership"]
    assert "membership" not in outcomes["C"].details  # C counts by the listing of A
    assert outcomes["D"].details["membership"]["refresh"]["opened"] >= 1
    assert server.requests_by_route()["agents"][200] == 2

    # Ticks: the agent counts in the scope from the refresh after the change, not before.
    counted = {name: scope_members_counted(tmp_db, name, scope_key) for name in outcomes}
    for name in "ABC":
        assert change.agent_id not in counted[name], name
    for name in "DE":
        assert change.agent_id in counted[name], name
    # The other members are counted throughout, as the simulator lists them then.
    steady = set(model.scope_members(scope_key, change.at - timedelta(minutes=2)))
    assert steady and all(counted[name] >= steady for name in outcomes)
    assert counted["E"] == set(model.scope_members(scope_key, change.at))

    # Membership history: the pair opens at the refresh after the change (tick D's start).
    with connect(tmp_db, read_only=True) as con:
        history = con.execute(
            "SELECT valid_from, valid_to FROM membership WHERE agent_id = ? AND scope_key = ?",
            [change.agent_id, scope_key],
        ).fetchall()
    assert history == [(outcomes["D"].tick.started_at, None)]

    # Coverage of the day: the agent's spans in the scope start with tick D's observation;
    # a steady member's start with tick A's.
    observed = {name: o.results[0].observed_at for name, o in outcomes.items()}
    days = {t.date() for t in observed.values()}  # the wall clock's day(s), in UTC
    with connect(tmp_db) as con:
        for day in days:
            build(con, day)
        first_span = dict(
            con.execute(
                "SELECT agent_id, min(span_start) FROM agent_status_spans"
                " WHERE scope_key = ? GROUP BY agent_id",
                [scope_key],
            ).fetchall()
        )
    assert first_span[change.agent_id] == observed["D"]
    assert {first_span[agent_id] for agent_id in steady} == {observed["A"]}


# ---------------------------------------------------------------------------------------
# 4. auto falls back to per scope, naming what is missing


def test_auto_falls_back_to_per_scope_naming_the_api_scope(
    simulator_factory: Factory, tmp_path: Path
) -> None:
    server = simulator_factory(
        agents=60, missing_api_scopes=("smartassist_analytics",), clock=lambda: FIXED
    )
    settings = settings_for(server)
    database = str(tmp_path / "refused.duckdb")
    outcome = tick(database, settings, "auto-1", mode="auto")
    assert outcome.mode == "per_scope"
    assert "SmartAssist Analytics" in outcome.details["fallback"]
    assert len(outcome.results) == 11 and not outcome.failed
    assert server.requests_by_route()["agents"][403] == 1
    with connect(database, read_only=True) as con:
        assert con.execute("SELECT DISTINCT mode FROM ticks").fetchall() == [("per_scope",)]
        assert con.execute("SELECT count(DISTINCT scope_key) FROM snapshots").fetchall() == [(11,)]
    # The next auto tick does not ask the listing again within the refresh interval.
    again = tick(database, settings, "auto-2", mode="auto")
    assert again.mode == "per_scope" and "SmartAssist Analytics" in again.details["fallback"]
    assert server.requests_by_route()["agents"][403] == 1

    # Without KORE_ORG_ID the fallback names the setting (and asks no listing at all).
    no_org = settings_for(server, org_id="")
    other = str(tmp_path / "no-org.duckdb")
    outcome = tick(other, no_org, "auto-1", mode="auto")
    assert outcome.mode == "per_scope" and "KORE_ORG_ID" in outcome.details["fallback"]
    assert server.requests_by_route()["agents"][403] == 1

    # Membership mode asked for explicitly fails, naming the API scope.
    with pytest.raises(KoreConfigError, match="SmartAssist Analytics"):
        tick(str(tmp_path / "strict.duckdb"), settings, "m-1", mode="membership")
    with pytest.raises(KoreConfigError, match="KORE_ORG_ID"):
        tick(str(tmp_path / "strict-no-org.duckdb"), no_org, "m-1", mode="membership")


# ---------------------------------------------------------------------------------------
# 5. The drift check and its asset check


@pytest.mark.parametrize("drift_agents", [2, 0])
def test_drift_check_fails_on_planted_drift_and_passes_otherwise(
    simulator_factory: Factory, tmp_db: str, drift_agents: int
) -> None:
    server = simulator_factory(
        agents=80, skills=5, queues=3, page_size=25, drift_agents=drift_agents,
        clock=lambda: FIXED,
    )  # fmt: skip
    settings = settings_for(server)
    cadence = Cadence(drift=timedelta(0))
    checks = []
    for n in range(5):
        outcome = tick(tmp_db, settings, f"t-{n}", cadence=cadence)
        if outcome.details.get("drift_check"):
            checks.append(outcome.details["drift_check"])
        if len(checks) == 2:
            break
    assert len(checks) == 2, "no drift check within 5 ticks"
    assert all("error" not in c for c in checks), checks
    # The least recently checked scope goes first: two different scopes.
    assert checks[0]["scope_key"] != checks[1]["scope_key"]

    result = membership_matches_kore(warehouse=WarehouseResource(database=tmp_db))
    metadata = {k: getattr(v, "value", v) for k, v in result.metadata.items()}
    assert metadata["scopes_checked"] == 2
    if drift_agents == 0:
        assert result.passed, metadata
        assert metadata["scopes_drifted"] == 0 and metadata["drifted_scope_keys"] == []
        assert all(not c["drift"] for c in checks)
        return
    assert not result.passed
    assert sorted(metadata["drifted_scope_keys"]) == sorted(c["scope_key"] for c in checks)
    for check in checks:
        # Kore's filtered answer leaves out two members and adds two others.
        assert len(check["missing_agent_ids"]) == 2 and len(check["extra_agent_ids"]) == 2
        kind, ref = check["scope_key"].split(":")
        body = {"skillIds" if kind == "skill" else "queueIds": [ref]}
        answered = set(agent_statuses(server.simulator.availability(body, FIXED)))
        members = set(server.simulator.scope_members(check["scope_key"], FIXED))
        assert set(check["missing_agent_ids"]) == answered - members
        assert set(check["extra_agent_ids"]) == members - answered
        for agent_id in check["missing_agent_ids"] + check["extra_agent_ids"]:
            assert agent_id in metadata["drift"], (agent_id, metadata["drift"])
        assert check["scope_key"] in metadata["drift"]


# ---------------------------------------------------------------------------------------
# 3. Seventy scopes over 2,000 agents every minute on three requests a minute

MINUTES = 30
PER_MINUTE_TARGET = 3


def per_minute_figures(server: SimulatorServer, start: datetime) -> dict[str, Any]:
    """What the server itself counted over the simulated minutes from ``start`` (model time):
    requests per route, 429s, the average per minute and the busiest 60-second window."""
    log = [r for r in server.requests_log if r.at >= start]
    times = sorted(r.at.timestamp() for r in log)
    busiest = max(
        (sum(1 for u in times if t <= u < t + 60) for t in times),
        default=0,
    )
    return {
        "requests": len(log),
        "by_route": dict(Counter(r.route for r in log)),
        "429": sum(r.status == 429 for r in log),
        "per_minute": len(log) / MINUTES,
        "busiest_minute": busiest,
        "span_minutes": (times[-1] - times[0]) / 60 if times else 0.0,
    }


def run_poller(
    database: str,
    settings: KoreSettings,
    planner: RequestPlanner,
    name: str,
    outcomes: list[TickOutcome],
    errors: list[BaseException],
    rounds: threading.Barrier,
) -> None:
    """Tick once per simulated minute; the barrier lets the main thread move the clock."""
    try:
        for minute in range(MINUTES):
            rounds.wait(timeout=120)  # the minute has started
            outcomes.append(tick(database, settings, f"{name}-{minute}", planner=planner))
            rounds.wait(timeout=120)  # ticked: the clock may move
    except BaseException as exc:  # surfaced by the main thread
        errors.append(exc)
        rounds.abort()


def assert_every_scope_every_minute(outcomes: list[TickOutcome], database: str) -> None:
    """Membership is complete from the second tick on (the first reads page 1, which tells
    how many pages there are), so every later tick resolves all 70 scopes and 'all'; and
    since the first listing stands for the minutes it took to collect, the first tick's
    answer too counts in every scope, as coverage reads it afterwards."""
    assert len(outcomes) == MINUTES
    assert membership_complete(outcomes[1]), outcomes[1].details
    for outcome in outcomes:
        assert outcome.mode == "membership" and not outcome.failed, outcome.details
    for outcome in outcomes[1:]:
        assert outcome.details["scopes"] == 71, outcome.details
        observed = set(outcome.status_counts["scope_key"])
        assert len(observed) == 71 and "all" in observed, outcome.tick.tick_id
    with connect(database, read_only=True) as con:
        for outcome in outcomes:
            rows = fetch_df(con, "ingest/tick_scope_status.sql", tick_id=outcome.tick.tick_id)
            assert rows["scope_key"].nunique() == 71, outcome.tick.tick_id


def test_seventy_scopes_over_two_thousand_agents_every_minute_on_three_requests_a_minute(
    simulator_factory: Factory, tmp_path: Path
) -> None:
    clock = SimulatedClock(FIXED)
    config = dict(agents=2000, skills=40, queues=30, page_size=100, rate_clock="model")
    server = simulator_factory(clock=clock.now, **config)
    settings = settings_for(server)
    database = str(tmp_path / "one.duckdb")
    outcomes = []
    with RequestPlanner.for_settings(
        settings, tmp_path / "one.budget.sqlite", clock=clock.epoch
    ) as planner:
        for minute in range(MINUTES):
            outcomes.append(tick(database, settings, f"t-{minute}", planner=planner))
            clock.advance(timedelta(minutes=1))
    assert_every_scope_every_minute(outcomes, database)
    one = per_minute_figures(server, FIXED)
    print(f"one poller, 70 scopes, 2000 agents, {MINUTES} simulated minutes: {one}")
    assert one["429"] == 0, one
    assert one["per_minute"] <= PER_MINUTE_TARGET, one
    assert one["by_route"]["availability"] == MINUTES + 1, one  # one a tick, one drift check
    assert one["by_route"]["agents"] == 20, one  # 2,000 agents, 100 a page, listed once
    with connect(database, read_only=True) as con:
        rows = con.execute(
            "SELECT count(*), count(DISTINCT agent_id) FROM snapshots WHERE tick_id = 't-29'"
        ).fetchall()
    assert rows == [(2000, 2000)]  # one row per agent, not per agent and scope

    # Two overlapping runs outside the Dagster pool: two pollers (threads), each its own
    # DuckDB file and its own planner on ONE ledger, ticking in the same simulated minutes.
    clock2 = SimulatedClock(FIXED)
    server2 = simulator_factory(clock=clock2.now, **config)
    settings2 = settings_for(server2)
    ledger = tmp_path / "shared.budget.sqlite"
    planners = [RequestPlanner.for_settings(settings2, ledger, clock=clock2.epoch) for _ in "ab"]
    results: list[list[TickOutcome]] = [[], []]
    errors: list[BaseException] = []
    rounds = threading.Barrier(3)
    threads = [
        threading.Thread(
            target=run_poller,
            args=(str(tmp_path / f"{name}.duckdb"), settings2, planner, name, out, errors, rounds),
        )
        for name, planner, out in zip("ab", planners, results, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        for _ in range(MINUTES):
            rounds.wait(timeout=120)
            rounds.wait(timeout=120)
            clock2.advance(timedelta(minutes=1))
    except threading.BrokenBarrierError:
        pass
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()
    assert not errors, errors
    for name, out in zip("ab", results, strict=True):
        assert_every_scope_every_minute(out, str(tmp_path / f"{name}.duckdb"))
    both = per_minute_figures(server2, FIXED)
    holders = Counter(g.holder for g in planners[0].sends(settings2.account_id, since=0))
    per_run = sorted(n / MINUTES for n in holders.values())
    for planner in planners:
        planner.close()
    message = (
        f"two overlapping pollers, one ledger, {MINUTES} simulated minutes: {both}; "
        f"per run (ledger): {per_run} requests a minute"
    )
    print(message)
    assert both["429"] == 0, message
    assert len(holders) == 2 and sum(holders.values()) == both["requests"], message
    # Each run keeps to three a minute; together they stay far inside the account's 60.
    assert all(rate <= PER_MINUTE_TARGET for rate in per_run), message
    assert both["per_minute"] <= 2 * PER_MINUTE_TARGET, message
    assert both["busiest_minute"] <= settings2.rate_limit_per_minute, message


# ---------------------------------------------------------------------------------------
# 6. Named agent lists of the scopes file are counted from the one all-agents answer


def test_named_agent_lists_are_counted_in_membership_mode(
    simulator_factory: Factory, tmp_path: Path
) -> None:
    server = simulator_factory(agents=40, clock=lambda: FIXED)
    settings = settings_for(server)
    team = [agent.agent_id for agent in server.simulator.roster[:5]]
    scopes_file = tmp_path / "scopes.toml"
    scopes_file.write_text(
        '[[scope]]\nkind = "agents"\nid = "team-a"\nname = "Team A"\n'
        f"agent_ids = {team!r}\n".replace("'", '"'),
        encoding="utf-8",
    )
    database = str(tmp_path / "lists.duckdb")
    outcome = poll(
        partial(connect, database), settings, str(scopes_file), "t-1",
        mode="membership", pii=KEEP, cadence=Cadence(),
    )  # fmt: skip
    with connect(database, read_only=True) as con:
        counted = fetch_df(con, "ingest/tick_scope_status.sql", tick_id="t-1")
    team_rows = counted[counted["scope_key"] == "agents:team-a"]
    assert int(team_rows["agents"].sum()) == len(team), counted
    statuses = agent_statuses(outcome.results[0].buckets)
    expected = Counter(statuses[a] for a in team)
    assert dict(zip(team_rows["status"], team_rows["agents"], strict=True)) == dict(expected)
    # Coverage observes the list at the answer, like every skill and queue.
    observed_at = outcome.results[0].observed_at
    with connect(database) as con:
        build(con, observed_at.date())
        ((cells,),) = con.execute(
            "SELECT count(*) FROM coverage_intervals WHERE scope_key = 'agents:team-a'"
            " AND observed_share > 0"
        ).fetchall()
    assert cells >= 1


# ---------------------------------------------------------------------------------------
# 7. Refreshes after the first spread their pages over ticks


def test_refreshes_after_the_first_fetch_at_most_pages_per_tick(
    simulator_factory: Factory, tmp_db: str
) -> None:
    server = simulator_factory(agents=40, page_size=5, clock=lambda: FIXED)  # 8 pages
    settings = settings_for(server)

    def pages_served() -> int:
        return server.requests_by_route().get("agents", {}).get(200, 0)

    # The first listing takes what the budget leaves: page 1 (the total), then the other 7.
    tick(tmp_db, settings, "first-1")
    second = tick(tmp_db, settings, "first-2")
    assert "refresh" in second.details["membership"] and pages_served() == 8
    paced = Cadence(refresh=timedelta(0), pages_per_tick=2)
    served = []
    for n in range(6):
        before = pages_served()
        outcome = tick(tmp_db, settings, f"later-{n}", cadence=paced)
        served.append(pages_served() - before)
        if "refresh" in outcome.details["membership"]:
            break
    # Page 1 alone (the total is not known before it), then two a tick until the 8th.
    assert served == [1, 2, 2, 2, 1], served


# ---------------------------------------------------------------------------------------
# 8. Skills and queues the scopes file lists count as known to the listing too


def test_scopes_the_file_lists_are_covered_and_drift_checked(
    simulator_factory: Factory, tmp_db: str
) -> None:
    server = simulator_factory(clock=lambda: FIXED)  # the catalogue config/scopes.toml lists
    settings = settings_for(server)
    outcomes = [tick(tmp_db, settings, f"t-{n}") for n in range(3)]
    assert membership_complete(outcomes[1])
    assert outcomes[1].details["scopes"] == 11  # all + 6 skills + 4 queues, by the file's names
    assert outcomes[2].details["drift_check"]["drift"] is False
    with connect(tmp_db, read_only=True) as con:
        sources = dict(con.execute("SELECT source, count(*) FROM scopes GROUP BY 1").fetchall())
    assert sources == {"file": 11}
