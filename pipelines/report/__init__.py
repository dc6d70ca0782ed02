"""The daily staffing-coverage report: one self-contained HTML file and one CSV per day.

Read the modules in this order: :mod:`~pipelines.report.writer` (``write_daily_report``: read,
render, write atomically), :mod:`~pipelines.report.data` (the three queries, one snapshot),
:mod:`~pipelines.report.axis` (the day's intervals and their local labels),
:mod:`~pipelines.report.charts` (matplotlib PNGs), :mod:`~pipelines.report.render` with
``templates/`` (the HTML), :mod:`~pipelines.report.csv_export` and
:mod:`~pipelines.report.summary` (the Markdown and text summaries for metadata and terminals).
"""

from pipelines.report.csv_export import CSV_COLUMNS
from pipelines.report.data import load_summary
from pipelines.report.formatting import NULL_MARK
from pipelines.report.summary import summary_markdown, summary_text
from pipelines.report.writer import ReportPaths, write_daily_report

__all__ = [
    "CSV_COLUMNS",
    "NULL_MARK",
    "ReportPaths",
    "load_summary",
    "summary_markdown",
    "summary_text",
    "write_daily_report",
]
