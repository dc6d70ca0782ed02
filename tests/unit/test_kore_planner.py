"""The request planner: one per-account budget in a SQLite ledger, on a simulated clock.

Nothing is started: each test gives the planner a clock it drives, so "a minute later" is one
assignment and no test waits on the wall clock.
"""

from __future__ import annotations

import math
import random
import sqlite3
import threading
from pathlib import Path

import pytest

from pipelines.kore import KoreConfigError, KoreSettings
from pipelines.kore.planner import (
    PRIORITY_AVAILABILITY,
    PRIORITY_DRIFT,
    PRIORITY_MEMBERSHIP,
    WINDOW_S,
    RequestPlanner,
    ledger_path,
)

T0 = 1_780_000_000.0
ACCOUNT = "acc-1"


class Clock:
    def __init__(self, at: float = T0):
        self.at = at

    def __call__(self) -> float:
        return self.at


def planner(
    path: Path | str,
    limit: int = 5,
    reserve: int = 0,
    clock: Clock | None = None,
    poller: str | None = None,
):
    return RequestPlanner(path, limit, reserve, clock=clock or Clock(), poller=poller)


def test_grants_up_to_the_budget_then_refuses_until_the_window_moves(tmp_path: Path) -> None:
    clock = Clock()
    with planner(tmp_path / "l.sqlite", limit=5, clock=clock) as p:
        grants = [p.reserve(ACCOUNT, PRIORITY_AVAILABILITY, "availability") for _ in range(6)]
        assert all(grants[:5]) and grants[5] is None
        assert p.available(ACCOUNT, PRIORITY_AVAILABILITY) == 0
        assert p.next_slot_in(ACCOUNT, PRIORITY_AVAILABILITY) == pytest.approx(WINDOW_S)
        clock.at += 30
        assert p.next_slot_in(ACCOUNT, PRIORITY_AVAILABILITY) == pytest.approx(30)
        assert p.reserve(ACCOUNT, PRIORITY_AVAILABILITY, "availability") is None
        clock.at = T0 + WINDOW_S  # the first five leave the window exactly now
        assert p.available(ACCOUNT, PRIORITY_AVAILABILITY) == 5
        # Another account has a budget of its own.
        assert p.available("acc-2", PRIORITY_AVAILABILITY) == 5


def test_the_reserve_is_left_to_other_integrations(tmp_path: Path) -> None:
    with planner(tmp_path / "l.sqlite", limit=10, reserve=3) as p:
        assert p.budget == 7
        granted = [p.reserve(ACCOUNT, 0, "availability") for _ in range(10)]
        assert sum(g is not None for g in granted) == 7
    with pytest.raises(KoreConfigError, match="KORE_RATE_RESERVE_PER_MINUTE"):
        planner(tmp_path / "l.sqlite", limit=5, reserve=5)
    with pytest.raises(KoreConfigError, match="KORE_RATE_LIMIT_PER_MINUTE"):
        planner(tmp_path / "l.sqlite", limit=0)


def test_a_membership_page_cannot_take_the_slot_kept_for_availability(tmp_path: Path) -> None:
    with planner(tmp_path / "l.sqlite", limit=5) as p:
        pages = [p.reserve(ACCOUNT, PRIORITY_MEMBERSHIP, "agents page") for _ in range(5)]
        assert sum(g is not None for g in pages) == 4
        assert p.next_slot_in(ACCOUNT, PRIORITY_MEMBERSHIP) == pytest.approx(WINDOW_S)
        assert p.reserve(ACCOUNT, PRIORITY_DRIFT, "drift") is None
        grant = p.reserve(ACCOUNT, PRIORITY_AVAILABILITY, "availability")
        assert grant is not None and grant.priority == 0
        assert p.used(ACCOUNT) == {PRIORITY_MEMBERSHIP: 4, PRIORITY_AVAILABILITY: 1}


def test_declared_expectations_keep_room_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    clock = Clock()
    poller = planner(path, limit=10, clock=clock)
    refresher = planner(path, limit=10, clock=clock)  # another connection, as another process
    poller.expect(ACCOUNT, PRIORITY_AVAILABILITY, 6, ttl_s=120)
    poller.expect(ACCOUNT, PRIORITY_MEMBERSHIP, 2, ttl_s=120)
    assert refresher.available(ACCOUNT, PRIORITY_MEMBERSHIP) == 4
    assert refresher.available(ACCOUNT, PRIORITY_DRIFT) == 2
    assert refresher.reserve(ACCOUNT, PRIORITY_MEMBERSHIP, "page", count=5) is None
    assert refresher.reserve(ACCOUNT, PRIORITY_MEMBERSHIP, "page", count=4) is not None
    assert refresher.next_slot_in(ACCOUNT, PRIORITY_MEMBERSHIP) == pytest.approx(WINDOW_S)
    assert refresher.next_slot_in(ACCOUNT, PRIORITY_MEMBERSHIP, count=7) == math.inf
    clock.at += 121  # the declaration lapses; the default (one availability request) is back
    assert refresher.available(ACCOUNT, PRIORITY_MEMBERSHIP) == 9
    poller.close()
    refresher.close()


def test_concurrent_pollers_add_up_and_one_pollers_runs_replace_each_other(
    tmp_path: Path,
) -> None:
    path = tmp_path / "l.sqlite"
    clock = Clock()
    a = planner(path, limit=10, clock=clock, poller="a.duckdb")
    b = planner(path, limit=10, clock=clock, poller="b.duckdb")
    a.expect(ACCOUNT, PRIORITY_AVAILABILITY, 3)
    b.expect(ACCOUNT, PRIORITY_AVAILABILITY, 3)
    assert a.available(ACCOUNT, PRIORITY_MEMBERSHIP) == 4  # room for both pollers' requests
    a_next_run = planner(path, limit=10, clock=clock, poller="a.duckdb")  # a's next run
    a_next_run.expect(ACCOUNT, PRIORITY_AVAILABILITY, 1)
    assert a.available(ACCOUNT, PRIORITY_MEMBERSHIP) == 6  # 1 + 3, not 3 + 3 + 1
    for one in (a, b, a_next_run):
        one.close()


def test_retry_after_holds_every_priority_and_every_holder(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    clock = Clock()
    with planner(path, clock=clock) as one, planner(path, clock=clock) as other:
        one.hold_for(ACCOUNT, 12)
        one.hold_for(ACCOUNT, 3)  # a shorter hold never shortens a longer one
        assert other.reserve(ACCOUNT, PRIORITY_AVAILABILITY, "availability") is None
        assert other.next_slot_in(ACCOUNT, PRIORITY_AVAILABILITY) == pytest.approx(12)
        clock.at += 12
        assert other.reserve(ACCOUNT, PRIORITY_AVAILABILITY, "availability") is not None


def test_a_multi_send_reservation_is_all_or_nothing(tmp_path: Path) -> None:
    with planner(tmp_path / "l.sqlite", limit=5) as p:
        assert p.reserve(ACCOUNT, 0, "a", count=3) is not None
        assert p.reserve(ACCOUNT, 0, "b", count=3) is None
        assert len(p.sends(ACCOUNT)) == 3
        with pytest.raises(ValueError):
            p.reserve(ACCOUNT, -1, "x")


def test_the_ledger_path_defaults_beside_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AVAILABILITY_BUDGET_LEDGER", raising=False)
    monkeypatch.setenv("AVAILABILITY_DB", "/data/w.duckdb")
    assert ledger_path() == "/data/w.duckdb.budget.sqlite"
    assert ledger_path("/x/y.duckdb") == "/x/y.duckdb.budget.sqlite"
    monkeypatch.setenv("AVAILABILITY_BUDGET_LEDGER", "/run/kore.sqlite")
    assert ledger_path("/x/y.duckdb") == "/run/kore.sqlite"


def test_for_settings_takes_the_limit_and_the_reserve(tmp_path: Path) -> None:
    kore = KoreSettings(
        host="http://127.0.0.1:9",
        bot_id="st-b",
        account_id=ACCOUNT,
        client_id="cs-x",
        client_secret="s" * 32,
        rate_limit_per_minute=30,
        rate_reserve_per_minute=10,
    )
    with RequestPlanner.for_settings(kore, tmp_path / "l.sqlite") as p:
        assert (p.limit, p.budget) == (30, 20)
    with pytest.raises(KoreConfigError, match="KORE_RATE_RESERVE_PER_MINUTE"):
        KoreSettings(**{**kore.__dict__, "rate_reserve_per_minute": 30}).validate()


# --------------------------------------------------------------------------------------------
# Overlapping holders: the ledger's invariants
# --------------------------------------------------------------------------------------------


def ledger_rows(path: Path) -> list[tuple[int, float, int]]:
    """(insertion order, sent_at, priority) of every send in the ledger."""
    with sqlite3.connect(path) as con:
        return con.execute("SELECT rowid, sent_at, priority FROM sends ORDER BY rowid").fetchall()


def assert_budget_kept(rows: list[tuple[int, float, int]], budget: int, headroom: int) -> None:
    """No 60-second window holds more than ``budget`` sends, and when a send of priority > 0
    was granted, the sends recorded by then left ``headroom`` free for availability."""
    times = sorted(at for _, at, _ in rows)
    for i, start in enumerate(times):
        inside = sum(1 for at in times[i:] if at < start + WINDOW_S)
        assert inside <= budget, f"{inside} sends in the 60 s from {start - T0:.2f}"
    for row_id, at, priority in rows:
        if priority == PRIORITY_AVAILABILITY:
            continue
        seen = sum(1 for r, other, _ in rows if r <= row_id and other > at - WINDOW_S)
        assert seen <= budget - headroom, f"priority {priority} send at {at - T0:.2f}"


def run_holder(path: Path, offset: float, steps: int, seed: int, limit: int) -> None:
    """One holder: its own connection, its own simulated clock (0.25 s per step, ``offset``
    apart from the other's), asking at random priorities."""
    clock = Clock(T0 + offset)
    rng = random.Random(seed)
    with RequestPlanner(path, limit, clock=clock) as p:
        for _ in range(steps):
            priority = rng.choice([0, 0, 1, 1, 1, 2])
            p.reserve(ACCOUNT, priority, f"p{priority}", count=rng.choice([1, 1, 2]))
            clock.at += 0.25


def test_two_threads_with_their_own_connections_never_exceed_the_budget(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    limit, steps = 12, 1200  # 5 simulated minutes each
    RequestPlanner(path, limit).close()
    threads = [
        threading.Thread(target=run_holder, args=(path, offset, steps, seed, limit))
        for offset, seed in ((0.0, 1), (0.1, 2))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive()
    rows = ledger_rows(path)
    assert_budget_kept(rows, budget=limit, headroom=1)
    assert len(rows) >= limit * 4  # the budget is used, not starved
    assert {priority for _, _, priority in rows} >= {0, 1}
