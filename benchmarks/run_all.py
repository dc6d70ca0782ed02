"""`make bench`: run every benchmark in its own process and print one table.

Each script is bounded in time and talks only to loopback, and measures every figure over
``--repeat`` rounds (default 5) with subject and baseline alternating. The table (figure,
rounds, value, baseline, ratio, target, each as median [min–max]) is printed and written as
JSON, with every round's raw samples, under bench-results/ (gitignored) together with the
machine it ran on and the commit. ``--quick`` runs small sizes as a smoke test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import RESULT_PREFIX, Spread, add_run_arguments, fmt_spread

ROOT = Path(__file__).resolve().parent.parent
# (name, seconds allowed for set-up, seconds allowed per round): a bound against hangs only.
BENCHMARKS = [
    ("bench_fanout", 300, 120),
    ("bench_ingest", 300, 450),
    ("bench_coverage", 900, 300),
    ("bench_dagster", 120, 120),
    ("bench_acquisition", 120, 360),
    ("bench_report_scale", 120, 900),
    ("bench_bucket_keys", 60, 300),
    ("bench_sizing", 60, 120),
    ("bench_accounts", 300, 120),
]


def machine() -> dict[str, object]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        memory_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def table(figures: list[dict]) -> list[str]:
    """One line per figure; every time and ratio as 'median [min–max]' over its rounds."""
    header = ("figure", "n", "value", "baseline", "ratio (per round)", "target", "met")
    rows = [
        (
            f["figure"],
            str(f["value"]["n"]),
            fmt_spread(Spread(**f["value"]), f["unit"]),
            f"{fmt_spread(Spread(**f['baseline']), f['unit'])} ({f['baseline_label']})"
            if f["baseline"]
            else "—",
            fmt_spread(Spread(**f["ratio"])) if f["ratio"] else "—",
            f["target"],
            {True: "yes", False: "NO", None: ""}[f["met"]],
        )
        for f in figures
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, tuple("-" * w for w in widths), *rows]
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("only", nargs="*", help="benchmark names to run (default: all)")
    add_run_arguments(parser)
    args = parser.parse_args(argv)
    passed = ["--repeat", str(args.repeat), *(["--quick"] if args.quick else [])]
    figures: list[dict] = []
    extras: dict[str, object] = {}
    failures = []
    for name, setup_s, round_s in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        limit = setup_s + round_s * args.repeat
        print(f"== {name}", flush=True)
        started = time.monotonic()
        try:
            done = subprocess.run(
                [sys.executable, "-m", f"benchmarks.{name}", *passed],
                cwd=ROOT, capture_output=True, text=True, timeout=limit,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            failures.append(f"{name}: over its {limit} s bound")
            continue
        sys.stdout.write(done.stderr[-4000:])
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
        if done.returncode != 0 or not lines:
            failures.append(f"{name}: exit {done.returncode}")
            continue
        payload = json.loads(lines[-1][len(RESULT_PREFIX) :])
        figures.extend(payload.pop("figures"))
        extras[name] = {**payload, "wall_s": round(time.monotonic() - started, 1)}
    print()
    if args.quick:
        print("QUICK RUN: small sizes, the figures prove the harness runs, not the speed.")
    print(f"{args.repeat} rounds per figure, subject and baseline alternating; "
          "median [min–max], ratios taken per round.")  # fmt: skip
    print("\n".join(table(figures)))
    info = machine()
    print(f"\nmachine: {info['cores']} cores, {info['memory_gb']} GB, {info['cpu']}; "
          f"commit {commit()}")  # fmt: skip
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out / f"bench-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "machine": info,
                "commit": commit(),
                "repeat": args.repeat,
                "quick": args.quick,
                "figures": figures,
                "details": extras,
                "failures": failures,
            },
            indent=2,
            default=str,
        )  # fmt: skip
    )
    print(f"written: {path.relative_to(ROOT)}")
    for failure in failures:
        print(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
