"""How the report shows a figure: fixed decimals, percents, and one mark for "no value".

The HTML tables, the Markdown summary and the plain-text summary all print the same figures,
so they share these rules: a number that reads differently in two places would be a bug
report waiting to happen.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["NULL_MARK", "fmt", "num", "pct", "truncate"]

NULL_MARK = "\u2014"  # em dash: reads as "no value" and cannot be mistaken for zero


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
