"""``availability seed-history``: the command line over :func:`~.history.seed_history`.

Kept apart from the seeding itself so ``history`` is only the model-to-warehouse writer; this
module turns arguments (and, until ``pipelines/settings.py`` owns them, the two path variables)
into one ``seed_history`` call and prints its summary.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from pipelines import settings
from pipelines.scopes import ScopesFileError, load_scopes
from pipelines.simulator.history import (
    DEFAULT_TIME_ZONE,
    SYNTHETIC_ACCOUNT,
    HistoryError,
    seed_history,
)
from pipelines.simulator.model import as_utc
from pipelines.warehouse import connect

__all__ = ["main"]

_EPOCH = datetime.fromtimestamp(0, UTC)


def _parse_end(text: str) -> datetime:
    """A date (its midnight UTC) or an ISO timestamp (naive = UTC)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a date (YYYY-MM-DD) nor an ISO timestamp"
        ) from None


def _positive(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if not value > 0 or (isinstance(value, float) and not math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="availability seed-history",
        description=(
            "Write synthetic availability history from the simulator's model straight into "
            "DuckDB (ticks marked source='synthetic'), so coverage can be backfilled over it. "
            "The range is [end - days, end); ticks fall on multiples of --tick-seconds."
        ),
    )
    parser.add_argument("--days", type=_positive(float), default=14.0, help="length (default 14)")
    parser.add_argument("--agents", type=_positive(int), default=500, help="roster size")
    parser.add_argument("--seed", type=int, default=7, help="model seed (default 7)")
    parser.add_argument(
        "--skills", type=_positive(int), default=6, help="catalogue skills (default 6)"
    )
    parser.add_argument("--queues", type=int, default=4, help="catalogue queues (default 4)")
    parser.add_argument(
        "--membership-changes-per-day",
        type=int,
        default=0,
        help="membership changes per local day, as the simulator's knob (default 0)",
    )
    parser.add_argument(
        "--end",
        type=_parse_end,
        default=None,
        help="end of the range, exclusive: a UTC timestamp, or a date meaning its midnight "
        "UTC (default: now, rounded down to the tick)",
    )
    parser.add_argument("--tick-seconds", type=_positive(int), default=60, help="default 60")
    parser.add_argument(
        "--database", default=None, help="DuckDB file (default: AVAILABILITY_DB or the project's)"
    )
    parser.add_argument(
        "--scopes", default=None, help="scopes file (default: AVAILABILITY_SCOPES or the project's)"
    )
    parser.add_argument(
        "--time-zone",
        default=DEFAULT_TIME_ZONE,
        help="the model's local time (shift hours) and the day chunks (default %(default)s)",
    )
    parser.add_argument(
        "--account-id", default=SYNTHETIC_ACCOUNT, help="account_id written (default synthetic)"
    )
    parser.add_argument(
        "--replace",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="replace synthetic ticks already in the range (default); --no-replace refuses "
        "instead. Real polled ticks are never replaced either way.",
    )
    return parser


def _paths(database: str | None, scopes: str | None) -> tuple[str, str]:
    """The database and scopes file: the option, else the setting (or its default)."""
    return (
        database or settings.get("AVAILABILITY_DB"),
        scopes or settings.get("AVAILABILITY_SCOPES"),
    )


def main(argv: list[str] | None = None) -> int:
    """``availability seed-history``: 0 on success, 2 when refused or misconfigured."""
    args = _parser().parse_args(argv)
    database, scopes_path = _paths(args.database, args.scopes)
    step = timedelta(seconds=args.tick_seconds)
    end = args.end or datetime.now(UTC)
    end = _EPOCH + (end - _EPOCH) // step * step
    start = end - timedelta(days=args.days)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        scopes = load_scopes(scopes_path)
        print(
            f"seeding synthetic history [{start.isoformat()}, {end.isoformat()}) into "
            f"{Path(database)}",
            file=sys.stderr,
            flush=True,
        )
        with connect(database) as con:
            con.execute("SET enable_progress_bar = false")  # the per-day lines say enough
            summary = seed_history(
                con,
                start=start,
                end=end,
                agents=args.agents,
                seed=args.seed,
                skills=args.skills,
                queues=args.queues,
                membership_changes_per_day=args.membership_changes_per_day,
                scopes=scopes,
                tick_seconds=args.tick_seconds,
                account_id=args.account_id,
                time_zone=args.time_zone,
                replace=args.replace,
                progress=progress,
            )
    except (HistoryError, ScopesFileError) as exc:
        print(f"availability seed-history: error: {exc}", file=sys.stderr)
        return 2
    print(summary.line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
