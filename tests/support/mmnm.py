"""A discrete-event simulation of the M/M/N+M queue, to test the Erlang A formulas against.

It shares nothing with :mod:`pipelines.coverage.erlang_a` but the model: Poisson arrivals,
exponential handle times, N agents serving first come first served, and exponential patience;
a contact still waiting when its patience runs out leaves. Seeded and bounded by a number of
arrivals (never by a wall clock), so a run is the same on every machine.

Abandonments are applied lazily: a waiting contact's deadline is only looked at when an agent
frees up and takes the head of the queue. That is exact for FCFS, because nothing but an
agent's next pick depends on who is still waiting.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class SimulatedInterval:
    """Shares are of the contacts counted (after warm-up); the ``*_se`` are standard errors
    from batch means (batch_se: the service level's), so tolerances can be argued from the run
    itself: consecutive contacts see the same queue, so a binomial error would be too small."""

    contacts: int
    service_level: float
    abandon_rate: float
    asa_seconds: float
    p_wait: float
    batch_se: float
    abandon_se: float
    p_wait_se: float


def simulate(
    servers: int,
    arrival_rate_per_hour: float,
    aht_seconds: float,
    patience_seconds: float,
    target_seconds: float,
    *,
    arrivals: int = 200_000,
    warmup: int = 5_000,
    seed: int = 1,
    batches: int = 20,
) -> SimulatedInterval:
    """Run ``arrivals`` contacts through ``servers`` agents; the first ``warmup`` are dropped.

    After the last arrival the queue drains (no new contacts), so every counted contact has an
    outcome: answered after some wait, or abandoned.
    """
    rng = random.Random(seed)
    rate = arrival_rate_per_hour / 3600.0
    theta = 0.0 if math.isinf(patience_seconds) else 1.0 / patience_seconds
    completions: list[float] = []  # heap of busy agents' finishing times
    waiting: deque[tuple[int, float, float]] = deque()  # (contact, arrival, deadline)
    answered_within = [False] * arrivals
    abandoned = [False] * arrivals
    waited = [False] * arrivals
    wait_answered = [math.nan] * arrivals

    def start(now: float) -> None:
        heapq.heappush(completions, now + rng.expovariate(1.0 / aht_seconds))

    clock = 0.0
    for contact in range(arrivals):
        clock += rng.expovariate(rate)
        patience = math.inf if theta == 0 else rng.expovariate(theta)
        _complete_until(clock, completions, waiting, abandoned, answered_within, wait_answered,
                        target_seconds, start)  # fmt: skip
        if len(completions) < servers:
            start(clock)
            answered_within[contact] = True
            wait_answered[contact] = 0.0
        else:
            waited[contact] = True
            waiting.append((contact, clock, clock + patience))
    _complete_until(math.inf, completions, waiting, abandoned, answered_within, wait_answered,
                    target_seconds, start)  # fmt: skip

    counted = range(warmup, arrivals)
    size = len(counted)
    within = [answered_within[i] for i in counted]
    answered_waits = [wait_answered[i] for i in counted if not abandoned[i]]
    return SimulatedInterval(
        contacts=size,
        service_level=sum(within) / size,
        abandon_rate=sum(abandoned[i] for i in counted) / size,
        asa_seconds=sum(answered_waits) / len(answered_waits) if answered_waits else 0.0,
        p_wait=sum(waited[i] for i in counted) / size,
        batch_se=_batch_se(within, batches),
        abandon_se=_batch_se([abandoned[i] for i in counted], batches),
        p_wait_se=_batch_se([waited[i] for i in counted], batches),
    )


def _batch_se(outcomes: list[bool], batches: int) -> float:
    """Standard error of the share of True from ``batches`` consecutive batch means."""
    batch = len(outcomes) // batches
    shares = [sum(outcomes[b * batch : (b + 1) * batch]) / batch for b in range(batches)]
    mean = sum(shares) / batches
    return math.sqrt(sum((share - mean) ** 2 for share in shares) / (batches - 1) / batches)


def _complete_until(
    until: float,
    completions: list[float],
    waiting: deque[tuple[int, float, float]],
    abandoned: list[bool],
    answered_within: list[bool],
    wait_answered: list[float],
    target: float,
    start,
) -> None:
    """Process every service completion up to ``until``: the freed agent takes the first
    waiting contact whose patience has not run out; the ones before it abandoned."""
    while completions and completions[0] <= until:
        now = heapq.heappop(completions)
        while waiting:
            contact, arrived, deadline = waiting.popleft()
            if deadline <= now:
                abandoned[contact] = True
                continue
            wait = now - arrived
            wait_answered[contact] = wait
            answered_within[contact] = wait <= target
            start(now)
            break
    if until == math.inf:  # draining: nobody is left to serve the rest
        for contact, _, _ in waiting:
            abandoned[contact] = True
        waiting.clear()
