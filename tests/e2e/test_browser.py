"""The Dagster UI and the daily HTML report, used in headless Chromium the way a person would.

Everything runs for real and on 127.0.0.1: the Kore-compatible simulator, `dagster dev -w
workspace.yaml` with its own DAGSTER_HOME, and Debian's Chromium driven by Playwright (only the
Python package is needed: the system browser is used through ``executable_path``, so nothing is
downloaded). A day of synthetic history is seeded first so the coverage partition and the report
have a complete day to show; the live poll launched from the UI lands on top, today.

Screenshots, the `dagster dev` log and a summary with step timings are kept under
``test-artifacts/browser/`` (gitignored) so a reviewer can see what the test saw.

Skipped, with the reason, when Chromium or the playwright package is missing.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from pipelines.coverage import CoverageSettings, interval_count
from pipelines.demo import ensure_dagster_home
from pipelines.report import NULL_MARK, load_summary
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_SCOPES, PROJECT_ROOT
from pipelines.simulator import SimulatorServer
from tests.support.browser_support import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    DagsterDev,
    Timings,
    dagster_dev,
    find_chromium,
    graphql,
    is_local_url,
    read_db,
    rows,
)
from tests.support.seeding import seed_days

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the test skips; settle() is never called
    PlaywrightTimeout = TimeoutError  # type: ignore[assignment,misc]

ZONE = "America/New_York"
AGENTS, SEED = 200, 7  # as `make dev`; the simulator and the seeded history share one model
UI_VIEWPORT = {"width": 1440, "height": 900}
LAPTOP_VIEWPORT = {"width": 1366, "height": 768}
# Generous for a shared 2-core machine, but every wait is bounded.
UI_TIMEOUT_MS = 45_000
RUN_TIMEOUT_MS = 150_000


@pytest.fixture
def chromium() -> Path:
    """The browser to drive, or a skip that says what to install."""
    path = find_chromium()
    if path is None:
        pytest.skip(
            "Chromium not found (/usr/bin/chromium or `chromium` on PATH): the browser test "
            "needs Debian's `chromium` package (apt-get install -y chromium; .ci/run does this)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip(
            "the playwright Python package is not installed: pip install -e '.[dev]' "
            "(no `playwright install` needed; the system Chromium is used)"
        )
    return path


# What each screenshot shows ({day} is the seeded day); listed in summary.txt next to them.
SCREENSHOTS = {
    "01-lineage-by-stage.png": "Lineage: the asset graph by stage, ingest -> coverage -> reports",
    "02-schedules.png": "Automation: the every-minute poll schedule and the two coverage "
    "schedules (loaded stopped for the test)",
    "03-catalog-search.png": "Catalog searched for availability_snapshots: group ingest, "
    "never materialized",
    "04-snapshot-asset.png": "The availability_snapshots page before the run: group ingest, "
    "3 checks, job poll_availability, Materialize button",
    "05-snapshot-run-succeeded.png": "The run launched from the UI, succeeded: the poll step "
    "and its 3 checks",
    "06-snapshot-materialization.png": "The materialization's metadata in the UI: tick id, "
    "rows written (equal to DuckDB's count), agents per status per scope",
    "07-coverage-partition-dialog.png": "Materialize all on coverage + reports with partition "
    "{day} typed into the partition selection: 'Launch 1 run'",
    "08-coverage-run-succeeded.png": "The partition {day} run succeeded: spans, requirements, "
    "intervals, coverage vs requirement, report, and their checks",
    "09-coverage-partition.png": "coverage_intervals, Partitions tab, {day} selected: "
    "materialized, row_count (equal to DuckDB's), observed share",
    "10-report-laptop.png": "The {day} HTML report as first seen on a 1366x768 laptop: "
    "title, time zone, the summary table by shortfall",
    "11-report-laptop-full.png": "The same report, full page at 1366 wide: summary table, "
    "shortfall ranking, a chart per scope, coverage-ratio heatmap, completeness table",
}


class Shots:
    """Numbered screenshots under test-artifacts/browser/, each with what it shows."""

    def __init__(self, folder: Path, day: date) -> None:
        self.folder = folder
        self.day = day
        self.taken: list[tuple[str, str]] = []
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):  # stale shots from an earlier run would mislead
            old.unlink()

    def take(self, page: Page, name: str, *, full_page: bool = False) -> None:
        page.screenshot(path=str(self.folder / name), full_page=full_page)
        self.taken.append((name, SCREENSHOTS[name].format(day=self.day)))


@pytest.mark.browser
@pytest.mark.slow
def test_ui_and_report_in_a_real_browser(
    chromium: Path, simulator_factory: Callable[..., SimulatorServer], tmp_path: Path
) -> None:
    """Poll from the UI, build a day's coverage from the UI, then read that day's report."""
    from playwright.sync_api import sync_playwright

    timings = Timings.start()
    day = datetime.now(ZoneInfo(ZONE)).date() - timedelta(days=1)
    shots = Shots(ARTIFACTS, day)
    database = str(tmp_path / "warehouse.duckdb")
    reports = tmp_path / "reports"
    seed_day(database, day)
    timings.mark(f"seeded synthetic history for {day}")

    server = simulator_factory(agents=AGENTS, seed=SEED, rate_limit_per_minute=None)
    env = dagster_env(server.env(include_secret=True), database, reports, tmp_path)
    outside: list[str] = []  # requests that tried to leave 127.0.0.1
    try:
        with dagster_dev(env, ARTIFACTS / "dagster-dev.log") as dagster:
            timings.mark(f"dagster dev serving on {dagster.url}")
            # The first-visit "join the community" dialog would cover the page; dismissing it
            # is what its Skip button does (a local mutation), done up front for determinism.
            graphql(dagster.url, "mutation { setNuxSeen }")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(chromium), headless=True, args=list(CHROMIUM_ARGS)
                )
                try:
                    page = new_page(browser, UI_VIEWPORT, outside)
                    with explained(page, dagster):
                        poll_from_the_ui(page, dagster, database, shots)
                        timings.mark("snapshot asset materialized from the UI, rows in DuckDB")
                        coverage_from_the_ui(page, dagster, database, day, env, shots)
                        timings.mark(f"coverage partition {day} materialized from the UI")
                    page.context.close()
                    check_report(browser, database, reports, day, shots, outside)
                    timings.mark("report checked at laptop width")
                finally:
                    browser.close()
        timings.mark("dagster dev stopped")
        assert not outside, f"requests left 127.0.0.1: {sorted(set(outside))[:10]}"
    finally:
        write_summary(shots, timings, outside)


# --- Setup ----------------------------------------------------------------------------------


def seed_day(database: str, day: date) -> None:
    """A complete simulated day from the same model, roster and seed the simulator serves."""
    seed_days(database, day, agents=AGENTS, seed=SEED, zone=ZONE)


def dagster_env(
    kore: dict[str, str], database: str, reports: Path, tmp_path: Path
) -> dict[str, str]:
    """The caller's environment minus any pipeline settings of theirs, plus the test's.

    Schedules load stopped so that no scheduled run lands in the middle of the test's runs.
    """
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("KORE_", "AVAILABILITY_"))
    }
    inherited.pop("DAGSTER_HOME", None)
    return {
        **inherited,
        **kore,
        "AVAILABILITY_DB": database,
        "AVAILABILITY_REPORTS_DIR": str(reports),
        "AVAILABILITY_SCOPES": str(DEFAULT_SCOPES),
        "AVAILABILITY_TIME_ZONE": ZONE,
        "AVAILABILITY_TARGETS_FILE": str(PROJECT_ROOT / "config" / "targets.example.csv"),
        "AVAILABILITY_FORECAST_FILE": str(PROJECT_ROOT / "config" / "forecast.example.csv"),
        "AVAILABILITY_SCHEDULE_STOPPED": "true",
        "DAGSTER_HOME": str(ensure_dagster_home(tmp_path / "dagster_home")),
    }


def new_page(browser: Browser, viewport: dict[str, int], outside: list[str]) -> Page:
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(UI_TIMEOUT_MS)
    context.set_default_navigation_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    page.on("request", lambda r: None if is_local_url(r.url) else outside.append(r.url))
    return page


@contextmanager
def explained(page: Page, dagster: DagsterDev) -> Iterator[None]:
    """On failure, keep a screenshot of the page as it was and add the server's last words."""
    try:
        yield
    except Exception as error:
        with suppress(Exception):  # the page may be gone; the log tail still helps
            page.screenshot(path=str(ARTIFACTS / "failure.png"))
        raise AssertionError(
            f"{error}\n\nat {page.url}; screenshot: {ARTIFACTS / 'failure.png'}\n"
            f"--- dagster dev log (tail) ---\n{dagster.log_tail(60)}"
        ) from error


# --- The UI -----------------------------------------------------------------------------------


def poll_from_the_ui(page: Page, dagster: DagsterDev, database: str, shots: Shots) -> None:
    """Find the snapshot asset, materialize it, and find its tick in DuckDB."""
    page.goto(f"{dagster.url}/asset-groups")
    for group in ("ingest", "coverage", "reports"):
        page.get_by_text(group, exact=True).first.wait_for()
    page.get_by_text("fetching statuses").first.wait_for(state="detached")
    settle(page)
    shots.take(page, "01-lineage-by-stage.png")

    page.get_by_role("link", name="Automation").click()
    page.get_by_text("poll_availability_every_minute").wait_for()
    page.get_by_text("Scheduled Every minute").wait_for()  # the cron, once schedules load
    settle(page)
    shots.take(page, "02-schedules.png")

    page.get_by_role("link", name="Catalog").click()
    search = page.get_by_role("textbox", name="Search and filter assets")
    search.focus()  # a CodeMirror editor: its overlay takes the clicks
    page.keyboard.type("availability_snapshots")
    page.keyboard.press("Enter")
    page.locator('a[href="/assets/coverage_intervals"]').wait_for(state="detached")
    close_suggestions(page)
    snapshot_link = page.locator('a[href="/assets/availability_snapshots"]').first
    settle(page)
    shots.take(page, "03-catalog-search.png")
    snapshot_link.click()

    materialize = page.get_by_role("button", name="materialization Materialize", exact=True)
    materialize.wait_for()
    page.get_by_role("link", name="ingest").wait_for()
    page.get_by_text("Every minute").wait_for()  # the schedule, once automation has loaded
    settle(page)
    shots.take(page, "04-snapshot-asset.png")
    click_when_enabled(page, materialize)
    run_id = open_launched_run(page)
    wait_for_run_success(page)
    settle(page)
    shots.take(page, "05-snapshot-run-succeeded.png")

    tick_id = f"run-{run_id}"  # the tick ID the asset derives from the run it ran in

    def landed(con: Any) -> tuple[list[tuple], int]:
        tick = rows(
            con, "SELECT source, scopes_asked, scopes_ok FROM ticks WHERE tick_id = ?", [tick_id]
        )
        count = rows(con, "SELECT count(*) FROM snapshots WHERE tick_id = ?", [tick_id])
        return tick, count[0][0]

    ticks, snapshot_rows = read_db(database, landed)
    assert ticks, f"no tick {tick_id} in DuckDB after the UI's run"
    [(source, asked, ok)] = ticks
    assert source == "poll" and asked > 0 and ok == asked, ticks
    assert snapshot_rows > 0

    page.goto(f"{dagster.url}/assets/availability_snapshots?view=events")
    page.get_by_text(tick_id).first.wait_for()
    settle(page)
    rows_written = page.get_by_role("row").filter(has_text="rows_written").first
    assert rows_written.inner_text().split()[-1] == str(snapshot_rows)  # the UI agrees with DB
    shots.take(page, "06-snapshot-materialization.png")


def coverage_from_the_ui(
    page: Page, dagster: DagsterDev, database: str, day: date, env: dict[str, str], shots: Shots
) -> None:
    """Launch the seeded day's partition of the coverage and report stages; check DuckDB."""
    selection = quote('group:"coverage" or group:"reports"')
    page.goto(f"{dagster.url}/asset-groups~{selection}")
    click_when_enabled(page, page.get_by_role("button", name=re.compile(r"Materialize all")))
    dialog = page.get_by_role("dialog")
    partitions = dialog.get_by_role("textbox").first
    confirm = dialog.get_by_role("button", name="Confirm")
    partitions.or_(confirm).first.wait_for()
    if confirm.is_visible():  # "upstream never materialized" warning; it has been, but be safe
        confirm.click()
    partitions.fill(day.isoformat())
    page.keyboard.press("Enter")
    launch = dialog.get_by_role("button", name="Launch 1 run")
    launch.wait_for()
    dialog.get_by_text("1 partition", exact=True).wait_for()
    settle(page)
    shots.take(page, "07-coverage-partition-dialog.png")
    click_when_enabled(page, launch)
    open_launched_run(page)
    wait_for_run_success(page)
    page.get_by_text(f"partition: {day.isoformat()}").first.wait_for()
    settle(page)
    shots.take(page, "08-coverage-run-succeeded.png")

    settings = CoverageSettings.from_env(env)
    expected = len(load_scopes(DEFAULT_SCOPES)) * interval_count(day, settings)
    cells = read_db(
        database,
        lambda con: rows(con, "SELECT count(*) FROM coverage_intervals WHERE day = ?", [day]),
    )[0][0]
    assert cells == expected, f"coverage_intervals has {cells} rows for {day}, not {expected}"

    page.goto(f"{dagster.url}/assets/coverage_intervals?view=partitions")
    page.get_by_text(day.isoformat(), exact=True).first.click()
    row_count = page.get_by_role("row").filter(has_text="row_count").first
    row_count.wait_for()
    assert row_count.inner_text().split()[-1] == str(cells)
    settle(page)
    shots.take(page, "09-coverage-partition.png")


def close_suggestions(page: Page) -> None:
    """Escape the search box's suggestion list, which covers the first rows of results.

    The list reopens once after Enter rewrites the query (into ``key:"*…*"``), so one Escape
    can come too early: press it until the list stays closed (bounded).
    """
    hint = page.get_by_text("to navigate")
    for _ in range(20):
        page.wait_for_timeout(300)
        if not hint.is_visible():
            return
        page.keyboard.press("Escape")
    hint.wait_for(state="hidden", timeout=5_000)


def settle(page: Page) -> None:
    """Let the page's queries finish before a screenshot, so it shows data, not skeletons.

    The UI polls, so the network may never stay quiet for long: bounded, and not an error.
    """
    with suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=10_000)


def click_when_enabled(page: Page, button: Any) -> None:
    """Buttons render disabled while their queries load; a click before that is lost."""
    button.wait_for()
    deadline = UI_TIMEOUT_MS
    while not button.is_enabled() and deadline > 0:
        page.wait_for_timeout(250)
        deadline -= 250
    button.click()


def open_launched_run(page: Page) -> str:
    """Follow the "Launched run" toast to the run's page; return the run ID."""
    toasts = page.get_by_role("region", name=re.compile("Notifications"))
    view = toasts.get_by_role("link", name="View").first
    view.wait_for()
    href = view.get_attribute("href") or ""
    match = re.search(r"/runs/([0-9a-f-]{36})", href)
    assert match, f"the launch toast links to {href!r}, not a run"
    view.click()
    page.wait_for_url(re.compile(re.escape(match.group(1))))
    return match.group(1)


def wait_for_run_success(page: Page) -> None:
    """Watch the run page's status tag; fail at once on a failed or canceled run."""
    success = page.get_by_role("img", name="run_success")
    failed = page.get_by_role("img", name=re.compile(r"^run_(failed|canceled)$"))
    success.or_(failed).first.wait_for(timeout=RUN_TIMEOUT_MS)
    if failed.count():
        raise AssertionError(f"the run did not succeed: {page.url}")


# --- The report -------------------------------------------------------------------------------


def check_report(
    browser: Browser,
    database: str,
    reports: Path,
    day: date,
    shots: Shots,
    outside: list[str],
) -> None:
    """Open the report the UI's run wrote: no errors, charts drawn, figures as in DuckDB."""
    html = reports / day.isoformat() / "coverage.html"
    assert html.exists(), f"the partition run wrote no report at {html}"
    shutil.copyfile(html, ARTIFACTS / "coverage-report.html")
    page = new_page(browser, LAPTOP_VIEWPORT, outside)
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error {e}"))
    page.goto(html.as_uri(), wait_until="load")

    images = page.eval_on_selector_all(
        "img", "els => els.map(e => ({alt: e.alt, complete: e.complete, w: e.naturalWidth}))"
    )
    assert len(images) >= 2, f"expected charts in the report, found {images}"
    blank = [i["alt"] for i in images if not (i["complete"] and i["w"] > 0)]
    assert not blank, f"charts that did not render: {blank}"
    assert page.locator("#no-data").count() == 0

    displayed = page.eval_on_selector_all(
        "#summary-table tbody tr",
        """trs => trs.map(tr => ({
            key: tr.dataset.scopeKey,
            cells: [...tr.cells].map(td => td.innerText.trim()),
            values: [...tr.cells].map(td => td.dataset.value ?? null),
        }))""",
    )
    summary = read_db(database, lambda con: load_summary(con, day))
    assert_summary_matches(displayed, summary)

    widths = page.evaluate(
        """() => ({page: document.documentElement.scrollWidth, viewport: window.innerWidth,
                  table: document.querySelector('#summary-table').parentElement.scrollWidth,
                  tableBox: document.querySelector('#summary-table').parentElement.clientWidth})"""
    )
    shots.take(page, "10-report-laptop.png")
    shots.take(page, "11-report-laptop-full.png", full_page=True)
    assert widths["page"] <= widths["viewport"], f"horizontal scroll at laptop width: {widths}"
    assert widths["table"] <= widths["tableBox"], f"summary table scrolls sideways: {widths}"
    assert not problems, problems
    page.context.close()


def assert_summary_matches(displayed: list[dict[str, Any]], summary: pd.DataFrame) -> None:
    """Every row, in rank order: names and figures as displayed, and the unrounded values."""
    assert [r["key"] for r in displayed] == list(summary["scope_key"])
    for row, record in zip(displayed, summary.to_dict("records"), strict=True):
        cells, values = row["cells"], row["values"]
        met = NULL_MARK
        judged = int(record["intervals_judged"] or 0) if present(record["intervals_judged"]) else 0
        if judged:
            met = f"{int(record['intervals_met'] or 0)} of {judged}"
        expected = {
            1: str(record["name"]),
            2: str(record["scope_key"]),
            3: shown(record["avg_on_queue"], 1),
            4: shown(record["avg_required"], 1),
            5: shown_signed(record["avg_net_staffing"], 1),
            6: shown(record["avg_idle_available"], 1),
            7: met,
            8: shown(record["shortfall_agent_hours"], 2),
            9: shown(record["surplus_agent_hours"], 2),
            11: shown_signed(record["worst_gap"], 1),
        }
        for column, text in expected.items():
            assert cells[column] == text, (record["scope_key"], column, cells, text)
        for column, name in ((3, "avg_on_queue"), (5, "avg_net_staffing"),
                             (8, "shortfall_agent_hours")):  # fmt: skip
            if present(record[name]):
                assert math.isclose(float(values[column]), float(record[name]), rel_tol=1e-9)


def present(value: Any) -> bool:
    return value is not None and not pd.isna(value)


def shown(value: Any, digits: int) -> str:
    """The report's rounding: fixed decimals, an em dash for no figure, never "-0.0"."""
    if not present(value):
        return NULL_MARK
    text = f"{float(value):.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def shown_signed(value: Any, digits: int) -> str:
    """A difference as the report shows it: "+1.5", "-0.3", "0.0"."""
    text = shown(value, digits)
    return text if text == NULL_MARK or text.startswith("-") or float(text) == 0 else "+" + text


# --- Artifacts --------------------------------------------------------------------------------


def write_summary(shots: Shots, timings: Timings, outside: list[str]) -> None:
    lines = ["Browser test: screenshots (test-artifacts/browser/)", ""]
    lines += [f"{name}: {what}" for name, what in shots.taken]
    lines += ["", "Step timings (since the test started)", "", *timings.lines()]
    if outside:
        lines += ["", "Requests that tried to leave 127.0.0.1:", *sorted(set(outside))]
    (shots.folder / "summary.txt").write_text("\n".join(lines) + "\n")
