"""pipelines.settings: one declaration per variable, strict parsing, errors that name it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines import settings
from pipelines.settings import SETTINGS, SettingsError

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_settings() -> dict[str, str]:
    """Variables of the README's settings table (rows of the section "Settings")."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    found = {}
    for line in section.splitlines():
        match = re.match(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]*) \|", line)
        if match:
            found[match.group(1)] = match.group(2).strip()
    return found


def test_readme_table_lists_every_setting_and_no_other() -> None:
    documented = _readme_settings()
    assert sorted(documented) == sorted(SETTINGS)


def test_readme_table_states_each_default() -> None:
    for name, shown in _readme_settings().items():
        declared = settings.default(name)
        if declared is None or name in ("AVAILABILITY_DB", "AVAILABILITY_SCOPES"):
            continue
        if name == "AVAILABILITY_REPORTS_DIR":
            continue
        expected = (
            str(declared).lower()
            if isinstance(declared, bool)
            else f"{declared:g}"
            if isinstance(declared, float)
            else str(declared)
        )
        assert expected in shown, f"{name}: README says {shown!r}, code says {declared!r}"


def test_only_the_settings_module_reads_the_environment() -> None:
    package = Path(settings.__file__).parent
    readers = [
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if re.search(r"os\.environ\b(?!\))|os\.getenv\(", path.read_text(encoding="utf-8"))
    ]
    assert readers == ["settings.py"], readers


@pytest.mark.parametrize(
    ("name", "raw", "words"),
    [
        ("AVAILABILITY_SCHEDULE_STOPPED", "ture", "true or false"),
        ("AVAILABILITY_SCHEDULE_STOPPED", "maybe", "true or false"),
        ("AVAILABILITY_LOOKBACK_DAYS", "two", "whole number"),
        ("AVAILABILITY_LOOKBACK_DAYS", "-1", ">= 1"),
        ("AVAILABILITY_COMPLETENESS_THRESHOLD", "high", "a number"),
        ("AVAILABILITY_COMPLETENESS_THRESHOLD", "-0.5", ">= 0"),
        ("AVAILABILITY_MAX_UNMET_SHARE", "1.5", "<= 1"),
        ("AVAILABILITY_FRESHNESS_MINUTES", "nan", "finite"),
        ("AVAILABILITY_INTERVAL_MINUTES", "7", "one of 5, 15, 30, 60"),
        ("AVAILABILITY_POLL_CRON", "every minute", "cron"),
        ("AVAILABILITY_TIME_ZONE", "Mars/Olympus", "IANA"),
        ("AVAILABILITY_PARTITIONS_START", "01/02/2026", "date"),
        ("AVAILABILITY_DB", "", "empty"),
        ("AVAILABILITY_PII", "encrypt", "hash, keep, drop"),
        ("KORE_MAX_ATTEMPTS", "0", ">= 1"),
        ("KORE_TOKEN_TTL_SECONDS", "7200", "<= 3600"),
    ],
)
def test_a_bad_value_names_the_variable_and_the_value(name: str, raw: str, words: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings.get(name, {name: raw})
    message = str(caught.value)
    assert name in message
    assert words in message
    if raw:
        assert repr(raw.strip()) in message


def test_a_secret_is_never_shown_and_loses_surrounding_blanks() -> None:
    assert settings.get("KORE_CLIENT_SECRET", {"KORE_CLIENT_SECRET": " s3cret\n"}) == "s3cret"
    assert settings.SETTINGS["KORE_CLIENT_SECRET"].shown("s3cret") == "<hidden>"
    assert settings.SETTINGS["AVAILABILITY_PII_KEY"].shown("s3cret") == "<hidden>"


def test_unset_means_default_and_required_ones_say_so() -> None:
    assert settings.get("AVAILABILITY_LOOKBACK_DAYS", {}) == 2
    assert (
        settings.get("AVAILABILITY_SCHEDULE_STOPPED", {"AVAILABILITY_SCHEDULE_STOPPED": " "})
        is False
    )
    assert settings.get("KORE_JWT_ALGORITHM", {"KORE_JWT_ALGORITHM": "hs512"}) == "HS512"
    with pytest.raises(SettingsError, match="KORE_HOST is not set"):
        settings.get("KORE_HOST", {})
