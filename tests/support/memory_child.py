"""Run in a child process by the memory tests: one poll or tick against a loopback server,
printing the process's resident memory before it and its peak after, as JSON.

Usage: python -m tests.support.memory_child HOST CAP_BYTES SCOPES (poll|tick) [DB [BUDGET_MB]]
"""

from __future__ import annotations

import json
import sys
from functools import partial


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS now, VmHWM its peak).

    The peak is VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a
    child started by a large test process would report the parent's size as its own peak.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def main() -> None:
    host, cap, scopes, what = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    from pipelines.kore import KoreAvailabilityClient, transport
    from pipelines.polling import run_tick
    from pipelines.scopes import Scope
    from pipelines.warehouse import PiiPolicy, connect
    from tests.support.hostile import hostile_settings

    transport.MAX_BODY_BYTES = cap
    budget = {"tick_text_budget_mb": int(sys.argv[6])} if len(sys.argv) > 6 else {}
    settings = hostile_settings(host, tick_deadline_s=300, read_timeout_s=120, **budget)
    asked = [Scope("skill", f"sk-big-{i}", f"big {i}") for i in range(scopes)]
    if what == "tick":
        open_db = partial(connect, sys.argv[5])
        with open_db():
            pass
    before = status_mb("VmRSS")
    if what == "poll":
        results = KoreAvailabilityClient(settings).poll_sync(asked)
        ok = sum(r.ok for r in results)
    else:
        outcome = run_tick(open_db, settings, asked, "t-memory", pii=PiiPolicy("keep"))
        ok = outcome.counts["scopes_ok"]
    peak = status_mb("VmHWM")
    print(json.dumps({"before_mb": before, "peak_mb": peak, "ok": ok}))


if __name__ == "__main__":
    main()
