"""`make bench`: run every benchmark in its own process and print one table.

Each script is bounded in time and talks only to loopback. The table (figure, value, baseline,
ratio, target) is printed and written as JSON under bench-results/ (gitignored) together with
the machine it ran on and the commit.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import RESULT_PREFIX

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = [
    ("bench_fanout", 900),
    ("bench_ingest", 900),
    ("bench_coverage", 1800),
    ("bench_dagster", 600),
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


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3g}"
    return f"{text} {unit}".strip()


def main(argv: list[str] | None = None) -> int:
    only = set(argv if argv is not None else sys.argv[1:])
    figures: list[dict] = []
    extras: dict[str, object] = {}
    failures = []
    for name, limit in BENCHMARKS:
        if only and name not in only:
            continue
        print(f"== {name}", flush=True)
        started = time.monotonic()
        try:
            done = subprocess.run(
                [sys.executable, "-m", f"benchmarks.{name}"],
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
    header = ("figure", "value", "baseline", "ratio", "target", "met")
    rows = [
        (
            f["figure"],
            fmt(f["value"], f["unit"]),
            f"{fmt(f['baseline'], f['unit'])} ({f['baseline_label']})" if f["baseline"] else "—",
            f"{f['ratio']:.2f}" if f["ratio"] is not None else "—",
            f["target"],
            {True: "yes", False: "NO", None: ""}[f["met"]],
        )
        for f in figures
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
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
