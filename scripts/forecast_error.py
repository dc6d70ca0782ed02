"""Forecast error of the profile method against the simulator's own arrival rates.

The simulator draws each queue's contacts per 15-minute interval as Poisson around a true
mean rate it can tell (``Simulator.arrival_rate(queue_id, at)``, piecewise constant per
interval). This script simulates ``--weeks`` weeks of history plus ``--days`` evaluation days,
lands the final contact volume rows in a scratch DuckDB file, forecasts each evaluation day with
the project's own SQL (:func:`pipelines.demand.build_forecast`, the N same weekdays before it)
and compares the forecast rate (offered per interval x 4) with the true rate, per interval:

* MAPE: mean over (queue, interval) of |forecast - true| / true, intervals with true > 0;
  also over "staffed" intervals only (true rate >= ``--busy-rate`` per hour), because a night
  interval with 0.3 expected contacts has an absolute error of 100 % for one contact;
* WAPE: sum |forecast - true| / sum true (the volume-weighted error);
* the same for one week of history (``profile_weeks`` = 1) and, with ``--reforecast``, for
  the intraday reforecast of the afternoon made at local noon against the plain profile of
  the same afternoon intervals; ``--eval-load 1.3`` makes the evaluated days' demand 1.3 x
  the history's (a surge the profile cannot know, which the reforecast is for).

Nothing is timed. Run: ``.venv/bin/python scripts/forecast_error.py`` (add ``--json`` for a
machine-readable line). The figures depend only on ``--seed``, ``--agents`` and the dates.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pipelines import warehouse  # noqa: E402
from pipelines.coverage import CoverageSettings  # noqa: E402
from pipelines.coverage.calendar import day_bounds  # noqa: E402
from pipelines.demand import DemandSettings, build_forecast  # noqa: E402
from pipelines.simulator import Simulator, SimulatorConfig  # noqa: E402

FETCHED = datetime(2026, 1, 1, tzinfo=UTC)


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def volume_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """The documented CallVolumeUpdate rows (times in seconds) as contact_volume rows."""
    out = []
    for row in rows:
        out.append(
            {
                "account_id": "sim",
                "queue_id": row["queueId"],
                "skill_id": "",
                "interval_start": parse_instant(row["intervalStartTimeStamp"]),
                "interval_end": parse_instant(row["intervalEndTimeStamp"]),
                "offered": int(row["offeredContacts"]),
                "answered": int(row["answeredContacts"]),
                "abandoned": int(row["abandonedContacts"]),
                "completed": int(row["completedContacts"]),
                "handle_seconds": float(row["conversationHandleTime"]),
                "wait_answered_seconds": float(row["queueHoldTimeAnswered"]),
                "wait_abandoned_seconds": float(row["queueHoldTimeAbandoned"]),
                "time_unit": "seconds",
                "unit_basis": "setting",
                "fetched_at": FETCHED,
            }
        )
    return pd.DataFrame(out)


def prepare(
    con: Any, history: Simulator, sim: Simulator, start: datetime, split: datetime, end: datetime
) -> list[str]:
    """contact_volume of [start, split) from ``history`` and of [split, end) from ``sim``, one
    scope per queue; the queue ids."""
    frame = volume_frame(
        history.contact_volume(start, split, False, as_served=False)
        + sim.contact_volume(split, end, False, as_served=False)
    )
    queues = sorted(frame["queue_id"].unique())
    scopes = pd.DataFrame(
        {
            "scope_key": [f"queue:{q}" for q in queues],
            "kind": "queue",
            "ref_id": queues,
            "name": queues,
            "updated_at": FETCHED,
        }
    )
    with warehouse.registered(con, volume_in=frame, scopes_in=scopes):
        con.execute("INSERT OR REPLACE INTO contact_volume BY NAME SELECT * FROM volume_in")
        con.execute("INSERT INTO scopes BY NAME SELECT * FROM scopes_in")
    return queues


def errors(pairs: list[tuple[float, float]], busy_rate: float) -> dict[str, Any]:
    """MAPE (all intervals with true > 0, and busy ones), WAPE, bias, interval counts."""
    positive = [(f, t) for f, t in pairs if t > 0]
    busy = [(f, t) for f, t in positive if t >= busy_rate]

    def mape(items: list[tuple[float, float]]) -> float | None:
        return None if not items else 100 * sum(abs(f - t) / t for f, t in items) / len(items)

    total = sum(t for _, t in positive)
    return {
        "intervals": len(positive),
        "mape_pct": mape(positive),
        "busy_intervals": len(busy),
        "busy_mape_pct": mape(busy),
        "wape_pct": None if total == 0 else 100 * sum(abs(f - t) for f, t in positive) / total,
        "bias_pct": None if total == 0 else 100 * (sum(f for f, _ in positive) / total - 1),
    }


def forecast_pairs(
    con: Any,
    sim: Simulator,
    days: list[date],
    grid: CoverageSettings,
    weeks: int,
    reforecast: bool,
    afternoon: bool,
) -> dict[str, list[tuple[float, float]]]:
    """(forecast rate, true rate) per queue over the days' intervals. With ``reforecast`` the
    forecast is made at local noon of the day (today's morning scales the rest), else after
    the day (the plain profile); with ``afternoon`` only the intervals from noon count."""
    settings = DemandSettings(profile_weeks=weeks)
    pairs: dict[str, list[tuple[float, float]]] = {}
    for day in days:
        start, end = day_bounds(day, grid.time_zone)
        noon = datetime.combine(day, time(12), tzinfo=sim.tz).astimezone(UTC)
        now = noon if reforecast else end + timedelta(days=1)
        build_forecast(con, day, grid, settings, now)
        found = con.execute(
            "SELECT scope_key, interval_start, offered_forecast FROM demand_forecast "
            "WHERE day = ? AND interval_start >= ? ORDER BY scope_key, interval_start",
            [day, noon if afternoon else start],
        ).fetchall()
        for scope, interval_start, offered in found:
            queue = scope.removeprefix("queue:")
            true = sim.arrival_rate(queue, interval_start)
            pairs.setdefault(queue, []).append((offered * 60 / grid.interval_minutes, true))
    return pairs


def run(args: argparse.Namespace) -> dict[str, Any]:
    first_eval = date.fromisoformat(args.first_day)
    days = [first_eval + timedelta(days=k) for k in range(args.days)]
    history_weeks = max(args.weeks, 1)
    config = SimulatorConfig(
        agents=args.agents,
        seed=args.seed,
        callvolume_time_unit="seconds",
        rate_limit_per_minute=None,
    )
    grid = CoverageSettings(time_zone=config.time_zone, interval_minutes=15)
    start, _ = day_bounds(first_eval - timedelta(weeks=history_weeks), grid.time_zone)
    split, _ = day_bounds(first_eval, grid.time_zone)
    _, end = day_bounds(days[-1], grid.time_zone)
    history = Simulator(config, clock=lambda: end + timedelta(hours=1))
    # --eval-load: the evaluated days' demand is that multiple of the history's (a surge the
    # profile cannot know and the reforecast should catch); the truth is that simulator's.
    sim = (
        history
        if args.eval_load == 1.0
        else Simulator(
            dataclasses.replace(config, contact_load=args.eval_load),
            clock=lambda: end + timedelta(hours=1),
        )
    )
    result: dict[str, Any] = {
        "seed": args.seed,
        "agents": args.agents,
        "time_zone": grid.time_zone,
        "history": f"{(first_eval - timedelta(weeks=history_weeks)).isoformat()} .. "
        f"{(first_eval - timedelta(days=1)).isoformat()}",
        "evaluated_days": [d.isoformat() for d in days],
        "busy_rate_per_hour": args.busy_rate,
        "eval_load": args.eval_load,
    }
    with (
        tempfile.TemporaryDirectory() as folder,
        warehouse.connect(Path(folder) / "forecast.duckdb") as con,
    ):
        queues = prepare(con, history, sim, start, split, end)
        result["queues"] = queues
        # name: (profile weeks, reforecast at noon, afternoon only)
        methods = {f"profile_{args.weeks}w": (args.weeks, False, False)}
        if args.weeks != 1:
            methods["profile_1w"] = (1, False, False)
        if args.reforecast:
            methods[f"profile_{args.weeks}w_afternoon"] = (args.weeks, False, True)
            methods[f"reforecast_{args.weeks}w_afternoon"] = (args.weeks, True, True)
        for name, (weeks, reforecast, afternoon) in methods.items():
            pairs = forecast_pairs(con, sim, days, grid, weeks, reforecast, afternoon)
            everything = [p for q in queues for p in pairs.get(q, [])]
            result[name] = {
                "all_queues": errors(everything, args.busy_rate),
                "per_queue": {q: errors(pairs.get(q, []), args.busy_rate) for q in queues},
            }
    return result


def table(result: dict[str, Any]) -> str:
    lines = [
        "| method | intervals | MAPE % | busy intervals | busy MAPE % | WAPE % | bias % |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]

    def cell(value: Any) -> str:
        return (
            "n/a" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))
        )

    for name, body in result.items():
        if not isinstance(body, dict) or "all_queues" not in body:
            continue
        rows = [("all queues", body["all_queues"])] + list(body["per_queue"].items())
        for label, e in rows:
            lines.append(
                f"| {name} {label} | {e['intervals']} | {cell(e['mape_pct'])} | "
                f"{e['busy_intervals']} | {cell(e['busy_mape_pct'])} | {cell(e['wape_pct'])} | "
                f"{cell(e['bias_pct'])} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=4, help="profile weeks (default 4)")
    parser.add_argument("--days", type=int, default=7, help="days evaluated (default 7)")
    parser.add_argument("--first-day", default="2026-02-02", help="first evaluated local day")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--busy-rate", type=float, default=20.0, help="busy: true rate >= this")
    parser.add_argument("--reforecast", action="store_true", help="also the noon reforecast")
    parser.add_argument(
        "--eval-load", type=float, default=1.0, help="evaluated days' demand x this (surge)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line too")
    args = parser.parse_args(argv)
    result = run(args)
    print(
        f"seed {result['seed']}, {result['agents']} agents, zone {result['time_zone']}, "
        f"queues {', '.join(result['queues'])}; history {result['history']}; evaluated "
        f"{result['evaluated_days'][0]} .. {result['evaluated_days'][-1]} at "
        f"{result['eval_load']:g} x the history's load"
    )
    print(table(result))
    if args.json:
        print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
