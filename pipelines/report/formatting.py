"""How the report shows a figure: fixed decimals, percents, and one mark for "no value".

The HTML tables, the Markdown summary and the plain-text summary all print the same figures,
so they share these rules: a number that reads differently in two places would be a bug
report waiting to happen.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = [
    "NULL_MARK",
    "SOURCE_LABELS",
    "fmt",
    "met_label",
    "num",
    "pct",
    "signed",
    "source_label",
    "truncate",
]

NULL_MARK = "\u2014"  # em dash: reads as "no value" and cannot be mistaken for zero

# Where a requirement came from (staffing_requirements.source), as an analyst names it. The
# CSV keeps the codes; the HTML shows these. 'erlang_c' is the forecast file's code before
# sources were told apart, so older days read the same. Listed in order of precedence.
SOURCE_LABELS: dict[str, str] = {
    "target": "Targets file",
    "forecast_erlang_c": "Forecast file (Erlang C)",
    "erlang_c": "Forecast file (Erlang C)",
    "kore_erlang_a": "Kore demand (Erlang A)",
    "kore_erlang_c": "Kore demand (Erlang C)",
    "profile_erlang_a": "Profile forecast (Erlang A)",
    "profile_erlang_c": "Profile forecast (Erlang C)",
}


def num(value: Any) -> float | None:
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


def fmt(value: Any, digits: int) -> str:
    """Rounded figure, NULL as an em dash, and never "-0.0"."""
    number = num(value)
    if number is None:
        return NULL_MARK
    text = f"{number:.{digits}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text


def pct(value: Any) -> str:
    """A fraction as a percent with one decimal, or the em dash."""
    number = num(value)
    return NULL_MARK if number is None else fmt(number * 100, 1) + "%"


def truncate(text: str, width: int) -> str:
    """At most ``width`` characters, an ellipsis marking the cut."""
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def signed(value: Any, digits: int) -> str:
    """A difference with its sign ("+1.5", "-0.3", "0.0"): net staffing reads as over/short."""
    text = fmt(value, digits)
    if text == NULL_MARK or text.startswith("-") or float(text) == 0:
        return text
    return "+" + text


def met_label(met: Any, judged: Any) -> str:
    """ "3 of 4 judged intervals met"; the em dash when no interval could be judged."""
    total = num(judged)
    if not total:
        return NULL_MARK
    noun = "interval" if int(total) == 1 else "intervals"
    return f"{int(num(met) or 0)} of {int(total)} judged {noun} met"


def source_label(code: Any) -> str:
    """The readable name of a requirement source; an unknown code is shown as it is."""
    if code is None or (not isinstance(code, str) and pd.isna(code)):
        return NULL_MARK
    return SOURCE_LABELS.get(str(code), str(code))
