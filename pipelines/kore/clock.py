"""UTC wall-clock time for the Kore package: send times, Retry-After dates, the budget window.

Every timestamp the package records is timezone-aware UTC because the warehouse stores UTC and
the budget compares send times written by other processes.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["as_utc", "utcnow"]


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC: the warehouse stores every timestamp in UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
