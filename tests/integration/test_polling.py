"""One tick end to end against the simulator as a real server: truth, budget, round robin."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import pandas as pd
import pytest

from pipelines.kore import KoreSettings
from pipelines.kore.planner import RequestPlanner
from pipelines.polling import choose_scopes, run_tick
from pipelines.scopes import Scope, load_scopes
from pipelines.settings import DEFAULT_SCOPES
from pipelines.simulator import SimulatorServer
from pipelines.warehouse import connect
from tests.support.kore import connection_settings

# A Wednesday afternoon in the simulator's time zone: most shifts are on.
FIXED = datetime(2026, 11, 25, 19, 30, tzinfo=UTC)
SCOPES = load_scopes(DEFAULT_SCOPES)


def settings_for(server: SimulatorServer, **overrides: object) -> KoreSettings:
    env = server.env(include_secret=True)
    values = {
        **connection_settings(env),
        **overrides,
    }
    return KoreSettings(**values)


def test_tick_lands_exactly_what_the_simulator_says(
    simulator_factory: Callable[..., SimulatorServer], tmp_db: str
) -> None:
    server = simulator_factory(rate_limit_per_minute=None, clock=lambda: FIXED)
    outcome = run_tick(partial(connect, tmp_db), settings_for(server), SCOPES, tick_id="t-1")
    assert outcome.counts["scopes_ok"] == len(SCOPES) and not outcome.failed
    with connect(tmp_db, read_only=True) as con:
        landed = con.execute("SELECT scope_key, agent_id, status FROM snapshots").df()
    model = server.simulator
    expected = pd.DataFrame(
        [
            (scope.key, agent_id, model.status_at(agent_id, FIXED)[0])
            for scope in SCOPES
            for agent_id in model.scope_members(scope.key)
        ],
        columns=["scope_key", "agent_id", "status"],
    )
    key = ["scope_key", "agent_id"]
    pd.testing.assert_frame_equal(
        landed.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
    assert set(expected["status"]) >= {"AVAILABLE", "BUSY", "OFFLINE"}


def test_choose_scopes_serves_never_polled_then_stalest() -> None:
    scopes = [Scope("skill", f"s{i}", f"S{i}") for i in range(4)]
    t = datetime(2026, 1, 1, tzinfo=UTC)
    polled = {"skill:s0": t + timedelta(minutes=2), "skill:s1": t, "skill:s3": t}
    chosen, deferred = choose_scopes(scopes, polled, budget=2)
    assert [s.key for s in chosen] == ["skill:s1", "skill:s2"]
    assert [s.key for s in deferred] == ["skill:s0", "skill:s3"]
    assert choose_scopes(scopes, polled, budget=-3) == ([], scopes)


def age_request_log(database: str, seconds: int) -> None:
    """Pretend the recorded sends happened earlier, as if a minute had passed."""
    with connect(database) as con:
        con.execute(f"UPDATE request_log SET sent_at = sent_at - INTERVAL {seconds} SECOND")
        con.execute(
            f"UPDATE raw_responses SET requested_at = requested_at - INTERVAL {seconds} SECOND"
        )


def test_budget_spreads_scopes_over_ticks_round_robin(
    simulator_factory: Callable[..., SimulatorServer], tmp_db: str
) -> None:
    server = simulator_factory(rate_limit_per_minute=None)
    settings = settings_for(server, rate_limit_per_minute=5)
    open_db = partial(connect, tmp_db)
    # The budget's ledger on a simulated clock: a minute passes between ticks.
    moment = [datetime.now(UTC).timestamp()]
    planner = RequestPlanner(f"{tmp_db}.budget.sqlite", 5, clock=lambda: moment[0])
    asked = []
    for tick in range(3):
        outcome = run_tick(open_db, settings, SCOPES, tick_id=f"t-{tick}", planner=planner)
        asked.append([r.scope_key for r in outcome.results])
        assert len(outcome.results) + len(outcome.deferred) == len(SCOPES)
        age_request_log(tmp_db, 61 - tick)  # distinct ages keep "stalest" well defined
        moment[0] += 61
    keys = [s.key for s in SCOPES]
    assert asked[0] == keys[0:5]
    assert asked[1] == keys[5:10]
    assert asked[2] == [*keys[0:4], keys[10]]  # the one never asked, then the four stalest
    with connect(tmp_db, read_only=True) as con:
        deferred = con.execute(
            "SELECT list(scopes_deferred ORDER BY tick_id) FROM ticks"
        ).fetchall()
    assert deferred[0][0] == [6, 6, 6]


def test_budget_is_shared_with_sends_recorded_by_other_runs(
    simulator_factory: Callable[..., SimulatorServer], tmp_db: str
) -> None:
    server = simulator_factory(rate_limit_per_minute=5)
    settings = settings_for(server, rate_limit_per_minute=5)
    open_db = partial(connect, tmp_db)
    first = run_tick(open_db, settings, SCOPES, tick_id="scheduled")
    assert len(first.results) == 5
    # An overlapping run (a UI materialization, say) in the same minute finds no budget left
    # and asks nothing rather than tripping the server's 429.
    second = run_tick(open_db, settings, SCOPES, tick_id="from-ui")
    assert second.results == [] and len(second.deferred) == len(SCOPES)
    assert server.requests_served[429] == 0
    assert server.requests_served[200] == 5


@pytest.mark.parametrize("limit", [0, -1])
def test_a_bad_rate_limit_setting_is_named(limit: int, tmp_db: str) -> None:
    settings = KoreSettings(
        host="http://127.0.0.1:9",
        bot_id="b",
        account_id="a",
        client_id="cs-x",
        client_secret="s" * 32,
        rate_limit_per_minute=limit,
    )
    with pytest.raises(ValueError, match="KORE_RATE_LIMIT_PER_MINUTE"):
        run_tick(partial(connect, tmp_db), settings, SCOPES, tick_id="t")
