"""`make dev`: the simulator and the Dagster UI together, with a persistent DAGSTER_HOME.

Schedule state and run history live in .dagster_home/ (gitignored), so they survive restarts.
Point it at a real tenant instead by exporting the KORE_* variables before `make dev`:
the simulator is then not started.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from pipelines import settings
from pipelines.demo import (
    DAGSTER_HOME,
    DEMO_SETTINGS,
    ensure_dagster_home,
    running_simulator,
    simulator_env,
)
from pipelines.settings import PROJECT_ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make dev", description=__doc__)
    parser.add_argument("--port", type=int, default=settings.get("DAGSTER_PORT"))
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(ensure_dagster_home(DAGSTER_HOME))
    for name, value in DEMO_SETTINGS.items():  # the same reporting zone and targets as the demo
        env.setdefault(name, value)
    command = [
        sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml",
        "-h", "127.0.0.1", "-p", str(args.port),
    ]  # fmt: skip
    if settings.is_set("KORE_HOST"):
        print(f"[dev] using KORE_HOST={settings.get('KORE_HOST')} (no simulator)", flush=True)
        return subprocess.call(command, env=env, cwd=PROJECT_ROOT)
    sim_args = ["--agents", str(args.agents), "--seed", str(args.seed)]
    with running_simulator(sim_args) as base_url:
        env.update(simulator_env(base_url))
        print(f"[dev] simulator on {base_url}; Dagster UI on http://127.0.0.1:{args.port}")
        try:
            return subprocess.call(command, env=env, cwd=PROJECT_ROOT)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
