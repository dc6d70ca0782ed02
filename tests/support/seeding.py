"""Synthetic history for tests: whole local days from the simulator's own model."""

from datetime import date, timedelta

from pipelines.coverage import day_bounds
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
