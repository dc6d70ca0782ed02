"""Every Markdown metadata value is made by the one renderer.

Dagster renders ``MetadataValue.md`` as Markdown, and its cells hold text from the API, files
and settings. This walks the package's code: each ``MetadataValue.md(...)`` must take the
output of :func:`pipelines.markdown.markdown_table` (directly, through ``summary_markdown``,
or as a check's ``*_markdown`` value, which coverage checks build with it), never text of its
own, so no unescaped text can slip into Markdown in a later change.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pipelines

ROOT = Path(pipelines.__file__).parent
RENDERERS = {"markdown_table", "summary_markdown"}


def _md_calls() -> list[tuple[str, ast.Call]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "md"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "MetadataValue"
            ):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return found


def _rendered(arg: ast.expr) -> bool:
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name):
        return arg.func.id in RENDERERS
    # check_result: `value or "_none_"`, value being a check's *_markdown entry
    if isinstance(arg, ast.BoolOp) and isinstance(arg.op, ast.Or):
        return isinstance(arg.values[0], ast.Name) and all(
            isinstance(v, ast.Constant) for v in arg.values[1:]
        )
    return False


def test_every_markdown_metadata_value_comes_from_the_renderer() -> None:
    calls = _md_calls()
    assert len(calls) >= 8  # the walk finds them (ingest, checks, coverage, reports)
    loose = [where for where, call in calls if not (call.args and _rendered(call.args[0]))]
    assert not loose, f"MetadataValue.md without pipelines.markdown: {loose}"


def test_markdown_values_of_checks_are_rendered_tables() -> None:
    source = (ROOT / "coverage" / "checks.py").read_text()
    tree = ast.parse(source)
    keys = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        for key in node.keys
        if isinstance(key, ast.Constant) and str(key.value).endswith("_markdown")
    ]
    assert keys
    for node in keys:
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and str(key.value).endswith("_markdown"):
                assert isinstance(value, ast.Call) and getattr(value.func, "id", "") in RENDERERS
