"""Synthetic history: counts, truth against the simulator, idempotence, refusal, day chunks."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.scopes import Scope, load_scopes
from pipelines.settings import DEFAULT_SCOPES
from pipelines.simulator import Simulator, SimulatorConfig
from pipelines.simulator.history import HistoryError, seed_history
from pipelines.simulator.history_cli import main
from pipelines.warehouse import LANDING_COLUMNS, PiiPolicy, Tick, connect, write_tick

SCOPES = load_scopes(DEFAULT_SCOPES)
T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> object:
    return con.execute(sql, params or []).fetchall()[0][0]


def expected_members(sim: Simulator, scopes: list[Scope]) -> dict[str, set[str]]:
    return {s.key: set(sim.scope_members(s.key)) for s in scopes}


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = ("ticks", "raw_responses", "snapshots", "agents", "scopes", "request_log")
    return {t: one(con, f"SELECT count(*) FROM {t}") for t in tables}


def duplicates(con: duckdb.DuckDBPyConnection) -> int:
    return one(
        con,
        "SELECT count(*) FROM (SELECT tick_id, scope_key, agent_id FROM snapshots "
        "GROUP BY ALL HAVING count(*) > 1)",
    )


def check_truth(
    con: duckdb.DuckDBPyConnection, sim: Simulator, samples: int, rng: random.Random
) -> None:
    """Stored statuses of random (tick, scope, agent) rows equal Simulator.status_at."""
    rows = con.execute(
        "SELECT observed_at, agent_id, status FROM snapshots "
        f"USING SAMPLE reservoir({int(samples)} ROWS) REPEATABLE (7)"
    ).fetchall()
    assert len(rows) == samples
    for observed_at, agent_id, status in rows:
        assert status == sim.status_at(agent_id, observed_at)[0], (observed_at, agent_id)
    # And from the model's side: random (tick, agent) pairs of the roster.
    ticks = [r[0] for r in con.execute("SELECT started_at FROM ticks").fetchall()]
    for _ in range(samples):
        at, agent = rng.choice(ticks), rng.choice(sim.roster)
        stored = con.execute(
            "SELECT DISTINCT status FROM snapshots WHERE observed_at = ? AND agent_id = ?",
            [at, agent.agent_id],
        ).fetchall()
        assert stored == [(sim.status_at(agent.agent_id, at)[0],)], (at, agent.agent_id)


def test_small_run_writes_expected_rows(tmp_db: str) -> None:
    with connect(tmp_db) as con:
        summary = seed_history(
            con, start=T0, end=T0 + timedelta(hours=2), agents=20, seed=3, scopes=SCOPES
        )
        sim = Simulator(SimulatorConfig(agents=20, seed=3))
        members = expected_members(sim, SCOPES)
        per_tick = sum(len(m) for m in members.values())
        assert (summary.ticks, summary.raw_rows, summary.agents) == (120, 120 * len(SCOPES), 20)
        assert summary.snapshot_rows == 120 * per_tick
        counts = table_counts(con)
        assert counts == {
            "ticks": 120,
            "raw_responses": 120 * len(SCOPES),
            "snapshots": 120 * per_tick,
            "agents": 20,
            "scopes": len(SCOPES),
            "request_log": 0,  # synthetic history spends no API budget
        }
        assert con.execute("SELECT DISTINCT source, account_id FROM ticks").fetchall() == [
            ("synthetic", "synthetic")
        ]
        assert one(con, "SELECT min(started_at) FROM ticks") == T0
        assert one(con, "SELECT max(started_at) FROM ticks") == T0 + timedelta(minutes=119)
        assert one(con, "SELECT min(tick_id) FROM ticks") == "synthetic-2026-11-24T14:00:00Z"
        raw = con.execute(
            "SELECT DISTINCT outcome, http_status, attempts, body IS NULL, error_text, "
            "observed_at = requested_at FROM raw_responses"
        ).fetchall()
        assert raw == [("ok", 200, 1, True, "synthetic", True)]
        # Every scope lists exactly its members at every tick, OFFLINE agents included.
        listed = con.execute(
            "SELECT scope_key, list(DISTINCT agent_id), count(*) FROM snapshots GROUP BY 1"
        ).fetchall()
        assert {k: set(ids) for k, ids, _ in listed} == members
        assert all(n == 120 * len(members[k]) for k, _, n in listed)
        assert one(con, "SELECT count(*) FROM snapshots WHERE status = 'OFFLINE'") > 0
        marked = one(con, "SELECT count(*) FROM agents WHERE attributes ->> 'synthetic' = 'true'")
        assert marked == 20
        assert one(con, "SELECT min(first_name) IS NOT NULL FROM agents")
        check_truth(con, sim, 25, random.Random(1))


def test_rerun_replaces_instead_of_duplicating(tmp_db: str) -> None:
    args = {"agents": 15, "seed": 5, "scopes": SCOPES, "tick_seconds": 120}
    with connect(tmp_db) as con:
        seed_history(con, start=T0, end=T0 + timedelta(hours=2), **args)
        before = table_counts(con)
        seed_history(con, start=T0, end=T0 + timedelta(hours=2), **args)
        assert table_counts(con) == before
        assert duplicates(con) == 0
        # An overlapping range: the overlap is replaced, the rest added.
        summary = seed_history(
            con, start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=3), **args
        )
        assert summary.ticks == 60
        assert one(con, "SELECT count(*) FROM ticks") == 90
        assert one(con, "SELECT count(*) FROM raw_responses") == 90 * len(SCOPES)
        assert one(con, "SELECT count(*) FROM snapshots") == before["snapshots"] // 60 * 90
        assert duplicates(con) == 0
        with pytest.raises(HistoryError, match="--replace"):
            seed_history(con, start=T0, end=T0 + timedelta(hours=1), replace=False, **args)


def poll_tick(con: duckdb.DuckDBPyConnection, at: datetime, agent_id: str) -> None:
    """A real polled tick through the warehouse's own write path."""
    body = {"AVAILABLE": [{"_id": agent_id, "userId": "u-real", "firstName": "Real"}]}
    frame = pd.DataFrame(
        [
            {
                "scope_key": "all",
                "requested_at": at,
                "answered_at": at + timedelta(milliseconds=30),
                "observed_at": at + timedelta(milliseconds=15),
                "attempts": 1,
                "http_status": 200,
                "latency_ms": 30.0,
                "outcome": "ok",
                "error_kind": None,
                "error_text": None,
                "body": json.dumps(body),
            }
        ],
        columns=LANDING_COLUMNS,
    )
    sends = pd.DataFrame({"scope_key": ["all"], "sent_at": [at]})
    tick = Tick(f"poll-{at.isoformat()}", "acct", at, at + timedelta(seconds=1))
    write_tick(con, tick, frame, sends, [Scope("all", "", "All agents")])


def test_refuses_to_write_over_real_polls(tmp_db: str) -> None:
    roster_agent = Simulator(SimulatorConfig(agents=10, seed=1)).roster[0].agent_id
    with connect(tmp_db) as con:
        poll_tick(con, T0 + timedelta(minutes=30), roster_agent)
        before = table_counts(con)
        with pytest.raises(HistoryError, match="real") as refused:
            seed_history(
                con, start=T0, end=T0 + timedelta(hours=1), agents=10, seed=1, scopes=SCOPES
            )
        assert "2026-11-24T14:00:00+00:00" in str(refused.value)
        assert table_counts(con) == before
        assert con.execute("SELECT DISTINCT source FROM ticks").fetchall() == [("poll",)]
        # Next to the real data is fine, and the real agent row keeps its real attributes.
        seed_history(
            con,
            start=T0 + timedelta(hours=1),
            end=T0 + timedelta(hours=2),
            agents=10,
            seed=1,
            scopes=SCOPES,
        )
        assert one(con, "SELECT count(*) FROM ticks WHERE source = 'poll'") == 1
        assert one(con, "SELECT count(*) FROM snapshots WHERE tick_id LIKE 'poll-%'") == 1
        real = con.execute(
            "SELECT first_name, attributes ->> 'synthetic' FROM agents WHERE agent_id = ?",
            [roster_agent],
        ).fetchall()
        assert real == [("Real", None)]


def test_days_are_chunked_at_local_midnight_across_dst(tmp_db: str) -> None:
    # New York leaves DST on 2026-11-01: that local day lasts 25 hours.
    start = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
    lines: list[str] = []
    with connect(tmp_db) as con:
        summary = seed_history(
            con,
            start=start,
            end=start + timedelta(days=2),
            agents=10,
            seed=11,
            scopes=SCOPES,
            tick_seconds=300,
            progress=lines.append,
        )
        assert summary.ticks == 2 * 24 * 12
        assert [line.split(":")[0] for line in lines] == ["2026-10-31", "2026-11-01", "2026-11-02"]
        assert lines[1].startswith("2026-11-01: 300 ticks")  # 25 h of 5-minute ticks
        sim = Simulator(SimulatorConfig(agents=10, seed=11))
        per_tick = sum(len(m) for m in expected_members(sim, SCOPES).values())
        assert one(con, "SELECT count(*) FROM snapshots") == summary.ticks * per_tick
        assert duplicates(con) == 0
        check_truth(con, sim, 40, random.Random(2))


def test_agent_list_scopes_and_unknown_ids(tmp_db: str) -> None:
    sim = Simulator(SimulatorConfig(agents=8, seed=2))
    listed = (sim.roster[1].agent_id, sim.roster[4].agent_id, "a-not-on-the-roster")
    scopes = [Scope("agents", "team", "Team", listed), Scope("skill", "sk-none", "Unknown")]
    with connect(tmp_db) as con:
        seed_history(con, start=T0, end=T0 + timedelta(minutes=10), agents=8, seed=2, scopes=scopes)
        rows = con.execute("SELECT scope_key, count(*) FROM snapshots GROUP BY 1").fetchall()
        assert rows == [("agents:team", 20)]
        # The unknown skill was still "asked" every tick and answered with nobody.
        assert (
            one(con, "SELECT count(*) FROM raw_responses WHERE scope_key = 'skill:sk-none'") == 10
        )


def test_cli_prints_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "cli.duckdb"
    monkeypatch.setenv("AVAILABILITY_DB", str(database))
    argv = ["--days", "0.25", "--agents", "6", "--seed", "4", "--tick-seconds", "300"]
    argv += ["--end", "2026-11-25T06:02:00Z", "--scopes", str(DEFAULT_SCOPES)]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert re.fullmatch(
        r"seeded 72 ticks, \d+ snapshot rows for 6 agents in [\d.]+ s \([\d,]+ rows/s\)\n", out
    )
    # [00:00, 06:00) UTC is 19:00-01:00 in New York: two local days, two chunks.
    assert "2026-11-24: 60 ticks" in err and "2026-11-25: 12 ticks" in err
    with connect(database) as con:
        # --end is rounded down to the tick: the last tick is 05:55 UTC.
        assert one(con, "SELECT max(started_at) FROM ticks") == datetime(
            2026, 11, 25, 5, 55, tzinfo=UTC
        )
        poll_tick(con, datetime(2026, 11, 25, 3, 0, tzinfo=UTC), "a-x")
    assert main(argv) == 2
    assert "real data is never replaced" in capsys.readouterr().err


@pytest.mark.parametrize("mode", ["hash", "drop"])
def test_synthetic_agents_honour_the_pii_setting(tmp_db: str, mode: str) -> None:
    """Synthetic rows never keep what the PII policy keeps out of the tables."""
    start = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    sim = Simulator(SimulatorConfig(agents=5, seed=3))
    with connect(tmp_db) as con:
        seed_history(
            con, start=start, end=start + timedelta(minutes=5), agents=5, seed=3,
            scopes=load_scopes(DEFAULT_SCOPES), pii=PiiPolicy(mode=mode, key=b"k" * 32),
        )  # fmt: skip
        rows = con.execute("SELECT email, phone, attributes FROM agents").fetchall()
    clear = {a.email for a in sim.roster} | {a.phone for a in sim.roster}
    assert len(rows) == 5
    for email, phone, attributes in rows:
        stored = json.loads(attributes)
        if mode == "hash":
            assert email.startswith("pii:") and phone.startswith("pii:")
            assert stored["emailId"] == email and stored["phoneNumber"] == phone
        else:
            assert email is None and phone is None
            assert "emailId" not in stored and "phoneNumber" not in stored
        assert not clear & {email, phone, *map(str, stored.values())}
