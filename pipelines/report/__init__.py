"""The daily staffing-coverage report: one self-contained HTML file and one CSV per day.

The report reads net staffing as a WFM analyst does: required on-queue agents against actual
on-queue agents (available + productive busy), net staffing = on-queue - required, idle
available as its own figure, every average over the same judged intervals, forecast intervals
marked, and where each requirement came from.

Read the modules in this order: :mod:`~pipelines.report.writer` (``write_daily_report``: read,
render, write atomically), :mod:`~pipelines.report.data` (the three queries, one snapshot),
:mod:`~pipelines.report.axis` (the day's intervals and their local labels),
:mod:`~pipelines.report.charts` and :mod:`~pipelines.report.scope_chart` (matplotlib PNGs,
helpers in :mod:`~pipelines.report.chartkit`, colours in :mod:`~pipelines.report.palette`,
shared with the notebooks), :mod:`~pipelines.report.render` with :mod:`~pipelines.report.tables`
and ``templates/`` (the HTML), :mod:`~pipelines.report.csv_export` and
:mod:`~pipelines.report.summary` (the Markdown and text summaries for metadata and terminals).
"""

from pipelines.report.csv_export import CSV_COLUMNS
from pipelines.report.data import load_summary
from pipelines.report.formatting import NULL_MARK
from pipelines.report.summary import summary_markdown, summary_text, verdict_lines
from pipelines.report.writer import ReportPaths, write_daily_report

__all__ = [
    "CSV_COLUMNS",
    "NULL_MARK",
    "ReportPaths",
    "load_summary",
    "summary_markdown",
    "summary_text",
    "verdict_lines",
    "write_daily_report",
]
