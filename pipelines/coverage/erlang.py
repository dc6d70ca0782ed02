"""Erlang C staffing maths, written out here because pyworkforce needs Python >= 3.12.

Everything goes through the Erlang B recursion

    B(0) = 1,   B(n) = A * B(n-1) / (n + A * B(n-1))

and the identity C(N, A) = N * B / (N - A * (1 - B)). The textbook formula with ``A**N / N!``
overflows a float near A = 170 and loses precision well before that; the recursion only ever
holds a probability in [0, 1], so it stays exact to rounding for tens of thousands of Erlangs.
Above 2,000 servers B comes from its Poisson form P(X = N) / P(X <= N), summed in log space
over the terms that matter (O(sqrt A) work, relative error below 1e-10 against the recursion).

``required_agents`` walks N upwards once, carrying B(N) along, instead of re-running the
recursion from zero for every candidate N: the cost is O(N) per call rather than O(N^2) (for
large loads the walk starts near N = A from the Poisson form of B, so O(sqrt(A))), and
identical forecast rows (the common case: the same weekday pattern repeated) are memoised.

The search is bounded: no interval is sized beyond ``MAX_SERVERS`` agents, and traffic that
could only be served beyond it is refused up front, so a forecast row of 1e12 contacts costs a
ValueError naming its inputs instead of minutes of work (or an OverflowError at 1e300).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__ = [
    "MAX_SERVERS",
    "average_speed_of_answer",
    "erlang_b",
    "erlang_c",
    "required_agents",
    "service_level",
]

# Float slack for comparisons against user targets: a forecast asking for exactly 80% must not
# need an extra agent because 0.8 came out as 0.7999999999999999, and 14 / (1 - 0.3) must round
# up to 20 agents, not 21.
_EPS = 1e-9

# The largest head-count any interval is sized to (also the top of the servers argument):
# ten times the largest contact centre floor, far below where the O(N) walk gets slow (~50 ms).
MAX_SERVERS = 100_000


def _check_servers(servers: int) -> None:
    if isinstance(servers, bool) or not isinstance(servers, int):
        raise ValueError(f"servers must be an integer, got {servers!r}")
    if not 0 <= servers <= MAX_SERVERS:
        raise ValueError(f"servers must be in 0..{MAX_SERVERS}, got {servers}")


def _check_traffic(traffic: float) -> None:
    if not math.isfinite(traffic) or traffic < 0:
        raise ValueError(f"traffic must be a finite number >= 0, got {traffic!r}")


def _next_b(b_prev: float, n: int, traffic: float) -> float:
    """One step of the recursion; kept separate so the search and erlang_b cannot drift apart."""
    ab = traffic * b_prev
    return ab / (n + ab)


def _c_from_b(servers: int, traffic: float, b: float) -> float:
    """Erlang C from Erlang B; callers guarantee servers > traffic so the denominator is > 0."""
    return servers * b / (servers - traffic * (1.0 - b))


def _sl_from_c(servers: int, traffic: float, c: float, aht_s: float, target_s: float) -> float:
    return 1.0 - c * math.exp(-(servers - traffic) * target_s / aht_s)


def erlang_b(servers: int, traffic: float) -> float:
    """Blocking probability with ``servers`` lines and ``traffic`` Erlangs (lost-calls model).

    Exposed because it is the building block of Erlang C and has well-known published tables
    to test the recursion against.
    """
    _check_servers(servers)
    _check_traffic(traffic)
    if servers > _JUMP_FROM and traffic > 0:
        return _erlang_b_poisson(servers, traffic)
    b = 1.0
    for n in range(1, servers + 1):
        b = _next_b(b, n, traffic)
    return b


def erlang_c(servers: int, traffic: float) -> float:
    """Probability that a contact has to queue; 1.0 when the agents cannot keep up.

    With N <= A the queue grows without bound, so every contact waits: returning 1.0 rather
    than raising lets callers scan N upwards from zero without special cases.
    """
    _check_servers(servers)
    _check_traffic(traffic)
    if servers <= traffic:
        return 1.0
    return _c_from_b(servers, traffic, erlang_b(servers, traffic))


def service_level(servers: int, traffic: float, aht_s: float, target_s: float) -> float:
    """Share of contacts answered within ``target_s`` seconds (e.g. the 0.8 in "80/20").

    0.0 when N <= A: an unstable queue answers, in the long run, nobody within any target.
    """
    if not aht_s > 0 or not math.isfinite(aht_s):
        raise ValueError(f"aht_s must be a positive number of seconds, got {aht_s!r}")
    if not target_s >= 0 or not math.isfinite(target_s):
        raise ValueError(f"target_s must be a number of seconds >= 0, got {target_s!r}")
    c = erlang_c(servers, traffic)
    if servers <= traffic:
        return 0.0
    return _sl_from_c(servers, traffic, c, aht_s, target_s)


def average_speed_of_answer(servers: int, traffic: float, aht_s: float) -> float:
    """Mean wait in seconds over all contacts (waiters and immediate answers alike).

    ``math.inf`` when N <= A, because the queue never drains.
    """
    if not aht_s > 0 or not math.isfinite(aht_s):
        raise ValueError(f"aht_s must be a positive number of seconds, got {aht_s!r}")
    c = erlang_c(servers, traffic)
    if servers <= traffic:
        return math.inf
    return c * aht_s / (servers - traffic)


def _ceil(value: float) -> int:
    """Round up, forgiving float noise just above an integer (see ``_EPS``)."""
    return math.ceil(value - _EPS * max(1.0, abs(value)))


@lru_cache(maxsize=65536)
def _raw_agents(
    traffic: float,
    aht_s: float,
    service_level_target: float,
    target_s: float,
    max_occupancy: float | None,
) -> int:
    """Smallest N > A meeting the service level and occupancy cap, before shrinkage.

    The caller has checked that floor_n <= MAX_SERVERS; the walk stops there at the latest.
    """
    floor_n = _floor_agents(traffic, max_occupancy)
    # Start B(n) just below the first candidate: no N <= A can serve the load. Large loads
    # jump there with the Poisson form instead of walking the recursion up from zero.
    b, n = 1.0, 0
    if floor_n > _JUMP_FROM:
        n = floor_n - 1
        b = _erlang_b_poisson(n, traffic)
    while n < MAX_SERVERS:
        n += 1
        b = _next_b(b, n, traffic)
        if n < floor_n:
            continue
        c = _c_from_b(n, traffic, b)
        if _sl_from_c(n, traffic, c, aht_s, target_s) >= service_level_target - _EPS:
            return n
    return MAX_SERVERS + 1  # not met within the bound; required_agents words the error


# Below this many agents the recursion from zero is as cheap as the Poisson window.
_JUMP_FROM = 2_000


def _erlang_b_poisson(servers: int, traffic: float) -> float:
    """B(N, A) = P(X = N) / P(X <= N) for X ~ Poisson(A), in O(sqrt(A)) instead of O(N).

    Only the terms within 12 standard deviations of the peak of P(X = k), k <= N, count (the
    rest are below 1e-30 of the sum); they are summed in log space from one lgamma anchor, so
    neither A^k nor k! is ever formed. Used to start the search near N = A for large loads.
    """
    top = min(servers, math.floor(traffic))  # the largest term with k <= N
    spread = 12.0 * math.sqrt(traffic) + 50.0
    lo = max(0, math.floor(top - spread))
    hi = min(servers, math.ceil(top + spread))
    ks = np.arange(lo + 1, hi + 1, dtype=np.float64)
    log_terms = np.concatenate(([0.0], np.cumsum(math.log(traffic) - np.log(ks))))
    anchor = lo * math.log(traffic) - math.lgamma(lo + 1)  # log P(X = lo) + A
    peak = float(log_terms.max())
    log_cdf = anchor + peak + math.log(float(np.exp(log_terms - peak).sum()))
    log_pmf_n = servers * math.log(traffic) - math.lgamma(servers + 1)
    return math.exp(log_pmf_n - log_cdf)


def _floor_agents(traffic: float, max_occupancy: float | None) -> int:
    """Fewest agents worth testing: N > A, and occupancy A/N <= max_occupancy."""
    floor_n = math.floor(traffic) + 1
    if max_occupancy is not None:
        floor_n = max(floor_n, _ceil(traffic / max_occupancy))
    return floor_n


def required_agents(
    contacts: float,
    aht_s: float,
    interval_s: float,
    service_level_target: float,
    target_s: float,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
) -> int:
    """Agents to schedule for one interval so the forecast meets its service level.

    Traffic A = contacts * aht_s / interval_s. The raw figure is the smallest N > A whose
    service level reaches ``service_level_target`` within ``target_s`` and, when given, whose
    occupancy A/N stays at or below ``max_occupancy`` (Erlang C alone happily staffs large
    queues at 95%+ occupancy, which burns agents out). Shrinkage (breaks, training, absence)
    then scales it: ceil(raw / (1 - shrinkage)), because only that share of scheduled agents
    is actually on the phones.

    Zero contacts need zero agents: the formula would say 1 (the smallest N > 0), but a
    closed or empty interval should not show a staffing gap.
    """
    if not math.isfinite(contacts) or contacts < 0:
        raise ValueError(f"contacts must be a finite number >= 0, got {contacts!r}")
    if not math.isfinite(aht_s) or aht_s <= 0:
        raise ValueError(f"aht_s must be a positive number of seconds, got {aht_s!r}")
    if not math.isfinite(interval_s) or interval_s <= 0:
        raise ValueError(f"interval_s must be a positive number of seconds, got {interval_s!r}")
    if not 0 < service_level_target < 1:
        raise ValueError(
            f"service_level_target must be strictly between 0 and 1, got {service_level_target!r}"
        )
    if not math.isfinite(target_s) or target_s < 0:
        raise ValueError(f"target_s must be a number of seconds >= 0, got {target_s!r}")
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy!r}")
    if not 0 <= shrinkage < 1:
        raise ValueError(f"shrinkage must be in [0, 1), got {shrinkage!r}")
    if contacts == 0:
        return 0
    traffic = contacts * aht_s / interval_s
    inputs = (
        f"contacts={contacts!r}, aht_s={aht_s!r}, interval_s={interval_s!r}, "
        f"service_level_target={service_level_target!r}, target_s={target_s!r}, "
        f"max_occupancy={max_occupancy!r}"
    )
    if not traffic < MAX_SERVERS or _floor_agents(traffic, max_occupancy) > MAX_SERVERS:
        raise ValueError(
            f"traffic {traffic:.6g} Erlangs needs more than MAX_SERVERS={MAX_SERVERS} agents "
            f"({inputs})"
        )
    raw = _raw_agents(
        float(traffic),
        float(aht_s),
        float(service_level_target),
        float(target_s),
        None if max_occupancy is None else float(max_occupancy),
    )
    if raw > MAX_SERVERS:
        raise ValueError(
            f"no head-count up to MAX_SERVERS={MAX_SERVERS} meets the target ({inputs})"
        )
    if shrinkage == 0:
        return raw
    return _ceil(raw / (1.0 - shrinkage))
