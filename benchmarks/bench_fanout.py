"""Poll fan-out: one tick of 200 scopes x 200 agents against a far-away API (150 ms a request).

The simulator runs in its own process with injected latency and its rate limit off. The
project's client (at several concurrencies) is compared with a plain sequential httpx loop over
the same scopes and with the ideal ceil(scopes / concurrency) x latency. Every round runs the
sequential loop and then the client at each concurrency, so each client time has a sequential
time from its own round to be divided by.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import replace

import httpx

from benchmarks.common import Figure, add_arguments, chosen_sizes, emit, interleave, say
from pipelines.demo import running_simulator, simulator_env
from pipelines.kore import KoreAvailabilityClient, KoreSettings, RateLimiter
from pipelines.kore.auth import TokenMinter
from pipelines.kore.availability import AVAILABILITY, request_body
from pipelines.scopes import Scope

FULL = {"scopes": 200, "agents": 200, "latency_ms": 150.0, "concurrency": [8, 16, 32, 64]}
QUICK = {"scopes": 24, "agents": 20, "latency_ms": 20.0, "concurrency": [8]}


def settings_for(env: dict[str, str], concurrency: int) -> KoreSettings:
    return replace(
        KoreSettings.from_env(env),
        rate_limit_per_minute=100_000,
        max_concurrency=concurrency,
        tick_deadline_s=120.0,
    )


def roster_ids(base_url: str) -> list[str]:
    roster = httpx.get(f"{base_url}/debug/roster", timeout=30).json()
    agents = roster["agents"] if isinstance(roster, dict) else roster
    return [a.get("agentId") or a.get("agent_id") or a["_id"] for a in agents]


def sequential(settings: KoreSettings, scopes: list[Scope]) -> float:
    """The naive baseline: one request after another, one keep-alive client."""
    token = TokenMinter(settings).token()
    headers = {"auth": token, "accountId": settings.account_id}
    url = settings.api_url(AVAILABILITY.path)
    started = time.perf_counter()
    with httpx.Client(timeout=60) as client:
        for scope in scopes:
            response = client.post(url, json=request_body(scope), headers=headers)
            response.raise_for_status()
            response.json()
    return time.perf_counter() - started


def project_client(settings: KoreSettings, scopes: list[Scope]) -> tuple[float, int]:
    client = KoreAvailabilityClient(settings, limiter=RateLimiter(100_000))
    started = time.perf_counter()
    results = client.poll_sync(scopes)
    elapsed = time.perf_counter() - started
    return elapsed, sum(r.ok for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser, FULL, QUICK)
    args = parser.parse_args()
    size = chosen_sizes(args, FULL, QUICK)
    n_scopes, latency_ms = size["scopes"], size["latency_ms"]
    latency = latency_ms / 1000
    sim_args = ["--agents", str(size["agents"]), "--latency-ms", str(latency_ms),
                "--rate-limit", "0"]  # fmt: skip
    with running_simulator(sim_args) as base_url:
        env = simulator_env(base_url)
        ids = roster_ids(base_url)
        scopes = [Scope("agents", f"bench-{i}", f"Bench {i}", tuple(ids)) for i in range(n_scopes)]
        default = KoreSettings.__dataclass_fields__["max_concurrency"].default
        concurrencies = sorted(set(size["concurrency"]) | {default})
        say(f"fan-out: {n_scopes} scopes x {len(ids)} agents, {latency_ms:.0f} ms each, "
            f"{args.repeat} rounds")  # fmt: skip

        def client_at(concurrency: int) -> Callable[[], float]:
            def measure() -> float:
                settings = settings_for(env, concurrency)
                project_client(settings, scopes[:concurrency])  # warm up, not timed
                elapsed, ok = project_client(settings, scopes)
                if ok != n_scopes:
                    raise SystemExit(f"only {ok} of {n_scopes} scopes answered at {concurrency}")
                return elapsed

            return measure

        runs = interleave(
            {
                "sequential": lambda: sequential(settings_for(env, 1), scopes),
                **{f"client @ {c}": client_at(c) for c in concurrencies},
            },
            args.repeat,
        )
    timings = {c: runs[f"client @ {c}"] for c in concurrencies}
    medians = {c: statistics.median(t) for c, t in timings.items()}
    ideal = math.ceil(n_scopes / default) * latency
    elapsed = timings[default]
    versus_sequential = Figure(
        "fanout",
        f"tick wall time, client @ default {default}",
        elapsed,
        "s",
        runs["sequential"],
        "sequential httpx loop",
        "<= sequential / 10",
    )
    versus_ideal = Figure(
        "fanout",
        f"tick wall time vs ideal @ {default}",
        elapsed,
        "s",
        [ideal] * len(elapsed),
        "ceil(scopes/concurrency) x latency",
        "ratio <= 1.5",
    )
    for figure, limit in ((versus_sequential, 0.1), (versus_ideal, 1.5)):
        figure.met = figure.ratio is not None and figure.ratio.median <= limit
    emit(
        [versus_sequential, versus_ideal],
        {
            "timings_by_concurrency": timings,
            "median_by_concurrency": medians,
            "best_concurrency": min(medians, key=medians.get),
        },
    )


if __name__ == "__main__":
    main()
