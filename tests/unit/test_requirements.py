"""Targets and forecast files: parsing, validation messages, precedence, example configs."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines import warehouse
from pipelines.coverage import CoverageSettings, build_requirements, erlang
from pipelines.coverage.requirements import (
    RULE_COLUMNS,
    RequirementsFileError,
    load_forecast,
    load_requirements,
    load_targets,
    rule_priority,
)
from pipelines.coverage.requirements_ranges import RANGES
from pipelines.scopes import load_scopes

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "support" / "fixtures" / "requirements"
TARGETS = FIXTURES / "targets.csv"
FORECAST = FIXTURES / "forecast.csv"

KNOWN_SCOPES = [
    "all",
    "skill:sk-billing",
    "skill:sk-sales",
    "skill:sk-tech-support",
    "skill:sk-retention",
    "skill:sk-spanish",
    "skill:sk-vip",
    "queue:qu-billing",
    "queue:qu-sales",
    "queue:qu-support",
    "queue:qu-retention",
]

MONDAY = dt.date(2026, 11, 23)
QUARTERS = ("00", "15", "30", "45")
NAN = math.nan


def frame(rows: list[tuple]) -> pd.DataFrame:
    """Expected rules in the loader's column order and dtypes."""
    data = dict(zip(RULE_COLUMNS, zip(*rows, strict=True), strict=True)) if rows else {}
    return pd.DataFrame(
        {
            "scope_key": pd.Series(data.get("scope_key", []), dtype="str"),
            "day_date": pd.Series(data.get("day_date", []), dtype=object),
            "weekday": pd.array(data.get("weekday", []), dtype="Int64"),
            "start_minute": pd.Series(data.get("start_minute", []), dtype="int64"),
            "end_minute": pd.Series(data.get("end_minute", []), dtype="int64"),
            "required_agents": pd.Series(data.get("required_agents", []), dtype="float64"),
            "source": pd.Series(data.get("source", []), dtype="str"),
            "contacts": pd.Series(data.get("contacts", []), dtype="float64"),
            "aht_seconds": pd.Series(data.get("aht_seconds", []), dtype="float64"),
            "service_level": pd.Series(data.get("service_level", []), dtype="float64"),
            "target_seconds": pd.Series(data.get("target_seconds", []), dtype="float64"),
            "priority": pd.Series(data.get("priority", []), dtype="int64"),
            "scheduled_required": pd.Series(data.get("scheduled_required", []), dtype="float64"),
            "service_level_expected": pd.Series(
                data.get("service_level_expected", []), dtype="float64"
            ),
        }
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- happy paths ------------------------------------------------------------------------------


def test_rule_columns() -> None:
    assert RULE_COLUMNS == [
        "scope_key",
        "day_date",
        "weekday",
        "start_minute",
        "end_minute",
        "required_agents",
        "source",
        "contacts",
        "aht_seconds",
        "service_level",
        "target_seconds",
        "priority",
        "scheduled_required",
        "service_level_expected",
    ]


def test_load_targets_exact_rules() -> None:
    # fmt: off
    expected = frame([
        ("queue:qu-sales", None, 7, 1425, 1440, 2.0, "target", NAN, NAN, NAN, NAN, 1, NAN, NAN),
        ("skill:sk-billing", MONDAY, None, 480, 510, 9.0, "target", NAN, NAN, NAN, NAN, 0,
         NAN, NAN),
        ("skill:sk-billing", None, 1, 480, 540, 5.0, "target", NAN, NAN, NAN, NAN, 1, NAN, NAN),
        ("skill:sk-billing", None, 1, 540, 555, 6.5, "target", NAN, NAN, NAN, NAN, 1, NAN, NAN),
    ])
    # fmt: on
    pd.testing.assert_frame_equal(load_targets(TARGETS), expected)


def test_load_forecast_exact_rules_and_erlang_head_counts() -> None:
    """required_agents is the ON-QUEUE requirement (before shrinkage); the row's
    planned shrinkage only gives scheduled_required."""
    weekly = erlang.required_agents(100, 180, 180 * 60, 0.8, 20)
    dated = erlang.required_agents(200, 180, 120 * 60, 0.8, 20, max_occupancy=0.85)
    scheduled = erlang.required_agents(
        200, 180, 120 * 60, 0.8, 20, max_occupancy=0.85, shrinkage=0.3
    )
    # Hand check of the dated row: A = 200 * 180 / 7200 = 5 Erlangs; 80/20 needs 8 agents
    # on queue (occupancy 62.5% < 85%), and 8 / (1 - 0.3) = 11.4 -> 12 scheduled heads.
    assert dated == 8
    assert scheduled == 12
    dated_level = erlang.service_level(8, 5.0, 180, 20)
    weekly_level = erlang.service_level(weekly, 100 * 180 / 10800, 180, 20)
    assert dated_level >= 0.8 and weekly_level >= 0.8
    # fmt: off
    expected = frame([
        ("queue:qu-support", None, 5, 750, 765, 0.0, "forecast_erlang_c", 0.0, 300.0, 0.9, 10.0,
         3, NAN, NAN),
        ("skill:sk-billing", MONDAY, None, 480, 600, float(dated), "forecast_erlang_c",
         200.0, 180.0, 0.8, 20.0, 2, float(scheduled), dated_level),
        ("skill:sk-billing", None, 1, 420, 600, float(weekly), "forecast_erlang_c",
         100.0, 180.0, 0.8, 20.0, 3, NAN, weekly_level),
    ])
    # fmt: on
    pd.testing.assert_frame_equal(load_forecast(FORECAST), expected)


def test_load_requirements_combines_both_files() -> None:
    both = load_requirements(TARGETS, FORECAST, known_scopes=KNOWN_SCOPES)
    assert list(both.columns) == RULE_COLUMNS
    assert len(both) == 7
    counts = sorted(both["source"].value_counts().items())
    assert counts == [("forecast_erlang_c", 3), ("target", 4)]
    assert load_requirements(TARGETS, None).equals(load_targets(TARGETS))
    assert load_requirements(None, FORECAST).equals(load_forecast(FORECAST))


def test_no_files_gives_empty_typed_rules() -> None:
    empty = load_requirements(None, None)
    pd.testing.assert_frame_equal(empty, frame([]))


def test_default_interval_is_the_grid(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "scope,day,interval_start,required_agents\nall,tue,10:30,3\n")
    rules = load_targets(path, grid_minutes=30)
    assert (rules.loc[0, "start_minute"], rules.loc[0, "end_minute"]) == (630, 660)
    with pytest.raises(RequirementsFileError, match="line 2, column 'interval_start'"):
        load_targets(path, grid_minutes=60)


@pytest.mark.parametrize("grid", [5, 15, 30, 60])
def test_all_grids_accepted(tmp_path: Path, grid: int) -> None:
    path = write(tmp_path, "t.csv", "scope,day,interval_start,required_agents\nall,tue,10:00,3\n")
    assert load_targets(path, grid_minutes=grid)["end_minute"].tolist() == [600 + grid]


@pytest.mark.parametrize("grid", [0, 10, 20, 45, 120, True])
def test_bad_grid_rejected(grid: int) -> None:
    with pytest.raises(ValueError, match="grid_minutes"):
        load_requirements(None, None, grid_minutes=grid)


def test_day_spellings_and_header_case(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.csv",
        "\ufeffScope, Day ,INTERVAL_START,required_agents\n"
        + "".join(
            f"all,{day},{hour:02d}:00,1\n"
            for hour, day in enumerate(
                ["mon", "TUE", "Wednesday", "thu", "FRIDAY", "sat", "Sun", "2026-02-28"]
            )
        ),
    )
    rules = load_targets(path).sort_values("start_minute")
    assert rules["weekday"].tolist()[:7] == [1, 2, 3, 4, 5, 6, 7]
    assert rules["weekday"].isna().tolist()[7]
    assert rules["day_date"].tolist()[7] == dt.date(2026, 2, 28)


def test_zero_contacts_row_needs_nobody() -> None:
    rules = load_forecast(FORECAST)
    assert rules.loc[rules.scope_key == "queue:qu-support", "required_agents"].tolist() == [0.0]


def test_rules_load_into_duckdb_as_dates() -> None:
    """The SQL side reads the frame directly; the documented CAST must work with and without
    dated rules (an all-None object column reaches DuckDB as type NULL)."""
    for rules in (load_requirements(TARGETS, FORECAST), load_forecast(FORECAST).iloc[:1]):
        got = duckdb.sql(
            "SELECT count(*) FROM rules WHERE CAST(day_date AS DATE) = DATE '2026-11-23'"
        ).fetchall()[0][0]
        assert got == int((rules["day_date"] == MONDAY).sum())
    empty = load_requirements(None, None)  # noqa: F841 - read by DuckDB below
    assert duckdb.sql("SELECT count(*) FROM empty WHERE weekday = 1").fetchall()[0][0] == 0


# --- precedence ------------------------------------------------------------------------------


def test_rule_priority_table() -> None:
    assert rule_priority("target", True) == 0
    assert rule_priority("target", False) == 1
    assert rule_priority("forecast_erlang_c", True) == 2
    assert rule_priority("forecast_erlang_c", False) == 3
    with pytest.raises(ValueError, match="source"):
        rule_priority("guess", False)


def test_priority_column_matches_function() -> None:
    rules = load_requirements(TARGETS, FORECAST)
    for row in rules.itertuples():
        assert row.priority == rule_priority(row.source, row.day_date is not None)


def built_requirements(
    folder: Path, rules: pd.DataFrame, days: list[dt.date], time_zone: str = "UTC"
) -> list[tuple[str, dt.datetime, dt.datetime, float, str]]:
    """staffing_requirements as the coverage build writes them from ``rules`` for ``days``
    (15-minute grid): (scope, UTC start, local start, required agents, source), in time order.
    The scopes table holds every scope the rules name plus ``all``."""
    scopes = sorted(set(rules["scope_key"]) | {"all"})
    with warehouse.connect(folder / "requirements.duckdb") as con:
        for key in scopes:
            kind, _, ref = key.partition(":")
            con.execute(
                "INSERT INTO scopes (scope_key, kind, ref_id, name, updated_at) "
                "VALUES (?, ?, ?, ?, now())",
                [key, kind, ref, key],
            )
        for day in days:
            build_requirements(con, day, CoverageSettings(time_zone), rules)
        return con.execute(
            "SELECT scope_key, interval_start, local_start, required_agents, source "
            "FROM staffing_requirements ORDER BY interval_start, scope_key"
        ).fetchall()


def test_precedence_in_the_built_requirements(tmp_path: Path) -> None:
    """The fixture files through the SQL build: each cell gets the lowest-priority rule."""
    rules = load_requirements(TARGETS, FORECAST)
    weekly = float(erlang.required_agents(100, 180, 10800, 0.8, 20))
    dated = float(erlang.required_agents(200, 180, 7200, 0.8, 20, 0.85))  # before shrinkage
    billing, nov30, tue = "skill:sk-billing", dt.date(2026, 11, 30), dt.date(2026, 11, 24)
    cases = [
        # scope, date, minute -> required, source
        (billing, MONDAY, 420, weekly, "forecast_erlang_c"),  # only the weekday forecast
        (billing, MONDAY, 480, 9.0, "target"),  # dated target beats weekday target
        (billing, MONDAY, 495, 9.0, "target"),
        (billing, MONDAY, 510, 5.0, "target"),  # weekday target beats dated forecast
        (billing, MONDAY, 540, 6.5, "target"),  # 09:00 row, default 15-minute length
        (billing, MONDAY, 555, dated, "forecast_erlang_c"),  # dated forecast beats weekday forecast
        (billing, MONDAY, 600, None, None),  # every rule ends at 10:00
        (billing, nov30, 480, 5.0, "target"),  # another Monday: no dated rules
        (billing, nov30, 555, weekly, "forecast_erlang_c"),
        (billing, tue, 480, None, None),
        ("queue:qu-sales", dt.date(2026, 11, 29), 1425, 2.0, "target"),  # Sunday 23:45
        ("queue:qu-sales", dt.date(2026, 11, 29), 1410, None, None),
        # zero is a rule
        ("queue:qu-support", dt.date(2026, 11, 27), 750, 0.0, "forecast_erlang_c"),
        ("all", MONDAY, 480, None, None),
    ]
    built = built_requirements(tmp_path, rules, sorted({case[1] for case in cases}))
    by_cell = {
        (scope, local.date(), local.hour * 60 + local.minute): (required, source)
        for scope, _, local, required, source in built
    }
    for scope, day, minute, required, source in cases:
        assert by_cell.get((scope, day, minute), (None, None)) == (required, source), (
            scope,
            day,
            minute,
        )


def test_built_requirements_on_dst_days(tmp_path: Path) -> None:
    """Rules are wall-clock (New York): both passes through a fall-back hour match; a skipped
    hour has no cells, so its rule applies to nothing (and leaks onto no neighbour)."""
    path = write(
        tmp_path,
        "t.csv",
        T_HEAD + "all,2026-11-01,01:00,4,60\nall,2026-03-08,02:00,7,60\nall,sun,03:00,2,60\n",
    )
    fall_back, spring_forward = dt.date(2026, 11, 1), dt.date(2026, 3, 8)  # both Sundays
    built = built_requirements(
        tmp_path, load_targets(path), [fall_back, spring_forward], "America/New_York"
    )

    def cells(day: dt.date) -> list[tuple[str, str, float]]:
        return [
            (start.astimezone(dt.UTC).strftime("%H:%M"), local.strftime("%H:%M"), required)
            for _, start, local, required, _ in built
            if local.date() == day
        ]

    # 01:00-01:45 local twice: EDT (05:00Z..) then EST (06:00Z..).
    assert cells(fall_back) == [
        (f"{utc}:{minute}", f"01:{minute}", 4.0) for utc in ("05", "06") for minute in QUARTERS
    ] + [(f"08:{minute}", f"03:{minute}", 2.0) for minute in QUARTERS]
    # 02:00-02:59 local does not exist: the grid jumps from 01:45 (06:45Z) to 03:00 (07:00Z).
    assert cells(spring_forward) == [(f"07:{minute}", f"03:{minute}", 2.0) for minute in QUARTERS]


def test_built_requirements_with_no_rules(tmp_path: Path) -> None:
    assert built_requirements(tmp_path, load_requirements(None, None), [MONDAY]) == []


# --- malformed files -------------------------------------------------------------------------

T_HEAD = "scope,day,interval_start,required_agents,interval_minutes\n"
T_GOOD = "skill:sk-billing,mon,08:00,5,60\n"
F_HEAD = (
    "scope,day,interval_start,contacts,aht_seconds,service_level,target_seconds,"
    "max_occupancy,shrinkage,interval_minutes\n"
)
F_GOOD = "queue:qu-support,mon,08:00,100,300,80%,20,85%,30%,60\n"

# kind, file text, expected line, expected column, fragment of the message
MALFORMED = [
    ("targets", T_HEAD + T_GOOD + "skill:sk-billing,funday,09:00,5,60\n", 3, "day", "funday"),
    ("targets", T_HEAD + T_GOOD + "skill:sk-billing,2026-02-30,09:00,5,\n", 3, "day", "02-30"),
    ("targets", T_HEAD + T_GOOD + "skill:sk-billing,20261125,09:00,5,\n", 3, "day", "20261125"),
    ("targets", T_HEAD + T_GOOD + "skill:sk-billing,tue,8am,5,\n", 3, "interval_start", "8am"),
    ("targets", T_HEAD + "skill:sk-billing,tue,24:00,5,\n", 2, "interval_start", "24:00"),
    ("targets", T_HEAD + "skill:sk-billing,tue,08:60,5,\n", 2, "interval_start", "08:60"),
    ("targets", T_HEAD + "skill:sk-billing,tue,08:10,5,\n", 2, "interval_start", "grid"),
    ("targets", T_HEAD + T_GOOD + "skill:sk-billing,tue,09:00,-1,\n", 3, "required_agents", "-1"),
    ("targets", T_HEAD + "skill:sk-billing,tue,09:00,abc,\n", 2, "required_agents", "'abc'"),
    ("targets", T_HEAD + "skill:sk-billing,tue,09:00,nan,\n", 2, "required_agents", "nan"),
    ("targets", T_HEAD + "skill:sk-billing,tue,09:00,,60\n", 2, "required_agents", "empty"),
    ("targets", T_HEAD + ",tue,09:00,3,60\n", 2, "scope", "empty"),
    ("targets", T_HEAD + "skill:sk-billing,tue,09:00,3,20\n", 2, "interval_minutes", "multiple"),
    ("targets", T_HEAD + "skill:sk-billing,tue,09:00,3,0\n", 2, "interval_minutes", "positive"),
    ("targets", T_HEAD + "skill:sk-billing,tue,09:00,3,1h\n", 2, "interval_minutes", "'1h'"),
    ("targets", T_HEAD + "skill:sk-billing,tue,23:00,3,120\n", 2, "interval_minutes", "midnight"),
    ("targets", T_HEAD + T_GOOD + "skill:sk-billing,mon,08:30,3,15\n", 3, "interval_start",
     "overlaps line 2"),
    ("targets", T_HEAD + T_GOOD + "skill:sk-sales,mon,08:00,3,60\n" + T_GOOD, 4,
     "interval_start", "overlaps line 2"),
    ("targets", T_HEAD + "all,mon,09:00,3,60\nall,Monday,07:00,3,180\n", 3, "interval_start",
     "overlaps line 2"),
    ("targets", T_HEAD + "skill:sk-unknown,mon,09:00,3,60\n", 2, "scope", "unknown scope"),
    ("targets", T_HEAD + "billing,mon,09:00,3,60\n", 2, "scope", "not a scope key"),
    ("targets", "scope,day,required_agents\nall,mon,3\n", 1, "interval_start", "missing"),
    ("targets", "scope,day,interval_start,agents\nall,mon,08:00,3\n", 1, "agents", "unknown"),
    ("targets", "scope,day,day,interval_start,required_agents\n", 1, "day", "twice"),
    ("targets", T_HEAD + "all,mon,08:00,3,60,7\n", 2, "interval_minutes", "6 cells"),
    ("targets", "", 1, "scope", "no header"),
    # comment and blank lines still count, so the line number is the editor's line number
    ("targets", "# comment\n" + T_HEAD + "\n# more\n" + "all,mon,08:00,x,\n", 5,
     "required_agents", "'x'"),
    # quoted cells spanning lines: a record is reported at its first line (4, not 5), and
    # the record after a two-line one starts on line 4
    ("targets", T_HEAD + 'all,mon,08:00,3,"\n60"\nall,tue,08:00,"\n-2",\n', 4,
     "required_agents", "-2"),
    ("targets", T_HEAD + T_GOOD + 'all,mon,08:00,"3,60\n', 3, "scope", "not valid CSV"),
    ("forecast", F_HEAD + F_GOOD + "queue:qu-support,tue,08:00,100,abc,80%,20,,,\n", 3,
     "aht_seconds", "'abc'"),
    ("forecast", F_HEAD + "queue:qu-support,tue,08:00,100,0,80%,20,,,\n", 2, "aht_seconds",
     "[1, 86400]"),
    ("forecast", F_HEAD + "queue:qu-support,tue,08:00,100,300,1.5,20,,,\n", 2, "service_level",
     "1.5"),
    ("forecast", F_HEAD + "queue:qu-support,tue,08:00,100,300,80,20,,,\n", 2, "service_level",
     "'80'"),
    ("forecast", F_HEAD + "queue:qu-support,tue,08:00,100,300,150%,20,,,\n", 2, "service_level",
     "150%"),
    ("forecast", F_HEAD + "queue:qu-support,tue,08:00,100,300,,20,,,\n", 2, "service_level",
     "empty"),
    ("forecast", F_HEAD + "queue:qu-support,tue,08:00,100,300,0.8,-5,,,\n", 2, "target_seconds",
     "-5"),
    ("forecast", F_HEAD + "queue:qu-support,tue,08:00,-3,300,0.8,20,,,\n", 2, "contacts", "-3"),
    ("forecast", F_HEAD + "queue:qu-support,tue,08:00,3,300,0.8,20,1.2,,\n", 2, "max_occupancy",
     "1.2"),
    ("forecast", F_HEAD + "queue:qu-support,tue,08:00,3,300,0.8,20,,100%,\n", 2, "shrinkage",
     "100%"),
    ("forecast", F_HEAD + "queue:qu-support,tue,08:00,3,300,0.8,20,,lots,\n", 2, "shrinkage",
     "lots"),
    ("forecast", F_HEAD + "queue:qu-support,tue,08:05,3,300,0.8,20,,,\n", 2, "interval_start",
     "grid"),
    ("forecast", F_HEAD + "queue:qu-support,sun,22:00,3,300,0.8,20,,,180\n", 2,
     "interval_minutes", "midnight"),
    ("forecast", F_HEAD + F_GOOD + "queue:qu-support,mon,08:45,3,300,0.8,20,,,15\n", 3,
     "interval_start", "overlaps line 2"),
    ("forecast", F_HEAD + "queue:qu-nowhere,mon,08:00,3,300,0.8,20,,,\n", 2, "scope",
     "unknown scope"),
    ("forecast", "scope,day,interval_start,contacts,service_level,target_seconds\n", 1,
     "aht_seconds", "missing"),
    ("forecast", F_HEAD.replace("shrinkage", "shrink"), 1, "shrink", "unknown"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "text", "line", "column", "fragment"),
    MALFORMED,
    ids=[f"{m[0]}-{m[3]}-{i}" for i, m in enumerate(MALFORMED)],
)
def test_malformed_rows_name_file_line_and_column(
    tmp_path: Path, kind: str, text: str, line: int, column: str, fragment: str
) -> None:
    path = write(tmp_path, f"{kind}.csv", text)
    with pytest.raises(RequirementsFileError) as caught:
        if kind == "targets":
            load_requirements(path, None, known_scopes=KNOWN_SCOPES if "unknown" in text else None)
        else:
            load_requirements(None, path, known_scopes=KNOWN_SCOPES)
    message = str(caught.value)
    assert message.startswith(f"{path}, line {line}, column '{column}': "), message
    assert fragment in message, message
    assert isinstance(caught.value, ValueError)


# --- plausible ranges --------------------------------------------------------
# Each cell is checked while the file is read, before any SQL: 1e12 contacts held the DuckDB
# writer for minutes, 1e300 raised a bare OverflowError, a target of 1e308 broke the charts.
F_ROW = "queue:qu-support,tue,08:00,{contacts},{aht},{level},{target},{occupancy},{shrinkage},\n"
F_CELLS = {"contacts": "100", "aht": "300", "level": "80%", "target": "20", "occupancy": "",
           "shrinkage": ""}  # fmt: skip
OUT_OF_RANGE = [
    ("targets", "required_agents", "1e308"),
    ("targets", "required_agents", "100001"),
    ("targets", "required_agents", "inf"),
    ("targets", "required_agents", "-inf"),
    ("targets", "required_agents", "1e309"),
    ("forecast", "contacts", "1e12"),
    ("forecast", "contacts", "1e300"),
    ("forecast", "contacts", "1000001"),
    ("forecast", "contacts", "Infinity"),
    ("forecast", "aht_seconds", "0.5"),
    ("forecast", "aht_seconds", "86401"),
    ("forecast", "aht_seconds", "NaN"),
    ("forecast", "target_seconds", "1e308"),
    ("forecast", "target_seconds", "86401"),
    ("forecast", "service_level", "1e-400"),  # parses to 0.0
    ("forecast", "service_level", "100%"),
    ("forecast", "max_occupancy", "5%"),
    ("forecast", "max_occupancy", "1e-300"),
    ("forecast", "shrinkage", "96%"),
    ("forecast", "shrinkage", "-0.1"),
]
_CELL_KEYS = {"contacts": "contacts", "aht_seconds": "aht", "service_level": "level",
              "target_seconds": "target", "max_occupancy": "occupancy",
              "shrinkage": "shrinkage"}  # fmt: skip


@pytest.mark.parametrize(("kind", "column", "cell"), OUT_OF_RANGE)
def test_implausible_numbers_name_file_line_and_column(
    tmp_path: Path, kind: str, column: str, cell: str
) -> None:
    if kind == "targets":
        text = T_HEAD + T_GOOD + f"skill:sk-billing,tue,09:00,{cell},60\n"
    else:
        text = F_HEAD + F_GOOD + F_ROW.format(**(F_CELLS | {_CELL_KEYS[column]: cell}))
    path = write(tmp_path, f"{kind}.csv", text)
    with pytest.raises(RequirementsFileError) as caught:
        load_requirements(*((path, None) if kind == "targets" else (None, path)))
    message = str(caught.value)
    assert message.startswith(f"{path}, line 3, column '{column}': must be"), message
    assert repr(cell) in message, message


def test_plausible_extremes_still_load(tmp_path: Path) -> None:
    targets = write(tmp_path, "t.csv", T_HEAD + "all,mon,08:00,100000,15\nall,mon,09:00,0,15\n")
    assert load_targets(targets)["required_agents"].tolist() == [100_000.0, 0.0]
    forecast = write(
        tmp_path,
        "f.csv",
        F_HEAD + "all,mon,08:00,1000000,1,0.5,86400,0.1,95%,60\nall,mon,09:00,0,86400,0.99,0,"
        "100%,0,15\n",
    )
    rules = load_forecast(forecast)
    assert rules["contacts"].tolist() == [1e6, 0.0]
    assert rules["required_agents"].tolist()[1] == 0.0


def test_plausible_cells_beyond_the_erlang_bound_together(tmp_path: Path) -> None:
    """1e6 contacts of one hour each in 15 minutes: every cell is in range, the traffic
    (4 million Erlangs) is not; refused at once with the row's line, never a long search."""
    path = write(tmp_path, "f.csv", F_HEAD + "all,mon,08:00,1000000,3600,80%,20,,,15\n")
    with pytest.raises(RequirementsFileError, match=r", line 2, column 'contacts': .*MAX_SERVERS"):
        load_forecast(path)


NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=-10, max_value=2e6).map(lambda x: f"{x:g}"),
    st.floats(min_value=-1, max_value=2).map(lambda x: f"{100 * x:g}%"),
    st.sampled_from(["1e309", "-0", "1e-400", "0x10", "1_000", " 7 ", "nan%", "∞"]),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(column=st.sampled_from(sorted(_CELL_KEYS)), cell=NUMBER_TEXT)
def test_any_number_loads_in_range_or_names_its_cell(
    tmp_path: Path, column: str, cell: str
) -> None:
    """Whatever is typed in a forecast cell: the row loads with every figure in its range and
    a finite head-count within MAX_SERVERS, or the error names line 2 and that column."""
    text = F_HEAD + F_ROW.format(**(F_CELLS | {_CELL_KEYS[column]: cell.replace(",", "")}))
    path = write(tmp_path, "forecast.csv", text)
    try:
        rules = load_forecast(path)
    except RequirementsFileError as exc:
        assert str(exc).startswith(f"{path}, line 2, column "), str(exc)
        return
    (rule,) = rules.to_dict("records")
    for name in ("contacts", "aht_seconds", "service_level", "target_seconds"):
        assert RANGES[name].holds(rule[name]), (name, rule[name])
    assert 0 <= rule["required_agents"] <= erlang.MAX_SERVERS / (1 - 0.95)


def test_non_utf8_byte_is_reported_on_its_own_line(tmp_path: Path) -> None:
    """Far past the first read buffer, so a streaming decoder would name the wrong line."""
    good = "".join(
        f"all,{day},{minute // 60:02d}:{minute % 60:02d},1,\n"
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        for minute in range(0, 1440, 15)
    )
    path = tmp_path / "targets.csv"
    path.write_bytes((T_HEAD + good).encode() + b"skill:sk-caf\xe9,mon,08:00,1,\n")
    with pytest.raises(
        RequirementsFileError, match=rf"^{re.escape(str(path))}, line 674, column 'scope': not UTF"
    ):
        load_targets(path)


def test_unknown_scope_passes_without_known_scopes(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", T_HEAD + "skill:sk-unknown,mon,09:00,3,60\n")
    assert load_targets(path)["scope_key"].tolist() == ["skill:sk-unknown"]


def test_same_minutes_in_targets_and_forecast_are_not_duplicates(tmp_path: Path) -> None:
    targets = write(tmp_path, "t.csv", T_HEAD + "queue:qu-support,mon,08:00,4,60\n")
    forecast = write(tmp_path, "f.csv", F_HEAD + F_GOOD)
    rules = load_requirements(targets, forecast)
    assert sorted(rules["source"].tolist()) == ["forecast_erlang_c", "target"]


def test_weekday_and_date_rules_for_the_same_day_coexist(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", T_HEAD + T_GOOD + "skill:sk-billing,2026-11-23,08:00,9,60\n")
    assert len(load_targets(path)) == 2


def test_adjacent_intervals_do_not_overlap(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", T_HEAD + T_GOOD + "skill:sk-billing,mon,09:00,3,15\n")
    assert load_targets(path)["end_minute"].tolist() == [540, 555]


@pytest.mark.parametrize(
    ("loader", "setting"),
    [
        (lambda p: load_targets(p), "AVAILABILITY_TARGETS_FILE"),
        (lambda p: load_forecast(p), "AVAILABILITY_FORECAST_FILE"),
        (lambda p: load_requirements(p, None), "AVAILABILITY_TARGETS_FILE"),
        (lambda p: load_requirements(None, p), "AVAILABILITY_FORECAST_FILE"),
    ],
)
def test_missing_file_names_path_and_setting(tmp_path: Path, loader, setting: str) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(RequirementsFileError) as caught:
        loader(missing)
    assert str(missing) in str(caught.value)
    assert setting in str(caught.value)


# --- example configs -------------------------------------------------------------------------


@pytest.mark.parametrize("grid", [5, 15, 30, 60])
def test_example_configs_load(grid: int) -> None:
    scopes = [scope.key for scope in load_scopes(ROOT / "config" / "scopes.toml")]
    assert sorted(scopes) == sorted(KNOWN_SCOPES)
    rules = load_requirements(
        ROOT / "config" / "targets.example.csv",
        ROOT / "config" / "forecast.example.csv",
        grid_minutes=grid,
        known_scopes=scopes,
    )
    assert set(rules["scope_key"]) == set(KNOWN_SCOPES)
    assert set(rules["source"]) == {"target", "forecast_erlang_c"}
    assert rules["day_date"].notna().any() and rules["weekday"].notna().any()
    forecast = rules[rules["source"] == "forecast_erlang_c"]
    assert (forecast["required_agents"] > 0).all()
    # Every Erlang figure is the Erlang C on-queue head-count of its own row (before
    # shrinkage); the 30 % planned shrinkage only raises scheduled_required.
    for row in forecast.head(20).itertuples():
        sizing = (
            row.contacts,
            row.aht_seconds,
            (row.end_minute - row.start_minute) * 60,
            row.service_level,
            row.target_seconds,
        )
        assert row.required_agents == erlang.required_agents(*sizing, max_occupancy=0.85)
        assert row.scheduled_required == erlang.required_agents(
            *sizing, max_occupancy=0.85, shrinkage=0.3
        )
