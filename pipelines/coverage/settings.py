"""How the coverage grid is cut: time zone, interval length and the longest trusted poll gap.

Validated when created, so a bad value fails when the code location loads rather than in the
middle of a rebuild, and every message names the environment variable to fix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines import settings
from pipelines.coverage.calendar import INTERVAL_MINUTES_CHOICES
from pipelines.settings import SettingsError

__all__ = ["NONPRODUCTIVE_BUSY", "CoverageSettings", "CoverageSettingsError", "status_names"]


def status_names(text: str) -> tuple[str, ...]:
    """Comma-separated status names as compared with history's secondaryStatus: trimmed, lower
    case, empty ones dropped, duplicates once, in order."""
    return tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))


# The simulator's and Kore's usual non-productive custom BUSY statuses.
NONPRODUCTIVE_BUSY = status_names(settings.SETTINGS["AVAILABILITY_NONPRODUCTIVE_BUSY"].default)


class CoverageSettingsError(ValueError):
    """A coverage setting is invalid; the message names the environment variable."""


@dataclass(frozen=True)
class CoverageSettings:
    """How the coverage grid is cut; validated on creation so a bad value fails early.

    ``time_zone`` (AVAILABILITY_TIME_ZONE, IANA name), ``interval_minutes``
    (AVAILABILITY_INTERVAL_MINUTES: 5, 15, 30 or 60), ``max_gap_seconds``
    (AVAILABILITY_MAX_GAP_SECONDS, default 120 = 2 x the 60 s poll interval),
    ``nonproductive_busy`` (AVAILABILITY_NONPRODUCTIVE_BUSY: the custom BUSY status names of
    the exact history that are not on queue, kept trimmed and lower case).
    """

    time_zone: str = "UTC"
    interval_minutes: int = 15
    max_gap_seconds: float = 120.0
    nonproductive_busy: tuple[str, ...] = NONPRODUCTIVE_BUSY

    def __post_init__(self) -> None:
        names = self.nonproductive_busy
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise CoverageSettingsError(
                f"AVAILABILITY_NONPRODUCTIVE_BUSY must be a list of status names, got {names!r}"
            )
        object.__setattr__(self, "nonproductive_busy", status_names(",".join(names)))
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
        """Settings from the AVAILABILITY_* variables (read by pipelines.settings)."""
        try:
            return cls(
                time_zone=settings.get("AVAILABILITY_TIME_ZONE", environ),
                interval_minutes=settings.get("AVAILABILITY_INTERVAL_MINUTES", environ),
                max_gap_seconds=settings.get("AVAILABILITY_MAX_GAP_SECONDS", environ),
                nonproductive_busy=status_names(
                    settings.get("AVAILABILITY_NONPRODUCTIVE_BUSY", environ)
                ),
            )
        except SettingsError as exc:
            raise CoverageSettingsError(str(exc)) from None

    @property
    def max_gap(self) -> timedelta:
        """``max_gap_seconds`` as a timedelta: how long one poll's observation may last."""
        return timedelta(seconds=self.max_gap_seconds)
