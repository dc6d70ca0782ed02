"""Erlang C against an exact independent formulation, published figures, and edge cases."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from pipelines.coverage import erlang
from pipelines.coverage.erlang import (
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    required_agents,
    service_level,
)

# --- independent formulation ----------------------------------------------------------------
# The textbook formulas with powers and factorials, in exact rational arithmetic, so they share
# nothing with the recursion under test except the definition.


def exact_erlang_b(n: int, a: Fraction) -> Fraction:
    terms = [a**k / math.factorial(k) for k in range(n + 1)]
    return terms[n] / sum(terms)


def exact_erlang_c(n: int, a: Fraction) -> Fraction:
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


SMALL_CASES = [
    (Fraction(half, 2), n)
    for half in range(1, 41)  # A = 0.5, 1.0, ..., 20.0
    for n in range(math.ceil(half / 2), math.ceil(half / 2) + 11)
    if n > 0
]


@pytest.mark.parametrize(("traffic", "servers"), SMALL_CASES)
def test_matches_factorial_formula(traffic: Fraction, servers: int) -> None:
    a = float(traffic)
    assert erlang_b(servers, a) == pytest.approx(float(exact_erlang_b(servers, traffic)), rel=1e-9)
    if servers <= traffic:  # only A integral and N == A: the queue never drains
        assert erlang_c(servers, a) == 1.0
        assert service_level(servers, a, 180, 20) == 0.0
        assert average_speed_of_answer(servers, a, 180) == math.inf
        return
    c = float(exact_erlang_c(servers, traffic))
    assert erlang_c(servers, a) == pytest.approx(c, rel=1e-9)
    expected_sl = 1 - c * math.exp(-(servers - a) * 20 / 180)
    assert service_level(servers, a, 180, 20) == pytest.approx(expected_sl, rel=1e-9)
    assert average_speed_of_answer(servers, a, 180) == pytest.approx(
        c * 180 / (servers - a), rel=1e-9
    )


def test_factorial_formula_sanity() -> None:
    # Guards the reference itself: one server is M/M/1, where P(wait) = utilisation.
    assert exact_erlang_c(1, Fraction(3, 4)) == Fraction(3, 4)
    assert exact_erlang_b(1, Fraction(1)) == Fraction(1, 2)


# --- published examples -----------------------------------------------------------------------


def test_call_centre_helper_worked_example() -> None:
    """Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example".

    100 calls in a 30-minute interval, average handling time 180 s, target 80% in 20 s:
    traffic A = 100 * 180 / 1800 = 10 Erlangs. With 11 agents the article gives a probability
    of waiting of 0.682 (68.2%) and a service level of about 39%; it then raises the head-count
    until 80/20 is met at 14 agents. Independently (factorial formula above): C(11, 10) =
    0.68212, SL = 0.38961; SL(13) = 0.7956 < 0.8 <= SL(14) = 0.8884.
    """
    a = 100 * 180 / 1800
    assert a == 10
    assert erlang_c(11, a) == pytest.approx(0.682, abs=0.0005)
    assert float(exact_erlang_c(11, Fraction(10))) == pytest.approx(0.682, abs=0.0005)
    assert round(service_level(11, a, 180, 20), 2) == 0.39
    # ASA follows from P(wait): 0.6821 * 180 / (11 - 10) = 122.8 s.
    assert average_speed_of_answer(11, a, 180) == pytest.approx(122.8, abs=0.05)
    assert service_level(13, a, 180, 20) < 0.8 <= service_level(14, a, 180, 20)
    assert required_agents(100, 180, 1800, 0.8, 20) == 14


def test_mmc_textbook_example_three_servers_two_erlangs() -> None:
    """M/M/c with c = 3 servers and offered load a = 2 Erlangs: P(wait) = 4/9 = 0.4444.

    The standard small example (Wolfram Language ``ErlangC[3, 2]`` basic example, and queueing
    textbooks' M/M/3 with rho = 2/3). By hand: sum_{k<3} 2^k/k! = 5, 2^3/3! * 3/(3-2) = 4,
    C = 4 / (5 + 4) = 4/9. Erlang B by hand: (8/6) / (1 + 2 + 2 + 8/6) = 4/19.
    """
    assert exact_erlang_c(3, Fraction(2)) == Fraction(4, 9)
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9, rel=1e-12)
    assert round(erlang_c(3, 2.0), 4) == 0.4444
    assert erlang_b(3, 2.0) == pytest.approx(4 / 19, rel=1e-12)


# Erlang B table, 1% blocking column (the standard traffic table reproduced in teletraffic
# textbooks and trunk-sizing guides): servers -> Erlangs carried at 1% blocking, as printed.
ERLANG_B_TABLE_1PCT = [
    (1, "0.0101"),
    (2, "0.153"),
    (5, "1.36"),
    (10, "4.46"),
    (20, "12.03"),
    (30, "20.34"),
    (50, "37.90"),
]


@pytest.mark.parametrize(("servers", "printed"), ERLANG_B_TABLE_1PCT)
def test_erlang_b_table_one_percent(servers: int, printed: str) -> None:
    """The printed load is the 1%-blocking load rounded, so 1% lies within half a unit of it."""
    decimals = len(printed.split(".")[1])
    half_unit = 0.5 * 10**-decimals
    load = float(printed)
    assert erlang_b(servers, load - half_unit) <= 0.01 <= erlang_b(servers, load + half_unit)


# --- large traffic, monotonicity, speed ---------------------------------------------------------


@pytest.mark.parametrize("traffic", [5_000.0, 20_000.0])
def test_large_traffic_is_finite_and_just_above_a(traffic: float) -> None:
    # traffic Erlangs over a 30-minute interval with a 180 s handle time (how fast it is
    # sized: benchmarks/bench_sizing.py).
    contacts = traffic * 1800 / 180
    n = required_agents(contacts, 180, 1800, 0.8, 20)
    assert traffic < n < traffic + 3 * math.sqrt(traffic)
    assert service_level(n, traffic, 180, 20) >= 0.8
    assert service_level(n - 1, traffic, 180, 20) < 0.8
    for servers in (n - 1, n, n + 50):
        for value in (
            erlang_b(servers, traffic),
            erlang_c(servers, traffic),
            service_level(servers, traffic, 180, 20),
        ):
            assert math.isfinite(value) and 0.0 <= value <= 1.0
    assert erlang_c(n + 50, traffic) < erlang_c(n, traffic) < erlang_c(n - 1, traffic)


def test_large_traffic_agrees_with_exact_formula_in_log_space() -> None:
    """A = 1,000 is far past float factorials; compare with exact rationals at one point."""
    a = Fraction(1000)
    n = 1040
    assert erlang_c(n, 1000.0) == pytest.approx(float(exact_erlang_c(n, a)), rel=1e-9)


@pytest.mark.parametrize("traffic", [0.3, 4.0, 10.0, 47.5, 300.0])
def test_service_level_rises_and_wait_falls_with_agents(traffic: float) -> None:
    start = math.floor(traffic) + 1
    levels = [service_level(n, traffic, 240, 15) for n in range(start, start + 40)]
    waits = [erlang_c(n, traffic) for n in range(start, start + 40)]
    asas = [average_speed_of_answer(n, traffic, 240) for n in range(start, start + 40)]
    # Strictly increasing until float saturation at 1.0, never decreasing after.
    assert all(x < y for x, y in zip(levels, levels[1:], strict=False) if x < 1.0 - 1e-12)
    assert levels == sorted(levels)
    assert all(x >= y for x, y in zip(waits, waits[1:], strict=False))
    assert all(x >= y for x, y in zip(asas, asas[1:], strict=False))
    assert waits[0] > waits[-1] and asas[0] > asas[-1]


def test_required_agents_is_smallest_meeting_target() -> None:
    rng = random.Random(7)
    for _ in range(300):
        contacts = rng.uniform(1, 500)
        aht = rng.uniform(60, 900)
        level = rng.choice([0.7, 0.8, 0.9, 0.95])
        target = rng.choice([0, 10, 20, 60])
        a = contacts * aht / 1800
        n = required_agents(contacts, aht, 1800, level, target)
        assert n > a
        assert service_level(n, a, aht, target) >= level - 1e-9
        if n - 1 > a:
            assert service_level(n - 1, a, aht, target) < level


# --- occupancy, shrinkage, zero -----------------------------------------------------------------


def test_max_occupancy_raises_head_count_only_when_binding() -> None:
    # A = 10, 80/20 needs 14 (occupancy 71%).
    assert required_agents(100, 180, 1800, 0.8, 20) == 14
    assert required_agents(100, 180, 1800, 0.8, 20, max_occupancy=0.8) == 14  # needs >= 12.5
    assert required_agents(100, 180, 1800, 0.8, 20, max_occupancy=0.7) == 15  # needs >= 14.29
    assert required_agents(100, 180, 1800, 0.8, 20, max_occupancy=0.5) == 20  # exactly 20
    # A = 10.5 with a loose SL (50% within 60 s needs only 12); a 70% cap needs exactly 15,
    # which float division (10.5 / 0.7 = 15.000000000000002) must not push to 16.
    assert 10.5 / 0.7 > 15
    assert required_agents(105, 180, 1800, 0.5, 60) == 12
    assert required_agents(105, 180, 1800, 0.5, 60, max_occupancy=0.7) == 15
    assert required_agents(105, 180, 1800, 0.5, 60, max_occupancy=0.69) == 16  # 15.2 -> 16


def test_shrinkage_scales_and_rounds_up() -> None:
    # 14 raw agents (A = 10, 80/20): 14 / 0.75 = 18.67 -> 19.
    assert required_agents(100, 180, 1800, 0.8, 20, shrinkage=0.25) == 19
    assert required_agents(100, 180, 1800, 0.8, 20, shrinkage=0.0) == 14
    # 21 raw agents (A = 16.5): 21 / 0.7 = 30 exactly, but float gives 30.000000000000004,
    # which must not become 31.
    assert 21 / (1 - 0.3) > 30
    assert required_agents(165, 180, 1800, 0.8, 20) == 21
    assert required_agents(165, 180, 1800, 0.8, 20, shrinkage=0.3) == 30
    # Occupancy first, then shrinkage: 15 / 0.7 = 21.43 -> 22.
    assert required_agents(100, 180, 1800, 0.8, 20, max_occupancy=0.7, shrinkage=0.3) == 22


def test_zero_contacts_need_nobody() -> None:
    assert required_agents(0, 180, 900, 0.8, 20) == 0
    assert required_agents(0.0, 180, 900, 0.8, 20, max_occupancy=0.85, shrinkage=0.35) == 0


def test_tiny_traffic_needs_one_agent() -> None:
    assert required_agents(0.01, 180, 1800, 0.8, 20) == 1


def test_zero_traffic_edges() -> None:
    assert erlang_b(0, 0.0) == 1.0
    assert erlang_b(3, 0.0) == 0.0
    assert erlang_c(2, 0.0) == 0.0
    assert service_level(1, 0.0, 180, 20) == 1.0
    assert average_speed_of_answer(1, 0.0, 180) == 0.0


def test_overloaded_queue() -> None:
    assert erlang_c(5, 5.0) == 1.0
    assert erlang_c(4, 5.0) == 1.0
    assert service_level(5, 5.0, 180, 20) == 0.0
    assert average_speed_of_answer(4, 5.0, 180) == math.inf


# --- validation -------------------------------------------------------------------------------

GOOD = {
    "contacts": 100.0,
    "aht_s": 180.0,
    "interval_s": 1800.0,
    "service_level_target": 0.8,
    "target_s": 20.0,
}


@pytest.mark.parametrize(
    ("override", "argument"),
    [
        ({"contacts": -1.0}, "contacts"),
        ({"contacts": math.nan}, "contacts"),
        ({"aht_s": 0.0}, "aht_s"),
        ({"aht_s": -5.0}, "aht_s"),
        ({"interval_s": 0.0}, "interval_s"),
        ({"service_level_target": 0.0}, "service_level_target"),
        ({"service_level_target": 1.0}, "service_level_target"),
        ({"service_level_target": 1.5}, "service_level_target"),
        ({"target_s": -1.0}, "target_s"),
        ({"shrinkage": 1.0}, "shrinkage"),
        ({"shrinkage": -0.1}, "shrinkage"),
        ({"max_occupancy": 0.0}, "max_occupancy"),
        ({"max_occupancy": 1.2}, "max_occupancy"),
    ],
)
def test_required_agents_validation_names_argument(override: dict, argument: str) -> None:
    with pytest.raises(ValueError, match=rf"^{argument} "):
        required_agents(**(GOOD | override))


def test_max_occupancy_of_one_is_allowed() -> None:
    assert required_agents(**GOOD, max_occupancy=1.0) == 14


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: erlang_b(-1, 1.0), "servers"),
        (lambda: erlang_b(2.5, 1.0), "servers"),  # type: ignore[arg-type]
        (lambda: erlang_c(3, -1.0), "traffic"),
        (lambda: erlang_c(3, math.inf), "traffic"),
        (lambda: service_level(3, 1.0, 0, 20), "aht_s"),
        (lambda: service_level(3, 1.0, 180, -1), "target_s"),
        (lambda: average_speed_of_answer(3, 1.0, -180), "aht_s"),
    ],
)
def test_formula_validation_names_argument(call, argument: str) -> None:
    with pytest.raises(ValueError, match=rf"^{argument} "):
        call()


# --- bounded search ---------------------------------------------------------


@pytest.mark.parametrize("contacts", [1e12, 1e300, 1e308, 1.7e308])
def test_huge_forecast_is_refused_with_its_inputs(contacts: float) -> None:
    """1e12 contacts held the DuckDB writer for minutes; 1e300 gave a bare OverflowError."""
    with pytest.raises(ValueError, match=r"MAX_SERVERS=100000.*contacts=") as caught:
        required_agents(contacts, 300, 900, 0.8, 20)
    assert repr(contacts) in str(caught.value)


def test_occupancy_cap_beyond_the_bound_is_refused() -> None:
    # 60,000 Erlangs fit, but a 50% occupancy cap needs 120,000 agents.
    with pytest.raises(ValueError, match="MAX_SERVERS"):
        required_agents(60_000 * 1800 / 180, 180, 1800, 0.8, 20, max_occupancy=0.5)


def test_unreachable_level_stops_at_the_bound() -> None:
    # 99,999.5 Erlangs with 99.9999% answered at once: not within 100,000 agents.
    contacts = (erlang.MAX_SERVERS - 0.5) * 1800 / 180
    with pytest.raises(ValueError, match="no head-count up to MAX_SERVERS"):
        required_agents(contacts, 180, 1800, 0.999999, 0)


def test_servers_beyond_the_bound_are_refused() -> None:
    with pytest.raises(ValueError, match="^servers "):
        erlang_b(erlang.MAX_SERVERS + 1, 1.0)
    with pytest.raises(ValueError, match="^servers "):
        erlang_c(10**12, 1.0)


POISSON_CASES = [(2_001, 1_990.5), (5_000, 4_900.0), (99_000, 98_999.3), (2_500, 2_600.0)]


@pytest.mark.parametrize(("servers", "traffic"), POISSON_CASES)
def test_poisson_form_of_erlang_b_matches_the_recursion(servers: int, traffic: float) -> None:
    recursion = 1.0
    for n in range(1, servers + 1):
        recursion = traffic * recursion / (n + traffic * recursion)
    assert erlang._erlang_b_poisson(servers, traffic) == pytest.approx(recursion, rel=1e-9)
    assert erlang_b(servers, traffic) == pytest.approx(recursion, rel=1e-9)


def test_jump_started_search_equals_the_full_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large loads start the walk near N = A; the head-counts are the walk's from zero."""
    rng = random.Random(5)
    cases = [
        (rng.uniform(2_000, 90_000), rng.choice([120.0, 300.0]), rng.choice([0.7, 0.8, 0.95]),
         rng.choice([0.0, 20.0, 60.0]), rng.choice([None, 0.9]))
        for _ in range(12)
    ]  # fmt: skip
    jumped = [
        erlang._raw_agents(a, aht, level, target, cap) for a, aht, level, target, cap in cases
    ]
    erlang._raw_agents.cache_clear()
    monkeypatch.setattr(erlang, "_JUMP_FROM", erlang.MAX_SERVERS + 1)
    walked = [
        erlang._raw_agents(a, aht, level, target, cap) for a, aht, level, target, cap in cases
    ]
    erlang._raw_agents.cache_clear()
    assert jumped == walked
