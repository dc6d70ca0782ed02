"""Finalized coverage: a day whose exact history is complete is counted from it, and equals the
simulator's truth within float tolerance (a normal day and both 2026 New York DST days);
today and days without history stay provisional. The history and the agents listing come
from the simulator over real HTTP; the model clock is fixed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import pytest

from pipelines import coverage
from pipelines.coverage.finalized import check_reconciliation, identity
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_SCOPES
from pipelines.simulator import SimulatorServer
from pipelines.warehouse import connect
from tests.support.finalized import (
    FIGURES,
    NOW,
    SETTINGS,
    ZONE,
    apply_listing,
    build,
    fetch_history,
    measured_cells,
    truth_cells,
)
from tests.support.seeding import seed_days

Start = Callable[..., SimulatorServer]
AGENTS, SEED = 30, 5


@pytest.mark.parametrize(
    ("day", "intervals"),
    [(date(2026, 10, 20), 96), (date(2026, 3, 8), 92), (date(2026, 11, 1), 100)],
)
def test_a_finalized_day_equals_the_simulators_truth(
    simulator_factory: Start, tmp_db: str, day: date, intervals: int
) -> None:
    server = simulator_factory(
        clock=lambda: NOW, rate_limit_per_minute=None, agents=AGENTS, seed=SEED
    )
    seed_days(tmp_db, day, agents=AGENTS, seed=SEED, zone=ZONE)  # scopes, and polls to replace
    fetch_history(server, tmp_db, day)
    listed_at = NOW  # the first listing: it stands for the days before it
    assert apply_listing(server, tmp_db, listed_at) == AGENTS
    build(tmp_db, day)

    scopes = [s.key for s in load_scopes(DEFAULT_SCOPES)]
    members = {key: server.simulator.scope_members(key, listed_at) for key in scopes}
    truth = truth_cells(server, day, members)
    measured = measured_cells(tmp_db, day)
    assert len(measured) == len(scopes) * intervals
    worst = 0.0
    for (key, cell), row in measured.items():
        assert row["basis"] == "finalized" and row["observed_share"] == 1.0, (key, cell)
        expected = truth.get((key, cell), dict.fromkeys(FIGURES, 0.0))
        for name in FIGURES:
            worst = max(worst, abs(row[name] - expected[name]))
        if row["avg_busy"] > 0:
            assert row["busy_capacity_known"] == 1.0  # the custom status name says which
    assert worst < 1e-9
    assert sum(v["avg_busy_other"] for v in truth.values()) > 1  # Training and Login Prep
    assert sum(v["avg_on_queue"] for v in truth.values()) > 100  # real work in the day

    with connect(tmp_db) as con:
        coverage.build_coverage_vs_requirement(con, day, SETTINGS, NOW)
        bases = con.execute(
            "SELECT DISTINCT basis FROM coverage_vs_requirement WHERE day = ? UNION ALL "
            "SELECT DISTINCT basis FROM coverage_daily_summary WHERE day = ?",
            [day, day],
        ).fetchall()
    assert bases == [("finalized",), ("finalized",)]


def test_a_day_without_complete_history_stays_provisional(
    simulator_factory: Start, tmp_db: str
) -> None:
    server = simulator_factory(
        clock=lambda: NOW, rate_limit_per_minute=None, agents=AGENTS, seed=SEED
    )
    day = date(2026, 10, 20)
    seed_days(tmp_db, day, day + timedelta(days=1), agents=AGENTS, seed=SEED, zone=ZONE)
    fetch_history(server, tmp_db, day)
    apply_listing(server, tmp_db, NOW)
    for each in (day, day + timedelta(days=1)):
        build(tmp_db, each)
    with connect(tmp_db, read_only=True) as con:
        bases = con.execute(
            "SELECT day, basis, count(*) FROM coverage_intervals GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        spans = con.execute(
            "SELECT basis, count(*) FILTER (WHERE secondary_status IS NOT NULL) > 0 "
            "FROM agent_status_spans GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    scopes = len(load_scopes(DEFAULT_SCOPES))
    assert bases == [
        (day, "finalized", scopes * 96),
        (day + timedelta(days=1), "provisional", scopes * 96),
    ]
    # Exact spans carry the custom status name; poll-based ones cannot.
    assert spans == [("finalized", True), ("provisional", False)]


def _drop_members(rows: pd.DataFrame) -> pd.DataFrame:
    """Membership drift: the listing loses two of the Sales skill's members."""
    sales = rows.index[rows["scope_key"] == "skill:sk-sales"][:2]
    return rows.drop(index=sales)


@pytest.mark.parametrize(
    ("planted", "over"),
    [("clean", []), ("dropped_agents", ["all"]), ("membership_drift", ["skill:sk-sales"])],
)
def test_reconciliation_warns_on_planted_drift_and_passes_on_clean_data(
    simulator_factory: Start, tmp_db: str, planted: str, over: list[str]
) -> None:
    server = simulator_factory(
        clock=lambda: NOW, rate_limit_per_minute=None, agents=AGENTS, seed=SEED
    )
    day = date(2026, 10, 20)
    seed_days(tmp_db, day, agents=AGENTS, seed=SEED, zone=ZONE)
    if planted == "dropped_agents":  # a poller that lost three agents of the 'all' answer
        with connect(tmp_db) as con:
            con.execute(
                "DELETE FROM snapshots WHERE scope_key = 'all' AND agent_id IN "
                "(SELECT DISTINCT agent_id FROM snapshots ORDER BY agent_id LIMIT 3)"
            )
    fetch_history(server, tmp_db, day)
    apply_listing(server, tmp_db, NOW, _drop_members if planted == "membership_drift" else None)
    build(tmp_db, day)
    with connect(tmp_db, read_only=True) as con:
        outcome = check_reconciliation(con, day, threshold=0.05)
    assert outcome.passed == (not over)
    assert [row["scope_key"] for row in outcome.metadata["over"]] == over
    assert outcome.metadata["scopes_compared"] == len(load_scopes(DEFAULT_SCOPES))
    if not over:  # one poll a minute: a few percent off the exact figures, under 5 %
        assert 0 < outcome.metadata["worst_share"] < 0.05


def _other_agent_ids(rows: pd.DataFrame) -> pd.DataFrame:
    """A listing that names agents by another ID than history's aId (same user IDs)."""
    return rows.assign(agent_id="x-" + rows["agent_id"])


@pytest.mark.parametrize("mismatch", [False, True])
def test_history_and_listing_agents_join_by_agent_id(
    simulator_factory: Start, tmp_db: str, mismatch: bool
) -> None:
    server = simulator_factory(
        clock=lambda: NOW, rate_limit_per_minute=None, agents=AGENTS, seed=SEED
    )
    day = date(2026, 10, 20)
    seed_days(tmp_db, day, agents=AGENTS, seed=SEED, zone=ZONE)
    fetch_history(server, tmp_db, day)
    apply_listing(server, tmp_db, NOW, _other_agent_ids if mismatch else None)
    build(tmp_db, day)
    with connect(tmp_db) as con:
        found = identity(con, day)
        sales = con.execute(
            "SELECT count(DISTINCT agent_id) FROM agent_status_spans WHERE day = ? "
            "AND scope_key = 'skill:sk-sales' AND status <> 'OFFLINE'",
            [day],
        ).fetchall()[0][0]
    agents = found["history_agents"]  # those with a logged-in span that day
    assert AGENTS - 3 <= agents <= AGENTS
    # Unmatched, the listed IDs have no history (logged out all day) and the skill no one in it.
    if mismatch:  # the user IDs still meet: the mismatch is named
        assert found == {"history_agents": agents, "by_agent_id": 0,
                         "by_user_id_only": agents, "unlisted": 0}  # fmt: skip
        assert sales == 0
    else:
        assert found == {"history_agents": agents, "by_agent_id": agents,
                         "by_user_id_only": 0, "unlisted": 0}  # fmt: skip
        assert sales > 0
