"""Answers with many distinct bucket keys: one scope answering 20k, 50k and
100k keys (one agent each) beside two healthy scopes, as a whole tick over a loopback server
(refused at MAX_STATUS_BUCKETS now; 9, 46 and 237 s before), and the parser and tally with the
limit lifted, per key, to show the work is linear in the body (the tally before was keys x
agents: the baseline at the smallest size runs that old count)."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from benchmarks.common import Figure, add_arguments, chosen_sizes, emit, interleave, say
from pipelines.kore import availability
from pipelines.polling import run_tick
from pipelines.scopes import Scope
from pipelines.warehouse import PiiPolicy, connect
from tests.support.hostile import hostile_settings, serving

FULL = {"keys": [20_000, 50_000, 100_000]}
QUICK = {"keys": [2_000, 5_000]}
SCOPES = [Scope("skill", s, s) for s in ("sk-ok-1", "sk-keys", "sk-ok-2")]


def body(keys: int) -> str:
    return json.dumps({f"S{i}": [{"_id": f"a{i}", "userId": "u"}] for i in range(keys)})


def old_tally(buckets: dict[str, list[dict]]) -> dict[str, int]:
    """The tick's status count before: for every bucket, a pass over every agent."""
    statuses = availability.agent_statuses(buckets)
    return {s: sum(1 for held in statuses.values() if held == s) for s in buckets}


def parse_and_tally(text: str, tally: Callable[[dict], dict]) -> float:
    limit = availability.MAX_STATUS_BUCKETS
    availability.MAX_STATUS_BUCKETS = 10**9
    try:
        started = time.perf_counter()
        tally(availability.parse_availability_body(text)[0])
        return time.perf_counter() - started
    finally:
        availability.MAX_STATUS_BUCKETS = limit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser, FULL, QUICK)
    args = parser.parse_args()
    sizes = chosen_sizes(args, FULL, QUICK)["keys"]
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            text = body(n)
            say(f"bucket keys: {n} ({len(text) / 1e6:.1f} MB), {args.repeat} rounds")
            answers = {"sk-keys": (200, {"Content-Type": "application/json"}, text.encode())}
            db = str(Path(tmp) / f"k{n}.duckdb")
            with serving(answers) as host:
                ticks = iter(range(10**6))

                def tick(host: str = host, db: str = db, ticks: Iterator[int] = ticks) -> float:
                    started = time.perf_counter()
                    outcome = run_tick(partial(connect, db), hostile_settings(host), SCOPES,
                                       f"t{next(ticks)}", pii=PiiPolicy())  # fmt: skip
                    if outcome.counts["scopes_ok"] != 2:
                        raise SystemExit(f"the healthy scopes did not land: {outcome.counts}")
                    return time.perf_counter() - started

                measures = {
                    "tick": tick,
                    "parse": lambda t=text: parse_and_tally(t, availability.status_tally),
                }
                if n == sizes[0]:
                    measures["old tally"] = lambda t=text: parse_and_tally(t, old_tally)
                runs = interleave(measures, args.repeat)
            figures.append(Figure("bucket_keys", f"tick with {n} keys (refused)", runs["tick"],
                                  "s", target="seconds, not minutes"))  # fmt: skip
            figures.append(
                Figure(
                    "bucket_keys",
                    f"parse + tally per key @ {n} keys (limit lifted)",
                    [t / n * 1e6 for t in runs["parse"]],
                    "us",
                    [t / n * 1e6 for t in runs["old tally"]] if "old tally" in runs else None,
                    "keys x agents tally (before)" if "old tally" in runs else "",
                    "flat across sizes (linear)",
                )
            )
    emit(figures)


if __name__ == "__main__":
    main()
