"""Erlang A (M/M/N+M): staffing when callers hang up, written here as pyworkforce needs 3.12.

Erlang C assumes nobody abandons, so it overstates the queue and the head-count. Erlang A adds
exponential patience: every waiting contact leaves at rate theta = 1 / mean patience. The
number of contacts in the system is then a birth-death chain with birth rate lambda and death
rate min(k, N) mu + max(k - N, 0) theta, stable for any load. Everything below is exact for
that model up to a truncation of probabilities below e^-46 relative to the largest.

Units: time in mean handle times (mu = 1), so A = lambda x AHT is the offered load in Erlangs,
r = theta / mu = AHT / patience and t = target / AHT.

Stationary distribution
    w(k) = A^k / k! for k <= N and w(N + m) = w(N) (A/r)^m Gamma(N/r + 1) / Gamma(N/r + 1 + m).
    Both factors have ratios that fall with k (the chain is log-concave), so the mass sits in
    one window around the mode: the window is found on the closed form with ``lgamma`` and the
    weights inside it come from the cumulative sum of log-ratios, normalised at the end. Only
    the window is ever held, so 20,000 Erlangs or a queue a million deep cost the same code.

An arrival that finds k = N + m (PASTA) has m contacts ahead. Each step forward happens at rate
N + i r (a service completion, or one of the i ahead abandoning) and the contact's own
patience runs out at rate r, so with n = m + 1 steps to go:

* P(answered) = prod_i (N + i r) / (N + (i + 1) r) = N / (N + n r) (the product telescopes);
* given it is answered, the wait S is a sum of independent exponentials with the rates
  N + j r, j = 1..n (competing exponentials: the holding time does not depend on which event
  ends it), so E[S] = H_n = sum_j 1 / (N + j r), written with digamma for a deep start;
* those rates are in arithmetic progression, and S has the law of the maximum of n i.i.d.
  Exp(r) variables tilted by e^(-N s): P(S <= t) = I_x(n, N/r + 1), the regularised
  incomplete beta function with x = 1 - e^(-r t). For integer n it is one minus a negative
  binomial distribution function: P(S > t) = sum_{j<n} C(b + j - 1, j) y^b (1 - y)^j with
  b = N/r + 1, y = e^(-r t). All terms are positive, so summing them (again in a window,
  from log-space) is stable where an alternating hypoexponential sum would cancel to noise.

This phase-type route was chosen over integrating the density numerically because it is exact,
has no step size to tune, and the negative binomial sum is shared by every queue position.

Service level is the share of OFFERED contacts answered within the target: an abandoned contact
counts against it even when it gave up before the target (the usual contact-centre reading,
and the one pyworkforce's ErlangA uses). Limits:

* patience 0, or at most 1 / ``INFINITE_PATIENCE_AHTS`` of a handle time (a subnormal patience
  would make the abandonment rate overflow): a loss system, Erlang B (blocked contacts count
  as abandoned, and as waiting);
* patience of at least ``INFINITE_PATIENCE_AHTS`` handle times, or ``math.inf``: Erlang C's
  figures (abandonment below 1e-4 / (N - A) of offered, smaller than the forecast's error);
  with N <= A the patient queue never drains and the limit is SL 0, p_wait 1, occupancy 1,
  ASA inf and abandon 1 - N/A (the share the servers cannot take as patience grows).

Searches are bounded: at most ``MAX_SERVERS`` agents and ``MAX_TRAFFIC`` Erlangs; anything
beyond raises ValueError naming the inputs (never OverflowError, never a minutes-long loop).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pipelines.coverage import erlang

__all__ = [
    "INFINITE_PATIENCE_AHTS",
    "MAX_SERVERS",
    "MAX_STATES",
    "MAX_TRAFFIC",
    "ErlangAResult",
    "erlang_a",
    "required_agents_a",
]

MAX_SERVERS = erlang.MAX_SERVERS
MAX_TRAFFIC = float(MAX_SERVERS)
INFINITE_PATIENCE_AHTS = 10_000.0
# The largest window of states or negative binomial terms held at once; with the ranges above
# only extreme corners (targets of thousands of handle times at 100,000 Erlangs) come near it.
MAX_STATES = 4_000_000
_DROP = 46.0  # e^-46 ~ 1e-20: terms this far below the largest are left out
_EPS = 1e-9  # same float slack as Erlang C's search


@dataclass(frozen=True)
class ErlangAResult:
    """Figures for one interval; shares are of OFFERED contacts unless said otherwise."""

    service_level: float  # share of offered contacts answered within the target
    abandon_rate: float  # share of offered contacts that abandon
    asa_seconds: float  # mean wait of answered contacts
    p_wait: float  # probability that an arrival waits (finds every agent busy)
    occupancy: float  # mean busy agents / agents


def _check_inputs(
    arrival_rate_per_hour: float,
    aht_seconds: float,
    patience_seconds: float,
    target_seconds: float,
) -> float:
    """Validate the common inputs and return the offered load in Erlangs."""
    if not math.isfinite(arrival_rate_per_hour) or arrival_rate_per_hour < 0:
        raise ValueError(
            f"arrival_rate_per_hour must be a finite number >= 0, got {arrival_rate_per_hour!r}"
        )
    if not math.isfinite(aht_seconds) or aht_seconds <= 0:
        raise ValueError(f"aht_seconds must be a positive number of seconds, got {aht_seconds!r}")
    if math.isnan(patience_seconds) or patience_seconds < 0:
        raise ValueError(
            f"patience_seconds must be >= 0 seconds (math.inf for Erlang C), "
            f"got {patience_seconds!r}"
        )
    if not math.isfinite(target_seconds) or target_seconds < 0:
        raise ValueError(
            f"target_seconds must be a finite number of seconds >= 0, got {target_seconds!r}"
        )
    traffic = arrival_rate_per_hour * aht_seconds / 3600.0
    if not traffic <= MAX_TRAFFIC:
        raise ValueError(
            f"arrival_rate_per_hour={arrival_rate_per_hour!r} with aht_seconds={aht_seconds!r} "
            f"is {traffic:.6g} Erlangs, beyond the {MAX_TRAFFIC:.0f} this model is computed for"
        )
    return traffic


def erlang_a(
    servers: int,
    arrival_rate_per_hour: float,
    aht_seconds: float,
    patience_seconds: float,
    target_seconds: float,
) -> ErlangAResult:
    """Erlang A figures for ``servers`` agents; see the module docstring for the model.

    No arrivals give a perfect interval (SL 1, nothing waits); zero agents with arrivals
    answer nobody (SL 0, everyone abandons, ASA 0 because no answered contact waited).
    """
    if isinstance(servers, bool) or not isinstance(servers, int):
        raise ValueError(f"servers must be an integer, got {servers!r}")
    if not 0 <= servers <= MAX_SERVERS:
        raise ValueError(f"servers must be in 0..{MAX_SERVERS}, got {servers}")
    traffic = _check_inputs(arrival_rate_per_hour, aht_seconds, patience_seconds, target_seconds)
    if traffic == 0:
        return ErlangAResult(1.0, 0.0, 0.0, 0.0, 0.0)
    if servers == 0:
        return ErlangAResult(0.0, 1.0, 0.0, 1.0, 0.0)
    if patience_seconds * INFINITE_PATIENCE_AHTS <= aht_seconds:  # 0, or too short to wait
        blocked = erlang.erlang_b(servers, traffic)
        return ErlangAResult(
            1.0 - blocked, blocked, 0.0, blocked, traffic * (1.0 - blocked) / servers
        )
    if patience_seconds >= INFINITE_PATIENCE_AHTS * aht_seconds:
        return _erlang_c_limit(servers, traffic, aht_seconds, target_seconds)
    r = aht_seconds / patience_seconds
    try:
        sl, abandon, wait, p_wait, occupancy = _chain(
            servers, traffic, r, target_seconds / aht_seconds
        )
    except _TooManyStates as exc:
        raise ValueError(
            f"Erlang A for servers={servers}, arrival_rate_per_hour={arrival_rate_per_hour!r}, "
            f"aht_seconds={aht_seconds!r}, patience_seconds={patience_seconds!r}, "
            f"target_seconds={target_seconds!r} needs {exc.args[0]} states, more than "
            f"MAX_STATES={MAX_STATES}"
        ) from None
    return ErlangAResult(sl, abandon, wait * aht_seconds, p_wait, occupancy)


def _erlang_c_limit(servers: int, traffic: float, aht: float, target: float) -> ErlangAResult:
    if servers <= traffic:
        return ErlangAResult(0.0, 1.0 - servers / traffic, math.inf, 1.0, 1.0)
    c = erlang.erlang_c(servers, traffic)
    return ErlangAResult(
        erlang.service_level(servers, traffic, aht, target),
        0.0,
        erlang.average_speed_of_answer(servers, traffic, aht),
        c,
        traffic / servers,
    )


class _TooManyStates(Exception):
    """Internal: a window would exceed MAX_STATES (the caller words the error)."""


def _reach(inside, start: int, direction: int, limit: int) -> int:
    """The farthest k from ``start`` towards ``limit`` with inside(k), for a predicate that is
    true at ``start`` and, once false, stays false: doubling steps, then bisection."""
    good, step = start, 1
    while good != limit:
        probe = start + direction * step
        if (probe - limit) * direction >= 0:
            probe = limit
        if not inside(probe):
            bad = probe
            while abs(bad - good) > 1:
                middle = (good + bad) // 2
                good, bad = (middle, bad) if inside(middle) else (good, middle)
            return good
        good, step = probe, step * 2
    return good


def _chain(n: int, a: float, r: float, t: float) -> tuple[float, float, float, float, float]:
    """(SL, abandon share, mean wait of answered in AHTs, p_wait, occupancy) for finite r > 0."""
    log_a, log_r, base = math.log(a), math.log(r), n / r + 1.0

    def log_weight(k: int) -> float:
        if k <= n:
            return k * log_a - math.lgamma(k + 1)
        m = k - n
        return (
            n * log_a
            - math.lgamma(n + 1)
            + m * (log_a - log_r)
            - (math.lgamma(base + m) - math.lgamma(base))
        )

    mode = math.floor(a) if a < n else n + math.floor((a - n) / r)
    floor_weight = log_weight(mode) - _DROP
    lo = _reach(lambda k: log_weight(k) >= floor_weight, mode, -1, 0)
    hi = mode
    while log_weight(hi + 1) >= floor_weight:  # gallop right without an upper limit
        hi = _reach(lambda k: log_weight(k) >= floor_weight, hi, 1, 2 * hi + 2)
    if hi - lo + 1 > MAX_STATES:
        raise _TooManyStates(hi - lo + 1)

    ks = np.arange(lo, hi + 1, dtype=np.float64)
    deaths = np.minimum(ks[1:], n) + np.maximum(ks[1:] - n, 0.0) * r
    log_w = np.concatenate(([0.0], np.cumsum(log_a - np.log(deaths))))
    p = np.exp(log_w - log_w.max())
    p /= p.sum()

    served_now = float(p[ks < n].sum())
    occupancy = float((p * np.minimum(ks, n)).sum()) / n
    queued = ks >= n
    if not queued.any():
        return _share(served_now), 0.0, 0.0, 0.0, _share(occupancy)
    pq = p[queued]
    m_lo, m_hi = int(ks[queued][0]) - n, hi - n
    steps = np.arange(m_lo + 1, m_hi + 2, dtype=np.float64)  # n = m + 1 steps to a server
    answered_given = n / (n + steps * r)
    abandon = float((pq * (steps * r) / (n + steps * r)).sum())
    answered = served_now + float((pq * answered_given).sum())
    harmonic = _digamma_diff(base, m_lo) / r + np.cumsum(1.0 / (n + steps * r))
    wait = float((pq * answered_given * harmonic).sum()) / answered if answered > 0 else 0.0
    within = 1.0 - _nb_cdf(m_lo, m_hi, base, r, t, n)
    sl = served_now + float((pq * answered_given * within).sum())
    return _share(sl), _share(abandon), wait, _share(float(pq.sum())), _share(occupancy)


def _share(value: float) -> float:
    """A probability summed in floats can land a rounding step outside [0, 1]."""
    return min(max(value, 0.0), 1.0)


def _nb_cdf(m_lo: int, m_hi: int, b: float, r: float, t: float, n: int) -> np.ndarray:
    """F(m) = P(NB <= m) for m in m_lo..m_hi: the negative binomial (b successes, success
    probability y = e^(-r t)) whose upper tail is P(S_(m+1) <= t); see the module docstring."""
    size = m_hi - m_lo + 1
    rt = r * t
    if rt == 0:  # a zero target (or one so small it underflows): nobody waits within it
        return np.ones(size)
    log_fail = math.log(-math.expm1(-rt))  # log(1 - y)
    log_y_b = -(n + r) * t  # b log y

    def g(j: int) -> float:
        return math.lgamma(b + j) - math.lgamma(b) - math.lgamma(j + 1) + log_y_b + j * log_fail

    cut = -_DROP - math.log(m_hi + 2)  # below this, the terms up to m_hi sum to < e^-46
    mode_f = math.inf if rt > 700 else (b - 1.0) * math.expm1(rt)
    if mode_f >= m_hi:  # the window lies left of the mode, where the terms rise
        top = peak = m_hi
        if g(top) < cut:
            return np.zeros(size)
    else:
        top = peak = math.floor(mode_f)
        if g(top) < cut:
            return np.zeros(size)

        def tail_matters(j: int) -> bool:
            q = (b + j) * -math.expm1(-rt) / (j + 1)  # pmf(j + 1) / pmf(j)
            return q >= 1 or g(j) + math.log(q) - math.log1p(-q) >= -_DROP

        top = _reach(tail_matters, top, 1, m_hi)
        if top < m_lo:
            return np.ones(size)
    start = _reach(lambda j: g(j) >= cut, peak, -1, 0)  # the terms fall leftwards of peak
    if top - start + 1 > MAX_STATES:
        raise _TooManyStates(top - start + 1)
    js = np.arange(start + 1, top + 1, dtype=np.float64)
    log_pmf = g(start) + np.concatenate(([0.0], np.cumsum(np.log((b + js - 1) / js) + log_fail)))
    cdf = np.minimum(np.cumsum(np.exp(log_pmf)), 1.0)  # F(start) .. F(top)
    out = np.ones(size)
    ms = np.arange(m_lo, m_hi + 1)
    before = ms < start
    inside = (ms >= start) & (ms <= top)
    out[before] = 0.0
    out[inside] = cdf[ms[inside] - start]
    return out


def _digamma_diff(x: float, count: int) -> float:
    """psi(x + count) - psi(x) for x > 0, without the cancellation of two large digammas."""
    if count == 0:
        return 0.0
    total = 0.0
    while x < 16:  # psi(z) = psi(z + 1) - 1/z, applied to both ends
        total += 1.0 / x - 1.0 / (x + count)
        x += 1.0

    def tail(z: float) -> float:  # psi(z) - log(z), asymptotic series, error < 1e-14 for z >= 16
        z2 = 1.0 / (z * z)
        return -0.5 / z - z2 * (1 / 12 - z2 * (1 / 120 - z2 * (1 / 252 - z2 / 240)))

    return total + math.log1p(count / x) + tail(x + count) - tail(x)


def required_agents_a(
    arrival_rate_per_hour: float,
    aht_seconds: float,
    patience_seconds: float,
    service_level: float,
    target_seconds: float,
    max_occupancy: float | None = None,
) -> int:
    """Smallest number of on-queue agents whose Erlang A service level (of offered contacts)
    reaches ``service_level`` within ``target_seconds`` and whose occupancy stays at or below
    ``max_occupancy``; 0 when nothing arrives. Before shrinkage, like the contract says.

    Binary search after doubling steps: both figures are monotone in the number of agents
    (tests check it on a grid). It starts at service_level x A, since the answered share, and
    so the service level, cannot exceed N / A; it stops at ``MAX_SERVERS`` with a ValueError.
    """
    traffic = _check_inputs(arrival_rate_per_hour, aht_seconds, patience_seconds, target_seconds)
    if not 0 < service_level < 1:
        raise ValueError(f"service_level must be strictly between 0 and 1, got {service_level!r}")
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy!r}")
    if traffic == 0:
        return 0
    return _search(
        float(arrival_rate_per_hour),
        float(aht_seconds),
        float(patience_seconds),
        float(service_level),
        float(target_seconds),
        None if max_occupancy is None else float(max_occupancy),
    )


@lru_cache(maxsize=65536)
def _search(
    rate: float, aht: float, patience: float, level: float, target: float, cap: float | None
) -> int:
    def meets(servers: int) -> bool:
        result = erlang_a(servers, rate, aht, patience, target)
        return result.service_level >= level - _EPS and (
            cap is None or result.occupancy <= cap + _EPS
        )

    traffic = rate * aht / 3600.0
    bad = max(0, math.floor(level * traffic) - 1)  # cannot meet the level: N/A < level
    step, good = 1, None
    while good is None:
        probe = min(bad + step, MAX_SERVERS)
        if meets(probe):
            good = probe
        elif probe == MAX_SERVERS:
            raise ValueError(
                f"no head-count up to MAX_SERVERS={MAX_SERVERS} meets service_level={level!r} "
                f"within target_seconds={target!r} (max_occupancy={cap!r}) for "
                f"arrival_rate_per_hour={rate!r}, aht_seconds={aht!r}, "
                f"patience_seconds={patience!r}"
            )
        else:
            bad, step = probe, step * 2
    while good - bad > 1:
        middle = (good + bad) // 2
        good, bad = (middle, bad) if meets(middle) else (good, middle)
    return good
