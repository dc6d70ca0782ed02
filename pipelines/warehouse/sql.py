"""The one SQL runner: named files from ``sql/``, split into statements, bound by ``$name``.

SQL lives in files (each with its parameters documented in a header) so analysts can read and
run it by hand. DuckDB prepares one statement at a time and refuses named parameters a
statement does not use, so a file is split at semicolons that end a line and each statement
gets only the ``$names`` it mentions. Values are always bound, never pasted into the text.
The files are read through ``importlib.resources`` from the package ``pipelines.sql``, which
is the top-level ``sql/`` folder in a checkout and ships inside the wheel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import duckdb
import pandas as pd

__all__ = [
    "bind",
    "execute",
    "fetch_all",
    "fetch_df",
    "query",
    "single_statement",
    "sql_files",
    "sql_text",
    "statements",
]

_PARAMETER = re.compile(r"\$([A-Za-z_]\w*)")
_COMMENT = re.compile(r"--[^\n]*")
_STATEMENT_END = re.compile(r";[ \t]*(?:--[^\n]*)?(?:\n|$)")
_INSERT_TARGET = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+(\w+)", re.IGNORECASE)


def sql_files(folder: str) -> list[tuple[str, Traversable]]:
    """The ``.sql`` files of one folder under ``sql/`` (name, file), sorted by name."""
    root = resources.files("pipelines.sql").joinpath(folder)
    return sorted(
        (entry.name, entry)
        for entry in root.iterdir()
        if entry.is_file() and entry.name.endswith(".sql")
    )


@cache
def sql_text(name: str) -> str:
    """Text of ``sql/<name>`` (e.g. ``"coverage/spans.sql"``); cached, files never change."""
    return resources.files("pipelines.sql").joinpath(name).read_text(encoding="utf-8")


def _split(text: str) -> tuple[str, ...]:
    """Statements of a script, comments removed, empty ones dropped."""
    code = "\n".join(_COMMENT.sub("", line) for line in text.splitlines())
    return tuple(chunk.strip() for chunk in _STATEMENT_END.split(code) if chunk.strip())


@cache
def statements(name: str) -> tuple[str, ...]:
    """The statements of ``sql/<name>``, in order."""
    return _split(sql_text(name))


def bind(statement: str, params: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The parameters one statement uses, taken from ``params`` (which may hold more).

    A ``$name`` without a value is a programming error worth a clear message: it names the
    file and the missing parameters.
    """
    wanted = set(_PARAMETER.findall(_COMMENT.sub("", statement)))
    missing = wanted - params.keys()
    if missing:
        raise KeyError(f"{source} needs parameter(s) {sorted(missing)}")
    return {key: params[key] for key in wanted}


def single_statement(name: str) -> str:
    found = statements(name)
    if len(found) != 1:
        raise ValueError(f"sql/{name} holds {len(found)} statements; a query file holds one")
    return found[0]


def execute(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> dict[str, int]:
    """Run every statement of ``sql/<name>`` in order, each with its own parameters.

    Returns the rows inserted per target table (DuckDB answers an INSERT with its count), which
    materializations report as metadata.
    """
    inserted: dict[str, int] = {}
    for statement in statements(name):
        rows = con.execute(statement, bind(statement, params, f"sql/{name}")).fetchall()
        target = _INSERT_TARGET.match(statement)
        if target and rows:
            inserted[target.group(1)] = inserted.get(target.group(1), 0) + int(rows[0][0])
    return inserted


def query(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> duckdb.DuckDBPyConnection:
    """Run the single statement of ``sql/<name>``; the open result, for its ``description``.

    Consume it before the next statement: an open result blocks a later ``register``.
    """
    statement = single_statement(name)
    return con.execute(statement, bind(statement, params, f"sql/{name}"))


def fetch_all(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[tuple[Any, ...]]:
    """Every row of the single statement of ``sql/<name>`` (the result is consumed)."""
    return query(con, name, **params).fetchall()


def fetch_df(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pd.DataFrame:
    """The single statement of ``sql/<name>`` as a DataFrame."""
    return query(con, name, **params).df()
