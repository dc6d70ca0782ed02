"""The wheel's package list in pyproject.toml matches the packages in the tree.

pyproject.toml lists every package by hand, because automatic discovery cannot map the
top-level ``sql/`` folder to ``pipelines.sql``. A package added under ``pipelines/`` but not
listed would be left out of the wheel while the editable install (and so every other test)
still finds it; this test names it instead.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setuptools_table() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["tool"]["setuptools"]


def packages_in_tree() -> set[str]:
    """Every folder under pipelines/ holding an ``__init__.py``, plus ``pipelines.sql``."""
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "pipelines").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    return found | {"pipelines.sql"}


def test_every_package_in_the_tree_is_listed_in_pyproject() -> None:
    listed = setuptools_table()["packages"]
    in_tree = packages_in_tree()
    missing = sorted(in_tree - set(listed))
    assert not missing, f"packages missing from [tool.setuptools] packages: {missing}"
    stale = sorted(set(listed) - in_tree)
    assert not stale, f"[tool.setuptools] packages lists packages not in the tree: {stale}"
    assert len(listed) == len(set(listed)), f"packages listed twice in pyproject.toml: {listed}"


def test_sql_is_shipped_as_package_data() -> None:
    setuptools = setuptools_table()
    assert setuptools["package-dir"]["pipelines.sql"] == "sql"
    assert (ROOT / "sql" / "__init__.py").is_file()
    assert "**/*.sql" in setuptools["package-data"]["pipelines.sql"]
