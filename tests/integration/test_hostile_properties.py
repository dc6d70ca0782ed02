"""Property: whatever one scope's server sends (generated status, headers and body, served by
a real loopback server), the other scopes of the tick land, and the tick's Python memory stays
within a bound. Few, deterministic examples in `make test`; `make
fuzz` runs many (HOSTILE_EXAMPLES) and prints what the hostile scope came back as."""

from __future__ import annotations

import os
import tempfile
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.configuration import set_hypothesis_home_dir

from pipelines.kore import transport
from pipelines.kore.planner import RequestPlanner
from pipelines.polling import run_tick
from pipelines.scopes import Scope
from pipelines.warehouse import PiiPolicy, connect
from tests.support.hostile import Answer, hostile_settings, serving
from tests.support.hostile_strategies import answers

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "kore-availability-hypothesis")

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "12"))
CAP = 1 << 20  # the answer cap, lowered so the memory bound means something at test sizes
# Python memory a tick may allocate at its peak (tracemalloc): a few copies of the largest
# answer (read, decoded, parsed, packed) and the write's batch, never one per scope.
PEAK_BOUND = 48 * CAP
HEALTHY = ["sk-ok-1", "sk-ok-2", "sk-ok-3"]
SEEN: Counter[str] = Counter()


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[tuple[str, dict[str, Answer]]]:
    served: dict[str, Answer] = {}
    with serving(served) as host:
        yield host, served
    if os.environ.get("HOSTILE_REPORT"):
        print(f"\nhostile scope outcomes over {sum(SEEN.values())} examples:")
        for outcome, count in SEEN.most_common():
            print(f"  {count:5d}  {outcome}")


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield str(Path(folder) / "fuzz.duckdb")


@settings(
    max_examples=EXAMPLES,
    derandomize=EXAMPLES <= 50,  # `make test`: the same examples every run
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(answer=answers())
def test_one_hostile_scope_never_costs_the_others(
    hostile_server: tuple[str, dict[str, Answer]], database: str, answer: Answer
) -> None:
    host, served = hostile_server
    served.clear()
    served["sk-hostile"] = answer
    scopes = [Scope("skill", s, s) for s in (HEALTHY[0], "sk-hostile", *HEALTHY[1:])]
    settings_ = hostile_settings(host, tick_deadline_s=20, read_timeout_s=10)
    tick_id = f"t-{SEEN.total()}"
    old_cap = transport.MAX_BODY_BYTES
    transport.MAX_BODY_BYTES = CAP
    tracemalloc.start()
    try:
        # A ledger per example: a 429's Retry-After rightly holds the whole account (Kore's
        # limit is the account's), and must not carry over into the next example's tick.
        planner = RequestPlanner(":memory:", settings_.rate_limit_per_minute)
        outcome = run_tick(
            partial(connect, database), settings_, scopes, tick_id, pii=PiiPolicy(), planner=planner
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        transport.MAX_BODY_BYTES = old_cap
    by_key = {r.scope_key: r for r in outcome.results}
    hostile = by_key["skill:sk-hostile"]
    SEEN[f"{hostile.outcome} {hostile.error_kind or ''} HTTP {hostile.http_status}"] += 1
    for key in HEALTHY:
        assert by_key[f"skill:{key}"].ok, by_key[f"skill:{key}"].error_text
    with connect(database, read_only=True) as con:
        landed = con.execute(
            "SELECT scope_key FROM snapshots WHERE tick_id = ? AND scope_key <> ?",
            [tick_id, "skill:sk-hostile"],
        ).fetchall()
    assert sorted(k for (k,) in landed) == sorted(f"skill:{k}" for k in HEALTHY)
    assert peak <= PEAK_BOUND, f"tick peak {peak / 2**20:.1f} MiB (answer cap 1 MiB)"
