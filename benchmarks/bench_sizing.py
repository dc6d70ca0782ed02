"""Sizing and the simulator's day: the speed targets the unit tests used to time themselves.

Three figures, each a wall time on this machine (a figure, not an assertion): Erlang C sizing
of 100,000 random intervals (``required_agents`` with occupancy and shrinkage, its cache
cleared first; target under 10 s), sizing at 5,000 and 20,000 Erlangs (the search and the
finite-value checks of the unit test; target under 2 s each), and the simulator's timeline of
its default roster over 27 hours (target under 2 s). The unit tests check what these compute;
how fast it is computed is read here.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from benchmarks.common import Figure, add_arguments, chosen_sizes, emit, interleave, say
from pipelines.coverage import erlang
from pipelines.coverage.erlang import erlang_b, erlang_c, required_agents, service_level
from pipelines.simulator import Simulator, SimulatorConfig

FULL = {"intervals": 100_000, "traffic": [5_000.0, 20_000.0], "hours": 27}
QUICK = {"intervals": 5_000, "traffic": [500.0], "hours": 3}
START = datetime(2026, 5, 4, 13, 17, 42, 123456, tzinfo=UTC)


def intervals(count: int) -> float:
    erlang._raw_agents.cache_clear()
    rng = random.Random(11)
    started = time.perf_counter()
    for _ in range(count):
        required_agents(rng.uniform(0, 400), rng.uniform(120, 600), 900, 0.8, 20, 0.85, 0.3)
    return time.perf_counter() - started


def large_traffic(traffic: float) -> float:
    started = time.perf_counter()
    n = required_agents(traffic * 1800 / 180, 180, 1800, 0.8, 20)
    for servers in (n - 1, n, n + 50):
        erlang_b(servers, traffic)
        erlang_c(servers, traffic)
        service_level(servers, traffic, 180, 20)
    return time.perf_counter() - started


def timeline(hours: int) -> float:
    sim = Simulator(SimulatorConfig())
    started = time.perf_counter()
    sim.timeline(START, START + timedelta(hours=hours))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser, FULL, QUICK)
    args = parser.parse_args()
    sizes = chosen_sizes(args, FULL, QUICK)
    say(f"sizing: {sizes}, {args.repeat} rounds")
    measures = {
        "intervals": lambda: intervals(sizes["intervals"]),
        **{f"traffic {t:g}": (lambda t=t: large_traffic(t)) for t in sizes["traffic"]},
        "timeline": lambda: timeline(sizes["hours"]),
    }
    runs = interleave(measures, args.repeat)
    figures = [
        Figure("sizing", f"required_agents x {sizes['intervals']} intervals",
               runs["intervals"], "s", target="< 10 s", met=None),
        *(
            Figure("sizing", f"sizing at {t:g} Erlangs", runs[f"traffic {t:g}"], "s",
                   target="< 2 s")
            for t in sizes["traffic"]
        ),
        Figure("sizing", f"simulator timeline, default roster, {sizes['hours']} h",
               runs["timeline"], "s", target="< 2 s"),
    ]  # fmt: skip
    for figure, limit in zip(figures, [10.0, *([2.0] * len(sizes["traffic"])), 2.0], strict=True):
        figure.met = figure.value.median < limit if not args.quick else None
    emit(figures)


if __name__ == "__main__":
    main()
