"""The warehouse: migrations, the bulk tick write (landed in batches, published at once),
idempotent re-runs."""

import json
import threading
from datetime import UTC, datetime, timedelta

import duckdb
import pandas as pd
import pytest

from pipelines.scopes import Scope
from pipelines.warehouse import (
    LANDING_COLUMNS,
    PiiPolicy,
    Tick,
    connect,
    migrate,
    write_tick,
)
from pipelines.warehouse.connection import SchemaTooNewError
from tests.support.locks import HOLD_BACKSTOP_S, release, watch_lock_refusals, writer_holding

T0 = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
SCOPES = [Scope("all", "", "All agents"), Scope("skill", "sk-a", "A"), Scope("queue", "qu-q", "Q")]


def agent(agent_id: str, **extra: object) -> dict:
    return {"_id": agent_id, "userId": "u-" + agent_id, "firstName": "F" + agent_id, **extra}


def landing(bodies: dict[str, dict | None], at: datetime = T0) -> pd.DataFrame:
    rows = []
    for key, body in bodies.items():
        ok = body is not None
        rows.append(
            {
                "scope_key": key,
                "requested_at": at,
                "answered_at": at + timedelta(milliseconds=40) if ok else None,
                "observed_at": at + timedelta(milliseconds=20) if ok else None,
                "attempts": 1 if ok else 4,
                "http_status": 200 if ok else 503,
                "latency_ms": 40.0 if ok else None,
                "outcome": "ok" if ok else "error",
                "error_kind": None if ok else "server",
                "error_text": None if ok else "HTTP 503 after 4 attempts",
                "body": json.dumps(body) if ok else '{"errors": []}',
            }
        )
    frame = pd.DataFrame(rows, columns=LANDING_COLUMNS)
    for column in ("requested_at", "answered_at", "observed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def sends(keys: list[str], at: datetime = T0) -> pd.DataFrame:
    return pd.DataFrame({"scope_key": keys, "sent_at": pd.to_datetime([at] * len(keys), utc=True)})


BODIES = {
    "all": {
        "AVAILABLE": [agent("a1", isDigitalEnabled=True, channelCapacity={
            "voice": {"isEnabled": True, "totalCapacity": 1, "usedCapacity": 0,
                      "availableCapacity": 1},
            "liveChat": {"isEnabled": True, "totalCapacity": 3, "usedCapacity": 1,
                         "availableCapacity": 2},
        }, shiftName="Day")],
        "BUSY": [agent("a2")],
        "AWAY": [],
        "OFFLINE": [agent("a3")],
        "BREAK": [agent("a4")],
    },
    "skill:sk-a": {"AVAILABLE": [agent("a1")], "BUSY": [agent("a2")], "AWAY": None},
    "queue:qu-q": None,
}  # fmt: skip


def test_migrations_apply_once_and_are_recorded(tmp_db: str) -> None:
    with connect(tmp_db) as con:
        versions = con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
        assert versions and versions[0][0] == 1
        assert migrate(con) == []  # nothing left to apply
    with connect(tmp_db) as con:
        again = con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
    assert again == versions


def test_a_schema_from_a_newer_release_is_refused_before_anything_is_written(
    tmp_db: str,
) -> None:
    with connect(tmp_db) as con:
        ((newest,),) = con.execute("SELECT max(version) FROM schema_version").fetchall()
        con.execute("INSERT INTO schema_version VALUES (999, 'from_the_future', now())")
        con.execute("CREATE TABLE future_only (x INTEGER)")
    with pytest.raises(SchemaTooNewError) as refused, connect(tmp_db):
        pass
    assert "version 999" in str(refused.value) and f"this code's {newest}" in str(refused.value)
    with connect(tmp_db, read_only=True) as con:  # readers are not migrated: still readable
        assert con.execute("SELECT count(*) FROM future_only").fetchall() == [(0,)]


def test_tick_write_derives_snapshots_agents_and_capacity(tmp_db: str) -> None:
    tick = Tick("t-1", "acct", T0, T0 + timedelta(seconds=1))
    with connect(tmp_db) as con:
        counts = write_tick(con, tick, landing(BODIES), sends(list(BODIES)), SCOPES)
        assert counts == {"scopes_asked": 3, "scopes_ok": 2, "scopes_failed": 1, "snapshot_rows": 6}
        rows = con.execute(
            "SELECT scope_key, agent_id, status FROM snapshots ORDER BY scope_key, agent_id"
        ).fetchall()
        assert rows == [
            ("all", "a1", "AVAILABLE"),
            ("all", "a2", "BUSY"),
            ("all", "a3", "OFFLINE"),
            ("all", "a4", "BREAK"),  # an unknown bucket is a status of its own, never dropped
            ("skill:sk-a", "a1", "AVAILABLE"),
            ("skill:sk-a", "a2", "BUSY"),
        ]
        a1 = con.execute(
            "SELECT first_name, is_digital_enabled, attributes FROM agents WHERE agent_id = 'a1'"
        ).fetchall()[0]
        assert a1[0] == "Fa1" and a1[1] is True
        assert json.loads(a1[2])["shiftName"] == "Day"  # a field the sample lacks is kept
        capacity = con.execute(
            "SELECT channel, total_capacity, used_capacity, available_capacity "
            "FROM channel_capacity ORDER BY channel"
        ).fetchall()
        assert capacity == [("liveChat", 3, 1, 2), ("voice", 1, 0, 1)]
        failed = con.execute(
            "SELECT outcome, http_status, attempts FROM raw_responses "
            "WHERE scope_key = 'queue:qu-q'"
        ).fetchall()[0]
        assert failed == ("error", 503, 4)
        tick_row = con.execute(
            "SELECT scopes_asked, scopes_ok, scopes_failed FROM ticks WHERE tick_id = 't-1'"
        ).fetchall()[0]
        assert tick_row == (3, 2, 1)


def test_rerunning_a_tick_replaces_it_without_duplicates(tmp_db: str) -> None:
    tick = Tick("t-1", "acct", T0, T0 + timedelta(seconds=1))
    with connect(tmp_db) as con:
        write_tick(con, tick, landing(BODIES), sends(list(BODIES)), SCOPES)
        first = con.execute("SELECT count(*) FROM snapshots").fetchall()[0][0]
        write_tick(con, tick, landing(BODIES), sends(list(BODIES)), SCOPES)
        tables = ("snapshots", "raw_responses", "ticks", "channel_capacity", "agents")
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}
    assert counts == {
        "snapshots": first,
        "raw_responses": 3,
        "ticks": 1,
        "channel_capacity": 2,
        "agents": 4,
    }


def test_a_failed_write_leaves_earlier_ticks_intact(tmp_db: str) -> None:
    with connect(tmp_db) as con:
        write_tick(con, Tick("t-1", "acct", T0, T0), landing(BODIES), sends(["all"]), SCOPES)
        before = con.execute("SELECT count(*) FROM snapshots").fetchall()[0][0]
        broken = landing(BODIES, at=T0 + timedelta(minutes=1))
        broken.loc[0, "outcome"] = None  # violates NOT NULL on raw_responses.outcome
        with pytest.raises(duckdb.ConstraintException):
            write_tick(con, Tick("t-2", "acct", T0, T0), broken, sends(["all"]), SCOPES)
        assert con.execute("SELECT count(*) FROM snapshots").fetchall()[0][0] == before
        assert con.execute("SELECT list(tick_id) FROM ticks").fetchall()[0][0] == ["t-1"]
        assert (
            con.execute("SELECT count(*) FROM raw_responses WHERE tick_id = 't-2'").fetchall()[0][0]
            == 0
        )


def test_a_write_dying_before_it_publishes_leaves_nothing_visible_and_is_withdrawn_next(
    tmp_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answers land before the tick is published: a writer that dies in between leaves them
    listed in tick_landing, which readers skip; the next write deletes them."""
    from pipelines.warehouse import last_polled, ticks

    real = ticks.execute

    def dies_at_publishing(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> None:
        if name == "ingest/snapshots.sql":
            raise RuntimeError("killed")
        real(con, name, **params)

    with connect(tmp_db) as con:
        write_tick(con, Tick("t-1", "acct", T0, T0), landing(BODIES), sends(["all"]), SCOPES)
        later = T0 + timedelta(minutes=1)
        monkeypatch.setattr(ticks, "execute", dies_at_publishing)
        with pytest.raises(RuntimeError, match="killed"):
            write_tick(con, Tick("t-2", "acct", later, later), landing(BODIES, at=later),
                       sends(["all"], at=later), SCOPES)  # fmt: skip
        monkeypatch.setattr(ticks, "execute", real)
        landed = con.execute("SELECT count(*) FROM raw_responses WHERE tick_id = 't-2'")
        assert landed.fetchall() == [(3,)]
        assert con.execute("SELECT list(tick_id) FROM tick_landing").fetchall() == [(["t-2"],)]
        for table in ("ticks", "snapshots", "channel_capacity", "request_log"):
            rows = con.execute(f"SELECT count(*) FROM {table} WHERE tick_id = 't-2'").fetchall()
            assert rows == [(0,)], table
        assert set(last_polled(con).values()) == {T0}  # the unpublished answers are skipped
        write_tick(con, Tick("t-3", "acct", later, later), landing(BODIES, at=later),
                   sends(["all"], at=later), SCOPES)  # fmt: skip
        raw = con.execute("SELECT DISTINCT tick_id FROM raw_responses ORDER BY 1").fetchall()
        assert raw == [("t-1",), ("t-3",)]
        assert con.execute("SELECT count(*) FROM tick_landing").fetchall() == [(0,)]


def test_a_rerun_dying_before_it_publishes_keeps_the_earlier_write(
    tmp_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.warehouse import ticks

    real = ticks.execute

    def dies_at_publishing(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> None:
        if name == "ingest/snapshots.sql":
            raise RuntimeError("killed")
        real(con, name, **params)

    tables = ("ticks", "raw_responses", "snapshots", "channel_capacity", "request_log")
    with connect(tmp_db) as con:
        write_tick(con, Tick("t-1", "acct", T0, T0), landing(BODIES), sends(["all"]), SCOPES)
        before = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall() for t in tables}
        monkeypatch.setattr(ticks, "execute", dies_at_publishing)
        with pytest.raises(RuntimeError, match="killed"):
            write_tick(con, Tick("t-1", "acct", T0, T0), landing(BODIES), sends(["all"]), SCOPES)
        after = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall() for t in tables}
        assert con.execute("SELECT count(*) FROM tick_landing").fetchall() == [(0,)]
    assert after == before


def test_agents_keep_first_seen_and_advance_last_seen(tmp_db: str) -> None:
    later = T0 + timedelta(minutes=5)
    with connect(tmp_db) as con:
        write_tick(con, Tick("t-1", "acct", T0, T0), landing(BODIES), sends([]), SCOPES)
        renamed = {"all": {"AVAILABLE": [agent("a1", firstName="Renamed")]}}
        write_tick(con, Tick("t-2", "acct", later, later), landing(renamed, later), sends([]),
                   SCOPES)  # fmt: skip
        row = con.execute(
            "SELECT first_name, first_seen_at < last_seen_at FROM agents WHERE agent_id = 'a1'"
        ).fetchall()[0]
    assert row == ("Renamed", True)


def test_scopes_table_follows_the_scopes_file(tmp_db: str) -> None:
    with connect(tmp_db) as con:
        write_tick(con, Tick("t-1", "acct", T0, T0), landing({}), sends([]), SCOPES)
        write_tick(con, Tick("t-2", "acct", T0, T0), landing({}), sends([]), SCOPES[:2])
        keys = con.execute("SELECT list(scope_key ORDER BY scope_key) FROM scopes").fetchall()[0][0]
    assert keys == ["all", "skill:sk-a"]


def test_an_agent_listed_twice_is_stored_once_by_precedence(tmp_db: str) -> None:
    body = {
        "AVAILABLE": [agent("a1"), agent("a4")],
        "BUSY": [agent("a1")],  # BUSY beats AVAILABLE
        "OFFLINE": [agent("a2"), agent("a4")],  # anything beats OFFLINE
        "BREAK": [agent("a2")],  # a custom status beats OFFLINE, loses to AWAY
        "AWAY": [agent("a3"), agent("a3"), agent("a2")],  # twice in one bucket: once
    }
    with connect(tmp_db) as con:
        counts = write_tick(
            con, Tick("t-1", "acct", T0, T0), landing({"all": body}), sends([]), SCOPES
        )
        rows = con.execute("SELECT agent_id, status FROM snapshots ORDER BY agent_id").fetchall()
        raw = con.execute("SELECT body FROM raw_responses").fetchall()[0][0]
    assert rows == [("a1", "BUSY"), ("a2", "AWAY"), ("a3", "AWAY"), ("a4", "AVAILABLE")]
    assert counts["snapshot_rows"] == 4
    assert json.loads(raw)["AWAY"] == body["AWAY"]  # the landing keeps every listing


@pytest.mark.subprocess
@pytest.mark.slow
def test_connect_waits_out_another_process_lock_then_gives_up(
    tmp_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with connect(tmp_db):
        pass  # the file exists and is migrated
    refused = watch_lock_refusals(monkeypatch)  # an open met the holder's lock and waited
    counts: list[list[tuple[int]]] = []

    def count_ticks() -> None:
        with connect(tmp_db, lock_timeout_s=HOLD_BACKSTOP_S) as con:  # waits instead of failing
            counts.append(con.execute("SELECT count(*) FROM ticks").fetchall())

    opener = threading.Thread(target=count_ticks)
    with writer_holding(tmp_db) as holder:
        opener.start()
        # The lock is released only once the opener has met it and is still waiting.
        assert refused.wait(timeout=HOLD_BACKSTOP_S)
        assert opener.is_alive() and counts == []
        release(holder)
        opener.join(timeout=HOLD_BACKSTOP_S)
    assert not opener.is_alive() and counts == [[(0,)]]
    # A lock held past the timeout is raised: the holder keeps it until the open gave up.
    refused_open = pytest.raises(duckdb.IOException, match="lock")
    with writer_holding(tmp_db), refused_open, connect(tmp_db, lock_timeout_s=0.3):
        pass


def test_pii_policy_hashes_stably_and_drops_or_keeps(tmp_db: str) -> None:
    hashed = PiiPolicy("hash", key=b"k" * 32)
    assert hashed.protect_value("jane@example.com") == hashed.protect_value("jane@example.com")
    assert hashed.protect_value("jane@example.com") != hashed.protect_value("john@example.com")
    assert hashed.protect_value("") == "" and hashed.protect_value(None) is None
    assert PiiPolicy("hash", key=b"j" * 32).protect_value("x@y.z") != hashed.protect_value("x@y.z")
    assert PiiPolicy("drop").protect_value("x@y.z") is None
    assert PiiPolicy("keep").protect_value("x@y.z") == "x@y.z"
    cut = '{"AVAILABLE":[{"_id":"a","emailId":"jane@example.com","phoneNumber":"55512'
    assert "jane@" not in hashed.protect_body(cut, ok=False)
    assert "55512" not in hashed.protect_body(cut, ok=False)
    assert "jane@" not in PiiPolicy("drop").protect_body("no agent jane@example.com", ok=False)
    body = json.dumps({"BUSY": [agent("a1", emailId="jane@example.com", phoneNumber=5551234)]})
    stored = json.loads(hashed.protect_body(body, ok=True) or "")["BUSY"][0]
    assert stored["emailId"].startswith("pii:") and stored["phoneNumber"].startswith("pii:")
    assert stored["firstName"] == "Fa1"  # names are kept
    assert hashed.protect_body('{"BUSY": []}', ok=True) == '{"BUSY": []}'  # untouched, verbatim
    # Without a key of its own, hash mode uses the database's, created once and then reused.
    with connect(tmp_db) as con:
        first = PiiPolicy("hash").with_database_key(con).key
    with connect(tmp_db) as con:
        again = PiiPolicy("hash").with_database_key(con).key
        assert con.execute("SELECT count(*) FROM pii_keys").fetchall() == [(1,)]
    assert first == again and first is not None and len(first) == 32


def test_contact_data_behind_json_escapes_and_in_error_texts_is_never_stored(
    tmp_db: str,
) -> None:
    """A JSON-escaped key ("\\u0065mailId" is "emailId") and an e-mail
    address inside a server's error text are protected like any other contact value."""
    victim = "victim@example.com"
    body = '{"AVAILABLE": [{"_id": "a-1", "userId": "u-1", "\\u0065mailId": "' + victim + '"}]}'
    frame = landing({"all": {}, "skill:sk-1": None})
    frame.loc[frame["scope_key"] == "all", "body"] = body
    frame.loc[frame["scope_key"] == "skill:sk-1", "error_text"] = f"HTTP 500: no agent {victim}"
    policy = PiiPolicy("hash", key=b"k" * 32)
    with connect(tmp_db) as con:
        write_tick(con, Tick("t-1", "acct", T0, T0), frame, sends(["all"]), SCOPES, pii=policy)
        stored = con.execute(
            "SELECT string_agg(coalesce(body, '') || coalesce(error_text, ''), ' ')"
            " FROM raw_responses"
        ).fetchall()[0][0]
        agents = con.execute("SELECT email, attributes::VARCHAR FROM agents").fetchall()
    assert victim not in stored
    assert agents and all(victim not in str(row) for row in agents)
    assert agents[0][0].startswith("pii:")
