"""The membership history in the warehouse (real DuckDB files): a listing applied in bulk
opens and closes validity ranges, refresh pages are staged and resumed, drift is recorded,
discovered scopes survive per-scope ticks, a membership-mode tick lands one 'all' row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines import warehouse
from pipelines.warehouse import Tick, membership
from tests.support.membership import (
    DAY,
    SCOPES,
    at,
    landing,
    listing,
    membership_tick,
    per_scope_tick,
)


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with warehouse.connect(tmp_path / "warehouse.duckdb") as connection:
        yield connection


# ---------------------------------------------------------------------------------------
# The membership history


def test_refresh_opens_closes_and_is_idempotent(con: duckdb.DuckDBPyConnection) -> None:
    t0, t1, t2 = at(DAY, "10:00"), at(DAY, "11:00"), at(DAY, "12:00")
    first = listing(("a1", "skill:s1"), ("a2", "skill:s1"), ("a1", "queue:q1"))
    assert membership.apply_membership(con, "acct", t0, first) == {
        "listed": 3, "opened": 3, "closed": 0, "updated": 0,
    }  # fmt: skip
    # The same listing again (later, and at the same instant) changes nothing.
    again = {"listed": 3, "opened": 0, "closed": 0, "updated": 0}
    assert membership.apply_membership(con, "acct", t1, first) == again
    assert membership.apply_membership(con, "acct", t1, pd.concat([first, first])) == again
    # a2 leaves s1, a3 joins it, a1 leaves q1.
    second = listing(("a1", "skill:s1"), ("a3", "skill:s1"))
    counts = membership.apply_membership(con, "acct", t2, second)
    assert counts == {"listed": 2, "opened": 1, "closed": 2, "updated": 0}
    assert membership.apply_membership(con, "acct", t2, second)["opened"] == 0
    rows = con.execute(
        "SELECT agent_id, scope_key, valid_from, valid_to FROM membership "
        "ORDER BY agent_id, scope_key"
    ).fetchall()
    assert rows == [
        ("a1", "queue:q1", t0, t2),
        ("a1", "skill:s1", t0, None),
        ("a2", "skill:s1", t0, t2),
        ("a3", "skill:s1", t2, None),
    ]
    assert membership.members_at(con, "acct", "skill:s1", t2 - timedelta(seconds=1)) == {"a1", "a2"}
    assert membership.members_at(con, "acct", "skill:s1", t2) == {"a1", "a3"}
    assert membership.members_at(con, "other", "skill:s1", t2) == set()
    with pytest.raises(ValueError, match="older"):
        membership.apply_membership(con, "acct", t1, first)
    with pytest.raises(ValueError, match="kind"):
        membership.apply_membership(con, "acct", t2, listing(("a1", "team:x")))


def test_refresh_pages_are_staged_resumed_and_applied_whole(
    con: duckdb.DuckDBPyConnection,
) -> None:
    t0 = at(DAY, "10:00")
    state = membership.open_refresh(con, "acct", t0)
    assert state.pages_missing == [1]
    membership.stage_page(
        con, state.refresh_id, 1, t0, listing(("a1", "skill:s1")), ["a1", "a0"], total_pages=2
    )
    # A later tick resumes the same refresh and sees what is left.
    resumed = membership.open_refresh(con, "acct", t0 + timedelta(minutes=1))
    assert (resumed.refresh_id, resumed.pages_missing) == (state.refresh_id, [2])
    with pytest.raises(ValueError, match=r"lacks page\(s\) \[2\]"):
        membership.complete_refresh(con, state.refresh_id, t0 + timedelta(minutes=2))
    assert con.execute("SELECT count(*) FROM membership").fetchall()[0] == (0,)
    membership.stage_page(
        con, state.refresh_id, 2, t0, listing(("a2", "skill:s1"), ("a2", "queue:q1")), ["a2"]
    )
    done = at(DAY, "10:02")
    assert membership.complete_refresh(con, state.refresh_id, done)["opened"] == 3
    refresh = con.execute(
        "SELECT completed_at, total_pages, pages, agents, rows_opened, rows_closed, complete "
        "FROM membership_refreshes"
    ).fetchall()
    assert refresh == [(done, 2, 2, 3, 3, 0, True)]
    staged = con.execute(
        "SELECT (SELECT count(*) FROM membership_pages),"
        " (SELECT count(*) FROM membership_page_rows)"
    ).fetchall()[0]
    assert staged == (0, 0)
    assert membership.members_at(con, "acct", "skill:s1", done) == {"a1", "a2"}
    assert membership.open_refresh(con, "acct", at(DAY, "11:00")).refresh_id != state.refresh_id


def test_drift_is_recorded_against_local_membership(con: duckdb.DuckDBPyConnection) -> None:
    t0 = at(DAY, "10:00")
    membership.apply_membership(con, "acct", t0, listing(("a1", "skill:s1"), ("a2", "skill:s1")))
    found = membership.record_drift(con, "acct", "skill:s1", at(DAY, "10:30"), ["a1", "a9"])
    assert (found["missing_agent_ids"], found["extra_agent_ids"], found["drift"]) == (
        ["a9"], ["a2"], True,
    )  # fmt: skip
    same = membership.record_drift(con, "acct", "skill:s1", at(DAY, "10:31"), ["a2", "a1"])
    assert not same["drift"]
    stored = con.execute(
        "SELECT scope_key, missing_agent_ids, extra_agent_ids, agents_asked, agents_known "
        "FROM membership_drift ORDER BY checked_at"
    ).fetchall()
    assert stored == [("skill:s1", ["a9"], ["a2"], 2, 2), ("skill:s1", [], [], 2, 2)]


def test_discovered_scopes_survive_per_scope_ticks(con: duckdb.DuckDBPyConnection) -> None:
    t0 = at(DAY, "10:00")
    per_scope_tick(con, t0, {"all": {}})
    catalogue = pd.DataFrame(
        {
            "scope_key": ["skill:s1", "skill:s2", "queue:q1"],
            "kind": ["skill", "skill", "queue"],
            "ref_id": ["s1", "s2", "q1"],
            "name": ["Kore's name", "Support", "Callbacks"],
        }
    )
    found = membership.upsert_discovered_scopes(con, catalogue, t0, exclude=["queue:q1"])
    assert found["added"] == ["skill:s2"]  # skill:s1 is the file's
    per_scope_tick(con, t0 + timedelta(minutes=1), {"all": {}})
    scopes = con.execute("SELECT scope_key, name, source FROM scopes ORDER BY scope_key").fetchall()
    assert scopes == [
        ("all", "All agents", "file"),
        ("skill:s1", "Sales", "file"),
        ("skill:s2", "Support", "discovered"),
    ]
    only = membership.upsert_discovered_scopes(con, catalogue, t0, include=["queue:q1"])
    assert (only["added"], only["removed"]) == (["queue:q1"], ["skill:s2"])


def test_a_membership_tick_lands_one_all_row_and_records_its_mode(
    con: duckdb.DuckDBPyConnection,
) -> None:
    t0 = at(DAY, "10:00")
    counts = membership_tick(con, t0, {"a1": "AVAILABLE", "a2": "BUSY"})
    assert (counts["scopes_asked"], counts["snapshot_rows"]) == (1, 2)
    per_scope_tick(con, t0 + timedelta(minutes=1), {"all": {}, "skill:s1": {}})
    modes = con.execute("SELECT mode, scopes_asked FROM ticks ORDER BY started_at").fetchall()
    assert modes == [("membership", 1), ("per_scope", 2)]
    with pytest.raises(ValueError, match="exactly one row"):
        tick = Tick("bad", "acct", t0, t0, mode="membership")
        frame = landing(["all", "skill:s1"], t0, [{}, {}])
        warehouse.write_tick(con, tick, frame, frame[["scope_key"]].assign(sent_at=t0), SCOPES)
