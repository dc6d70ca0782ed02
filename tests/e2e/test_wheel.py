"""The built wheel works on its own: a poll and a coverage day from a clean virtual environment.

Only ``make``'s editable install used to work (``sql/`` sat outside the package). This test
builds the wheel, installs it into a new virtual environment under the test's tmp dir and,
from a working directory outside the checkout, starts the simulator with the wheel's
``availability`` command, runs one poll and one coverage day through ``python -m dagster`` of
the new environment, and checks the warehouse and the report.

Dependencies are not downloaded again (slow, and CI time matters): the wheel is installed with
``--no-deps``, and a ``.pth`` file in the new environment's site-packages lists the running
interpreter's site-packages directories, so the new environment imports the same Dagster,
DuckDB, pandas... The project itself must still come from the wheel only. The running
environment holds an editable install, whose ``__editable__*.pth`` puts a finder for the
checkout on ``sys.meta_path``; but ``.pth`` files inside a directory that was added by a
``.pth`` line are not processed, so that finder never loads in the new environment. The test
asserts it: ``pipelines`` and ``pipelines.sql`` resolve inside the new environment, never the
checkout (``PYTHONPATH`` is dropped and every command runs outside the checkout).

The build itself runs in an isolated build environment (``setuptools>=68`` from the index, as
``make install`` uses, normally from pip's cache) from a copy of the checkout, so that a stale
``build/`` folder in the checkout can neither leak old modules into the wheel nor be left behind.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import site
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.demo import COVERAGE_ASSETS

ROOT = Path(__file__).resolve().parents[2]
# Generated or machine-specific entries at the checkout's top, which the build must not see
# (only at the top: pipelines/defs/reports/ is source).
NOT_SOURCE_AT_TOP = {
    ".git", ".venv", "build", "dist", ".pytest_cache", ".ruff_cache", ".dagster_home", "data",
    "reports", "bench-results", "test-artifacts",
}  # fmt: skip
TIME_ZONE = "America/New_York"

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]


def run(command: list[str], *, timeout: float, **kwargs: object) -> float:
    """Run ``command``; print and return its wall time, fail with its output's tail."""
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    seconds = time.monotonic() - started
    shown = " ".join(Path(part).name if os.sep in part else part for part in command)
    print(f"[wheel] {seconds:6.1f}s  {shown}")
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
        pytest.fail(f"`{shown}` exited {done.returncode}:\n{tail}")
    return seconds


def not_source(folder: str, names: list[str]) -> set[str]:
    """``copytree``'s ignore: generated folders at the top, caches and build metadata anywhere."""
    top = NOT_SOURCE_AT_TOP if Path(folder) == ROOT else set()
    anywhere = {"__pycache__", ".ipynb_checkpoints"}
    return {name for name in names if name in top | anywhere or name.endswith(".egg-info")}


def build_wheel(out: Path, tmp: Path) -> Path:
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=not_source)
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        timeout=600,
    )
    [wheel] = out.glob("*.whl")
    print(f"[wheel] built {wheel.name}: {wheel.stat().st_size / 1024:.1f} KiB")
    return wheel


def make_venv(venv: Path, wheel: Path, env: dict[str, str]) -> Path:
    """A new environment with the wheel alone, seeing the running interpreter's dependencies."""
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], timeout=120, env=env)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, timeout=60, check=True, env=env,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "_test_dependencies.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n", encoding="utf-8"
    )
    run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--quiet", str(wheel)],
        timeout=300, env=env,
    )  # fmt: skip
    return python


def assert_project_comes_from(python: Path, venv: Path, env: dict[str, str], cwd: Path) -> None:
    probe = (
        "import importlib.resources, pipelines, pipelines.sql;"
        "print(pipelines.__file__);"
        "print(importlib.resources.files('pipelines.sql').joinpath('coverage'))"
    )
    done = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, timeout=60, env=env, cwd=cwd
    )
    assert done.returncode == 0, done.stdout + done.stderr
    package, sql = (Path(line).resolve() for line in done.stdout.split())
    for path in (package, sql):
        assert path.is_relative_to(venv.resolve()), f"{path} is not inside the new venv {venv}"
        assert not path.is_relative_to(ROOT), f"{path} comes from the checkout"
    assert any(sql.glob("*.sql")), f"no SQL files shipped under {sql}"
    print(f"[wheel] pipelines from {package.parent}")


def read_lines(stream: object, lines: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        lines.put(line)


@contextmanager
def running_simulator(venv: Path, env: dict[str, str], cwd: Path) -> Iterator[dict[str, str]]:
    """``availability simulate --port 0 --print-env`` from the wheel; yields its settings."""
    process = subprocess.Popen(
        [str(venv / "bin" / "availability"), "simulate", "--port", "0", "--print-env"],
        stdout=subprocess.PIPE, text=True, env=env, cwd=cwd,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
    try:
        settings: dict[str, str] = {}
        while "KORE_CLIENT_SECRET" not in settings:
            line = lines.get(timeout=120).strip()
            if "=" in line and line.startswith("KORE_"):
                name, value = line.split("=", 1)
                settings[name] = value
        assert settings["KORE_HOST"].startswith("http://127.0.0.1:"), settings
        yield settings
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def materialize(venv: Path, selection: str, env: dict[str, str], cwd: Path, *extra: str) -> None:
    command = [
        str(venv / "bin" / "python"), "-m", "dagster", "asset", "materialize",
        "-m", "pipelines.definitions", "--select", selection, *extra,
    ]  # fmt: skip
    run(command, timeout=600, env=env, cwd=cwd)


def test_wheel_polls_and_builds_a_coverage_day_outside_the_checkout(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    home = work / "dagster_home"
    home.mkdir()
    shutil.copyfile(ROOT / "config" / "dagster.yaml", home / "dagster.yaml")
    for name in ("scopes.toml", "targets.example.csv", "forecast.example.csv"):
        shutil.copyfile(ROOT / "config" / name, work / name)
    database = work / "warehouse.duckdb"
    reports = work / "reports"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AVAILABILITY_", "KORE_", "DAGSTER_", "VIRTUAL_ENV"))
        and name not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE")
    }
    env |= {
        "PYTHONNOUSERSITE": "1",
        "DAGSTER_HOME": str(home),
        "AVAILABILITY_DB": str(database),
        "AVAILABILITY_SCOPES": str(work / "scopes.toml"),
        "AVAILABILITY_REPORTS_DIR": str(reports),
        "AVAILABILITY_TARGETS_FILE": str(work / "targets.example.csv"),
        "AVAILABILITY_FORECAST_FILE": str(work / "forecast.example.csv"),
        "AVAILABILITY_TIME_ZONE": TIME_ZONE,
        "AVAILABILITY_SCHEDULE_STOPPED": "true",
    }
    wheel = build_wheel(tmp_path / "dist", tmp_path)
    venv = tmp_path / "venv"
    python = make_venv(venv, wheel, env)
    assert_project_comes_from(python, venv, env, work)

    with running_simulator(venv, env, work) as kore:
        materialize(venv, "availability_snapshots", env | kore, work)
    with duckdb.connect(str(database), read_only=True) as con:
        snapshots = con.execute("SELECT count(*) FROM snapshots").fetchone()[0]
        (day,) = con.execute(
            "SELECT CAST(timezone($zone, max(observed_at)) AS DATE) FROM snapshots",
            {"zone": TIME_ZONE},
        ).fetchone()
    assert snapshots > 0
    assert isinstance(day, date)

    materialize(venv, COVERAGE_ASSETS, env | kore, work, "--partition", day.isoformat())
    with duckdb.connect(str(database), read_only=True) as con:
        intervals = con.execute(
            "SELECT count(*) FROM coverage_intervals WHERE day = $day", {"day": day}
        ).fetchone()[0]
    assert intervals > 0
    report = reports / day.isoformat() / "coverage.html"
    assert report.is_file() and report.stat().st_size > 0, f"no report at {report}"
    print(f"[wheel] {snapshots} snapshot rows, {intervals} coverage intervals on {day}, report")
