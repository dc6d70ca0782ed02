"""The simulator's settings: one object shapes the model, the server and its faults."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.simulator.faults import Faults

__all__ = ["SimulatorConfig"]


@dataclass
class SimulatorConfig:
    """Everything that shapes the simulated tenant; the roster depends only on agents and seed."""

    agents: int = 200
    seed: int = 7
    host: str = "127.0.0.1"
    port: int = 0
    bot_id: str = "st-simulated-bot"
    account_id: str = "sim-account"
    client_id: str = "cs-simulated-client"
    client_secret: str = "simulated-client-secret-for-the-kore-compatible-simulator-only-00001"
    rate_limit_per_minute: int | None = 60
    retry_after_header: bool = True
    enforce_jti: bool = False
    response_shape: str = "v2"
    custom_status_bucket: str | None = None
    time_zone: str = "America/New_York"
    faults: Faults = field(default_factory=Faults)

    def __repr__(self) -> str:
        # The secret is simulator-only, but keep it out of logs and tracebacks anyway.
        fields = ", ".join(
            f"{name}={'***' if name == 'client_secret' else repr(getattr(self, name))}"
            for name in self.__dataclass_fields__
        )
        return f"SimulatorConfig({fields})"
