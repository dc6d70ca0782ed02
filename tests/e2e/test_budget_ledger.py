"""The account's budget holds across processes: the ledger is the only thing they share.

Two child processes reserve against one SQLite ledger on simulated clocks and the ledger's
invariants are checked afterwards; then two child processes each run a per-scope tick
(``run_tick``, 70 scopes, each with its own DuckDB file: outside any Dagster pool) against
one simulator allowing 60 requests a minute, and the server counts what arrived.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pipelines.kore.planner import RequestPlanner
from pipelines.simulator import SimulatorServer
from tests.unit.test_kore_planner import assert_budget_kept, ledger_rows

ROOT = Path(__file__).resolve().parents[2]

HOLDER = """
import sys
from pathlib import Path
from tests.unit.test_kore_planner import run_holder
path, offset, steps, seed, limit = sys.argv[1:6]
run_holder(Path(path), float(offset), int(steps), int(seed), int(limit))
"""

TICK = """
import json, sys
from functools import partial
from pipelines.kore import KoreSettings
from pipelines.polling import run_tick
from pipelines.scopes import Scope
from pipelines.warehouse import connect
database, scopes, tick_id = sys.argv[1:4]
outcome = run_tick(
    partial(connect, database),
    KoreSettings.from_env(),
    [Scope(kind, ref, name) for kind, ref, name in json.loads(scopes)],
    tick_id=tick_id,
)
print(json.dumps({
    "asked": len(outcome.results),
    "sent": sum(r.attempts for r in outcome.results),
    "ok": sum(r.ok for r in outcome.results),
    "deferred": len(outcome.deferred),
}))
"""


def spawn(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(child: subprocess.Popen[str]) -> str:
    try:
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err[-3000:]
    return out


def test_two_processes_reserving_on_one_ledger_keep_the_budget(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    limit, steps = 12, 1200  # five simulated minutes each, 0.25 s a step
    RequestPlanner(path, limit).close()
    children = [
        spawn(HOLDER, str(path), offset, str(steps), seed, str(limit))
        for offset, seed in (("0.0", "1"), ("0.1", "2"))
    ]
    for child in children:
        finish(child)
    rows = ledger_rows(path)
    assert_budget_kept(rows, budget=limit, headroom=1)
    assert len(rows) >= limit * 4
    assert {priority for _, _, priority in rows} >= {0, 1}


def test_two_overlapping_ticks_outside_dagster_send_at_most_the_budget(
    simulator_factory: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    server = simulator_factory(agents=300, skills=40, queues=30, rate_limit_per_minute=60)
    catalogue = server.simulator.catalogue
    scopes = [("skill", ref, name) for ref, name in catalogue.skills.items()] + [
        ("queue", ref, names[0]) for ref, names in catalogue.queues.items()
    ]
    assert len(scopes) == 70
    env = {
        **server.env(include_secret=True),
        "AVAILABILITY_BUDGET_LEDGER": str(tmp_path / "budget.sqlite"),
        # Past the budget no slot frees within 30 s (the window is a minute): the deferred
        # scopes fail at once, and the granted 60 have the time a slow machine needs.
        "KORE_TICK_DEADLINE_SECONDS": "30",
    }
    children = [
        spawn(TICK, str(tmp_path / f"run-{i}.duckdb"), json.dumps(scopes), f"t-{i}", env=env)
        for i in range(2)
    ]
    outcomes = [json.loads(finish(child).strip().splitlines()[-1]) for child in children]
    assert sum(o["sent"] for o in outcomes) == 60
    assert sum(o["ok"] for o in outcomes) == 60
    assert server.requests_served[429] == 0 and server.requests_served[200] == 60
