"""The daily report as scopes grow: time and HTML size at 400 and 1,500
scopes with the HTML bounded to MAX_SCOPES_IN_HTML scopes, against the unbounded page (every
scope drawn) as the baseline at the smaller size. A day of 96 intervals per scope is written
straight into the coverage tables of a migrated DuckDB file; the report reads it back."""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.common import Figure, add_arguments, chosen_sizes, emit, interleave, say
from pipelines.report import writer
from pipelines.warehouse import connect
from pipelines.warehouse.sql import execute

FULL = {"scopes": [400, 1500], "baseline_scopes": 400}
QUICK = {"scopes": [80], "baseline_scopes": 80}
DAY = date(2024, 3, 12)


def seeded(folder: Path, scopes: int) -> Path:
    path = folder / f"report-{scopes}.duckdb"
    with connect(path) as con:
        execute(con, "synthetic/report_day.sql", scopes=scopes, day=DAY)
    return path


def report_once(path: Path, out: Path, bounded: bool) -> tuple[float, float]:
    """Seconds to read and write the day's report, and the HTML's size in MB."""
    cap = writer.MAX_SCOPES_IN_HTML
    writer.MAX_SCOPES_IN_HTML = cap if bounded else 10**9
    try:
        started = time.perf_counter()
        with connect(path, read_only=True) as con:
            paths = writer.write_daily_report(con, DAY, out, "UTC", 15)
        elapsed = time.perf_counter() - started
    finally:
        writer.MAX_SCOPES_IN_HTML = cap
    return elapsed, paths.html.stat().st_size / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_arguments(parser, FULL, QUICK)
    args = parser.parse_args()
    size = chosen_sizes(args, FULL, QUICK)
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for scopes in size["scopes"]:
            say(f"report: {scopes} scopes x 96 intervals, {args.repeat} rounds")
            path = seeded(folder, scopes)
            measures = {"bounded": lambda p=path: report_once(p, folder / "out", True)}
            if scopes == size["baseline_scopes"]:
                measures["unbounded"] = lambda p=path: report_once(p, folder / "out", False)
            runs = interleave(measures, args.repeat)
            base = runs.get("unbounded")
            figures.append(
                Figure(
                    "report_scale",
                    f"report time @ {scopes} scopes",
                    [t for t, _ in runs["bounded"]],
                    "s",
                    [t for t, _ in base] if base else None,
                    "every scope drawn" if base else "",
                    "bounded as scopes grow",
                )
            )
            figures.append(
                Figure(
                    "report_scale",
                    f"HTML size @ {scopes} scopes",
                    [mb for _, mb in runs["bounded"]],
                    "MB",
                    [mb for _, mb in base] if base else None,
                    "every scope drawn" if base else "",
                    f"{writer.MAX_SCOPES_IN_HTML} scopes drawn",
                )
            )
    emit(figures, {"max_scopes_in_html": writer.MAX_SCOPES_IN_HTML})


if __name__ == "__main__":
    main()
