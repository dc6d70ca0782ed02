"""Acquisition at 11, 70 and 200 scopes: requests a minute and coverage error, membership mode
and per-scope mode side by side.

Two different measurements, each said plainly in the output:

1. Requests per minute (REAL TICKS). For each size and mode, ``poll(..., mode=...)`` runs real
   ticks against the simulator as a real HTTP server on 127.0.0.1, with the simulator's model
   clock and its rate window on a simulated clock (``rate_clock="model"``, limit 60/min) and a
   RequestPlanner on a fresh ledger file driven by the same clock. The clock advances one
   simulated minute per tick; the server's own request log (every endpoint: availability,
   List All Agents pages, drift checks) is counted per simulated minute, with its 429s. For
   per-scope mode the scopes each tick actually asked give the minutes between observations
   of a scope (the planner's round robin at 60/min); in membership mode every tick's one
   'all' answer observes every scope. (The ticks' own timestamps, observed_at and the
   membership cadence, follow the wall clock; only the budget and the server follow the
   simulated clock, so a run of more than 60 ticks would not show an hourly refresh again.)

2. Coverage error (MODEL-CADENCE EMULATION, not HTTP). Real ticks stamp observed_at with the
   wall clock, so accuracy over simulated hours is measured the way synthetic history is
   written: ``seed_history`` stores what a perfect poller would have seen at each tick
   (the simulator's exact model), thinned to each mode's observation schedule:
   - membership: one 'all' answer every 60 s, stored as a membership-mode tick, with the
     simulator's membership (no changes during the day) in the ``membership`` table, so the
     project's SQL expands it to every skill and queue;
   - per_scope: every scope at 60 s, then only the (scope, minute) pairs the planner's round
     robin asks are kept: ``choose_scopes`` (the function the real tick uses) run minute by
     minute with a budget of 60, i.e. scope i every 1-2 minutes at 70 scopes, 3-4 at 200;
   - baselines: every scope polled every 1, 2 and 5 minutes.
   Coverage is then built by the project's own SQL (``build_spans`` + ``build_coverage``,
   15-minute cells, max gap = 2 x the schedule's longest gap so no window is cut short), and
   each (scope, cell) of the stretch (default 09:00-15:00 local, after a 30-minute warm-up) is
   compared with the truth: time-weighted AVAILABLE agents from ``Simulator.timeline``, exact
   to the second, over the members of the scope. Reported: MAE as % of the true mean
   (sum |coverage - truth| / sum truth, pooled over the scopes and cells of the size) and the
   signed bias in the same unit. Each round is a different weekday, so the spread is over
   days.

Target: membership mode at 70 and 200 scopes as accurate as 1-minute polling
(about 2 %) with at most 3 requests per minute. Printed, not enforced.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from benchmarks.common import (
    Figure,
    Spread,
    add_arguments,
    chosen_sizes,
    emit,
    fmt_spread,
    say,
)
from pipelines.coverage import CoverageSettings, build_coverage, build_spans
from pipelines.kore import KoreSettings
from pipelines.kore.planner import RequestPlanner
from pipelines.polling import choose_scopes, poll
from pipelines.scopes import Scope
from pipelines.simulator import Simulator, SimulatorConfig, SimulatorServer
from pipelines.simulator.history import seed_history
from pipelines.warehouse import PiiPolicy, connect, execute, registered, scopes_frame

ZONE = "America/New_York"
SEED = 7
BUDGET = 60  # Kore's Contact Center limit per account and minute
FIRST_DAY = date(2026, 11, 23)  # a Monday; round r takes the r-th weekday from here
WARM_UP = timedelta(minutes=30)
KEEP = PiiPolicy("keep")  # simulated people only
# scopes -> (skills, queues, with the 'all' scope)
SIZES = {11: (6, 4, True), 70: (40, 30, False), 200: (120, 80, False)}
MODES = ("membership", "per_scope")
BASELINES = (1, 2, 5)  # minutes between polls of every scope
FULL = {
    "scopes": [11, 70, 200],
    "agents": [200, 2000, 2000],
    "ticks": 30,
    "hours": 6,
    "page_size": 10,
}
QUICK = {"scopes": [11, 70], "agents": [60, 300], "ticks": 5, "hours": 1, "page_size": 10}


# ---------------------------------------------------------------------------------------
# Sizes and days


@dataclass(frozen=True)
class Size:
    scopes: int
    agents: int

    @property
    def shape(self) -> tuple[int, int, bool]:
        return SIZES[self.scopes]

    def config(self, **overrides: object) -> SimulatorConfig:
        skills, queues, _ = self.shape
        return SimulatorConfig(
            agents=self.agents, seed=SEED, skills=skills, queues=queues, time_zone=ZONE,
            **overrides,  # type: ignore[arg-type]
        )  # fmt: skip

    def scope_list(self, sim: Simulator) -> list[Scope]:
        """The scopes a per-scope tenant would list: skills and queues (and 'all' at 11)."""
        _, _, with_all = self.shape
        scopes = [Scope("all", "", "All agents")] if with_all else []
        scopes += [Scope("skill", k, n) for k, n in sim.catalogue.skills.items()]
        scopes += [Scope("queue", k, n) for k, (n, _) in sim.catalogue.queues.items()]
        assert len(scopes) == self.scopes, (len(scopes), self.scopes)
        return scopes


def weekday(round_no: int) -> date:
    day, seen = FIRST_DAY, 0
    while True:
        if day.weekday() < 5:
            if seen == round_no:
                return day
            seen += 1
        day += timedelta(days=1)


def local(day: date, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def scopes_toml(scopes: Sequence[Scope]) -> str:
    lines = []
    for s in scopes:
        lines += ["[[scope]]", f'kind = "{s.kind}"']
        if s.kind != "all":
            lines.append(f'id = "{s.ref_id}"')
        lines += [f'name = "{s.name}"', ""]
    return "\n".join(lines)


def gaps_of(times: dict[str, list[int]], keys: Sequence[str]) -> list[int]:
    """Minutes between consecutive observations of each scope, pooled."""
    out: list[int] = []
    for key in keys:
        seen = sorted(times.get(key, []))
        out += [b - a for a, b in zip(seen, seen[1:], strict=False)]
    return out


def gap_text(gaps: Sequence[int]) -> str:
    if not gaps:
        return "—"
    lo, hi, mean = min(gaps), max(gaps), statistics.fmean(gaps)
    return f"{mean:.2f}" if lo == hi else f"{mean:.2f} ({lo}–{hi})"


# ---------------------------------------------------------------------------------------
# 1. Requests per minute: real ticks against the real server on a simulated clock


@dataclass
class TickRun:
    requests: int
    minutes: int
    too_many: int
    by_route: dict[str, int]
    busiest_minute: int
    gaps: list[int]
    seconds: float
    asked: dict[str, list[int]] = field(repr=False, default_factory=dict)

    @property
    def per_minute(self) -> float:
        return self.requests / self.minutes

    @property
    def hourly(self) -> float:
        """Derived, not measured: requests a minute over an hour with the default hourly
        membership refresh, i.e. this run's other requests a minute plus one whole listing
        (the agents pages it took) spread over 60 minutes."""
        pages = self.by_route.get("agents", 0)
        return (self.requests - pages) / self.minutes + pages / 60


def real_ticks(size: Size, mode: str, ticks: int, page_size: int, start: datetime, work: Path):
    moment = [start]
    config = size.config(page_size=page_size, rate_clock="model", rate_limit_per_minute=BUDGET)
    began = datetime.now(UTC)
    with SimulatorServer(config, clock=lambda: moment[0]) as server:
        scopes = size.scope_list(server.simulator)
        scopes_path = work / f"scopes-{size.scopes}.toml"
        scopes_path.write_text(scopes_toml(scopes))
        settings = KoreSettings.from_env(server.env(include_secret=True))
        tag = f"{size.scopes}-{mode}-{start:%Y%m%d}"
        database = str(work / f"ticks-{tag}.duckdb")
        planner = RequestPlanner(
            work / f"ledger-{tag}.sqlite", BUDGET, clock=lambda: moment[0].timestamp()
        )
        asked: dict[str, list[int]] = defaultdict(list)
        try:
            for k in range(ticks):
                outcome = poll(
                    partial(connect, database), settings, str(scopes_path), f"t-{k}",
                    mode=mode, pii=KEEP, planner=planner,
                )  # fmt: skip
                if outcome.mode != mode:
                    raise SystemExit(f"{tag}: asked for {mode}, the tick ran {outcome.mode}")
                for result in outcome.results:
                    if result.ok:
                        whole = outcome.mode == "membership" and result.scope_key == "all"
                        keys = [s.key for s in scopes] if whole else []
                        for key in keys or [result.scope_key]:
                            asked[key].append(k)
                moment[0] += timedelta(minutes=1)
        finally:
            planner.close()
        log = server.requests_log
    per_minute = [0] * ticks
    by_route: dict[str, int] = defaultdict(int)
    for record in log:
        minute = int((record.at - start).total_seconds() // 60)
        per_minute[min(max(minute, 0), ticks - 1)] += 1
        by_route[record.route] += 1
    return TickRun(
        requests=len(log),
        minutes=ticks,
        too_many=sum(1 for r in log if r.status == 429),
        by_route=dict(by_route),
        busiest_minute=max(per_minute),
        gaps=gaps_of(asked, [s.key for s in scopes]),
        seconds=(datetime.now(UTC) - began).total_seconds(),
        asked=dict(asked),
    )


# ---------------------------------------------------------------------------------------
# 2. Coverage error: each mode's observation schedule from the exact model, the project's SQL


def round_robin(scopes: Sequence[Scope], minutes: int) -> dict[str, list[int]]:
    """The minutes at which each scope is asked when every tick may send BUDGET requests:
    the real tick's own choice (choose_scopes: never asked first, then the stalest)."""
    polled: dict[str, datetime] = {}
    asked: dict[str, list[int]] = defaultdict(list)
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    for m in range(minutes):
        chosen, _ = choose_scopes(scopes, polled, BUDGET)
        for scope in chosen:
            polled[scope.key] = epoch + timedelta(minutes=m)
            asked[scope.key].append(m)
    return dict(asked)


def truth(sim: Simulator, scopes: Sequence[Scope], start: datetime, end: datetime) -> pd.DataFrame:
    """Exact time-weighted AVAILABLE agents per scope and 15-minute cell of [start, end)."""
    cells = int((end - start).total_seconds() // 900)
    t0 = start.timestamp()
    seconds: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(cells))
    for span in sim.timeline(start, end):
        if span.bucket != "AVAILABLE":
            continue
        a, b = span.start.timestamp() - t0, span.end.timestamp() - t0
        row = seconds[span.agent_id]
        for i in range(int(a // 900), min(int(math.ceil(b / 900)), cells)):
            row[i] += max(0.0, min(b, (i + 1) * 900) - max(a, i * 900))
    rows = []
    for scope in scopes:
        members = sim.scope_members(scope.key, start)
        total = sum((seconds[a] for a in members if a in seconds), np.zeros(cells)) / 900
        rows += [(scope.key, start + timedelta(minutes=15 * i), total[i]) for i in range(cells)]
    return pd.DataFrame(rows, columns=["scope_key", "interval_start", "truth"])


def seed(database: str, size: Size, scopes: Sequence[Scope], start, end, tick_seconds) -> None:
    skills, queues, _ = size.shape
    with connect(database) as con:
        seed_history(
            con, start=start, end=end, agents=size.agents, seed=SEED, scopes=scopes,
            tick_seconds=tick_seconds, skills=skills, queues=queues, time_zone=ZONE, pii=KEEP,
        )  # fmt: skip


def as_membership_mode(database: str, sim: Simulator, scopes: Sequence[Scope], at: datetime):
    """Keep the 'all' answers only, as membership-mode ticks; membership from the simulator."""
    rows = [
        (agent_id, sim.agent(agent_id).user_id, f"{kind}:{ref}", kind, ref)
        for agent_id, (skills, queues) in sim.membership_at(at).items()
        for kind, refs in (("skill", skills), ("queue", queues))
        for ref in refs
    ]
    members = pd.DataFrame(rows, columns=["agent_id", "user_id", "scope_key", "kind", "ref_id"])
    with connect(database) as con, registered(con, bench_members=members):
        con.execute(
            "INSERT INTO membership SELECT (SELECT any_value(account_id) FROM ticks), agent_id, "
            "user_id, scope_key, kind, ref_id, NULL, TIMESTAMPTZ '2000-01-01 00:00:00+00', NULL "
            "FROM bench_members"
        )
        con.execute("DELETE FROM snapshots WHERE scope_key <> 'all'")
        con.execute("DELETE FROM raw_responses WHERE scope_key <> 'all'")
        con.execute("UPDATE ticks SET mode = 'membership'")
        with registered(con, incoming_scopes=scopes_frame(scopes)):
            execute(con, "ingest/scopes.sql", now=datetime.now(UTC))


def keep_only(database: str, schedule: dict[str, list[int]], warm: datetime) -> None:
    """Drop every (scope, minute) the round robin does not ask."""
    keep = pd.DataFrame(
        [(key, warm + timedelta(minutes=m)) for key, ms in schedule.items() for m in ms],
        columns=["scope_key", "observed_at"],
    )
    with connect(database) as con, registered(con, bench_keep=keep):
        for table in ("snapshots", "raw_responses"):
            con.execute(
                f"DELETE FROM {table} AS t WHERE NOT EXISTS (SELECT 1 FROM bench_keep AS k "
                "WHERE k.scope_key = t.scope_key AND k.observed_at = t.observed_at)"
            )


def coverage_error(database: str, day: date, max_gap_s: float, exact: pd.DataFrame) -> dict:
    settings = CoverageSettings(time_zone=ZONE, interval_minutes=15, max_gap_seconds=max_gap_s)
    with connect(database) as con:
        build_spans(con, day, settings)
        build_coverage(con, day, settings)
        built = con.execute(
            "SELECT scope_key, interval_start, avg_available, observed_share "
            "FROM coverage_intervals WHERE day = ?",
            [day],
        ).df()
    built["interval_start"] = pd.to_datetime(built["interval_start"], utc=True)
    merged = exact.merge(built, on=["scope_key", "interval_start"], how="left")
    missing = int(merged["avg_available"].isna().sum())
    partial_cells = int((merged["observed_share"].fillna(0) < 0.999).sum())
    error = merged["avg_available"].fillna(0) - merged["truth"]
    mean = merged["truth"].sum()
    return {
        "mae_pct": 100 * error.abs().sum() / mean,
        "bias_pct": 100 * error.sum() / mean,
        "cells": len(merged),
        "missing": missing,
        "partial": partial_cells,
    }


def accuracy(size: Size, day: date, hours: int, work: Path) -> dict[str, dict]:
    """MAE % of the true mean for membership, per_scope and the 1/2/5-minute baselines."""
    start = local(day, "09:00")
    end = start + timedelta(hours=hours)
    warm = start - WARM_UP
    sim = Simulator(size.config())
    scopes = size.scope_list(sim)
    exact = truth(sim, scopes, start, end)
    minutes = int((end - warm).total_seconds() // 60)
    out: dict[str, dict] = {}
    tag = f"{size.scopes}-{day:%Y%m%d}"

    database = str(work / f"acc-{tag}-membership.duckdb")
    every = [Scope("all", "", "All agents")] + [s for s in scopes if s.kind != "all"]
    seed(database, size, [Scope("all", "", "All agents")], warm, end, 60)
    as_membership_mode(database, sim, every, warm)
    out["membership"] = {**coverage_error(database, day, 120, exact), "gap": "1.00"}

    schedule = round_robin(scopes, minutes)
    gaps = gaps_of(schedule, [s.key for s in scopes])
    database = str(work / f"acc-{tag}-per_scope.duckdb")
    seed(database, size, scopes, warm, end, 60)
    keep_only(database, schedule, warm)
    out["per_scope"] = {
        **coverage_error(database, day, max(120, 120 * max(gaps)), exact),
        "gap": gap_text(gaps),
    }
    for every_min in BASELINES:
        database = str(work / f"acc-{tag}-every{every_min}.duckdb")
        seed(database, size, scopes, warm, end, 60 * every_min)
        result = coverage_error(database, day, 120 * every_min, exact)
        out[f"every {every_min} min"] = {**result, "gap": f"{every_min:.2f}"}
    return out


# ---------------------------------------------------------------------------------------
# The run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser, FULL, QUICK)
    args = parser.parse_args(argv)
    size_args = chosen_sizes(args, FULL, QUICK)
    if len(size_args["agents"]) != len(size_args["scopes"]):
        raise SystemExit("--agents needs one value per --scopes value")
    sizes = [Size(s, a) for s, a in zip(size_args["scopes"], size_args["agents"], strict=True)]
    unknown = [s.scopes for s in sizes if s.scopes not in SIZES]
    if unknown:
        raise SystemExit(f"--scopes: {unknown} not among {sorted(SIZES)}")
    ticks, hours, page_size = size_args["ticks"], size_args["hours"], size_args["page_size"]
    say(
        f"acquisition: sizes {[(s.scopes, s.agents) for s in sizes]} (scopes, agents), "
        f"{ticks} real ticks a run, {hours} h of coverage from 09:00 local, "
        f"page size {page_size}, {args.repeat} rounds (round r = the r-th weekday)"
    )
    runs: dict[tuple[int, str], list[TickRun]] = defaultdict(list)
    errors: dict[tuple[int, str], list[dict]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="bench-acquisition-") as tmp:
        work = Path(tmp)
        for round_no in range(args.repeat):
            day = weekday(round_no)
            for size in sizes:
                for mode in MODES:  # membership then per-scope, every round: interleaved
                    run = real_ticks(size, mode, ticks, page_size, local(day, "10:00"), work)
                    runs[size.scopes, mode].append(run)
                    say(f"  round {round_no + 1}/{args.repeat}: {size.scopes} scopes {mode}: "
                        f"{run.per_minute:.2f} requests/min, {run.too_many} x 429, "
                        f"{dict(run.by_route)} ({run.seconds:.1f} s)")  # fmt: skip
                began = datetime.now(UTC)
                results = accuracy(size, day, hours, work)
                say(f"  round {round_no + 1}/{args.repeat}: {size.scopes} scopes accuracy "
                    f"({(datetime.now(UTC) - began).total_seconds():.1f} s)")  # fmt: skip
                for name, result in results.items():
                    errors[size.scopes, name].append(result)
                    say(f"  round {round_no + 1}/{args.repeat}: {size.scopes} scopes {name}: "
                        f"MAE {result['mae_pct']:.2f} % of the true mean, bias "
                        f"{result['bias_pct']:+.2f} %, {result['cells']} cells "
                        f"({result['partial']} partly observed)")  # fmt: skip
                for path in work.glob("*.duckdb*"):
                    path.unlink()

    figures, lines = report(sizes, runs, errors, args.repeat, ticks, hours)
    for line in lines:
        say(line)
    emit(figures, {"table": lines})


def pct(spread: Spread, sign: str = "") -> str:
    """'median [min–max]' with two decimals (percentages near zero read badly in fmt)."""
    return f"{spread.median:{sign}.2f} [{spread.low:{sign}.2f}–{spread.high:{sign}.2f}]"


def report(sizes, runs, errors, repeat: int, ticks: int, hours: int):
    header = ("scopes", "agents", "mode", "requests/min", "hourly avg*", "429s",
              "by endpoint (per min)",
              "min between obs.", "MAE % of true mean", "bias %")  # fmt: skip
    rows, figures = [], []
    for size in sizes:
        base = errors[size.scopes, "every 1 min"]
        for name in (*MODES, *(f"every {m} min" for m in BASELINES)):
            acc = errors[size.scopes, name]
            mae = Spread.of([a["mae_pct"] for a in acc])
            bias = Spread.of([a["bias_pct"] for a in acc])
            if name in MODES:
                done = runs[size.scopes, name]
                rpm = Spread.of([r.per_minute for r in done])
                by_route = defaultdict(float)
                for r in done:
                    for route, n in r.by_route.items():
                        by_route[route] += n / r.minutes / len(done)
                routes = ", ".join(f"{k} {v:.2f}" for k, v in sorted(by_route.items()))
                gaps = gap_text([g for r in done for g in r.gaps])
                gaps += f" / emul. {acc[0]['gap']}"
                requests = fmt_spread(rpm)
                hourly = f"{statistics.median(r.hourly for r in done):.2f}"
                too_many = str(sum(r.too_many for r in done))
            else:
                routes, gaps, too_many = "(not run: model baseline)", acc[0]["gap"], "—"
                requests = f"({size.scopes / int(name.split()[1]):.1f} needed)"
                hourly = "—"
            rows.append((str(size.scopes), str(size.agents), name, requests, hourly, too_many,
                         routes, gaps, pct(mae), pct(bias, "+")))  # fmt: skip
            if name in MODES:
                figures.append(
                    Figure(
                        benchmark="bench_acquisition",
                        figure=f"{size.scopes} scopes {name}: requests/min (real ticks)",
                        values=[float(r.per_minute) for r in runs[size.scopes, name]],
                        unit="req/min",
                        target="<= 3/min" if name == "membership" else "",
                        met=bool(rpm.median <= 3) if name == "membership" else None,
                    )
                )
            if name != "every 1 min":
                figures.append(
                    Figure(
                        benchmark="bench_acquisition",
                        figure=f"{size.scopes} scopes {name}: coverage MAE % of true mean",
                        values=[float(a["mae_pct"]) for a in acc],
                        unit="%",
                        baselines=[float(b["mae_pct"]) for b in base],
                        baseline_label="1-min polling",
                        target="as 1-min polling" if name == "membership" else "",
                        met=bool(
                            mae.median <= Spread.of([b["mae_pct"] for b in base]).median + 0.05
                        )
                        if name == "membership"
                        else None,
                    )
                )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    table = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, tuple("-" * w for w in widths), *rows]
    ]
    notes = [
        "",
        f"Acquisition benchmark, {repeat} rounds (each a different weekday); "
        "median [min–max] over rounds.",
        f"requests/min, 429s, by endpoint: REAL ticks (poll(mode=...)) against the simulator "
        f"on 127.0.0.1, {ticks} simulated minutes from 10:00 local, server's request log; "
        f"budget {BUDGET}/min on a simulated clock; 429s summed over rounds.",
        "hourly avg*: DERIVED, not measured: the run's requests/min without the listing's "
        "pages, plus one whole listing (its pages) per 60 minutes (the default refresh).",
        "min between obs.: real ticks' asked scopes / the emulated schedule (mean, with min–max).",
        f"MAE/bias: MODEL-CADENCE EMULATION over {hours} h from 09:00 local: seed_history "
        "thinned to each schedule, coverage by build_spans/build_coverage, vs the exact "
        "time-weighted AVAILABLE agents from Simulator.timeline per scope and 15-min cell.",
        "Baseline rows poll every scope every k minutes (requests needed = scopes / k "
        "per minute, not run over HTTP).",
        "",
        *table,
    ]
    return figures, notes


if __name__ == "__main__":
    main()
