"""How demand is turned into requirements and forecast: the service-level goal, the occupancy
cap and the forecast window.

Validated when created, so a bad value fails when the code location loads, and every message
names the environment variable to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pipelines import settings

__all__ = ["RATIO_MAX", "RATIO_MIN", "DemandSettings"]

# Bounds of the intraday reforecast ratio (actual / profile over today's completed cells).
# Early in the day the ratio rests on a few contacts: one busy quarter hour after a quiet
# night could otherwise multiply the rest of the day by ten. Halving or doubling the profile
# is as far as one morning is trusted to move it.
RATIO_MIN = 0.5
RATIO_MAX = 2.0


@dataclass(frozen=True)
class DemandSettings:
    """``service_level`` (AVAILABILITY_SERVICE_LEVEL, share of offered contacts answered
    within ``target_seconds``, AVAILABILITY_TARGET_SECONDS), ``max_occupancy``
    (AVAILABILITY_MAX_OCCUPANCY, None: no cap) and ``profile_weeks``
    (AVAILABILITY_PROFILE_WEEKS)."""

    service_level: float = 0.8
    target_seconds: float = 20.0
    max_occupancy: float | None = None
    profile_weeks: int = 4

    def __post_init__(self) -> None:
        settings.check("AVAILABILITY_SERVICE_LEVEL", self.service_level)
        settings.check("AVAILABILITY_TARGET_SECONDS", self.target_seconds)
        if self.max_occupancy is not None:
            settings.check("AVAILABILITY_MAX_OCCUPANCY", self.max_occupancy)
        settings.check("AVAILABILITY_PROFILE_WEEKS", self.profile_weeks)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DemandSettings:
        """Settings from the AVAILABILITY_* variables (read by pipelines.settings)."""
        return cls(
            service_level=settings.get("AVAILABILITY_SERVICE_LEVEL", environ),
            target_seconds=settings.get("AVAILABILITY_TARGET_SECONDS", environ),
            max_occupancy=settings.get("AVAILABILITY_MAX_OCCUPANCY", environ),
            profile_weeks=settings.get("AVAILABILITY_PROFILE_WEEKS", environ),
        )
