"""The analysts' notebooks, executed unattended against seeded history, checked against SQL.

Each notebook runs in a real Jupyter kernel (nbclient) with its parameters cell rewritten,
the way papermill would, but without papermill. The kernel is this interpreter: a kernelspec
pointing at ``sys.executable`` is written under a temp dir and found through JUPYTER_PATH,
so a fresh clone needs nothing beyond ``pip install -e .[dev]`` (no ``ipykernel install``),
and a user-wide "python3" kernel of some other Python can never be picked up by mistake.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import nbformat
import pytest
from nbclient import NotebookClient

from pipelines.coverage import (
    CoverageSettings,
    build_coverage,
    build_coverage_vs_requirement,
    build_requirements,
    build_spans,
    day_bounds,
)
from pipelines.coverage.requirements import load_requirements
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_SCOPES, PROJECT_ROOT
from pipelines.warehouse import connect
from tests.support.seeding import seed_days as seed_history_days

NOTEBOOKS = PROJECT_ROOT / "notebooks"
COVERAGE_NB = NOTEBOOKS / "coverage_analysis.ipynb"
TIMELINE_NB = NOTEBOOKS / "status_timeline.ipynb"
ZONE = "America/New_York"
# Monday to Wednesday, no DST change; fixed dates so every run sees the same history.
DAYS = [date(2026, 11, 16) + timedelta(days=i) for i in range(3)]
AGENTS, SEED = 30, 7
KERNEL = "availability-tests"
SCOPES = load_scopes(DEFAULT_SCOPES)


# ---------------------------------------------------------------------------------------
# Helpers (also used by test_concurrency.py)


def seed_days(database: str, days: list[date], coverage: bool = True) -> None:
    """Synthetic history for ``days`` (plus the polls just before, which the first day's
    windows reach back to) and, if asked, coverage built with the example requirements."""
    settings = CoverageSettings(time_zone=ZONE)
    rules = load_requirements(
        PROJECT_ROOT / "config" / "targets.example.csv",
        PROJECT_ROOT / "config" / "forecast.example.csv",
        settings.interval_minutes,
        [scope.key for scope in SCOPES],
    )
    seed_history_days(database, days[0], days[-1], agents=AGENTS, seed=SEED, zone=ZONE)
    with connect(database) as con:
        if coverage:
            for day in days:
                build_spans(con, day, settings)
                build_coverage(con, day, settings)
                build_requirements(con, day, settings, rules)
                build_coverage_vs_requirement(con, day, settings)


def kernelspec_dir(root: Path) -> Path:
    """A Jupyter data dir whose only kernel runs this interpreter; put it on JUPYTER_PATH."""
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": f"Python ({sys.executable})",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    return root


def with_parameters(nb: nbformat.NotebookNode, **params: Any) -> nbformat.NotebookNode:
    """Rewrite the assignments of the cell tagged "parameters", as papermill would inject them.

    Only names the cell already assigns may be given, so a renamed parameter fails here
    instead of being silently ignored.
    """
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    lines = cell.source.splitlines()
    assigned = {m.group(1): i for i, ln in enumerate(lines) if (m := re.match(r"(\w+) = ", ln))}
    unknown = set(params) - set(assigned)
    assert not unknown, f"not parameters of the notebook: {sorted(unknown)}"
    for name, value in params.items():
        lines[assigned[name]] = f"{name} = {value!r}  # set by the test"
    cell.source = "\n".join(lines)
    return nb


def execute_notebook(path: Path, timeout_s: int = 180, **params: Any) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh kernel; returns it with its outputs."""
    nb = with_parameters(nbformat.read(path, as_version=4), **params)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=timeout_s,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return nb


def assert_clean(nb: nbformat.NotebookNode) -> None:
    """No error outputs, and nothing on stderr that looks like a warning or a traceback."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"cell {index}: {output.ename}: {output.evalue}"
            if output.output_type == "stream" and output.name == "stderr":
                for word in ("Warning", "Traceback", "Error"):
                    assert word not in output.text, f"cell {index} stderr: {output.text}"


def key_outputs(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """``NAME = literal`` lines printed by the cell tagged "key-output"."""
    (cell,) = [c for c in nb.cells if "key-output" in c.metadata.get("tags", [])]
    text = "".join(o.text for o in cell.outputs if o.output_type == "stream")
    found = {}
    for line in text.splitlines():
        name, _, value = line.partition(" = ")
        found[name] = ast.literal_eval(value)
    return found


def printed(nb: nbformat.NotebookNode) -> str:
    return "".join(
        o.text for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream"
    )


def images(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


def rows(database: str, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(database, read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def jupyter_kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(kernelspec_dir(tmp_path_factory.mktemp("jupyter"))))
        yield KERNEL


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    database = str(tmp_path_factory.mktemp("notebooks") / "warehouse.duckdb")
    seed_days(database, DAYS)
    return database


# ---------------------------------------------------------------------------------------
# Tests


def test_committed_notebooks_have_no_outputs() -> None:
    """Outputs carry data and churn diffs: notebooks are committed stripped."""
    found = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert {p.name for p in found} >= {COVERAGE_NB.name, TIMELINE_NB.name}
    for path in found:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            assert cell.outputs == [], f"{path.name} cell {index} has outputs: strip them"
            assert cell.execution_count is None, f"{path.name} cell {index} has a count"
        tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
        assert tags.count("parameters") == 1 and tags.count("key-output") == 1, path.name


def test_notebook_cells_read_only_through_pipelines_reading() -> None:
    """No cell opens DuckDB itself: a connection kept across cells would block the polls."""
    for path in (COVERAGE_NB, TIMELINE_NB):
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        assert not re.search(r"import duckdb|from duckdb|connect\(", source), path.name
        assert "reading.query(" in source or "reading.read_many(" in source


def test_notebooks_take_their_colours_from_the_report_palette() -> None:
    """Required, on-queue, idle available, short/over and the statuses are drawn in the same
    colours as the daily report: the notebooks name none of their own beyond neutral greys
    (missing cells, unobserved time) and the colour of custom statuses."""
    neutral = {"#e6e6e6", "#e0e0e0", "#8e24aa"}
    for path in (COVERAGE_NB, TIMELINE_NB):
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        assert "from pipelines.report import palette" in source, path.name
        assert "STATUS_COLOURS = palette.STATUS_COLOURS" in source, path.name
        colours = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", source)}
        assert colours <= neutral, (path.name, colours - neutral)
    coverage = "\n".join(c.source for c in nbformat.read(COVERAGE_NB, as_version=4).cells)
    for name in ("REQUIRED", "ON_QUEUE", "IDLE_AVAILABLE", "SHORTFALL", "SURPLUS", "SCHEDULED"):
        assert f"palette.{name}" in coverage, name
    assert "palette.net_colormap(" in coverage


@pytest.mark.slow
def test_coverage_notebook_defaults_match_the_database(jupyter_kernel: str, seeded_db: str) -> None:
    nb = execute_notebook(COVERAGE_NB, DATABASE=seeded_db)
    assert_clean(nb)
    assert images(nb) >= 6  # completeness, 3 heatmaps, day view, shortfall, status, occupancy
    key = key_outputs(nb)
    first, last = DAYS[0], DAYS[-1]
    assert key["DAYS"] == [d.isoformat() for d in DAYS]
    assert key["SCOPES_SHOWN"] == len(SCOPES)
    ((top, hours),) = rows(
        seeded_db,
        "SELECT scope_key, sum(shortfall_agent_hours) FROM coverage_daily_summary "
        "WHERE day BETWEEN ? AND ? GROUP BY scope_key ORDER BY 2 DESC, 1 LIMIT 1",
        [first, last],
    )
    assert key["TOP_SHORTFALL_SCOPE"] == top
    assert key["TOP_SHORTFALL_AGENT_HOURS"] == pytest.approx(hours, abs=1e-3)
    ((scope, local_start, net),) = rows(
        seeded_db,
        "SELECT scope_key, strftime(local_start, '%Y-%m-%d %H:%M'), net_staffing "
        "FROM coverage_vs_requirement WHERE day BETWEEN ? AND ? AND net_staffing < 0 "
        "AND NOT is_future ORDER BY net_staffing, interval_start, scope_key LIMIT 1",
        [first, last],
    )
    assert key["WORST_INTERVAL"][:2] == (scope, local_start)
    assert key["WORST_INTERVAL"][2] == pytest.approx(net, abs=1e-3)
    # Completeness leaves out intervals still ahead when coverage was built.
    ((share,),) = rows(
        seeded_db,
        "SELECT sum(c.observed_seconds) / sum(epoch(c.interval_end - c.interval_start)) "
        "FROM coverage_intervals c JOIN coverage_vs_requirement v "
        "USING (day, scope_key, interval_start) WHERE c.day BETWEEN ? AND ? AND NOT v.is_future",
        [first, last],
    )
    assert key["MEAN_OBSERVED_SHARE"] == pytest.approx(share, abs=1e-4)
    # Short and over: the mean net staffing over the judged intervals of the range.
    nets = dict(
        rows(
            seeded_db,
            "SELECT scope_key, avg(on_queue - required_agents) FROM coverage_vs_requirement "
            "WHERE day BETWEEN ? AND ? AND required_agents IS NOT NULL AND on_queue IS NOT NULL "
            "AND observed_share > 0 AND NOT is_future GROUP BY scope_key",
            [first, last],
        )
    )
    assert key["SCOPES_SHORT"] == sorted(k for k, v in nets.items() if v < 0)
    assert key["SCOPES_OVER"] == sorted(k for k, v in nets.items() if v > 0)
    # The scope table says "k of n judged intervals met", as the report does.
    shown = [
        o.get("data", {}).get("text/plain", "") for c in nb.cells for o in c.get("outputs", [])
    ]
    assert any("judged intervals met" in text for text in shown)
    ((worst_day,),) = rows(
        seeded_db,
        "SELECT day FROM coverage_daily_summary WHERE day BETWEEN ? AND ? "
        "GROUP BY day ORDER BY sum(shortfall_agent_hours) DESC, day DESC LIMIT 1",
        [first, last],
    )
    assert key["FOCUS_DAY"] == worst_day.isoformat()


@pytest.mark.slow
def test_coverage_notebook_parameters_narrow_days_and_scopes(
    jupyter_kernel: str, seeded_db: str
) -> None:
    """Skills and queues only, over two days: the top shortfall is then a skill or queue."""
    chosen = [s.key for s in SCOPES if s.kind in ("skill", "queue")]
    first, last = DAYS[1], DAYS[2]
    nb = execute_notebook(
        COVERAGE_NB,
        DATABASE=seeded_db,
        START_DAY=first.isoformat(),
        END_DAY=last.isoformat(),
        SCOPES=chosen,
        FOCUS_DAY=last.isoformat(),
        TOP_N=5,
    )
    assert_clean(nb)
    key = key_outputs(nb)
    assert key["DAYS"] == [first.isoformat(), last.isoformat()]
    assert key["SCOPES_SHOWN"] == len(chosen) and key["FOCUS_DAY"] == last.isoformat()
    marks = ",".join("?" * len(chosen))
    ((top, hours),) = rows(
        seeded_db,
        "SELECT scope_key, sum(shortfall_agent_hours) FROM coverage_daily_summary "
        f"WHERE day BETWEEN ? AND ? AND scope_key IN ({marks}) "
        "GROUP BY scope_key ORDER BY 2 DESC, 1 LIMIT 1",
        [first, last, *chosen],
    )
    assert top != "all" and key["TOP_SHORTFALL_SCOPE"] == top
    assert key["TOP_SHORTFALL_AGENT_HOURS"] == pytest.approx(hours, abs=1e-3)


@pytest.mark.slow
def test_timeline_notebook_matches_the_database(jupyter_kernel: str, seeded_db: str) -> None:
    day, scope = DAYS[1], "skill:sk-billing"
    nb = execute_notebook(TIMELINE_NB, DATABASE=seeded_db, DAY=day.isoformat(), SCOPE_KEY=scope)
    assert_clean(nb)
    assert images(nb) == 2
    key = key_outputs(nb)
    start, end = day_bounds(day, ZONE)
    ((polls,),) = rows(
        seeded_db,
        "SELECT count(DISTINCT observed_at) FROM raw_responses WHERE scope_key = ? "
        "AND outcome = 'ok' AND observed_at >= ? AND observed_at < ?",
        [scope, start, end],
    )
    ((agent, spans),) = rows(
        seeded_db,
        "SELECT agent_id, count(*) FROM agent_status_spans WHERE scope_key = ? AND day = ? "
        "GROUP BY agent_id ORDER BY 2 DESC, 1 LIMIT 1",
        [scope, day],
    )
    hours = dict(
        rows(
            seeded_db,
            "SELECT status, sum(epoch(span_end - span_start)) / 3600 FROM agent_status_spans "
            "WHERE scope_key = ? AND day = ? AND agent_id = ? GROUP BY status",
            [scope, day, agent],
        )
    )
    assert key["DAY"] == day.isoformat() and key["SCOPE_KEY"] == scope
    assert key["POLLS"] == polls == 24 * 60
    assert key["AGENT_ID"] == agent and key["SPANS"] == spans
    assert key["HOURS_BY_STATUS"].keys() == hours.keys()
    for status, value in hours.items():
        assert key["HOURS_BY_STATUS"][status] == pytest.approx(value, abs=1e-3)
    assert sum(hours.values()) == pytest.approx(24.0, abs=0.05)  # observed all day


@pytest.mark.slow
def test_timeline_notebook_defaults_to_the_latest_day(jupyter_kernel: str, seeded_db: str) -> None:
    nb = execute_notebook(TIMELINE_NB, DATABASE=seeded_db)
    assert_clean(nb)
    key = key_outputs(nb)
    assert key["DAY"] == DAYS[-1].isoformat() and key["SCOPE_KEY"] == "all"
    assert key["POLLS"] == 24 * 60 and key["AGENT_ID"] and key["SPANS"] > 0


@pytest.mark.slow
def test_notebooks_explain_missing_coverage_instead_of_failing(
    jupyter_kernel: str, tmp_path: Path
) -> None:
    """Polls without coverage built: both notebooks say how to build it and run clean."""
    database = str(tmp_path / "polls_only.duckdb")
    seed_days(database, DAYS[:1], coverage=False)
    coverage = execute_notebook(COVERAGE_NB, DATABASE=database)
    assert_clean(coverage)
    assert "No coverage built for" in printed(coverage)
    assert "dagster asset materialize" in printed(coverage)
    assert key_outputs(coverage)["TOP_SHORTFALL_SCOPE"] is None
    timeline = execute_notebook(TIMELINE_NB, DATABASE=database, DAY=DAYS[0].isoformat())
    assert_clean(timeline)
    assert "spans are built with the coverage assets" in printed(timeline)
    assert key_outputs(timeline)["POLLS"] == 24 * 60


@pytest.mark.slow
def test_notebooks_explain_a_missing_database(jupyter_kernel: str, tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere.duckdb")
    for path in (COVERAGE_NB, TIMELINE_NB):
        nb = execute_notebook(path, DATABASE=missing)
        assert_clean(nb)
        text = printed(nb)
        assert "AVAILABILITY_DB" in text and "make demo" in text, path.name
    assert not os.path.exists(missing)  # reading never creates the file
