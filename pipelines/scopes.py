"""The scopes file: which skills, queues and agent lists each tick asks Kore.ai about.

Kore.ai does not document how a combined filter is matched, so every scope is asked in a
request of its own and the figures per skill and per queue never depend on that guess.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("all", "skill", "queue", "agents")


class ScopesFileError(ValueError):
    """The scopes file is missing or malformed; the message names the file, line and key."""


@dataclass(frozen=True)
class Scope:
    """One request's filter. ``key`` is stable and is what the warehouse stores.

    How a scope becomes a request body is each endpoint's business (for availability, see
    :func:`pipelines.kore.availability.request_body`).
    """

    kind: str
    ref_id: str
    name: str
    agent_ids: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        return "all" if self.kind == "all" else f"{self.kind}:{self.ref_id}"


def _header_lines(text: str) -> list[int]:
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if re.match(r"^\s*\[\[\s*scope\s*\]\]", line)
    ]


def parse_scopes(text: str, source: str = "<scopes>") -> list[Scope]:
    """Parse a scopes document (TOML, a ``[[scope]]`` table per scope)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScopesFileError(f"{source}: not valid TOML: {exc}") from None
    entries = document.get("scope")
    if not isinstance(entries, list) or not entries:
        raise ScopesFileError(f"{source}: no [[scope]] tables; at least one scope is required")
    unknown_top = sorted(set(document) - {"scope"})
    if unknown_top:
        raise ScopesFileError(f"{source}: unknown top-level key(s) {unknown_top}; only [[scope]]")
    lines = _header_lines(text)
    scopes: list[Scope] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries):
        where = f"{source}, line {lines[index]}" if index < len(lines) else source
        where = f"{where}, scope[{index}]"

        def fail(message: str, where: str = where) -> ScopesFileError:
            return ScopesFileError(f"{where}: {message}")

        kind = entry.get("kind")
        if kind not in KINDS:
            raise fail(f"key 'kind' must be one of {list(KINDS)}, got {kind!r}")
        allowed = {"kind", "name", "id", "agent_ids"}
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise fail(f"unknown key(s) {unknown}; allowed: {sorted(allowed)}")
        ref_id = entry.get("id", "")
        if kind != "all" and (not isinstance(ref_id, str) or not ref_id.strip()):
            raise fail(f"key 'id' is required for kind {kind!r} and must be a non-empty string")
        if kind == "all" and ref_id:
            raise fail("key 'id' is not allowed for kind 'all'")
        name = entry.get("name", ref_id or "All agents")
        if not isinstance(name, str) or not name.strip():
            raise fail("key 'name' must be a non-empty string")
        agent_ids = entry.get("agent_ids", [])
        if kind == "agents":
            if (
                not isinstance(agent_ids, list)
                or not agent_ids
                or not all(isinstance(a, str) and a for a in agent_ids)
            ):
                raise fail("key 'agent_ids' must be a non-empty list of agent ID strings")
        elif "agent_ids" in entry:
            raise fail(f"key 'agent_ids' is only allowed for kind 'agents', not {kind!r}")
        scope = Scope(kind=kind, ref_id=ref_id, name=name, agent_ids=tuple(agent_ids))
        if scope.key in seen:
            raise fail(f"scope {scope.key!r} is listed twice (first at {seen[scope.key]})")
        seen[scope.key] = where
        scopes.append(scope)
    return scopes


def load_scopes(path: str | Path) -> list[Scope]:
    """Read the scopes file; the setting that names it is ``AVAILABILITY_SCOPES``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScopesFileError(
            f"scopes file {path} does not exist (set AVAILABILITY_SCOPES to its path)"
        ) from None
    except OSError as exc:
        raise ScopesFileError(f"scopes file {path} cannot be read: {exc.strerror}") from None
    return parse_scopes(text, source=str(path))
