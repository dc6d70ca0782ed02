"""The schedules file: parsed with the targets file's reader, every error at its cell."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from pipelines.coverage.schedules import (
    SCHEDULE_COLUMNS,
    RequirementsFileError,
    load_schedules,
)
from pipelines.scopes import load_scopes

ROOT = Path(__file__).resolve().parents[2]
HEAD = "scope,day,interval_start,scheduled_agents,interval_minutes\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schedules.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_in_local_minutes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "# exported from the WFM tool\n"
        + HEAD
        + "skill:sk-billing,mon,08:00,9,60\nall,2026-12-24,14:00,2.5,\n",
    )
    frame = load_schedules(path, 15)
    assert list(frame.columns) == SCHEDULE_COLUMNS
    assert frame.to_dict("records") == [
        {
            "scope_key": "all",
            "day_date": dt.date(2026, 12, 24),
            "weekday": None,
            "start_minute": 840,
            "end_minute": 855,
            "scheduled_agents": 2.5,
        },
        {
            "scope_key": "skill:sk-billing",
            "day_date": None,
            "weekday": 1,
            "start_minute": 480,
            "end_minute": 540,
            "scheduled_agents": 9.0,
        },
    ]


def test_no_file_gives_an_empty_table() -> None:
    empty = load_schedules(None)
    assert list(empty.columns) == SCHEDULE_COLUMNS and empty.empty


@pytest.mark.parametrize(
    ("rows", "line", "column", "message"),
    [
        ("all,mon,08:00,-1,60\n", 3, "scheduled_agents", "in [0, 100000]"),
        ("all,mon,08:00,many,60\n", 3, "scheduled_agents", "must be a number"),
        ("all,mon,08:10,3,60\n", 3, "interval_start", "not on the 15-minute grid"),
        ("all,someday,08:00,3,60\n", 3, "day", "expected a weekday"),
        ("all,mon,08:00,3,60\nall,mon,08:30,4,15\n", 4, "interval_start", "overlaps line 3"),
        ("skill:nope,mon,08:00,3,60\n", 3, "scope", "unknown scope"),
    ],
)
def test_errors_name_file_line_and_column(
    tmp_path: Path, rows: str, line: int, column: str, message: str
) -> None:
    path = write(tmp_path, "# comment\n" + HEAD + rows)
    known = [scope.key for scope in load_scopes(ROOT / "config" / "scopes.toml")]
    pattern = rf"^{re.escape(str(path))}, line {line}, column '{column}': .*{re.escape(message)}"
    with pytest.raises(RequirementsFileError, match=pattern):
        load_schedules(path, 15, known_scopes=known)


def test_missing_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(RequirementsFileError, match="AVAILABILITY_SCHEDULES_FILE"):
        load_schedules(tmp_path / "nope.csv")


def test_header_must_name_scheduled_agents(tmp_path: Path) -> None:
    path = write(tmp_path, "scope,day,interval_start,required_agents\nall,mon,08:00,3\n")
    with pytest.raises(RequirementsFileError, match="column 'required_agents': unknown column"):
        load_schedules(path)


@pytest.mark.parametrize("grid", [15, 30, 60])
def test_example_schedules_load(grid: int) -> None:
    known = [scope.key for scope in load_scopes(ROOT / "config" / "scopes.toml")]
    frame = load_schedules(ROOT / "config" / "schedules.example.csv", grid, known_scopes=known)
    assert len(frame) > 100 and (frame["scheduled_agents"] > 0).all()
