"""The one Markdown table renderer, for Dagster metadata, check results and the demo.

Cells hold text from outside the project (scope names from the scopes file, status keys and
error texts from the Kore API), and Dagster renders metadata as Markdown: an unescaped ``|`` or
line break breaks the table, ``#`` or ``*`` restyle it, ``[text](url)`` makes a link and ``<``
can open raw HTML. So every cell and header is escaped here, in one place:

- a line break of any kind (``\\n``, ``\\r``, ``\\u2028`` ...) becomes a space: a table row
  is one line;
- the backslash itself and the Markdown-active characters
  ``| # [ ] ( ) * _ ` < > & ~`` get a backslash. CommonMark defines a backslash before any
  ASCII punctuation as that literal character, so the rendered text reads exactly as the value.

Missing values (None, NaN, NA) show as empty cells.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pandas as pd

__all__ = ["escape_cell", "markdown_table"]

_ACTIVE = re.compile(r"([\\|#\[\]()*_`<>&~])")
_ALIGN = {"left": ":--", "right": "--:", "center": ":-:", None: "---"}

Rows = pd.DataFrame | Sequence[Mapping[str, Any]]
Align = Literal["left", "right", "center"] | None


def escape_cell(value: Any) -> str:
    """``value`` as the text of one table cell: one line, nothing Markdown would act on."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    text = " ".join(str(value).splitlines())
    return _ACTIVE.sub(r"\\\1", text)


def markdown_table(
    rows: Rows,
    *,
    align: Sequence[Align] | None = None,
    empty: str = "_none_",
) -> str:
    """A GitHub-flavoured Markdown table of ``rows``, every header and cell escaped.

    ``rows`` is a DataFrame (its columns are the header) or a sequence of mappings (the first
    mapping's keys are the header; a key another row lacks gives an empty cell). ``align``
    gives each column ``"left"``, ``"right"``, ``"center"`` or None (the renderer's default).
    ``empty`` is returned as is (it is the caller's own Markdown) when there are no rows.
    """
    if isinstance(rows, pd.DataFrame):
        header = [str(c) for c in rows.columns]
        body = [list(r) for r in rows.itertuples(index=False)]
    else:
        header = [str(k) for k in rows[0]] if rows else []
        body = [[row.get(k) for k in rows[0]] for row in rows] if rows else []
    if not body:
        return empty
    aligns = list(align) if align is not None else [None] * len(header)
    if len(aligns) != len(header):
        raise ValueError(f"align has {len(aligns)} entries for {len(header)} columns")
    lines = [
        _line(header),
        "|" + "|".join(_ALIGN[a] for a in aligns) + "|",
        *(_line(cells) for cells in body),
    ]
    return "\n".join(lines)


def _line(cells: Sequence[Any]) -> str:
    return "| " + " | ".join(escape_cell(c) for c in cells) + " |"
