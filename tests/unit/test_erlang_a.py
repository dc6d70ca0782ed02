"""Erlang A against published figures, an independent solver, a simulation, and its limits."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.coverage import erlang
from pipelines.coverage.erlang_a import (
    INFINITE_PATIENCE_AHTS,
    MAX_SERVERS,
    ErlangAResult,
    erlang_a,
    required_agents_a,
)
from tests.support.mmnm import simulate

# --- published values ---------------------------------------------------------------------------
# (servers, arrivals per hour, AHT s, patience s, target s, figure, published, tolerance, source)
# "asa_all_seconds" is the mean wait over ALL offered contacts, answered or not, which is what
# pyworkforce publishes; for exponential patience it equals abandon_rate x patience (Little's
# law on the queue: abandonments per second = theta E[Q] = lambda P(Ab), and E[Q] = lambda E[W]).
PYWORKFORCE = (
    "pyworkforce (rodrigo-arenas/pyworkforce), pyworkforce/queuing/tests/test_abandonment.py, "
    "test_erlanga_regression_metrics: ErlangA(transactions=100, aht=3, asa=20/60, interval=30, "
    "patience=5) with 14 positions, figures as rounded there"
)
ERLANG_C_R = (
    "R package ErlangC 0.1.0 README (CRAN): erlang_c(100 calls, 30 min, AHT 180 s, 20 s, 14 "
    "agents); Erlang A with patience >= INFINITE_PATIENCE_AHTS x AHT must give these"
)
CALL_CENTRE_HELPER = (
    "Call Centre Helper, 'Erlang C Formula - Made Simple With an Easy Worked Example': "
    "11 agents for 10 Erlangs wait with probability 0.682 and reach about 39% in 20 s"
)
ERLANG_B_TABLE = (
    "Erlang B 1% blocking table (teletraffic textbooks): 10 lines carry 4.46 Erlangs; "
    "patience -> 0 turns Erlang A into a loss system, so the abandon share is the blocking"
)
INF = math.inf
PUBLISHED = [
    (14, 200, 180, 300, 20, "p_wait", 0.14526, 5e-6, PYWORKFORCE),
    (14, 200, 180, 300, 20, "abandon_rate", 0.013984, 5e-7, PYWORKFORCE),
    (14, 200, 180, 300, 20, "occupancy", 0.704297, 5e-7, PYWORKFORCE),
    (14, 200, 180, 300, 20, "asa_all_seconds", 0.069919 * 60, 5e-7 * 60, PYWORKFORCE),
    (14, 200, 180, 300, 20, "service_level", 0.916792, 5e-7, PYWORKFORCE),
    (14, 200, 180, INF, 20, "service_level", 0.88835, 5e-6, ERLANG_C_R),
    (14, 200, 180, INF, 20, "p_wait", 0.1741319, 5e-8, ERLANG_C_R),
    (14, 200, 180, INF, 20, "asa_seconds", 7.83593701177724, 1e-9, ERLANG_C_R),
    (14, 200, 180, INF, 20, "occupancy", 0.7142857, 5e-8, ERLANG_C_R),
    (14, 200, 180, 180 * 9_999, 20, "service_level", 0.88835, 5e-5, ERLANG_C_R),
    (14, 200, 180, 180 * 9_999, 20, "p_wait", 0.1741319, 5e-5, ERLANG_C_R),
    (11, 200, 180, INF, 20, "p_wait", 0.682, 5e-4, CALL_CENTRE_HELPER),
    (11, 200, 180, INF, 20, "service_level", 0.39, 5e-3, CALL_CENTRE_HELPER),
    (10, 4.46 * 3600 / 180, 180, 1e-6, 20, "abandon_rate", 0.01, 2e-4, ERLANG_B_TABLE),
    (10, 4.46 * 3600 / 180, 180, 0, 20, "abandon_rate", 0.01, 2e-4, ERLANG_B_TABLE),
]  # fmt: skip


def figure(result: ErlangAResult, name: str, patience: float) -> float:
    if name == "asa_all_seconds":
        return result.abandon_rate * patience
    return getattr(result, name)


@pytest.mark.parametrize(
    ("servers", "rate", "aht", "patience", "target", "name", "published", "tolerance", "source"),
    PUBLISHED,
    ids=[f"{row[5]}-N{row[0]}-patience{row[3]:g}" for row in PUBLISHED],
)
def test_published_values(
    servers: int,
    rate: float,
    aht: float,
    patience: float,
    target: float,
    name: str,
    published: float,
    tolerance: float,
    source: str,
) -> None:
    ours = figure(erlang_a(servers, rate, aht, patience, target), name, patience)
    assert ours == pytest.approx(published, abs=tolerance), source


def test_published_required_agents() -> None:
    """Call Centre Helper: 80/20 for 100 calls per 30 min at 180 s needs 14 agents (Erlang C);
    with 5-minute patience (pyworkforce's example) 13 suffice, since abandons shorten the queue
    and 13 agents already reach 0.86 (above 0.8) while 12 reach 0.77."""
    assert required_agents_a(200, 180, INF, 0.8, 20) == 14
    assert required_agents_a(200, 180, 300, 0.8, 20) == 13
    assert erlang_a(13, 200, 180, 300, 20).service_level >= 0.8
    assert erlang_a(12, 200, 180, 300, 20).service_level < 0.8


# --- an independent solver ------------------------------------------------------------------------
# Plain truncated birth-death chain (no windows, no log space) and the tagged contact's
# absorbing chain solved by uniformization, as textbooks do it: slow, but shares no formula with
# the module beyond the model. Fine for small systems only.


def reference(servers: int, load: float, r: float, t: float) -> tuple[float, float, float]:
    """(service level, abandon share, p_wait) with mu = 1, theta = r, target t."""
    weights = [1.0]
    k = 0
    while k < servers or weights[-1] > 1e-18 * sum(weights):
        k += 1
        weights.append(weights[-1] * load / (min(k, servers) + max(k - servers, 0) * r))
    total = sum(weights)
    p = [w / total for w in weights]
    immediate = sum(p[:servers])
    abandon = sum(p[servers + m] * (m + 1) * r / (servers + (m + 1) * r)
                  for m in range(len(p) - servers))  # fmt: skip
    depth = len(p) - servers
    rate = servers + (depth + 1) * r  # uniformization rate, >= every exit rate
    jumps = int(rate * t + 12 * math.sqrt(rate * t) + 30)
    served_within = []
    for start in range(depth):
        dist = [0.0] * (start + 1)
        dist[start] = 1.0
        served = 0.0
        weight = math.exp(-rate * t)
        within = 0.0
        for jump in range(1, jumps + 1):
            new = [0.0] * (start + 1)
            for ahead, mass in enumerate(dist):
                advance = servers + ahead * r
                stay = rate - advance - r
                if ahead == 0:
                    served += mass * advance / rate
                else:
                    new[ahead - 1] += mass * advance / rate
                new[ahead] += mass * stay / rate
            dist = new
            weight *= rate * t / jump
            within += weight * served
        served_within.append(within)
    queued = sum(p[servers + m] * served_within[m] for m in range(depth))
    return immediate + queued, abandon, 1.0 - immediate


@pytest.mark.parametrize(
    ("servers", "load", "r", "t"),
    [(1, 0.5, 1.0, 0.5), (3, 2.5, 0.3, 0.2), (4, 6.0, 2.0, 0.1), (6, 5.0, 0.05, 1.0),
     (2, 3.0, 10.0, 0.05), (5, 4.0, 0.6, 2.0),
     # overloaded with a long target: the wait's law sits inside the queue's window
     (3, 4.0, 0.1, 4.0), (2, 5.0, 0.2, 6.0)],
)  # fmt: skip
def test_matches_independent_uniformization(servers: int, load: float, r: float, t: float) -> None:
    aht = 100.0
    result = erlang_a(servers, load * 3600 / aht, aht, aht / r, t * aht)
    sl, abandon, p_wait = reference(servers, load, r, t)
    assert result.service_level == pytest.approx(sl, abs=1e-9)
    assert result.abandon_rate == pytest.approx(abandon, abs=1e-12)
    assert result.p_wait == pytest.approx(p_wait, abs=1e-12)


def test_single_server_closed_form() -> None:
    """M/M/1+M by hand, mu = 1, A = 1/10, r = 1/2 (AHT 60 s, patience 120 s).

    Weights 1, A, A^2/(1 + r), A^3/((1 + r)(1 + 2r)), ...; with target 0 only contacts finding
    the agent free count, so SL = 1 / sum(weights). At a vanishing load a waiting contact has
    nobody ahead: it is answered with probability 1/(1 + r) after a mean 1/(1 + r), so
    ASA / p_wait -> 1/(1 + r)^2 handle times.
    """
    a, r = Fraction(1, 10), Fraction(1, 2)
    weights = [Fraction(1), a, a**2 / (1 + r), a**3 / ((1 + r) * (1 + 2 * r))]
    for waiting in range(3, 9):
        weights.append(weights[-1] * a / (1 + waiting * r))
    assert weights[-1] / sum(weights) < Fraction(1, 10**12)  # the rest is negligible
    result = erlang_a(1, 0.1 * 3600 / 60, 60, 120, 0)
    assert result.service_level == pytest.approx(float(1 / sum(weights)), rel=1e-12)
    faint = erlang_a(1, 1e-7 * 3600 / 60, 60, 120, 0)
    assert faint.asa_seconds / faint.p_wait == pytest.approx(60 / 1.5**2, rel=1e-5)


# --- against the simulation ---------------------------------------------------------------------
# 200,000 arrivals, the first 5,000 dropped. The SL's standard error from 20 batch means is about
# 0.0015-0.003 for these systems (the batch means absorb the queue's autocorrelation); asserting
# that it is below 0.004 makes the 1-point tolerance at least 2.5 standard errors.
DES_CASES = [
    (14, 200, 180, 300, 20),  # pyworkforce's example, 10 Erlangs
    (5, 200, 180, 60, 20),  # overloaded: half the contacts abandon
    (110, 2000, 180, 120, 20),  # 100 Erlangs
]


@pytest.mark.parametrize("case", DES_CASES, ids=[f"N{c[0]}-rate{c[1]}" for c in DES_CASES])
def test_matches_simulation(case: tuple) -> None:
    model = erlang_a(*case)
    run = simulate(*case, seed=12)
    assert run.batch_se < 0.004
    assert model.service_level == pytest.approx(run.service_level, abs=0.01)
    # the other shares: within 4 of their own batch-means standard errors
    assert model.abandon_rate == pytest.approx(run.abandon_rate, abs=4 * run.abandon_se)
    assert model.p_wait == pytest.approx(run.p_wait, abs=4 * run.p_wait_se)


def des_required(rate: float, aht: float, patience: float, level: float, target: float,
                 around: int) -> int:  # fmt: skip
    """Smallest N in around-2 .. around+2 whose simulated SL reaches ``level`` (common seed)."""
    for servers in range(around - 2, around + 3):
        run = simulate(servers, rate, aht, patience, target, arrivals=100_000, seed=5)
        if run.service_level >= level:
            return servers
    raise AssertionError(f"the simulation needs more than {around + 2} agents")


@pytest.mark.parametrize(
    ("rate", "aht", "patience", "level", "target"),
    [(200, 180, 300, 0.8, 20), (1500, 240, 90, 0.9, 30)],
)
def test_required_agents_match_simulation(rate, aht, patience, level, target) -> None:
    ours = required_agents_a(rate, aht, patience, level, target)
    assert abs(des_required(rate, aht, patience, level, target, ours) - ours) <= 1


@pytest.mark.slow
@pytest.mark.parametrize(
    "case",
    [(3, 40, 300, 600, 30), (25, 600, 200, 60, 10), (50, 800, 200, 1_200, 60),
     (300, 5_000, 200, 180, 20), (8, 120, 300, 30, 0)],
)  # fmt: skip
def test_matches_simulation_more_systems(case: tuple) -> None:
    model = erlang_a(*case)
    run = simulate(*case, arrivals=400_000, seed=99)
    assert run.batch_se < 0.004
    assert model.service_level == pytest.approx(run.service_level, abs=0.01)
    assert model.abandon_rate == pytest.approx(run.abandon_rate, abs=4 * run.abandon_se)
    assert model.p_wait == pytest.approx(run.p_wait, abs=4 * run.p_wait_se)
    assert model.asa_seconds == pytest.approx(run.asa_seconds, rel=0.05, abs=0.5)


# --- limits, identities and monotonicity ----------------------------------------------------


@pytest.mark.parametrize("servers", [11, 12, 14, 20])
def test_long_patience_is_erlang_c(servers: int) -> None:
    a = 10.0
    computed = erlang_a(servers, 200, 180, 180 * (INFINITE_PATIENCE_AHTS - 1), 20)
    limit = erlang_a(servers, 200, 180, INF, 20)
    assert limit.service_level == erlang.service_level(servers, a, 180, 20)
    assert limit.p_wait == erlang.erlang_c(servers, a)
    # the patient queue's own abandons, about E[W] / patience, shorten the wait of the rest
    tolerance = 1e-3 / (servers - a)
    assert computed.service_level == pytest.approx(limit.service_level, abs=tolerance)
    assert computed.p_wait == pytest.approx(limit.p_wait, abs=tolerance)
    assert computed.asa_seconds == pytest.approx(limit.asa_seconds, rel=10 * tolerance)
    assert computed.abandon_rate < 1e-4


@pytest.mark.parametrize("servers", [1, 5, 10, 15])
def test_short_patience_is_erlang_b(servers: int) -> None:
    blocked = erlang.erlang_b(servers, 10.0)
    for patience in (0.0, 1e-6):
        result = erlang_a(servers, 200, 180, patience, 20)
        assert result.abandon_rate == pytest.approx(blocked, abs=1e-6)
        assert result.service_level == pytest.approx(1 - blocked, abs=1e-6)
        assert result.asa_seconds == pytest.approx(0.0, abs=1e-6)


def test_overloaded_patient_queue_limit() -> None:
    """N <= A with endless patience: nothing within target, the excess load abandons."""
    result = erlang_a(8, 200, 180, INF, 20)
    assert result == ErlangAResult(0.0, 1 - 8 / 10, INF, 1.0, 1.0)
    near = erlang_a(8, 200, 180, 180 * 5_000, 20)
    assert near.abandon_rate == pytest.approx(0.2, abs=1e-3)
    assert near.service_level < 1e-3


@pytest.mark.parametrize("patience", [5, 60, 300, 3_600])
@pytest.mark.parametrize("rate", [30, 200, 2_000])
def test_monotone_in_servers_and_identities(rate: float, patience: float) -> None:
    a = rate * 180 / 3600
    results = [erlang_a(n, rate, 180, patience, 20) for n in range(0, int(a * 1.5) + 6)]
    for n, (worse, better) in enumerate(zip(results, results[1:], strict=False)):
        assert better.service_level >= worse.service_level - 1e-12, n
        assert better.abandon_rate <= worse.abandon_rate + 1e-12, n
        assert better.p_wait <= worse.p_wait + 1e-12, n
        if n >= 1:
            assert better.occupancy <= worse.occupancy + 1e-12, n
    for n, result in enumerate(results):
        assert 0 <= result.service_level <= 1 - result.abandon_rate + 1e-12
        if n:  # carried load: busy agents = offered load x answered share
            assert result.occupancy * n == pytest.approx(a * (1 - result.abandon_rate), rel=1e-9)


def test_more_patience_means_fewer_abandons_and_a_longer_wait() -> None:
    runs = [erlang_a(9, 200, 180, patience, 20) for patience in (10, 60, 300, 3_600)]
    assert [r.abandon_rate for r in runs] == sorted((r.abandon_rate for r in runs), reverse=True)
    assert [r.asa_seconds for r in runs] == sorted(r.asa_seconds for r in runs)


def test_empty_interval_and_no_agents() -> None:
    assert erlang_a(5, 0, 180, 60, 20) == ErlangAResult(1.0, 0.0, 0.0, 0.0, 0.0)
    assert erlang_a(0, 100, 180, 60, 20) == ErlangAResult(0.0, 1.0, 0.0, 1.0, 0.0)
    assert required_agents_a(0, 180, 60, 0.8, 20) == 0


def test_required_agents_is_smallest_and_respects_occupancy() -> None:
    for rate, patience, level, target in [(50, 120, 0.8, 20), (900, 40, 0.7, 10),
                                          (3_000, 400, 0.95, 30), (20, 30, 0.5, 0)]:  # fmt: skip
        n = required_agents_a(rate, 180, patience, level, target)
        assert erlang_a(n, rate, 180, patience, target).service_level >= level
        assert erlang_a(n - 1, rate, 180, patience, target).service_level < level
        capped = required_agents_a(rate, 180, patience, level, target, max_occupancy=0.7)
        assert erlang_a(capped, rate, 180, patience, target).occupancy <= 0.7
        assert erlang_a(capped - 1, rate, 180, patience, target).service_level < level or (
            erlang_a(capped - 1, rate, 180, patience, target).occupancy > 0.7
        )


@pytest.mark.parametrize("level", [0.6, 0.8, 0.95])
def test_endless_patience_search_equals_erlang_c_search(level: float) -> None:
    for rate in (12, 200, 1_234, 40_000):
        assert required_agents_a(rate, 240, INF, level, 15) == erlang.required_agents(
            rate, 240, 3600, level, 15
        )


def test_large_centre_is_fast_enough_and_finite() -> None:
    # 20,000 Erlangs, short patience: no wall-clock assert (machine speed), only finiteness.
    n = required_agents_a(400_000, 180, 120, 0.8, 20, max_occupancy=0.95)
    result = erlang_a(n, 400_000, 180, 120, 20)
    assert result.service_level >= 0.8 and result.occupancy <= 0.95
    assert all(math.isfinite(x) for x in (result.asa_seconds, result.abandon_rate))


# --- bounds and validation ----------------------------------------------------------------


@pytest.mark.parametrize("rate", [1e12, 1e300, 1.7e308, INF, math.nan])
def test_huge_or_broken_arrivals_raise_value_error_naming_inputs(rate: float) -> None:
    with pytest.raises(ValueError, match="arrival_rate_per_hour"):
        required_agents_a(rate, 180, 60, 0.8, 20)
    with pytest.raises(ValueError, match="arrival_rate_per_hour"):
        erlang_a(10, rate, 180, 60, 20)


def test_unreachable_target_stops_at_max_servers() -> None:
    rate = (MAX_SERVERS - 0.5) * 3600 / 180  # 99,999.5 Erlangs
    with pytest.raises(ValueError, match=rf"MAX_SERVERS={MAX_SERVERS}.*arrival_rate_per_hour"):
        required_agents_a(rate, 180, INF, 0.999, 0)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: erlang_a(-1, 10, 180, 60, 20), "servers"),
        (lambda: erlang_a(MAX_SERVERS + 1, 10, 180, 60, 20), "servers"),
        (lambda: erlang_a(2.0, 10, 180, 60, 20), "servers"),  # type: ignore[arg-type]
        (lambda: erlang_a(True, 10, 180, 60, 20), "servers"),  # type: ignore[arg-type]
        (lambda: erlang_a(3, -1, 180, 60, 20), "arrival_rate_per_hour"),
        (lambda: erlang_a(3, 10, 0, 60, 20), "aht_seconds"),
        (lambda: erlang_a(3, 10, INF, 60, 20), "aht_seconds"),
        (lambda: erlang_a(3, 10, 180, -1, 20), "patience_seconds"),
        (lambda: erlang_a(3, 10, 180, math.nan, 20), "patience_seconds"),
        (lambda: erlang_a(3, 10, 180, 60, -1), "target_seconds"),
        (lambda: erlang_a(3, 10, 180, 60, INF), "target_seconds"),
        (lambda: required_agents_a(10, 180, 60, 1.0, 20), "service_level"),
        (lambda: required_agents_a(10, 180, 60, 0.0, 20), "service_level"),
        (lambda: required_agents_a(10, 180, 60, math.nan, 20), "service_level"),
        (lambda: required_agents_a(10, 180, 60, 0.8, 20, 0.0), "max_occupancy"),
        (lambda: required_agents_a(10, 180, 60, 0.8, 20, 1.5), "max_occupancy"),
    ],
)
def test_validation_names_argument(call, argument: str) -> None:
    with pytest.raises(ValueError, match=rf"^{argument} "):
        call()


@settings(max_examples=150, deadline=None)
@given(
    servers=st.integers(0, 2_000),
    rate=st.floats(0, 1e7, allow_nan=False),
    aht=st.floats(1, 86_400),
    patience=st.one_of(st.just(INF), st.floats(0, 1e7)),
    target=st.floats(0, 86_400),
)
def test_any_plausible_input_gives_probabilities_or_value_error(
    servers: int, rate: float, aht: float, patience: float, target: float
) -> None:
    try:
        result = erlang_a(servers, rate, aht, patience, target)
    except ValueError as exc:  # only the documented bounds may refuse
        assert "Erlangs, beyond" in str(exc) or "MAX_STATES" in str(exc)
        return
    for share in (result.service_level, result.abandon_rate, result.p_wait, result.occupancy):
        assert 0.0 <= share <= 1.0
    assert result.asa_seconds >= 0
