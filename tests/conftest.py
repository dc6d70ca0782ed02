"""Shared fixtures: a real Kore-compatible simulator on 127.0.0.1, its settings, a DuckDB path.

Tests talk to a real HTTP server rather than mocks so the client's handling of headers, error
bodies, rate limits and keep-alive is exercised the way it will be against Kore.ai. The
collection hook at the end marks every test under tests/e2e ``subprocess`` by its folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from pipelines.simulator import Faults, SimulatorConfig, SimulatorServer

# Generated tests are the same on every run (``make test`` must not fail on one run in a hundred)
# and leave no .hypothesis directory behind; a longer, random search is `make fuzz`'s job.
hypothesis_settings.register_profile("default", derandomize=True, database=None)
hypothesis_settings.load_profile("default")


@pytest.fixture
def simulator_factory() -> Iterator[Callable[..., SimulatorServer]]:
    """Start simulators with config overrides; every one is stopped at teardown.

    Call it as ``simulator_factory(rate_limit_per_minute=None, clock=fixed_clock)``: ``clock``
    goes to the server, everything else to ``SimulatorConfig`` (``faults`` may be a dict).
    """
    started: list[SimulatorServer] = []

    def start(clock: Callable[[], datetime] | None = None, **overrides: Any) -> SimulatorServer:
        faults = overrides.get("faults")
        if isinstance(faults, dict):
            overrides["faults"] = Faults(**faults)
        server = SimulatorServer(SimulatorConfig(**overrides), clock=clock).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def simulator(simulator_factory: Callable[..., SimulatorServer]) -> SimulatorServer:
    """A running simulator with the default, realistic config (rate limit 60 per minute)."""
    return simulator_factory()


@pytest.fixture
def kore_env(simulator: SimulatorServer) -> dict[str, str]:
    """The settings that point the pipeline at ``simulator`` (secret included: tests only)."""
    return simulator.env(include_secret=True)


@pytest.fixture
def tmp_db(tmp_path: Any) -> str:
    """Path of a fresh (not yet created) DuckDB file under the test's tmp_path."""
    return str(tmp_path / "warehouse.duckdb")


E2E = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e runs through child processes: mark it so by its folder,
    so `-m "not subprocess"` (as `make test-fast` does) leaves the whole folder out."""
    for item in items:
        if item.path.is_relative_to(E2E):
            item.add_marker(pytest.mark.subprocess)
