"""The daily staffing-coverage report: one self-contained HTML file and one CSV per day.

The HTML is self-contained because it gets mailed, attached to tickets and opened from file
shares on machines without network access: anything fetched from a URL would quietly go
missing. Charts are PNGs drawn with matplotlib's ``Figure`` API and inlined as data URIs; pyplot
is never imported, because its global figure registry is not thread-safe and would leak state
between Dagster runs sharing a process.

Both files are written to a temporary file in the target folder and moved into place with
``os.replace``, so a reader (a web server, a mail job) sees the old report or the new one, never
half of one.

The x axis of every chart is the interval's position in the day, labelled with local times:
on a fall-back day the repeated hour appears twice, so local times cannot serve as coordinates.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import html
import io
import math
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from pipelines.warehouse import fetch_all, fetch_df

__all__ = [
    "CSV_COLUMNS",
    "ReportPaths",
    "load_summary",
    "summary_markdown",
    "summary_text",
    "write_daily_report",
]

CSV_COLUMNS: tuple[str, ...] = (
    "day",
    "scope_key",
    "scope_name",
    "interval_start",
    "local_start",
    "observed_share",
    "avg_available",
    "avg_busy",
    "avg_away",
    "avg_offline",
    "avg_other",
    "staffed",
    "min_available",
    "max_available",
    "occupancy",
    "zero_available_share",
    "required_agents",
    "gap",
    "met",
)

NULL_MARK = "\u2014"  # em dash: reads as "no value" and cannot be mistaken for zero
_DPI = 110
_WIDTH_IN = 10.0
# Coverage ratio colour scale: red below 1 (short), blue above; ratios above 2 saturate, since
# "more than double the requirement" needs no finer shading.
_RATIO_MAX = 2.0
_MISSING_COLOUR = "#d9d9d9"

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: #1f2328; background: #fff; margin: 0; line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #d0d7de;
     padding-bottom: .3rem; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .4rem; }
.meta { color: #57606a; margin: 0; }
.note { color: #57606a; font-size: .92rem; }
.empty { background: #fff8c5; border: 1px solid #d4a72c; padding: .8rem 1rem;
         border-radius: 6px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid #d0d7de; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font-size: .85em; color: #57606a; }
img.chart { display: block; max-width: 100%; height: auto; margin: .5rem 0; }
figure { margin: 1rem 0; }
figcaption { color: #57606a; font-size: .9rem; }
"""


@dataclass(frozen=True)
class ReportPaths:
    """Where one day's report landed; ``directory`` is the per-day folder holding both files."""

    html: Path
    csv: Path
    directory: Path


@dataclass(frozen=True)
class _Point:
    """One scope x interval of coverage_vs_requirement."""

    scope_key: str
    name: str
    interval_start: datetime
    local_start: datetime | None
    required: float | None
    staffed: float | None
    available: float | None
    gap: float | None
    met: bool | None
    observed_share: float | None


@dataclass(frozen=True)
class _Slot:
    """One interval on the shared x axis of all charts."""

    start: datetime  # UTC
    local: datetime  # naive local wall time
    tick: str  # short label; a repeated local time gets a trailing '*'
    label: str  # unambiguous label: adds the UTC offset when the local time occurs twice


# --------------------------------------------------------------------------------------------
# Public API


def load_summary(con: duckdb.DuckDBPyConnection, day: date) -> pd.DataFrame:
    """Per-scope summary of ``day`` ranked by shortfall, with scope names.

    Exposed so the Dagster asset can attach ``summary_markdown(load_summary(...))`` as metadata
    without rendering the whole report.
    """
    return fetch_df(con, "report/summary.sql", day=day)


def write_daily_report(
    con: duckdb.DuckDBPyConnection,
    day: date,
    reports_dir: str | Path,
    time_zone: str,
    interval_minutes: int,
    title: str = "Staffing coverage",
    *,
    generated_at: datetime | None = None,
) -> ReportPaths:
    """Write ``<reports_dir>/<day>/coverage.html`` and ``coverage.csv``, replacing old ones.

    Everything is read in one snapshot of committed data and rendered in memory before
    either file is touched, so a failure while drawing leaves the previous report intact.
    A day without data still gets a report that says so: an absent file would be
    indistinguishable from a pipeline that never ran.
    ``generated_at`` (UTC) is only there so tests can pin the header's time stamp.
    """
    if interval_minutes <= 0:
        raise ValueError(f"interval_minutes must be > 0, got {interval_minutes}")
    zone = ZoneInfo(time_zone)
    generated = (generated_at or datetime.now(UTC)).astimezone(UTC)

    with _snapshot(con) as cursor:
        summary = load_summary(cursor, day)
        points = _load_points(cursor, day)
        export = fetch_all(cursor, "report/export.sql", day=day)

    page = _render_html(
        day=day,
        zone=zone,
        time_zone=time_zone,
        interval_minutes=interval_minutes,
        title=title,
        generated=generated,
        summary=summary,
        points=points,
    )
    table = _render_csv(export)

    directory = Path(reports_dir) / day.isoformat()
    directory.mkdir(parents=True, exist_ok=True)
    paths = ReportPaths(
        html=directory / "coverage.html", csv=directory / "coverage.csv", directory=directory
    )
    _write_atomic(paths.csv, table)
    _write_atomic(paths.html, page)
    return paths


def summary_markdown(summary: pd.DataFrame) -> str:
    """A compact Markdown table of a per-scope summary, for Dagster metadata and the demo.

    Expects the columns of ``load_summary`` (at least scope_key, name, avg_available,
    avg_required, share_met, shortfall_agent_hours); rows keep the frame's order, which
    ``load_summary`` already ranks by shortfall. ``share_met`` is a fraction shown as a percent.
    """
    if summary.empty:
        return "_No coverage data._"
    lines = [
        "| Scope | Avg available | Avg required | Intervals met | Shortfall (agent-h) |",
        "|:--|--:|--:|--:|--:|",
    ]
    for row in _summary_rows(summary):
        name = row["name"].replace("\\", "\\\\").replace("|", "\\|")
        cells = [name, row["available"], row["required"], row["met"], row["shortfall"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_text(summary: pd.DataFrame) -> str:
    """The same summary as ``summary_markdown`` as fixed-width text, for terminals and logs."""
    if summary.empty:
        return "No coverage data."
    headers = ["Scope", "Avg avail", "Avg req", "Met", "Shortfall h"]
    rows = [
        [_truncate(r["name"], 32), r["available"], r["required"], r["met"], r["shortfall"]]
        for r in _summary_rows(summary)
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    out.extend(line(r) for r in rows)
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Loading and small helpers


@contextmanager
def _snapshot(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor reading the HTML's and the CSV's figures from one snapshot.

    The coverage job replaces a day's partition in its own transaction; without one read
    transaction a rebuild landing between two queries could make the CSV and the HTML
    disagree. A cursor has a transaction of its own, so the caller's connection state
    (including any open transaction) is never touched; it sees committed data only.
    """
    cursor = con.cursor()
    try:
        cursor.execute("SET TimeZone = 'UTC'")
        cursor.execute("BEGIN TRANSACTION")
        yield cursor
        cursor.execute("ROLLBACK")  # read-only: nothing to keep
    finally:
        cursor.close()


def _load_points(con: duckdb.DuckDBPyConnection, day: date) -> list[_Point]:
    rows = fetch_all(con, "report/series.sql", day=day)
    return [
        _Point(
            scope_key=r[0],
            name=r[1],
            interval_start=r[2].astimezone(UTC),
            local_start=r[3],
            required=_num(r[4]),
            staffed=_num(r[5]),
            available=_num(r[6]),
            gap=_num(r[7]),
            met=r[8],
            observed_share=_num(r[9]),
        )
        for r in rows
    ]


def _num(value: Any) -> float | None:
    """A float, or None for SQL NULL / pandas NA / NaN: all mean "no figure" in this report."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    number = float(value)
    return None if math.isnan(number) else number


def _fmt(value: Any, digits: int) -> str:
    """Rounded figure, NULL as an em dash, and never "-0.0"."""
    number = _num(value)
    if number is None:
        return NULL_MARK
    text = f"{number:.{digits}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text


def _pct(value: Any) -> str:
    number = _num(value)
    return NULL_MARK if number is None else _fmt(number * 100, 1) + "%"


def _truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _summary_rows(summary: pd.DataFrame) -> list[dict[str, str]]:
    """Display strings shared by the Markdown and the plain-text summaries."""
    out = []
    for record in summary.to_dict("records"):
        name = record.get("name")
        if name is None or (not isinstance(name, str) and pd.isna(name)):
            name = str(record.get("scope_key", ""))
        out.append(
            {
                "name": " ".join(str(name).split()),
                "available": _fmt(record.get("avg_available"), 1),
                "required": _fmt(record.get("avg_required"), 1),
                "met": _pct(record.get("share_met")),
                "shortfall": _fmt(record.get("shortfall_agent_hours"), 2),
            }
        )
    return out


def _utc_offset(local: datetime, start_utc: datetime) -> str:
    minutes = round((local - start_utc.replace(tzinfo=None)).total_seconds() / 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def _build_axis(points: Iterable[_Point], zone: ZoneInfo) -> list[_Slot]:
    """All intervals of the day in UTC order, labelled with the pipeline's local start times."""
    local_by_start: dict[datetime, datetime | None] = {}
    for p in points:
        if local_by_start.get(p.interval_start) is None:
            local_by_start[p.interval_start] = p.local_start
    starts = sorted(local_by_start)
    locals_ = [local_by_start[s] or s.astimezone(zone).replace(tzinfo=None, fold=0) for s in starts]
    counts = Counter(local.strftime("%H:%M") for local in locals_)
    seen: Counter[str] = Counter()
    slots = []
    for start, local in zip(starts, locals_, strict=True):
        hm = local.strftime("%H:%M")
        seen[hm] += 1
        slots.append(
            _Slot(
                start=start,
                local=local,
                tick=hm if seen[hm] == 1 else hm + "*",
                label=hm if counts[hm] == 1 else f"{hm} ({_utc_offset(local, start)})",
            )
        )
    return slots


def _local_label(
    start: Any, local: Any, slots_by_start: dict[datetime, _Slot], zone: ZoneInfo
) -> str:
    """Label of the worst interval: the axis label when known, else converted here."""
    if start is None or pd.isna(start):
        return NULL_MARK
    start_utc = pd.Timestamp(start).to_pydatetime().astimezone(UTC)
    slot = slots_by_start.get(start_utc)
    if slot is not None:
        return slot.label
    if local is not None and not pd.isna(local):
        return pd.Timestamp(local).to_pydatetime().strftime("%H:%M")
    return start_utc.astimezone(zone).strftime("%H:%M")


def _expected_intervals(day: date, zone: ZoneInfo, interval_minutes: int) -> int:
    """Intervals in the local day: 96 at 15 minutes, 92 or 100 on DST change days."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return int((end - start).total_seconds() // (interval_minutes * 60))


# --------------------------------------------------------------------------------------------
# Charts


def _chart_text(text: str, width: int = 40) -> str:
    """Scope names go into matplotlib text, where '$' would start mathtext: escape it."""
    return _truncate(" ".join(text.split()), width).replace("$", r"\$")


def _png_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    # No "Software" tag: it carries a URL, and nothing in the report should point anywhere.
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _img(uri: str, alt: str) -> str:
    return f'<img class="chart" alt="{html.escape(alt)}" src="{uri}">'


def _ticks(slots: Sequence[_Slot], interval_minutes: int) -> tuple[list[int], list[str]]:
    """Tick positions at whole local hours, thinned to about a dozen labels."""
    n = len(slots)
    if n <= 12:
        positions = list(range(n))
    else:
        hours = n * interval_minutes / 60
        step = next((s for s in (1, 2, 3, 4, 6, 12) if hours / s <= 12), 24)
        positions = [
            i for i, s in enumerate(slots) if s.local.minute == 0 and s.local.hour % step == 0
        ]
        if not positions:  # intervals not aligned to whole hours
            positions = list(range(0, n, max(1, math.ceil(n / 12))))
    return positions, [slots[i].tick for i in positions]


def _apply_time_axis(ax: Any, slots: Sequence[_Slot], interval_minutes: int, tz: str) -> None:
    positions, labels = _ticks(slots, interval_minutes)
    ax.set_xticks(positions, labels)
    ax.set_xlim(0, max(len(slots), 1))
    ax.set_xlabel(f"Local time ({tz})")


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges where ``mask`` is true."""
    runs = []
    start = None
    for i, flag in enumerate(mask):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(mask)))
    return runs


def _ranking_chart(
    names: Sequence[str], shortfalls: Sequence[float | None], has_requirement: Sequence[bool]
) -> str:
    n = len(names)
    fig = Figure(figsize=(_WIDTH_IN, 0.42 * n + 1.3), layout="constrained")
    ax = fig.add_subplot()
    values = [s or 0.0 for s in shortfalls]
    y = np.arange(n)
    ax.barh(y, values, color="#c0392b", height=0.6)
    ax.set_yticks(y, [_chart_text(name) for name in names])
    ax.invert_yaxis()
    top = max(values, default=0.0)
    ax.set_xlim(0, top * 1.15 if top > 0 else 1.0)
    for i, (shortfall, required) in enumerate(zip(shortfalls, has_requirement, strict=True)):
        # A zero shortfall without any requirement is not "fully staffed": say which it is.
        text = "no requirement" if shortfall is None or not required else f"{shortfall:.2f}"
        ax.annotate(
            text,
            (values[i], i),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            color="#57606a",
        )
    ax.set_xlabel("Shortfall (agent-hours)")
    ax.set_title("Shortfall ranking")
    ax.grid(axis="x", alpha=0.3)
    return _png_uri(fig)


def _scope_chart(
    name: str,
    slots: Sequence[_Slot],
    by_start: dict[datetime, _Point],
    interval_minutes: int,
    tz: str,
) -> str:
    n = len(slots)
    points = [by_start.get(s.start) for s in slots]

    def series(attr: str) -> np.ndarray:
        values = [getattr(p, attr) if p is not None else None for p in points]
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    available, staffed, required = series("available"), series("staffed"), series("required")
    observed = series("observed_share")
    unobserved = ~(observed > 0)
    edges = np.arange(n + 1)

    fig = Figure(figsize=(_WIDTH_IN, 3.0), layout="constrained")
    ax = fig.add_subplot()
    for k, (a, b) in enumerate(_runs(unobserved)):
        ax.axvspan(a, b, color="#eeeeee", lw=0, label="not observed" if k == 0 else None)
    has_requirement = bool(np.isfinite(required).any())
    if has_requirement:
        short = np.isfinite(available) & np.isfinite(required) & (available < required)
        for k, (a, b) in enumerate(_runs(short)):
            ax.fill_between(
                edges[a : b + 1],
                np.append(available[a:b], available[b - 1]),
                np.append(required[a:b], required[b - 1]),
                step="post",
                color="#c0392b",
                alpha=0.25,
                lw=0,
                label="shortfall" if k == 0 else None,
            )
        ax.stairs(required, edges, color="#1f2328", lw=2, label="required", baseline=None)
    ax.stairs(available, edges, color="#1f77b4", lw=1.8, label="available", baseline=None)
    ax.stairs(staffed, edges, color="#2ca02c", lw=1.2, ls="--", label="staffed", baseline=None)
    finite = np.concatenate([a[np.isfinite(a)] for a in (available, staffed, required)])
    ax.set_ylim(0, max(1.0, float(finite.max()) * 1.12) if finite.size else 1.0)
    _apply_time_axis(ax, slots, interval_minutes, tz)
    ax.set_ylabel("Agents")
    title = _chart_text(name, 48) + ("" if has_requirement else "  (no requirement set)")
    ax.set_title(title, loc="left")
    ax.grid(alpha=0.3)
    # Legend above the plot area, right of the title, so it never hides a line.
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, ncols=5, frameon=False)
    return _png_uri(fig)


def _heatmap_chart(
    names: Sequence[str],
    keys: Sequence[str],
    slots: Sequence[_Slot],
    by_scope: dict[str, dict[datetime, _Point]],
    interval_minutes: int,
    tz: str,
) -> str:
    ratio = np.full((len(keys), len(slots)), np.nan)
    for row, key in enumerate(keys):
        cells = by_scope.get(key, {})
        for col, slot in enumerate(slots):
            p = cells.get(slot.start)
            if (
                p is not None
                and p.available is not None
                and p.required is not None
                and p.required > 0
                and (p.observed_share or 0) > 0
            ):
                ratio[row, col] = p.available / p.required
    fig = Figure(figsize=(_WIDTH_IN, 0.4 * len(keys) + 1.9), layout="constrained")
    ax = fig.add_subplot()
    # Missing cells are transparent over a hatched grey backdrop, so "no figure" cannot be
    # mistaken for the near-white of "exactly met".
    ax.add_patch(
        Rectangle(
            (0, 0),
            len(slots),
            len(keys),
            facecolor=_MISSING_COLOUR,
            edgecolor="#b0b0b0",
            hatch="//",
            lw=0,
            zorder=0,
        )
    )
    cmap = matplotlib.colormaps["RdBu"].with_extremes(bad=(0, 0, 0, 0), over="#08306b")
    norm = TwoSlopeNorm(vmin=0.0, vcenter=1.0, vmax=_RATIO_MAX)
    mesh = ax.pcolormesh(
        np.arange(len(slots) + 1),
        np.arange(len(keys) + 1),
        np.ma.masked_invalid(ratio),
        cmap=cmap,
        norm=norm,
    )
    ax.set_yticks(np.arange(len(keys)) + 0.5, [_chart_text(n, 32) for n in names])
    ax.set_ylim(len(keys), 0)  # first ranked scope on top
    _apply_time_axis(ax, slots, interval_minutes, tz)
    ax.set_ylabel("Scope")
    ax.set_title("Coverage ratio (available / required)")
    bar = fig.colorbar(mesh, ax=ax, extend="max", pad=0.01)
    bar.set_label("available / required")
    return _png_uri(fig)


# --------------------------------------------------------------------------------------------
# HTML and CSV


def _td(display: str, value: Any = None, *, numeric: bool = True) -> str:
    """A cell; numeric ones carry the unrounded figure in data-value for tools and tests."""
    if not numeric:
        return f"<td>{html.escape(display)}</td>"
    number = _num(value)
    raw = "" if number is None else repr(number)
    return f'<td class="num" data-value="{raw}">{html.escape(display)}</td>'


def _summary_table(
    summary: pd.DataFrame, slots_by_start: dict[datetime, _Slot], zone: ZoneInfo
) -> str:
    head = (
        "<thead><tr><th class=num>#</th><th>Scope</th><th>Key</th>"
        "<th class=num>Avg available</th><th class=num>Avg required</th>"
        "<th class=num>Intervals met</th><th class=num>Shortfall (agent-h)</th>"
        "<th class=num>Worst interval (local)</th><th class=num>Worst gap</th></tr></thead>"
    )
    body = []
    for rank, r in enumerate(summary.to_dict("records"), start=1):
        met = _pct(r["share_met"])
        with_requirement = _num(r["intervals_with_requirement"])
        if _num(r["share_met"]) is not None and with_requirement:
            met += f" ({int(_num(r['intervals_met']) or 0)}/{int(with_requirement)})"
        worst = _local_label(
            r["worst_interval_start"], r["worst_local_start"], slots_by_start, zone
        )
        body.append(
            f'<tr data-scope-key="{html.escape(str(r["scope_key"]))}">'
            f'<td class="num">{rank}</td>'
            + _td(str(r["name"]), numeric=False)
            + f"<td><code>{html.escape(str(r['scope_key']))}</code></td>"
            + _td(_fmt(r["avg_available"], 1), r["avg_available"])
            + _td(_fmt(r["avg_required"], 1), r["avg_required"])
            + _td(met, r["share_met"])
            + _td(_fmt(r["shortfall_agent_hours"], 2), r["shortfall_agent_hours"])
            + f'<td class="num">{html.escape(worst)}</td>'
            + _td(_fmt(r["worst_gap"], 1), r["worst_gap"])
            + "</tr>"
        )
    return (
        '<div class="table-wrap"><table id="summary-table">'
        + head
        + "<tbody>"
        + "".join(body)
        + "</tbody></table></div>"
    )


def _render_html(
    *,
    day: date,
    zone: ZoneInfo,
    time_zone: str,
    interval_minutes: int,
    title: str,
    generated: datetime,
    summary: pd.DataFrame,
    points: list[_Point],
) -> str:
    esc = html.escape
    heading = f"{title} \u2014 {day.isoformat()} ({day.strftime('%A')})"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(heading)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<header><h1>{esc(heading)}</h1>",
        f'<p class="meta">Time zone: <strong>{esc(time_zone)}</strong> &middot; '
        f"{interval_minutes}-minute intervals &middot; generated "
        f"{generated.strftime('%Y-%m-%d %H:%M:%S')} UTC</p></header>",
    ]
    expected = _expected_intervals(day, zone, interval_minutes)

    if summary.empty and not points:
        parts.append(
            f'<p class="empty" id="no-data">No data: there is no coverage data for '
            f"{day.isoformat()}. Either nothing was polled that day or coverage has not been "
            f"computed yet.</p>"
        )
        parts.append(
            '<section id="completeness"><h2>Data completeness</h2>'
            f"<p>0 scope-intervals observed; a full day in {esc(time_zone)} has {expected} "
            f"intervals per scope.</p></section>"
        )
        parts.append("</main></body></html>")
        return "\n".join(parts) + "\n"

    slots = _build_axis(points, zone)
    slots_by_start = {s.start: s for s in slots}
    by_scope: dict[str, dict[datetime, _Point]] = {}
    names: dict[str, str] = {}
    for p in points:
        by_scope.setdefault(p.scope_key, {})[p.interval_start] = p
        names.setdefault(p.scope_key, p.name)
    ranked = [str(k) for k in summary["scope_key"]]
    for key, name in zip(summary["scope_key"], summary["name"], strict=True):
        names[str(key)] = str(name)
    order = ranked + sorted(k for k in by_scope if k not in set(ranked))

    # Summary table and shortfall ranking.
    parts.append('<section id="summary"><h2>Summary by scope</h2>')
    if summary.empty:
        parts.append('<p class="note">No daily summary has been computed for this day.</p>')
    else:
        parts.append(
            '<p class="note">Ranked by shortfall: agent-hours below the requirement over the '
            "day. Worst gap is available minus required in the interval furthest below its "
            "requirement.</p>"
        )
        parts.append(_summary_table(summary, slots_by_start, zone))
        shortfalls = [_num(v) for v in summary["shortfall_agent_hours"]]
        has_requirement = [bool(_num(v)) for v in summary["intervals_with_requirement"]]
        chart = _ranking_chart([names[k] for k in ranked], shortfalls, has_requirement)
        parts.append(
            f'<figure id="ranking">{_img(chart, "Shortfall ranking by scope")}'
            "<figcaption>Shortfall ranking (agent-hours).</figcaption></figure>"
        )
    parts.append("</section>")

    repeated = any(s.tick.endswith("*") for s in slots)
    repeat_note = (
        " Times marked * are the second pass through the hour repeated when clocks went back."
        if repeated
        else ""
    )

    # Per-scope line charts.
    parts.append('<section id="scopes"><h2>Available vs required through the day</h2>')
    if slots:
        parts.append(
            '<p class="note">Average available and staffed agents against the required agents '
            f"per interval; grey bands were not observed.{repeat_note}</p>"
        )
        for key in order:
            chart = _scope_chart(
                names[key], slots, by_scope.get(key, {}), interval_minutes, time_zone
            )
            parts.append(
                f'<article class="scope"><h3>{esc(names[key])} <code>{esc(key)}</code></h3>'
                f"{_img(chart, f'Available vs required: {names[key]}')}</article>"
            )
    else:
        parts.append('<p class="note">No interval data for this day.</p>')
    parts.append("</section>")

    # Heatmap of the coverage ratio.
    parts.append('<section id="heatmap"><h2>Coverage ratio by interval</h2>')
    if slots:
        chart = _heatmap_chart(
            [names[k] for k in order], order, slots, by_scope, interval_minutes, time_zone
        )
        parts.append(
            f"<figure>{_img(chart, 'Coverage ratio heatmap by interval and scope')}"
            "<figcaption>Available / required per interval: red is short of the requirement, "
            "white is exactly met, blue is above (2 and over share the darkest blue). Hatched grey "
            f"cells were not observed or have no requirement.{repeat_note}</figcaption></figure>"
        )
    else:
        parts.append('<p class="note">No interval data for this day.</p>')
    parts.append("</section>")

    parts.append(_completeness(points, order, names, expected, interval_minutes, time_zone))
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _completeness(
    points: list[_Point],
    order: Sequence[str],
    names: dict[str, str],
    expected: int,
    interval_minutes: int,
    time_zone: str,
) -> str:
    """How much of the day the polls saw: a gap in polling looks exactly like a staffing gap."""
    esc = html.escape
    cells = len(points)
    observed = sum(1 for p in points if (p.observed_share or 0) > 0)
    mean_share = sum(p.observed_share or 0 for p in points) / cells if cells else 0.0
    share = observed / cells if cells else 0.0
    expected_cells = expected * len(order)
    text = [
        '<section id="completeness"><h2>Data completeness</h2>',
        f'<p id="completeness-summary">Observed <strong>{observed}</strong> of '
        f"<strong>{cells}</strong> scope-intervals (<strong>{_fmt(share * 100, 1)}%</strong>); "
        f"on average polls covered {_fmt(mean_share * 100, 1)}% of each interval's time. "
        f"A full day in {esc(time_zone)} has {expected} intervals of {interval_minutes} minutes "
        "per scope",
    ]
    if cells != expected_cells:
        text.append(f"; the coverage table holds {cells} of the {expected_cells} expected rows")
    text.append(".</p>")
    per_scope = Counter(p.scope_key for p in points)
    seen = Counter(p.scope_key for p in points if (p.observed_share or 0) > 0)
    rows = "".join(
        f"<tr><td>{esc(names[k])}</td><td><code>{esc(k)}</code></td>"
        f'<td class="num">{seen[k]}</td><td class="num">{per_scope[k]}</td>'
        f'<td class="num">{_pct(seen[k] / per_scope[k]) if per_scope[k] else NULL_MARK}</td></tr>'
        for k in order
    )
    text.append(
        '<div class="table-wrap"><table id="completeness-table"><thead><tr><th>Scope</th>'
        "<th>Key</th><th class=num>Observed</th><th class=num>Intervals</th>"
        f"<th class=num>Share</th></tr></thead><tbody>{rows}</tbody></table></div></section>"
    )
    return "".join(text)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def _render_csv(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return buffer.getvalue()


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` next to ``path`` and rename it over ``path`` in one step."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; reports are meant to be read by others
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
