"""The one Markdown table renderer, checked by parsing its output as GitHub-style Markdown.

markdown-it-py (installed with Dagster, through rich) parses tables as GitHub does: a table
with the right shape whose every cell parses back to the original text, as plain text with no
link, emphasis, code or HTML, is what Dagster's UI will show.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pipelines.markdown import escape_cell, markdown_table

_PARSER = MarkdownIt("commonmark").enable("table")

HOSTILE = [
    "a | b",
    "line one\nline two",
    "crlf\r\nand\rcr",
    "sep\u2028arator",
    "# heading",
    "[click](https://example.com/x)",
    "![img](https://example.com/i.png)",
    "<script>alert(1)</script>",
    "<https://example.com>",
    "`code`",
    "**bold** and *em*",
    "__under__ _score_",
    "~~strike~~",
    "&amp; &lt;b&gt;",
    "trailing backslash \\",
    "\\| escaped already",
    "(parens) [brackets]",
    "> quote",
]


def _table(text: str) -> list[list[tuple[str, list[str]]]]:
    """Rows of (cell text, kinds of inline tokens) from the parsed Markdown."""
    rows: list[list[tuple[str, list[str]]]] = []
    tokens = _PARSER.parse(text)
    assert [t.type for t in tokens][:1] == ["table_open"], text
    assert tokens[-1].type == "table_close", text
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline":
            children = token.children or []
            content = "".join(c.content for c in children)
            rows[-1].append((content, [c.type for c in children]))
    return rows


def _shown(value: str) -> str:
    """What a reader should see for ``value``: one line, outer whitespace trimmed."""
    return " ".join(value.splitlines()).strip()


def test_hostile_cells_render_as_their_own_text():
    frame = pd.DataFrame({"status": HOSTILE, "n": range(len(HOSTILE))})
    text = markdown_table(frame)
    rows = _table(text)
    assert len(rows) == 1 + len(HOSTILE)
    assert [cell for cell, _ in rows[0]] == ["status", "n"]
    for row, value in zip(rows[1:], HOSTILE, strict=True):
        assert len(row) == 2, (value, row)
        cell, kinds = row[0]
        assert cell == _shown(value)
        assert set(kinds) <= {"text"}, (value, kinds)  # no link, emphasis, code or HTML


def test_headers_are_escaped_too():
    rows = _table(markdown_table([{"a|b": 1, "[x](y)": 2}]))
    assert [cell for cell, _ in rows[0]] == ["a|b", "[x](y)"]
    assert [kinds for _, kinds in rows[0]] == [["text"], ["text"]]


# Any printable character, plus the line breaks and the space; other control characters are
# not text a scope name or status key holds (markdown-it replaces NUL, for one).
_CHARS = st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n\r ")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(_CHARS), min_size=1))
def test_any_text_survives_as_plain_text(values):
    rows = _table(markdown_table([{"value": v} for v in values]))
    assert len(rows) == 1 + len(values)
    for row, value in zip(rows[1:], values, strict=True):
        cell, kinds = row[0] if row else ("", [])
        assert cell == _shown(value)
        assert set(kinds) <= {"text"}


def test_missing_values_are_empty_cells():
    frame = pd.DataFrame({"a": [1.5, None], "b": ["x", pd.NA]})
    assert markdown_table(frame).splitlines()[2:] == ["| 1.5 | x |", "|  |  |"]
    assert markdown_table([{"a": None, "b": 2}, {"b": 3}]).splitlines()[2:] == [
        "|  | 2 |",
        "|  | 3 |",
    ]
    assert escape_cell(float("nan")) == "" and escape_cell(None) == ""
    assert escape_cell([1, 2]) == "\\[1, 2\\]"  # a list is a value, not "missing"


def test_empty_input_gives_the_callers_text():
    assert markdown_table(pd.DataFrame({"a": []})) == "_none_"
    assert markdown_table([]) == "_none_"
    assert markdown_table([], empty="") == ""


def test_alignment_row():
    text = markdown_table([{"a": "x", "b": 1}], align=("left", "right"))
    assert text.splitlines()[1] == "|:--|--:|"
    assert markdown_table([{"a": 1}]).splitlines()[1] == "|---|"
    with pytest.raises(ValueError, match="align"):
        markdown_table([{"a": 1}], align=("left", "right"))
