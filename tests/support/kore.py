"""Kore.ai helpers only tests use (they were in the client module once)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipelines.kore import KoreSettings, parse_availability_body
from pipelines.kore.config import CONNECTION_FIELDS


def connection_settings(env: Mapping[str, str]) -> dict[str, str]:
    """The five required connection fields from ``KORE_*`` variables (a simulator's ``env()``,
    say), named as both KoreSettings and the Dagster resource take them."""
    return {name: env[KoreSettings.ENV_NAMES[name]] for name in CONNECTION_FIELDS}


def parse_availability(text: str) -> dict[str, list[dict]]:
    """Just the buckets of :func:`parse_availability_body` (the text to store dropped)."""
    return parse_availability_body(text)[0]


def simulator_settings(env: Mapping[str, str], **overrides: Any) -> KoreSettings:
    """Settings for a simulator's ``env()`` with its org ID and quick retries (tests only)."""
    values: dict[str, Any] = {
        **connection_settings(env),
        "org_id": env["KORE_ORG_ID"],
        "backoff_base_s": 0.01,
        "backoff_cap_s": 0.05,
        **overrides,
    }
    return KoreSettings(**values)
