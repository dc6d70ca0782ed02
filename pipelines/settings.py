"""Every setting the project reads from the environment, and the only module that reads it.

Each variable is declared once, in :mod:`pipelines.settings_declared`, with its type, default,
allowed range and one line of doc (the machinery in :mod:`pipelines.settings_kinds`); the
README's settings table is checked against that list by a test. A bad value raises
:class:`SettingsError` naming the variable and the value (a secret's value is never shown),
booleans are strict (``true/false``, ``1/0``, ``yes/no``, ``on/off``), and nothing is parsed at
import time: each value is read when it is needed, so a code location loads without the Kore
connection settings and the first run says which one is missing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pipelines.settings_declared import (
    DEFAULT_DATABASE,
    DEFAULT_REPORTS_DIR,
    DEFAULT_SCOPES,
    PROJECT_ROOT,
    SETTINGS,
)
from pipelines.settings_kinds import Setting, SettingsError

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_REPORTS_DIR",
    "DEFAULT_SCOPES",
    "PROJECT_ROOT",
    "SETTINGS",
    "Setting",
    "SettingsError",
    "check",
    "default",
    "get",
    "is_set",
    "named",
]


def _setting(name: str) -> Setting:
    try:
        return SETTINGS[name]
    except KeyError:
        raise KeyError(
            f"{name} is not a declared setting (see pipelines/settings_declared.py)"
        ) from None


def default(name: str) -> Any:
    """The declared default of a setting (None where there is none)."""
    return _setting(name).default


def is_set(name: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether the variable is set to something other than blanks."""
    source = os.environ if env is None else env
    return bool((source.get(_setting(name).name) or "").strip())


def get(name: str, env: Mapping[str, str] | None = None) -> Any:
    """The typed value of a setting: parsed and checked, or its default when unset.

    An empty value counts as unset, except for paths, where ``AVAILABILITY_DB=`` would quietly
    mean something else: it is refused. A required setting that is unset raises, naming it.
    """
    setting = _setting(name)
    source = os.environ if env is None else env
    raw = source.get(name)
    if raw is None or (not raw.strip() and setting.kind != "path"):
        if setting.required:
            raise SettingsError(f"{name} is not set; it is required ({setting.doc})")
        return setting.default
    return setting.parse(raw)


def check(name: str, value: Any) -> None:
    """Check a typed value (from a resource's config, say) against the setting's range."""
    _setting(name).check(value)


def named(
    variable: str, where: str, env: Mapping[str, str] | None = None, secret: bool = False
) -> str:
    """The value of a variable whose NAME another setting gives (the accounts file names each
    account's client ID and secret variables); ``where`` says who named it. Unset or blank
    raises, naming the variable and ``where``; the value of a secret is never shown."""
    source = os.environ if env is None else env
    value = (source.get(variable) or "").strip()
    if not value:
        raise SettingsError(f"{variable} is not set; it is required ({where})")
    return value
