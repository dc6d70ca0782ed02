"""What a setting is: its kind, default, range and doc, and how its text is parsed and checked.

:mod:`pipelines.settings_declared` declares every variable with :func:`declare`, and
:mod:`pipelines.settings`, the only module that reads the environment, parses them with this
machinery; kept apart so the declarations stay a plain table and the reader stays small.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Setting", "SettingsError", "declare"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the variable and what is allowed."""


@dataclass(frozen=True)
class Setting:
    """One environment variable: how to parse it, its default, its range, what it is for."""

    name: str
    kind: str  # text, secret, path, bool, int, float, choice, zone, date, cron
    default: Any
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()
    required: bool = False
    exclusive_minimum: bool = False

    def shown(self, raw: str) -> str:
        """The value as an error message may show it: never a secret's text."""
        return "<hidden>" if self.kind == "secret" else repr(raw)

    def parse(self, raw: str) -> Any:
        """The typed value of ``raw`` (the variable's text), or :class:`SettingsError`."""
        # Surrounding blanks are never part of a value: a secret read with `$(cat file)` keeps
        # no trailing newline, in every code path alike.
        text = raw.strip()
        parser = _PARSERS[self.kind]
        try:
            value = parser(self, text)
        except SettingsError:
            raise
        except (ValueError, TypeError, OverflowError):
            raise SettingsError(
                f"{self.name} must be {_KIND_WORDS[self.kind]}, got {self.shown(raw)}"
            ) from None
        self.check(value, raw)
        return value

    def check(self, value: Any, raw: Any = None) -> None:
        """Refuse a typed value outside the declared range, naming the variable."""
        shown = self.shown(str(value if raw is None else raw))
        if self.kind in ("int", "float"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SettingsError(f"{self.name} must be {_KIND_WORDS[self.kind]}, got {shown}")
            if self.kind == "int" and not isinstance(value, int):
                raise SettingsError(f"{self.name} must be a whole number, got {shown}")
            if not math.isfinite(value):
                raise SettingsError(f"{self.name} must be a finite number, got {shown}")
            low, high = self.minimum, self.maximum
            too_low = low is not None and (value <= low if self.exclusive_minimum else value < low)
            if too_low or (high is not None and value > high):
                raise SettingsError(f"{self.name} must be {self.range_text()}, got {shown}")
        if self.choices and value not in self.choices:
            allowed = ", ".join(str(choice) for choice in self.choices)
            raise SettingsError(f"{self.name} must be one of {allowed}, got {shown}")

    def range_text(self) -> str:
        low = "" if self.minimum is None else f"{'>' if self.exclusive_minimum else '>='} "
        parts = []
        if self.minimum is not None:
            parts.append(f"{low}{self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"<= {self.maximum:g}")
        return " and ".join(parts) or "any number"


def _text(setting: Setting, text: str) -> str:
    return text


def _bool(setting: Setting, text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(text)


def _choice(setting: Setting, text: str) -> str:
    """The declared choice the text names, case aside (``hs256`` is ``HS256``)."""
    for choice in setting.choices:
        if choice.lower() == text.lower():
            return choice
    return text  # not a choice: check() names the allowed ones


def _zone(setting: Setting, text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"{setting.name}={text!r} is not a known IANA time zone (e.g. 'UTC', "
            "'America/New_York')"
        ) from None
    return text


def _cron(setting: Setting, text: str) -> str:
    from dagster._utils.schedules import is_valid_cron_string  # only when a cron is read

    if not is_valid_cron_string(text):
        raise ValueError(text)
    return text


def _path(setting: Setting, text: str) -> str:
    if not text:
        raise SettingsError(f"{setting.name} is set but empty; unset it or give a path")
    return text


_PARSERS: dict[str, Callable[[Setting, str], Any]] = {
    "text": _text,
    "secret": _text,
    "path": _path,
    "bool": _bool,
    "int": lambda s, t: int(t),
    "float": lambda s, t: float(t),
    "choice": _choice,
    "zone": _zone,
    "date": lambda s, t: date.fromisoformat(t).isoformat(),
    "cron": _cron,
}
_KIND_WORDS = {
    "text": "text",
    "secret": "text",
    "path": "a file path",
    "bool": "true or false",
    "int": "a whole number",
    "float": "a number",
    "choice": "one of the listed values",
    "zone": "an IANA time zone name",
    "date": "a date like 2026-01-01",
    "cron": "a cron expression like '* * * * *'",
}


def declare(name: str, kind: str, default: Any, doc: str, **limits: Any) -> Setting:
    """One declaration: name, kind (see :class:`Setting`), default, one line of doc, limits."""
    return Setting(name, kind, default, doc, **limits)
