"""The scopes file: which skills, queues and agent lists coverage is computed for.

In membership mode (the default where the tenant allows it) skills and queues are discovered
from Kore's agents listing, so the file is optional: an optional ``[discovery]`` table with
``include`` / ``exclude`` patterns (``fnmatch`` on scope keys, e.g. ``"skill:*"``), display
names (a ``[[scope]]`` with the same key renames it) and named agent lists. In per-scope mode
every ``[[scope]]`` is asked in a request of its own, since Kore.ai does not document how a
combined filter is matched.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
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


@dataclass(frozen=True)
class Discovery:
    """Which discovered skills and queues to keep: included and not excluded."""

    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()

    def admits(self, key: str) -> bool:
        return any(fnmatchcase(key, p) for p in self.include) and not any(
            fnmatchcase(key, p) for p in self.exclude
        )


@dataclass(frozen=True)
class ScopesConfig:
    """The scopes file as configuration: listed scopes and the discovery filter."""

    scopes: tuple[Scope, ...] = ()
    discovery: Discovery = field(default_factory=Discovery)

    def resolve(self, discovered: Iterable[Scope]) -> list[Scope]:
        """The scopes of a membership-mode tick: ``all``, the discovered skills and queues the
        filter admits (renamed where the file lists the same key), and the file's named agent
        lists; a skill or queue listed in the file but not discovered is left out (Kore does
        not know it)."""
        listed = {scope.key: scope for scope in self.scopes}
        resolved = [listed.get("all", Scope("all", "", "All agents"))]
        for scope in sorted(discovered, key=lambda s: s.key):
            if scope.kind in ("skill", "queue") and self.discovery.admits(scope.key):
                name = listed[scope.key].name if scope.key in listed else scope.name
                resolved.append(Scope(scope.kind, scope.ref_id, name))
        resolved.extend(s for s in self.scopes if s.kind == "agents")
        return resolved


def parse_scopes(text: str, source: str = "<scopes>") -> list[Scope]:
    """Parse a scopes document for per-scope polling: at least one ``[[scope]]``."""
    scopes = parse_config(text, source).scopes
    if not scopes:
        raise ScopesFileError(f"{source}: no [[scope]] tables; at least one scope is required")
    return list(scopes)


def _document(text: str, source: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScopesFileError(f"{source}: not valid TOML: {exc}") from None


def _patterns(table: dict, key: str, source: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = table.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ScopesFileError(f"{source}: [discovery] {key} must be a list of scope-key patterns")
    return tuple(v.strip() for v in value)


def parse_config(text: str, source: str = "<scopes>") -> ScopesConfig:
    """Parse a scopes document: optional ``[discovery]`` and any number of ``[[scope]]``."""
    document = _document(text, source)
    unknown_top = sorted(set(document) - {"scope", "discovery"})
    if unknown_top:
        raise ScopesFileError(
            f"{source}: unknown top-level key(s) {unknown_top}; only [discovery] and [[scope]]"
        )
    table = document.get("discovery", {})
    if not isinstance(table, dict) or sorted(set(table) - {"include", "exclude"}):
        raise ScopesFileError(f"{source}: [discovery] takes only 'include' and 'exclude'")
    discovery = Discovery(
        include=_patterns(table, "include", source, ("*",)),
        exclude=_patterns(table, "exclude", source, ()),
    )
    entries = document.get("scope", [])
    if not isinstance(entries, list):
        raise ScopesFileError(f"{source}: 'scope' must be [[scope]] tables")
    return ScopesConfig(tuple(_parse_entries(text, entries, source)), discovery)


def _parse_entries(text: str, entries: list, source: str) -> list[Scope]:
    lines = _header_lines(text)
    scopes: list[Scope] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries):
        where = f"{source}, line {lines[index]}" if index < len(lines) else source
        where = f"{where}, scope[{index}]"

        def fail(message: str, where: str = where) -> ScopesFileError:
            return ScopesFileError(f"{where}: {message}")

        if not isinstance(entry, dict):
            raise fail("each [[scope]] must be a table")
        kind = entry.get("kind")
        if kind not in KINDS:
            raise fail(f"key 'kind' must be one of {list(KINDS)}, got {kind!r}")
        allowed = {"kind", "name", "id", "agent_ids"}
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise fail(f"unknown key(s) {unknown}; allowed: {sorted(allowed)}")
        ref_id = entry.get("id", "")
        ref_id = ref_id.strip() if isinstance(ref_id, str) else ref_id
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


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise ScopesFileError(
            f"scopes file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ScopesFileError(f"scopes file {path} cannot be read: {exc.strerror}") from None


def load_scopes(path: str | Path) -> list[Scope]:
    """Read the scopes file for per-scope polling; the setting that names it is
    ``AVAILABILITY_SCOPES``."""
    path = Path(path)
    text = _read(path)
    if text is None:
        raise ScopesFileError(
            f"scopes file {path} does not exist (set AVAILABILITY_SCOPES to its path)"
        )
    return parse_scopes(text, source=str(path))


def load_config(path: str | Path) -> ScopesConfig:
    """The scopes file as configuration for membership mode, where it is optional: a missing
    file means every discovered skill and queue, with Kore's names."""
    path = Path(path)
    text = _read(path)
    return ScopesConfig() if text is None else parse_config(text, source=str(path))
