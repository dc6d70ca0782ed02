"""One tick's write: the landing rows in bulk, in batches, published by one last transaction.

Snapshots, agents and channel capacity are derived from the landed raw bodies by the SQL in
``sql/ingest/``, after the PII policy has rewritten the bodies; sends are recorded for the
account's shared rate budget.

Memory. A DuckDB transaction keeps its new rows in memory and copies and logs them again at
its commit, so a tick written in one transaction held every answer about three times over.
Here the answers land in batches (:data:`BATCH_BODY_CHARS` of text, or one larger answer),
each batch in its own transaction, agents are upserted batch by batch, and the tick is
published by a last transaction that writes its snapshots, channel capacity and ``ticks`` row.
Bound on the write's peak above the process's level before it (child-process peak RSS,
``tests/integration/test_tick_memory.py`` asserts it; figures in the README's failure table):

    150 MB  +  20 x the largest answer  +  2.5 x the text of every other answer

where that text is at most KORE_TICK_TEXT_BUDGET_MB (:mod:`pipelines.polling.tick_text`
refuses the largest answers past it), so the bound does not grow with the number of scopes
(126 MiB answers, default budget: 1 answer 1,413 MB; 11 asked, 2 kept, 1,738 MB).

The first two terms are one answer parsed by DuckDB (10-22x its text, listings and agent
objects). The last is what DuckDB still keeps of answers already landed: when it checkpoints
it rewrites the last row group of ``raw_responses`` and holds that group's long bodies at once
(this is also true across ticks), plus the tick's listings until it is published. Measured
(answers of 7.8 / 31 / 126 MiB): 1 answer 146-161 / 607-699 / 1,299 MB, 11 answers 306-362 /
1,057-1,115 / 3,775 MB; in one transaction the 11 took 564 / 1,270-1,344 MB (about 4.7x and
2.5x each further answer). Keeping long bodies out of DuckDB's row groups is what would
remove the last term.

Visibility. While a tick is written it is listed in ``tick_landing`` (migration 012): its
``raw_responses`` rows are landed but not published, and readers of ``raw_responses`` skip
them. The last transaction removes it from that table and writes its snapshots, channel
capacity, request sends and ``ticks`` row, so a crash leaves no visible part of a tick; the
next tick's write deletes what a dead writer landed (``sql/ingest/withdraw.sql``). Agents are
upserted batch by batch (an agent's row records what an answer said of it, not a tick).
A re-run of a tick already published is written in one transaction, as before, so a crash
keeps the earlier write; it costs what a tick in one transaction cost.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import pandas as pd

from pipelines.packed import unpack
from pipelines.scopes import Scope
from pipelines.warehouse.connection import registered, transaction
from pipelines.warehouse.pii import PiiPolicy
from pipelines.warehouse.sql import execute, fetch_all

__all__ = [
    "LANDING_COLUMNS",
    "MODES",
    "REQUEST_LOG_RETENTION",
    "Tick",
    "last_polled",
    "scopes_frame",
    "write_tick",
]


@dataclass(frozen=True)
class Tick:
    """One poll of some or all scopes. ``tick_id`` is deterministic so a re-run replaces it.

    ``mode`` is how the statuses were acquired: ``per_scope`` (one request per scope asked) or
    ``membership`` (one request for all agents: the landing frame holds one row, scope
    ``all``, and coverage derives every skill and queue from the membership valid then).
    """

    tick_id: str
    account_id: str
    started_at: datetime
    ended_at: datetime
    source: str = "poll"
    run_id: str | None = None
    scopes_deferred: int = 0
    mode: str = "per_scope"
    requests: int | None = None  # every endpoint and retry; None: the sends landed with it


LANDING_COLUMNS = [
    "scope_key",
    "requested_at",
    "answered_at",
    "observed_at",
    "attempts",
    "http_status",
    "latency_ms",
    "outcome",
    "error_kind",
    "error_text",
    "body",
]


MODES = ("per_scope", "membership")

# Body text landed per batch of a tick's write (an answer longer than this is a batch of its
# own): with the parsing DuckDB does on it, what one batch costs in memory is what a tick's
# write costs, however many answers the tick has. Small enough that a batch of short answers
# costs less than one answer near the cap; large enough that hundreds of short answers land
# in a few transactions.
BATCH_BODY_CHARS = 4 << 20

# Sends older than this cannot matter for any rate window; the tick write prunes them.
REQUEST_LOG_RETENTION = timedelta(days=1)


def scopes_frame(scopes: Sequence[Scope]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scope_key": [s.key for s in scopes],
            "kind": [s.kind for s in scopes],
            "ref_id": [s.ref_id for s in scopes],
            "name": [s.name for s in scopes],
            "agent_ids": [list(s.agent_ids) if s.kind == "agents" else None for s in scopes],
        }
    )


def write_tick(
    con: duckdb.DuckDBPyConnection,
    tick: Tick,
    landing: pd.DataFrame,
    sends: pd.DataFrame,
    scopes: Sequence[Scope],
    pii: PiiPolicy | None = None,
) -> dict[str, int]:
    """Write one tick, replacing any earlier write of the same tick; publish it last.

    ``landing`` has one row per scope asked (``LANDING_COLUMNS``); ``sends`` one row per
    request attempt (``scope_key``, ``sent_at``) for the account's shared rate budget.
    Snapshots, agents and channel capacity are derived from the landed bodies by SQL, after
    ``pii`` (default: :meth:`PiiPolicy.from_env`, i.e. hash) has rewritten e-mail and phone in
    the bodies, so no table keeps what the policy removes.

    The answers land batch by batch, each batch in its own transaction, and the tick becomes
    visible with its last transaction (snapshots, channel capacity, sends, ``ticks`` row), so
    DuckDB holds a batch at a time, not the tick (module docstring: the bound). A re-run of a
    published tick is one transaction, so a crash keeps the earlier write.

    An agent listed in two buckets of one answer is stored once per (tick, scope), with the
    status chosen by the coverage precedence (BUSY > AVAILABLE > AWAY > other > OFFLINE); the
    raw body keeps both listings.
    """
    missing = [c for c in LANDING_COLUMNS if c not in landing.columns]
    if missing:
        raise ValueError(f"landing frame lacks column(s) {missing}")
    if tick.mode not in MODES:
        raise ValueError(f"tick mode must be one of {list(MODES)}, got {tick.mode!r}")
    if tick.mode == "membership" and list(landing["scope_key"]) != ["all"]:
        raise ValueError(
            "a membership-mode tick lands exactly one row, scope_key 'all'; got "
            f"{list(landing['scope_key'])}"
        )
    policy = (pii or PiiPolicy.from_env()).with_database_key(con)
    sends = sends[["scope_key", "sent_at"]].copy()
    sends.insert(0, "tick_id", tick.tick_id)
    sends.insert(0, "account_id", tick.account_id)
    ok = int((landing["outcome"] == "ok").sum())
    now = datetime.now(UTC)
    whole = bool(fetch_all(con, "ingest/tick_exists.sql", tick_id=tick.tick_id))
    incoming = {"incoming_scopes": scopes_frame(scopes), "incoming_sends": sends}
    try:
        with registered(con, **incoming), _steps(con, whole) as step:
            with step():
                execute(con, "ingest/withdraw.sql", tick_id=tick.tick_id, started_at=now)
                execute(con, "ingest/land.sql")
            batches = land_batches(con, tick, landing, policy, step)
            with step():
                execute(con, "ingest/agents_chosen.sql")
                chosen = {key for (key,) in fetch_all(con, "ingest/chosen_scopes.sql")}
            for batch_keys in batches:
                keys = [key for key in batch_keys if key in chosen]
                if keys:
                    with step():
                        execute(con, "ingest/agents_fetch.sql", tick_id=tick.tick_id,
                                scope_keys=keys)  # fmt: skip
                        execute(con, "ingest/agents.sql")
            with step():
                _publish(con, tick, len(landing), ok, len(sends), now)
                ((snapshot_rows,),) = fetch_all(con, "ingest/tick_rows.sql", tick_id=tick.tick_id)
    finally:
        with contextlib.suppress(duckdb.Error):  # the connection may be gone with the error
            execute(con, "ingest/unland.sql")
    return {
        "scopes_asked": len(landing),
        "scopes_ok": ok,
        "scopes_failed": len(landing) - ok,
        "snapshot_rows": int(snapshot_rows),
    }


@contextlib.contextmanager
def _steps(
    con: duckdb.DuckDBPyConnection, whole: bool
) -> Iterator[Callable[[], AbstractContextManager[object]]]:
    """The transactions of a write's steps: one per step, or (``whole``, a re-run replacing a
    published tick, so that a crash keeps the earlier write) one around them all."""
    if whole:
        with transaction(con):
            yield contextlib.nullcontext
    else:
        yield lambda: transaction(con)


def _publish(
    con: duckdb.DuckDBPyConnection, tick: Tick, asked: int, ok: int, sent: int, now: datetime
) -> None:
    """The tick's last transaction: snapshots, channel capacity, sends and its ticks row."""
    ((landed, listed),) = fetch_all(con, "ingest/tick_landed.sql", tick_id=tick.tick_id)
    if landed != asked or listed != 1:
        raise RuntimeError(
            f"tick {tick.tick_id}: {landed} of {asked} answers are landed; another write "
            "withdrew them, so this one is not published"
        )
    execute(con, "ingest/scopes.sql", now=now)
    execute(con, "ingest/snapshots.sql", tick_id=tick.tick_id)
    execute(con, "ingest/capacity.sql", tick_id=tick.tick_id)
    execute(
        con,
        "ingest/tick.sql",
        tick_id=tick.tick_id,
        account_id=tick.account_id,
        source=tick.source,
        mode=tick.mode,
        run_id=tick.run_id,
        started_at=tick.started_at,
        ended_at=tick.ended_at,
        scopes_asked=asked,
        scopes_ok=ok,
        scopes_failed=asked - ok,
        scopes_deferred=tick.scopes_deferred,
        requests=sent if tick.requests is None else tick.requests,
        written_at=now,
        log_kept_since=now - REQUEST_LOG_RETENTION,
    )


def land_batches(
    con: duckdb.DuckDBPyConnection,
    tick: Tick,
    landing: pd.DataFrame,
    policy: PiiPolicy,
    step: Callable[[], AbstractContextManager[object]],
) -> list[list[str]]:
    """Land the answers batch by batch, each batch in a transaction of its own (``step``),
    listing their agents into ``tick_listings``; return the scope keys of each batch."""
    batches = []
    for batch, bodies in landing_batches(landing, tick, policy):
        keys = list(batch["scope_key"])
        con.register("incoming_landing", batch)
        try:
            with step():
                execute(con, "ingest/listings.sql", bodies=bodies, tick_id=tick.tick_id,
                        scope_keys=keys)  # fmt: skip
        finally:
            con.unregister("incoming_landing")
        batches.append(keys)
        del bodies
    return batches


def landing_batches(
    landing: pd.DataFrame, tick: Tick, policy: PiiPolicy
) -> Iterator[tuple[pd.DataFrame, list[str | None]]]:
    """The landing rows as raw_responses rows without the body, and their bodies, in batches
    of at most :data:`BATCH_BODY_CHARS` of body text (a larger answer is a batch of its own).

    A body may arrive packed (bytes, :func:`pipelines.packed.pack`); it is
    unpacked, and its contact data protected by ``policy``, only when its batch is made, so a
    tick's write holds one batch of text at a time, not every answer.
    """
    rows = landing[LANDING_COLUMNS]
    start, size = 0, 0
    bodies: list[str | None] = []
    for i, (body, outcome) in enumerate(zip(rows["body"], rows["outcome"], strict=True)):
        text = unpack(body)
        if policy.mode != "keep":
            text = policy.protect_body(text, outcome == "ok")
        if bodies and size + len(text or "") > BATCH_BODY_CHARS:
            yield _batch(rows.iloc[start:i], tick, policy), bodies
            start, size, bodies = i, 0, []
        bodies.append(text)
        size += len(text or "")
        del text
    if bodies:
        yield _batch(rows.iloc[start:], tick, policy), bodies


def _batch(rows: pd.DataFrame, tick: Tick, policy: PiiPolicy) -> pd.DataFrame:
    batch = rows.drop(columns=["body"]).copy()
    if policy.mode != "keep":
        batch["error_text"] = pd.array(
            [policy.scrub_text(None if pd.isna(t) else t) for t in batch["error_text"]],
            dtype="string",
        )
    batch.insert(0, "tick_id", tick.tick_id)
    batch.insert(2, "account_id", tick.account_id)
    return batch


def last_polled(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    """When each scope was last asked, so a tick short of budget serves the stalest first."""
    return dict(fetch_all(con, "ingest/last_polled.sql"))
