"""Synthetic history: weeks of snapshots from the simulator's model, written straight to DuckDB.

Coverage, requirements and reports need days of polls before they show anything, and a real
poller only adds one tick a minute. ``availability seed-history`` fills a time range with what
a perfect poller would have stored, using the simulator's exact model (``Simulator.timeline``)
instead of HTTP, so a demo or a backfill test has a fortnight of data in seconds. The command
line is in ``history_cli``.

What is written, for every tick time t (every multiple of ``tick_seconds`` since the epoch in
[start, end)) and every scope of the scopes file:

- ``ticks``: one row, ``source = 'synthetic'``, ``tick_id = 'synthetic-<UTC ISO time>'``,
  started = ended = t, every scope asked and ok, ``run_id`` NULL.
- ``raw_responses``: one row per (tick, scope), outcome 'ok', HTTP 200, one attempt, 0 ms,
  requested = answered = observed = t. ``body`` is NULL and ``error_text`` is 'synthetic': no
  answer was ever received, and nothing downstream may mistake these rows for Kore.ai's. The
  coverage SQL still uses them as observation points (outcome 'ok', observed_at set).
- ``snapshots``: one row per member agent of the scope with the status the model gives it at
  t, OFFLINE agents included (the real API lists them under OFFLINE).
- ``agents``: the simulated roster, ``attributes`` carrying ``"synthetic": true``; rows that
  came from real polls are left alone.
- ``scopes``: made to match the scopes file, as every poll tick does.

No ``request_log`` rows: synthetic history spends none of the account's API budget.

Safety: real data is never deleted. If any non-synthetic tick touches the range, seeding
refuses before writing anything and names the range. Earlier synthetic ticks in the range are
replaced (deleted, then written again), so a re-run never duplicates; ``replace=False``
(``--no-replace``) refuses instead.

The range is written in chunks of one LOCAL day (``time_zone``, the same days the coverage
tables are partitioned by), each chunk in one transaction: an interrupted run leaves whole
days, and memory stays bounded by one day of spans. The row work is DuckDB's: each span of
the model becomes the range of tick numbers it covers, one ``unnest`` expands it, and two
hash joins against the chunk's ticks and the scope membership produce the rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pandas as pd

from pipelines.coverage.calendar import local_days
from pipelines.scopes import Scope
from pipelines.simulator.config import SimulatorConfig
from pipelines.simulator.model import Simulator, as_utc
from pipelines.simulator.roster import Agent
from pipelines.warehouse import (
    PiiPolicy,
    execute,
    fetch_all,
    registered,
    scopes_frame,
    transaction,
)

__all__ = [
    "DEFAULT_TIME_ZONE",
    "SYNTHETIC_ACCOUNT",
    "HistoryError",
    "HistorySummary",
    "seed_history",
]

DEFAULT_TIME_ZONE = "America/New_York"
SYNTHETIC_ACCOUNT = "synthetic"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class HistoryError(ValueError):
    """Seeding was refused (real polls in the range, bad arguments); nothing was written."""


@dataclass(frozen=True)
class HistorySummary:
    """What one seeding wrote; ``seconds`` is wall time for the whole run."""

    ticks: int
    snapshot_rows: int
    raw_rows: int
    agents: int
    seconds: float

    def line(self) -> str:
        """The one-line report the command prints."""
        rate = self.snapshot_rows / self.seconds if self.seconds > 0 else 0.0
        return (
            f"seeded {self.ticks} ticks, {self.snapshot_rows} snapshot rows for {self.agents} "
            f"agents in {self.seconds:.1f} s ({rate:,.0f} rows/s)"
        )


# ---------------------------------------------------------------------------------------
# Helpers


def _micros(at: datetime) -> int:
    """Exact epoch microseconds (no float rounding), for tick arithmetic."""
    return (at - _EPOCH) // _MICROSECOND


def _members(
    sim: Simulator, scopes: Sequence[Scope], lo: datetime, hi: datetime, step_us: int
) -> pd.DataFrame:
    """(scope_key, agent_id, user_id, k0, k1): every scope's members in [lo, hi), each row
    valid for the ticks k0 <= k < k1 (membership changes cut the chunk), in roster order.

    Agent-list scopes hold the listed ids that are on the roster (others are unknown to the
    API and simply not listed); unknown skills and queues have no members.
    """
    rows: list[tuple[str, Agent, int, int]] = []
    for a, b, _ in sim.book.intervals(lo, hi):
        k0, k1 = -(-_micros(a) // step_us), -(-_micros(b) // step_us)
        if k0 >= k1:
            continue
        for scope in scopes:
            if scope.kind == "agents":
                listed = set(scope.agent_ids)
                rows += [(scope.key, x, k0, k1) for x in sim.roster if x.agent_id in listed]
            else:
                ids = sim.scope_members(scope.key, a)
                rows += [(scope.key, sim.agent(i), k0, k1) for i in ids]
    return pd.DataFrame(
        {
            "scope_key": [key for key, _, _, _ in rows],
            "agent_id": [x.agent_id for _, x, _, _ in rows],
            "user_id": [x.user_id for _, x, _, _ in rows],
            "k0": pd.array([k0 for _, _, k0, _ in rows], dtype="int64"),
            "k1": pd.array([k1 for _, _, _, k1 in rows], dtype="int64"),
        }
    )


def _roster(sim: Simulator, pii: PiiPolicy) -> pd.DataFrame:
    """The roster as agents-table rows; ``attributes`` marks every one as synthetic.

    E-mail and phone go through the same PII policy as polled agents, so synthetic rows never
    hold what the policy keeps out of the tables.
    """

    def attributes(a: Agent) -> str:
        agent = {
            **a.kore_fields(),
            "skills": list(a.skills),
            "shift": a.shift,
            "channels": dict(a.channels),
            "synthetic": True,
        }
        pii.protect_agent(agent)
        return json.dumps(agent)

    roster = sim.roster
    return pd.DataFrame(
        {
            "agent_id": [a.agent_id for a in roster],
            "user_id": [a.user_id for a in roster],
            "first_name": [a.first_name for a in roster],
            "last_name": [a.last_name for a in roster],
            "email": [pii.protect_value(a.email) for a in roster],
            "phone": [pii.protect_value(a.phone) for a in roster],
            "custom_id": [a.custom_id for a in roster],
            "is_digital_enabled": [
                any(a.capacity(c) > 0 for c in ("liveChat", "messaging", "email")) for a in roster
            ],
            "attributes": [attributes(a) for a in roster],
        }
    )


def _spans(
    sim: Simulator, start: datetime, end: datetime, agent_ids: list[str], step_us: int
) -> pd.DataFrame:
    """The model's spans in [start, end) as tick-number ranges [k0, k1) per agent and status.

    Tick k is at k * step; a span [s, e) holds it exactly when s <= k * step < e, i.e. for
    ceil(s / step) <= k < ceil(e / step). Integer microseconds keep this exact.
    """
    spans = sim.timeline(start, end, agent_ids)
    return pd.DataFrame(
        {
            "agent_id": [s.agent_id for s in spans],
            "status": [s.bucket for s in spans],
            "k0": pd.array([-(-_micros(s.start) // step_us) for s in spans], dtype="int64"),
            "k1": pd.array([-(-_micros(s.end) // step_us) for s in spans], dtype="int64"),
        }
    )


# ---------------------------------------------------------------------------------------
# The API


def seed_history(
    con: duckdb.DuckDBPyConnection,
    *,
    start: datetime,
    end: datetime,
    agents: int,
    seed: int,
    scopes: Sequence[Scope],
    tick_seconds: int = 60,
    skills: int = 6,
    queues: int = 4,
    membership_changes_per_day: int = 0,
    account_id: str = SYNTHETIC_ACCOUNT,
    time_zone: str = DEFAULT_TIME_ZONE,
    replace: bool = True,
    progress: Callable[[str], None] | None = None,
    pii: PiiPolicy | None = None,
) -> HistorySummary:
    """Write synthetic history for the ticks in [start, end) into a migrated warehouse.

    Ticks fall on every multiple of ``tick_seconds`` since the epoch, like a poller's, so
    overlapping runs land on the same tick ids. The model is ``Simulator(agents, seed,
    time_zone, skills, queues, membership_changes_per_day)``: the same roster, statuses and
    membership (at each tick) the simulator's HTTP API would give. Refuses
    (:class:`HistoryError`, nothing written) when a real tick touches the range, or when
    synthetic ticks are there and ``replace`` is false. ``progress`` gets a line per day.
    """
    began = time.perf_counter()
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        raise HistoryError(f"empty range: end {end.isoformat()} is not after {start.isoformat()}")
    if isinstance(tick_seconds, bool) or not isinstance(tick_seconds, int) or tick_seconds < 1:
        raise HistoryError(f"tick_seconds must be a positive whole number, got {tick_seconds!r}")
    if agents < 1:
        raise HistoryError(f"agents must be at least 1, got {agents}")
    if not scopes:
        raise HistoryError("no scopes: synthetic history needs at least one scope")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise HistoryError(f"{time_zone!r} is not a known IANA time zone") from None

    ((real, real_first, real_last, synthetic),) = fetch_all(
        con, "synthetic/existing.sql", start=start, end=end
    )
    if real:
        raise HistoryError(
            f"refusing to write synthetic history over real data: {real} polled tick(s) from "
            f"{real_first.isoformat()} to {real_last.isoformat()} lie in the range "
            f"[{start.isoformat()}, {end.isoformat()}); choose a range (--end / --days) "
            "without real polls: real data is never replaced"
        )
    if synthetic and not replace:
        raise HistoryError(
            f"{synthetic} synthetic tick(s) already lie in [{start.isoformat()}, "
            f"{end.isoformat()}); run with --replace (the default) to replace them"
        )

    try:
        sim = Simulator(
            SimulatorConfig(
                agents=agents,
                seed=seed,
                time_zone=time_zone,
                skills=skills,
                queues=queues,
                membership_changes_per_day=membership_changes_per_day,
            )
        )
    except ValueError as exc:
        raise HistoryError(str(exc)) from None
    roster = _roster(sim, (pii or PiiPolicy.from_env()).with_database_key(con))
    step_us = tick_seconds * 1_000_000
    totals = {"ticks": 0, "snapshots": 0, "raw": 0}
    for day, lo, hi in local_days(start, end, time_zone):
        chunk_began = time.perf_counter()
        k_from, k_to = -(-_micros(lo) // step_us), -(-_micros(hi) // step_us)
        ticks = max(k_to - k_from, 0)
        members = _members(sim, scopes, lo, hi, step_us)
        member_ids = list(dict.fromkeys(members["agent_id"]))
        expected = int((members["k1"] - members["k0"]).sum())
        spans = _spans(sim, lo, hi, member_ids, step_us)
        frames = {
            "incoming_scopes": scopes_frame(scopes),
            "history_members": members,
            "history_spans": spans,
            "history_roster": roster,
        }
        now = datetime.now(UTC)
        with registered(con, **frames), transaction(con):
            execute(con, "ingest/scopes.sql", now=now)
            execute(con, "synthetic/clear.sql", chunk_start=lo, chunk_end=hi)
            if ticks:
                last_tick = datetime.fromtimestamp((k_to - 1) * tick_seconds, UTC)
                execute(
                    con,
                    "synthetic/ticks.sql",
                    k_from=k_from,
                    k_to=k_to,
                    tick_seconds=tick_seconds,
                    account_id=account_id,
                    now=now,
                )
                ((rows,),) = fetch_all(con, "synthetic/snapshots.sql")
                con.execute("DROP TABLE history_ticks")
                if rows != expected:
                    # Every member must be listed exactly once per tick it is a member at;
                    # anything else means the model's spans did not tile the day, and the
                    # chunk is rolled back.
                    raise RuntimeError(
                        f"{day}: wrote {rows} snapshot rows, expected {expected} "
                        f"(scope members x the ticks they are members at)"
                    )
                execute(
                    con,
                    "synthetic/agents.sql",
                    first_seen=datetime.fromtimestamp(k_from * tick_seconds, UTC),
                    last_seen=last_tick,
                )
                totals["snapshots"] += rows
                totals["raw"] += ticks * len(scopes)
                totals["ticks"] += ticks
        if progress is not None:
            progress(
                f"{day}: {ticks} ticks, {expected if ticks else 0} snapshot rows "
                f"({time.perf_counter() - chunk_began:.1f} s)"
            )
    return HistorySummary(
        ticks=totals["ticks"],
        snapshot_rows=totals["snapshots"],
        raw_rows=totals["raw"],
        agents=len(sim.roster),
        seconds=time.perf_counter() - began,
    )
