"""When a scope is short: the threshold, the minimum duration, recovery and quiet hours, per scope.

The defaults are settings (``AVAILABILITY_ALERT_SHORTFALL``, ``..._MIN_POLLS``,
``..._RECOVERY_POLLS``, ``..._QUIET_HOURS``); the optional rules file
(``AVAILABILITY_ALERT_RULES_FILE``, TOML, ``config/alerts.example.toml``) overrides them per
scope key. A rules file of its own rather than keys in the scopes file: in membership mode the
scopes file is optional and skills are discovered, while a rule must be able to name a
discovered scope; and the scopes file is read by every poll, which should not fail over an
alert's typo. Every error names the file, the line of the ``[[scope]]`` and the field.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["AlertRules", "QuietHours", "RulesError", "ScopeRule", "Threshold", "load_rules"]

_SHARE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_QUIET = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_FIELDS = {"key", "shortfall", "min_polls", "recovery_polls", "quiet_hours", "time_zone", "enabled"}


class RulesError(ValueError):
    """A threshold, quiet hours or the rules file is malformed; the message says where."""


@dataclass(frozen=True)
class Threshold:
    """The shortfall (required - on-queue) that counts as short: ``value`` agents, or, when
    ``share``, ``value`` x required. Always more than zero: a scope with all it needs is never
    short."""

    value: float
    share: bool = False

    @classmethod
    def parse(cls, raw: Any, where: str) -> Threshold:
        """``2`` or ``"2"`` (agents), ``"10%"`` (a share of required); ``where`` opens errors."""
        if isinstance(raw, bool):
            raise RulesError(f"{where} must be a number of agents or a share like '10%'")
        if isinstance(raw, int | float):
            value, share = float(raw), False
        elif isinstance(raw, str) and (match := _SHARE.match(raw)):
            value, share = float(match.group(1)) / 100, True
        else:
            try:
                value, share = float(str(raw).strip()), False
            except ValueError:
                raise RulesError(
                    f"{where} must be a number of agents (2) or a share of required (10%), "
                    f"got {raw!r}"
                ) from None
        if not math.isfinite(value) or value <= 0 or (share and value > 1):
            raise RulesError(
                f"{where} must be more than 0 agents, or a share above 0% and at most 100%, "
                f"got {raw!r}"
            )
        return cls(value, share)

    def is_short(self, required: float | None, on_queue: float) -> bool | None:
        """Short against ``required`` (None: no requirement, not judged)."""
        if required is None or (isinstance(required, float) and math.isnan(required)):
            return None
        shortfall = required - on_queue
        limit = self.value * required if self.share else self.value
        return shortfall > 0 and shortfall >= limit - 1e-9

    def text(self) -> str:
        if self.share:
            return f"{self.value * 100:g}% of required"
        return f"{self.value:g} agent{'' if self.value == 1 else 's'}"


@dataclass(frozen=True)
class QuietHours:
    """Local wall-clock hours [start, end) when no alert opens; ``end`` before ``start`` wraps
    past midnight (``22:00-07:00``)."""

    start: time
    end: time

    @classmethod
    def parse(cls, raw: Any, where: str) -> QuietHours | None:
        """``"22:00-07:00"``; an empty text means none."""
        if not isinstance(raw, str):
            raise RulesError(f"{where} must be a text like '22:00-07:00', got {raw!r}")
        if not raw.strip():
            return None
        match = _QUIET.match(raw)
        try:
            if not match:
                raise ValueError(raw)
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = time(h1, m1), time(h2, m2)
        except ValueError:
            raise RulesError(
                f"{where} must be 'HH:MM-HH:MM' (e.g. 22:00-07:00), got {raw!r}"
            ) from None
        if start == end:
            raise RulesError(f"{where} starts and ends at the same time: {raw!r}")
        return cls(start, end)

    def contains(self, at: datetime, zone: ZoneInfo) -> bool:
        local = at.astimezone(zone).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def text(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class ScopeRule:
    """Everything that decides one scope's alerts."""

    threshold: Threshold
    min_polls: int = 3
    recovery_polls: int = 2
    quiet_hours: QuietHours | None = None
    time_zone: str = "UTC"
    enabled: bool = True

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_quiet(self, at: datetime) -> bool:
        return self.quiet_hours is not None and self.quiet_hours.contains(at, self.zone)


@dataclass(frozen=True)
class AlertRules:
    """The default rule and the rules file's overrides by scope key."""

    default: ScopeRule
    by_scope: dict[str, ScopeRule] = field(default_factory=dict)

    def for_scope(self, scope_key: str) -> ScopeRule:
        return self.by_scope.get(scope_key, self.default)


def _polls(raw: Any, where: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 1440:
        raise RulesError(f"{where} must be a whole number of polls from 1 to 1440, got {raw!r}")
    return raw


def _zone(raw: Any, where: str) -> str:
    try:
        ZoneInfo(str(raw))
    except (ZoneInfoNotFoundError, ValueError):
        raise RulesError(f"{where} is not a known IANA time zone: {raw!r}") from None
    return str(raw)


def parse_rules(text: str, default: ScopeRule, source: str) -> AlertRules:
    """The rules document: ``[[scope]]`` tables with ``key`` and any of ``shortfall``,
    ``min_polls``, ``recovery_polls``, ``quiet_hours``, ``time_zone``, ``enabled``."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML: {exc}") from None
    unknown = sorted(set(document) - {"scope"})
    if unknown or not isinstance(document.get("scope", []), list):
        raise RulesError(f"{source}: only [[scope]] tables are allowed, found {unknown}")
    lines = [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if re.match(r"^\s*\[\[\s*scope\s*\]\]", line)
    ]
    by_scope: dict[str, ScopeRule] = {}
    for index, entry in enumerate(document.get("scope", [])):
        line = f", line {lines[index]}" if index < len(lines) else ""
        where = f"{source}{line}, scope[{index}]"
        if not isinstance(entry, dict):
            raise RulesError(f"{where}: each [[scope]] must be a table")
        extra = sorted(set(entry) - _FIELDS)
        if extra:
            raise RulesError(f"{where}: unknown field(s) {extra}; allowed: {sorted(_FIELDS)}")
        key = entry.get("key")
        if not isinstance(key, str) or not key.strip():
            raise RulesError(f"{where}: field 'key' must be a scope key such as 'skill:sk-sales'")
        key = key.strip()
        if key in by_scope:
            raise RulesError(f"{where}: field 'key' {key!r} is listed twice")
        rule = default
        if "shortfall" in entry:
            rule = replace(
                rule, threshold=Threshold.parse(entry["shortfall"], f"{where}: field 'shortfall'")
            )
        for name in ("min_polls", "recovery_polls"):
            if name in entry:
                rule = replace(rule, **{name: _polls(entry[name], f"{where}: field {name!r}")})
        if "quiet_hours" in entry:
            quiet = QuietHours.parse(entry["quiet_hours"], f"{where}: field 'quiet_hours'")
            rule = replace(rule, quiet_hours=quiet)
        if "time_zone" in entry:
            rule = replace(rule, time_zone=_zone(entry["time_zone"], f"{where}: field 'time_zone'"))
        if "enabled" in entry:
            if not isinstance(entry["enabled"], bool):
                raise RulesError(f"{where}: field 'enabled' must be true or false")
            rule = replace(rule, enabled=entry["enabled"])
        by_scope[key] = rule
    return AlertRules(default, by_scope)


def load_rules(path: str | Path | None, default: ScopeRule) -> AlertRules:
    """The rules file at ``path`` (AVAILABILITY_ALERT_RULES_FILE), or the default alone."""
    if path is None:
        return AlertRules(default)
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError(
            f"alert rules file {path} does not exist (AVAILABILITY_ALERT_RULES_FILE)"
        ) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise RulesError(f"alert rules file {path} cannot be read as UTF-8 text: {exc}") from None
    return parse_rules(text, default, str(path))
