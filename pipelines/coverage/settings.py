"""How the coverage grid is cut: time zone, interval length and the longest trusted poll gap.

Validated when created, so a bad value fails when the code location loads rather than in the
middle of a rebuild, and every message names the environment variable to fix.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines.coverage.calendar import INTERVAL_MINUTES_CHOICES

__all__ = ["CoverageSettings", "CoverageSettingsError"]


class CoverageSettingsError(ValueError):
    """A coverage setting is invalid; the message names the environment variable."""


@dataclass(frozen=True)
class CoverageSettings:
    """How the coverage grid is cut; validated on creation so a bad value fails early.

    ``time_zone`` (AVAILABILITY_TIME_ZONE, IANA name), ``interval_minutes``
    (AVAILABILITY_INTERVAL_MINUTES: 5, 15, 30 or 60), ``max_gap_seconds``
    (AVAILABILITY_MAX_GAP_SECONDS, default 120 = 2 x the 60 s poll interval).
    """

    time_zone: str = "UTC"
    interval_minutes: int = 15
    max_gap_seconds: float = 120.0

    def __post_init__(self) -> None:
        if not isinstance(self.time_zone, str) or not self.time_zone.strip():
            raise CoverageSettingsError(
                f"AVAILABILITY_TIME_ZONE must be an IANA time zone name, got {self.time_zone!r}"
            )
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CoverageSettingsError(
                f"AVAILABILITY_TIME_ZONE={self.time_zone!r} is not a known IANA time zone "
                "(e.g. 'UTC', 'America/New_York')"
            ) from None
        minutes = self.interval_minutes
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise CoverageSettingsError(
                f"AVAILABILITY_INTERVAL_MINUTES must be an integer, got {minutes!r}"
            )
        if minutes not in INTERVAL_MINUTES_CHOICES:
            raise CoverageSettingsError(
                f"AVAILABILITY_INTERVAL_MINUTES must be one of {INTERVAL_MINUTES_CHOICES}, "
                f"got {minutes}"
            )
        gap = self.max_gap_seconds
        if (
            isinstance(gap, bool)
            or not isinstance(gap, int | float)
            or not math.isfinite(gap)
            or gap <= 0
        ):
            raise CoverageSettingsError(
                f"AVAILABILITY_MAX_GAP_SECONDS must be a number of seconds > 0, got {gap!r}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> CoverageSettings:
        """Settings from AVAILABILITY_* variables; unset ones keep their defaults.

        The only place coverage reads the environment (it moves to ``pipelines/settings.py``
        with the other variables).
        """
        env = os.environ if environ is None else environ
        kwargs: dict[str, Any] = {}
        if env.get("AVAILABILITY_TIME_ZONE"):
            kwargs["time_zone"] = env["AVAILABILITY_TIME_ZONE"].strip()
        if env.get("AVAILABILITY_INTERVAL_MINUTES"):
            raw = env["AVAILABILITY_INTERVAL_MINUTES"].strip()
            try:
                kwargs["interval_minutes"] = int(raw)
            except ValueError:
                raise CoverageSettingsError(
                    f"AVAILABILITY_INTERVAL_MINUTES must be an integer, got {raw!r}"
                ) from None
        if env.get("AVAILABILITY_MAX_GAP_SECONDS"):
            raw = env["AVAILABILITY_MAX_GAP_SECONDS"].strip()
            try:
                kwargs["max_gap_seconds"] = float(raw)
            except ValueError:
                raise CoverageSettingsError(
                    f"AVAILABILITY_MAX_GAP_SECONDS must be a number of seconds, got {raw!r}"
                ) from None
        return cls(**kwargs)

    @property
    def max_gap(self) -> timedelta:
        """``max_gap_seconds`` as a timedelta: how long one poll's observation may last."""
        return timedelta(seconds=self.max_gap_seconds)
