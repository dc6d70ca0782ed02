"""Reading the targets and forecast CSV files: every cell checked, every error pointing at it.

Two files say how many agents are needed (both optional):

* a **targets** file (setting ``AVAILABILITY_TARGETS_FILE``) stating head-counts outright::

      scope,day,interval_start,required_agents[,interval_minutes]
      skill:sk-billing,mon,08:00,6,60

* a **forecast** file (setting ``AVAILABILITY_FORECAST_FILE``) stating expected contacts,
  from which Erlang C derives the head-count (:func:`pipelines.coverage.erlang.required_agents`)::

      scope,day,interval_start,contacts,aht_seconds,service_level,target_seconds
          [,max_occupancy][,shrinkage][,interval_minutes]
      queue:qu-support,mon,09:00,120,300,80%,20,0.85,30%,60

  ``contacts`` is the volume over the row's own interval (``interval_minutes``), so an hourly
  forecast row gives the same head-count to each of its four 15-minute grid cells.

Columns common to both:

* ``scope``: a scope key as the warehouse stores it (``all``, ``skill:<id>``, ``queue:<id>``,
  ``agents:<id>``); checked against the scopes file when ``known_scopes`` is given.
* ``day``: a weekday (``mon`` .. ``sun`` or the full name, any case), repeating every week,
  or an ISO date (``2026-11-25``) for a one-off such as a holiday or a campaign.
* ``interval_start``: local wall-clock time ``HH:MM`` on the grid (minutes a multiple of the
  grid interval); the row covers local minutes ``[start, start + interval_minutes)``.
* ``interval_minutes``: optional, defaults to the grid interval; a multiple of it, and the
  interval must end by midnight (write two rows to cover a night shift).

Lines that are blank or whose first cell starts with ``#`` are ignored, so example files can
carry comments. Files are read with the csv module rather than pandas so that every error can
name the physical line (header = line 1 when there are no comments above it) and the column.
Two rows of one file for the same scope, day and overlapping minutes are rejected rather than
resolved, since either choice would silently drop a figure somebody typed. Every number must
also be plausible (:mod:`pipelines.coverage.requirements_ranges`: e.g. at most a million
contacts per row, at most 100,000 agents), so no file can hold the Erlang search or the
warehouse writer for long, and nothing infinite reaches SQL or the report.

This module only reads and validates; :mod:`pipelines.coverage.requirements` turns the rows
into requirement rules.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections import defaultdict
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from pipelines.coverage.requirements_ranges import range_problem
from pipelines.scopes import KINDS

__all__ = [
    "FORECAST_SETTING",
    "TARGETS_SETTING",
    "RequirementsFileError",
    "cell_error",
    "read_forecast",
    "read_targets",
]

TARGETS_SETTING = "AVAILABILITY_TARGETS_FILE"
FORECAST_SETTING = "AVAILABILITY_FORECAST_FILE"

_TARGET_REQUIRED = ("scope", "day", "interval_start", "required_agents")
_TARGET_OPTIONAL = ("interval_minutes",)
_FORECAST_REQUIRED = (
    "scope",
    "day",
    "interval_start",
    "contacts",
    "aht_seconds",
    "service_level",
    "target_seconds",
)
_FORECAST_OPTIONAL = ("max_occupancy", "shrinkage", "interval_minutes")

_WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAYS = {name: number for number, name in enumerate(_WEEKDAY_NAMES, start=1)} | {
    name: number
    for number, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), start=1
    )
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_WHOLE = re.compile(r"^\d+$")
_SCOPE_KINDS = tuple(kind for kind in KINDS if kind != "all")
_MINUTES_PER_DAY = 1440


class RequirementsFileError(ValueError):
    """A targets or forecast file is missing or malformed.

    Row and header problems are worded "<path>, line <n>, column '<name>': <problem>" so the
    planner can go straight to the cell; a missing file names the path and the setting.
    """


def cell_error(path: str, line: int, column: str, message: str) -> RequirementsFileError:
    """An error worded so the planner can go straight to the cell."""
    return RequirementsFileError(f"{path}, line {line}, column '{column}': {message}")


def read_targets(
    path: str | Path, grid_minutes: int, known_scopes: Collection[str] | None
) -> list[dict[str, Any]]:
    """The rows of a targets file, checked: scope_key, day_date, weekday, start_minute,
    end_minute, required_agents, and ``_line`` (the physical line, for later messages)."""
    rows = []
    for row in _read_rows(path, TARGETS_SETTING, "target", _TARGET_REQUIRED, _TARGET_OPTIONAL):
        fields = _common_fields(row, grid_minutes, known_scopes)
        fields["required_agents"] = _ranged(row, "required_agents", _parse_number)
        rows.append(fields)
    _check_overlaps(str(path), rows)
    return rows


def read_forecast(
    path: str | Path, grid_minutes: int, known_scopes: Collection[str] | None
) -> list[dict[str, Any]]:
    """The rows of a forecast file, checked: the fields of :func:`read_targets` except
    required_agents, plus contacts, aht_seconds, service_level, target_seconds, max_occupancy
    and shrinkage (None when the optional cell is empty)."""
    rows = []
    for row in _read_rows(
        path, FORECAST_SETTING, "forecast", _FORECAST_REQUIRED, _FORECAST_OPTIONAL
    ):
        fields = _common_fields(row, grid_minutes, known_scopes)
        fields.update(
            contacts=_ranged(row, "contacts", _parse_number),
            aht_seconds=_ranged(row, "aht_seconds", _parse_number),
            service_level=_ranged(row, "service_level", _parse_fraction),
            target_seconds=_ranged(row, "target_seconds", _parse_number),
            max_occupancy=_ranged(row, "max_occupancy", _parse_fraction, required=False),
            shrinkage=_ranged(row, "shrinkage", _parse_fraction, required=False),
        )
        rows.append(fields)
    _check_overlaps(str(path), rows)
    return rows


class _Row:
    """One data row: its cells by column, and enough context to word an error."""

    def __init__(self, path: str, line: int, cells: dict[str, str]) -> None:
        self.path = path
        self.line = line
        self.cells = cells

    def error(self, column: str, message: str) -> RequirementsFileError:
        return cell_error(self.path, self.line, column, message)

    def text(self, column: str) -> str:
        return self.cells.get(column, "")

    def required(self, column: str) -> str:
        value = self.text(column)
        if not value:
            raise self.error(column, "empty cell; a value is required")
        return value


def _read_rows(
    path: str | Path,
    setting: str,
    kind: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
) -> Iterator[_Row]:
    """Yield the data rows of a CSV file after checking its header."""
    shown = str(path)
    file_path = Path(path)
    if not file_path.exists():
        raise RequirementsFileError(
            f"{shown}: {kind} file not found (the path comes from {setting}); "
            f"fix the path or unset {setting} to run without {kind}s"
        )
    if not file_path.is_file():
        raise RequirementsFileError(f"{shown}: {kind} file is not a regular file ({setting})")
    allowed = required + optional
    raw = file_path.read_bytes()
    try:
        # Decoded up front: a streaming decoder fails a whole buffer ahead of the bad line.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_line = raw[: exc.start].count(b"\n") + 1
        raise RequirementsFileError(
            f"{shown}, line {bad_line}, column '{required[0]}': "
            f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8 CSV"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 1
    last_line = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise RequirementsFileError(
                f"{shown}, line {last_line + 1}, column '{required[0]}': not valid CSV: {exc}"
            ) from None
        line = last_line + 1  # first physical line of this record (quoted cells may span)
        last_line = reader.line_num
        cells = [cell.strip() for cell in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if header is None:
            header_line = line
            header = [cell.lower() for cell in cells]
            _check_header(shown, line, header, required, allowed)
            continue
        if len(cells) > len(header) and any(cells[len(header) :]):
            raise RequirementsFileError(
                f"{shown}, line {line}, column '{header[-1]}': row has {len(cells)} cells "
                f"but the header (line {header_line}) names {len(header)} columns"
            )
        values = dict(zip(header, cells, strict=False))
        yield _Row(shown, line, values)
    if header is None:
        raise RequirementsFileError(
            f"{shown}, line 1, column '{required[0]}': file has no header row; "
            f"expected {','.join(required)}"
        )


def _check_header(
    path: str, line: int, header: list[str], required: tuple[str, ...], allowed: tuple[str, ...]
) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise RequirementsFileError(
                f"{path}, line {line}, column '{name}': column appears twice in the header"
            )
        seen.add(name)
        if name not in allowed:
            hint = " (trailing comma?)" if name == "" else ""
            raise RequirementsFileError(
                f"{path}, line {line}, column '{name}': unknown column{hint}; "
                f"allowed columns are {', '.join(allowed)}"
            )
    for name in required:
        if name not in seen:
            raise RequirementsFileError(
                f"{path}, line {line}, column '{name}': required column missing from the header; "
                f"required columns are {', '.join(required)}"
            )


def _parse_scope(row: _Row, known_scopes: Collection[str] | None) -> str:
    scope = row.required("scope")
    if known_scopes is not None:
        if scope not in known_scopes:
            raise row.error(
                "scope",
                f"unknown scope {scope!r}; the scopes file configures "
                f"{', '.join(sorted(known_scopes))}",
            )
        return scope
    kind, _, ref = scope.partition(":")
    if scope != "all" and (kind not in _SCOPE_KINDS or not ref or ref != ref.strip()):
        raise row.error(
            "scope",
            f"{scope!r} is not a scope key; expected 'all' or kind:id with kind one of "
            f"{', '.join(_SCOPE_KINDS)} (e.g. skill:sk-billing)",
        )
    return scope


def _parse_day(row: _Row) -> tuple[dt.date | None, int | None]:
    text = row.required("day")
    weekday = _WEEKDAYS.get(text.lower())
    if weekday is not None:
        return None, weekday
    if _ISO_DATE.match(text):
        try:
            return dt.date.fromisoformat(text), None
        except ValueError:
            pass
    raise row.error(
        "day", f"expected a weekday (mon..sun or monday..sunday) or a date YYYY-MM-DD, got {text!r}"
    )


def _parse_start(row: _Row, grid_minutes: int) -> int:
    text = row.required("interval_start")
    match = _TIME.match(text)
    if match:
        hours, minutes = int(match.group(1)), int(match.group(2))
        seconds = int(match.group(3) or 0)
        if hours < 24 and minutes < 60 and seconds == 0:
            start = hours * 60 + minutes
            if start % grid_minutes:
                raise row.error(
                    "interval_start",
                    f"{text!r} is not on the {grid_minutes}-minute grid; minutes must be a "
                    f"multiple of {grid_minutes}",
                )
            return start
    raise row.error("interval_start", f"expected local time HH:MM (00:00..23:59), got {text!r}")


def _parse_length(row: _Row, start: int, grid_minutes: int) -> int:
    text = row.text("interval_minutes")
    if not text:
        return grid_minutes
    if not _WHOLE.match(text) or int(text) == 0:
        raise row.error("interval_minutes", f"must be a positive whole number, got {text!r}")
    length = int(text)
    if length % grid_minutes:
        raise row.error(
            "interval_minutes",
            f"{length} is not a multiple of the {grid_minutes}-minute grid interval",
        )
    if start + length > _MINUTES_PER_DAY:
        raise row.error(
            "interval_minutes",
            f"{row.text('interval_start')} + {length} min crosses midnight; "
            "split the interval into one row per day",
        )
    return length


def _parse_number(row: _Row, column: str, *, required: bool = True) -> float | None:
    text = row.required(column) if required else row.text(column)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise row.error(column, f"must be a number, got {text!r}")
    return value


def _parse_fraction(row: _Row, column: str, *, required: bool = True) -> float | None:
    """A share written either as 0.8 or as 80%; 80 without % is refused as ambiguous."""
    text = row.required(column) if required else row.text(column)
    if not text:
        return None
    body, percent = (text[:-1].strip(), True) if text.endswith("%") else (text, False)
    try:
        value = float(body)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise row.error(
            column, f"must be a fraction like 0.8 or a percentage like 80%, got {text!r}"
        )
    return value / 100.0 if percent else value


def _ranged(row: _Row, column: str, parse, *, required: bool = True) -> float | None:
    """Parse one cell and hold it to its plausible range (:mod:`requirements_ranges`)."""
    value = parse(row, column, required=required)
    if value is not None:
        problem = range_problem(column, value)
        if problem is not None:
            raise row.error(column, f"must be {problem}, got {row.text(column)!r}")
    return value


def _common_fields(
    row: _Row, grid_minutes: int, known_scopes: Collection[str] | None
) -> dict[str, Any]:
    scope = _parse_scope(row, known_scopes)
    day_date, weekday = _parse_day(row)
    start = _parse_start(row, grid_minutes)
    length = _parse_length(row, start, grid_minutes)
    return {
        "scope_key": scope,
        "day_date": day_date,
        "weekday": weekday,
        "start_minute": start,
        "end_minute": start + length,
        "_line": row.line,
    }


def _day_label(rule: dict[str, Any]) -> str:
    if rule["day_date"] is not None:
        return rule["day_date"].isoformat()
    return _WEEKDAY_NAMES[rule["weekday"] - 1]


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _check_overlaps(path: str, rules: list[dict[str, Any]]) -> None:
    """Reject two rules of one file that claim the same scope, day and minute."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for rule in rules:
        groups[(rule["scope_key"], rule["day_date"], rule["weekday"])].append(rule)
    for group in groups.values():
        group.sort(key=lambda rule: (rule["start_minute"], rule["_line"]))
        reach = group[0]  # the rule seen so far that ends last
        for rule in group[1:]:
            if rule["start_minute"] < reach["end_minute"]:
                first, second = sorted((reach, rule), key=lambda r: r["_line"])
                raise RequirementsFileError(
                    f"{path}, line {second['_line']}, column 'interval_start': "
                    f"{second['scope_key']} on {_day_label(second)} "
                    f"{_clock(second['start_minute'])}-{_clock(second['end_minute'])} overlaps "
                    f"line {first['_line']} ({_clock(first['start_minute'])}-"
                    f"{_clock(first['end_minute'])}); a scope may have one rule per day and "
                    "minute in each file"
                )
            if rule["end_minute"] > reach["end_minute"]:
                reach = rule
