"""Poll fan-out: one tick of 200 scopes x 200 agents against a far-away API (150 ms a request).

The simulator runs in its own process with injected latency and its rate limit off. The
project's client (at several concurrencies) is compared with a plain sequential httpx loop over
the same scopes, in the same run, and with the ideal ceil(scopes / concurrency) x latency.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace

import httpx

from benchmarks.common import Figure, emit, say
from pipelines.demo import running_simulator, simulator_env
from pipelines.kore import KoreAvailabilityClient, KoreSettings, RateLimiter
from pipelines.kore.auth import TokenMinter
from pipelines.kore.availability import AVAILABILITY, request_body
from pipelines.scopes import Scope


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
    parser.add_argument("--scopes", type=int, default=200)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--concurrency", type=int, nargs="*", default=[8, 16, 32, 64])
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    sim_args = ["--agents", str(args.agents), "--latency-ms", str(args.latency_ms),
                "--rate-limit", "0"]  # fmt: skip
    with running_simulator(sim_args) as base_url:
        env = simulator_env(base_url)
        ids = roster_ids(base_url)
        scopes = [
            Scope("agents", f"bench-{i}", f"Bench {i}", tuple(ids)) for i in range(args.scopes)
        ]
        default = KoreSettings.__dataclass_fields__["max_concurrency"].default
        figures = []
        say(f"fan-out: {args.scopes} scopes x {len(ids)} agents, {args.latency_ms:.0f} ms each")
        baseline = sequential(settings_for(env, 1), scopes)
        say(f"  sequential httpx loop: {baseline:.2f} s")
        timings = {}
        for concurrency in sorted(set(args.concurrency) | {default}):
            project_client(settings_for(env, concurrency), scopes[:concurrency])  # warm up
            elapsed, ok = project_client(settings_for(env, concurrency), scopes)
            ideal = math.ceil(args.scopes / concurrency) * latency
            timings[concurrency] = elapsed
            say(f"  client @ {concurrency}: {elapsed:.2f} s (ideal {ideal:.2f} s), {ok} ok")
            if ok != args.scopes:
                raise SystemExit(f"only {ok} of {args.scopes} scopes answered at {concurrency}")
        best = min(timings, key=timings.get)
        elapsed = timings[default]
        ideal = math.ceil(args.scopes / default) * latency
        figures.append(Figure("fanout", f"tick wall time, client @ default {default}", elapsed,
                              "s", baseline, "sequential httpx loop",
                              "<= sequential / 10", elapsed <= baseline / 10))  # fmt: skip
        figures.append(Figure("fanout", f"tick wall time vs ideal @ {default}", elapsed, "s",
                              ideal, "ceil(scopes/concurrency) x latency", "ratio <= 1.5",
                              elapsed <= 1.5 * ideal))  # fmt: skip
        emit(figures, {"timings_by_concurrency": timings, "best_concurrency": best})


if __name__ == "__main__":
    main()
