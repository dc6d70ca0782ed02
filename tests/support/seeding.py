"""Synthetic history for tests: whole local days from the simulator's own model."""

from datetime import UTC, date, datetime, timedelta

from pipelines.coverage import day_bounds
from pipelines.coverage.calendar import local_date
from pipelines.scopes import load_scopes
from pipelines.settings import DEFAULT_SCOPES
from pipelines.simulator.history import seed_history
from pipelines.warehouse import connect

ZONE = "America/New_York"


def seed_days(
    database: str,
    first: date,
    last: date | None = None,
    *,
    agents: int,
    seed: int,
    zone: str = ZONE,
) -> None:
    """Seed [first, last] from five minutes before local midnight, so the first interval has a
    status carried in, with the roster and seed a simulator of the same settings serves."""
    start, _ = day_bounds(first, zone)
    _, end = day_bounds(last or first, zone)
    with connect(database) as con:
        seed_history(
            con,
            start=start - timedelta(minutes=5),
            end=end,
            agents=agents,
            seed=seed,
            scopes=load_scopes(DEFAULT_SCOPES),
            time_zone=zone,
        )


def seed_raw(database: str, zone: str, account: str | None = None) -> tuple[date, date]:
    """A raw answer of a local day past 14 days and one of the day after, both built."""
    today = local_date(datetime.now(UTC), zone)
    old, kept = today - timedelta(days=15), today - timedelta(days=14)
    with connect(database, account=account) as con:
        for day in (old, kept):
            start, _ = day_bounds(day, zone)
            con.execute(
                "INSERT INTO raw_responses VALUES (?, 'all', 'acc', ?, ?, ?, 1, 200, 1.0, 'ok', "
                "NULL, NULL, '{}')",
                [f"tick-{day}", start, start, start],
            )
            con.execute(
                "INSERT INTO coverage_intervals (day, scope_key, interval_start, interval_end, "
                "local_start, observed_seconds, observed_share, observations) "
                "VALUES (?, 'all', ?, ?, ?, 0, 0, 0)",
                [day, start, start, datetime.combine(day, datetime.min.time())],
            )
    return old, kept
