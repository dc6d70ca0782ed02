"""Coverage through Dagster: partitioned materialization, checks, report, schedules, truth."""

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from dagster import DagsterInstance, materialize

from pipelines.coverage import day_bounds
from pipelines.defs.coverage.assets import (
    agent_status_spans,
    coverage_intervals,
    coverage_vs_requirement,
    staffing_requirements,
)
from pipelines.defs.coverage.checks import (
    coverage_meets_target,
    grid_is_complete,
    intervals_are_observed,
    spans_do_not_overlap,
)
from pipelines.defs.reports.assets import coverage_report
from pipelines.resources import CoverageResource, WarehouseResource
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_SCOPES, PROJECT_ROOT
from pipelines.simulator import Simulator, SimulatorConfig
from pipelines.warehouse import connect
from tests.support.seeding import seed_days

ZONE = "America/New_York"
AGENTS, SEED = 24, 11
ASSETS = [
    agent_status_spans,
    coverage_intervals,
    staffing_requirements,
    coverage_vs_requirement,
    coverage_report,
    spans_do_not_overlap,
    grid_is_complete,
    intervals_are_observed,
    coverage_meets_target,
]


def seeded(database: str, day: date) -> None:
    seed_days(database, day, agents=AGENTS, seed=SEED, zone=ZONE)


def run_day(database: str, day: date, reports: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AVAILABILITY_REPORTS_DIR", str(reports))
    return materialize(
        ASSETS,
        partition_key=day.isoformat(),
        resources={
            "warehouse": WarehouseResource(database=database),
            "coverage_config": CoverageResource(
                time_zone=ZONE,
                targets_file=str(PROJECT_ROOT / "config" / "targets.example.csv"),
                forecast_file=str(PROJECT_ROOT / "config" / "forecast.example.csv"),
            ),
        },
        instance=DagsterInstance.ephemeral(),
    )


# The plain day stays in `make test-fast` as its one coverage partition run through Dagster.
@pytest.mark.parametrize(
    ("day", "intervals"),
    [("2026-11-24", 96), pytest.param("2026-11-01", 100, marks=pytest.mark.slow)],
)
def test_a_day_materializes_with_checks_report_and_metadata(
    day: str, intervals: int, tmp_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    the_day = date.fromisoformat(day)
    seeded(tmp_db, the_day)
    result = run_day(tmp_db, the_day, tmp_path / "reports", monkeypatch)
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["spans_do_not_overlap"] and checks["grid_is_complete"]
    assert checks["intervals_are_observed"]  # synthetic history observes every minute
    by_asset = {
        e.asset_key.path[-1]: e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    scopes = len(load_scopes(DEFAULT_SCOPES))
    assert by_asset["coverage_intervals"]["row_count"].value == scopes * intervals
    assert by_asset["coverage_intervals"]["intervals_per_scope"].value == intervals
    assert "Technical Support" in by_asset["coverage_vs_requirement"]["summary"].value
    report = Path(by_asset["coverage_report"]["report_path"].value)
    assert report == tmp_path / "reports" / day / "coverage.html" and report.exists()
    with connect(tmp_db, read_only=True) as con:
        cells = con.execute(
            "SELECT count(*), count(required_agents) FROM coverage_vs_requirement WHERE day = ?",
            [the_day],
        ).fetchall()[0]
    assert cells[0] == scopes * intervals and cells[1] > 0


@pytest.mark.slow
def test_rebuilding_a_partition_replaces_it(
    tmp_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = date(2026, 11, 24)
    seeded(tmp_db, day)
    tables = ["agent_status_spans", "coverage_intervals", "coverage_vs_requirement"]

    def counts() -> list[int]:
        with connect(tmp_db, read_only=True) as con:
            return [
                con.execute(f"SELECT count(*) FROM {t} WHERE day = ?", [day]).fetchall()[0][0]
                for t in tables
            ]

    assert run_day(tmp_db, day, tmp_path, monkeypatch).success
    first = counts()
    assert run_day(tmp_db, day, tmp_path, monkeypatch).success
    assert counts() == first and min(first) > 0


@pytest.mark.slow
def test_coverage_follows_the_simulators_truth(
    tmp_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Minute polls of the model against the model's exact timeline, cell by cell."""
    day = date(2026, 11, 24)
    seeded(tmp_db, day)
    assert run_day(tmp_db, day, tmp_path, monkeypatch).success
    with connect(tmp_db, read_only=True) as con:
        measured = con.execute(
            "SELECT interval_start, avg_available, avg_busy FROM coverage_intervals "
            "WHERE day = ? AND scope_key = 'all' ORDER BY interval_start",
            [day],
        ).df()
    start, end = day_bounds(day, ZONE)
    spans = Simulator(SimulatorConfig(agents=AGENTS, seed=SEED)).timeline(start, end)
    truth = []
    for cell in measured["interval_start"]:
        lo = cell.to_pydatetime()
        hi = lo + timedelta(minutes=15)
        seconds = {"AVAILABLE": 0.0, "BUSY": 0.0}
        for span in spans:
            if span.bucket in seconds and span.start < hi and span.end > lo:
                overlap = min(span.end, hi) - max(span.start, lo)
                seconds[span.bucket] += overlap.total_seconds()
        truth.append((seconds["AVAILABLE"] / 900, seconds["BUSY"] / 900))
    truth = pd.DataFrame(truth, columns=["available", "busy"])
    error_available = (measured["avg_available"] - truth["available"]).abs()
    error_busy = (measured["avg_busy"] - truth["busy"]).abs()
    # Sampling once a minute misses only sub-minute changes: small on average, never large.
    assert error_available.mean() < 0.25 and error_available.max() < 1.5
    assert error_busy.mean() < 0.25 and error_busy.max() < 1.5
    assert truth["busy"].sum() > 10  # the day had real work in it


SCHEDULE_PROBE = """
from datetime import UTC, datetime
from dagster import build_schedule_context
from pipelines.defs.coverage.schedules import TIME_ZONE, finalize_coverage, refresh_coverage_today
late_evening = datetime(2026, 11, 25, 3, 45, tzinfo=UTC)
after_midnight = datetime(2026, 11, 25, 5, 30, tzinfo=UTC)
today = refresh_coverage_today(build_schedule_context(scheduled_execution_time=late_evening))
final = finalize_coverage(build_schedule_context(scheduled_execution_time=after_midnight))
print(TIME_ZONE, *[r.partition_key for r in today], *[r.partition_key for r in final])
"""


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # 03:45 UTC on 25 Nov is still the 24th in New York; 05:30 UTC is just after midnight.
        ("America/New_York", "America/New_York 2026-11-24 2026-11-24 2026-11-23"),
        ("UTC", "UTC 2026-11-25 2026-11-24 2026-11-23"),
    ],
)
@pytest.mark.subprocess
def test_schedules_target_today_and_the_lookback_days_in_the_reporting_zone(
    zone: str, expected: str
) -> None:
    env = {**os.environ, "AVAILABILITY_TIME_ZONE": zone, "AVAILABILITY_LOOKBACK_DAYS": "2"}
    done = subprocess.run(
        [sys.executable, "-c", SCHEDULE_PROBE],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == expected


@pytest.mark.slow
def test_check_metadata_shows_markdown_where_the_check_offers_it(
    tmp_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = date(2026, 11, 24)
    seeded(tmp_db, day)
    result = run_day(tmp_db, day, tmp_path, monkeypatch)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    target = checks["coverage_meets_target"]
    assert target.severity.value == "WARN"
    metadata = target.metadata
    assert "worst_intervals_markdown" not in metadata
    # The example targets outgrow 24 agents, so there are shortfalls to show.
    # pipelines.markdown escapes every cell, the header's underscore included.
    assert metadata["worst_intervals"].value.startswith("| scope\\_key |")
    assert isinstance(metadata["by_scope"].value, list) and metadata["failing_scopes"].value
    assert "worst_cells" in checks["intervals_are_observed"].metadata
