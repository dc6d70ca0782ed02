"""The README's `make demo`, run as the script behind it, end to end."""

import math
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pipelines.coverage.finalized import day_basis
from pipelines.report import load_summary, verdict_lines
from pipelines.settings import PROJECT_ROOT
from pipelines.warehouse import connect


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path: Path, tmp_db: str) -> None:
    reports = tmp_path / "reports"
    env = {
        **os.environ,
        "AVAILABILITY_DB": tmp_db,
        "AVAILABILITY_REPORTS_DIR": str(reports),
        "DAGSTER_HOME": str(tmp_path / "home"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.demo", "--ticks", "2", "--pause", "0.5"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with connect(tmp_db, read_only=True) as con:
        by_source = dict(
            con.execute("SELECT source, count(*) FROM ticks GROUP BY source").fetchall()
        )
        rows = con.execute("SELECT count(*) FROM snapshots").fetchall()[0][0]
        days = [
            d.isoformat()
            for (d,) in con.execute(
                "SELECT DISTINCT day FROM coverage_daily_summary ORDER BY day"
            ).fetchall()
        ]
    assert by_source["poll"] == 2 and by_source["synthetic"] > 0
    total = by_source["poll"] + by_source["synthetic"]
    assert f"{total} ticks and {rows} snapshot rows" in done.stdout
    assert "Agents per status per scope" in done.stdout and "skill:sk-billing" in done.stdout
    # Yesterday (whole simulated day) and today both got coverage and a report.
    assert len(days) == 2
    yesterday = days[0]
    assert f"Net staffing for the simulated day {yesterday}" in done.stdout
    # Yesterday is a closed day: its exact status history was fetched, so it is finalized.
    with connect(tmp_db, read_only=True) as con:
        basis = day_basis(con, date.fromisoformat(yesterday))
    assert basis.finalized > 0, basis
    assert f"{yesterday} is finalized: {basis.finalized} scope(s)" in done.stdout
    report = reports / yesterday / "coverage.html"
    assert report.exists() and (reports / yesterday / "coverage.csv").exists()
    assert f"Report: {report}" in done.stdout
    assert re.search(r"Technical Support\s+\d+\.\d", done.stdout)
    # The summary reads as net staffing: per scope on-queue vs required over the same judged
    # intervals, "k of n judged intervals met", shortfall and surplus; some short, some over.
    with connect(tmp_db, read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        summary = load_summary(con, date.fromisoformat(yesterday))
    for line in verdict_lines(summary):
        assert line in done.stdout, line
    judged = summary[summary["intervals_judged"] > 0]
    assert not judged.empty and " of " in done.stdout
    for r in judged.to_dict("records"):
        # Means over ONE set of intervals: mean(on_queue - required) = the difference of means.
        difference = r["avg_on_queue"] - r["avg_required"]
        assert math.isclose(r["avg_net_staffing"], difference, abs_tol=1e-9), r["scope_key"]
        assert r["intervals_met"] <= r["intervals_judged"]
    # Some short, some over, on average over the judged intervals: the simulator's support
    # queue is loaded beyond its agents (pipelines/simulator/profile.py), the others are not.
    assert (judged["avg_net_staffing"] > 0).any(), "no scope is over on the demo day"
    assert (judged["avg_net_staffing"] < 0).any(), "no scope is short on the demo day"
    assert "Short on average (net < 0):" in done.stdout
    assert "Over on average (net > 0):" in done.stdout
    # The requirement of the scopes without a target comes from Kore's contact volume.
    with connect(tmp_db, read_only=True) as con:
        sources = {
            s for (s,) in con.execute(
                "SELECT DISTINCT source FROM staffing_requirements WHERE day = ?", [yesterday]
            ).fetchall()
        }  # fmt: skip
    assert {"target", "kore_erlang_a"} <= sources, sources
