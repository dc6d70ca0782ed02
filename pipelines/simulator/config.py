"""The simulator's settings: one object shapes the model, the server and its faults."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pipelines.simulator.faults import Faults
from pipelines.simulator.profile import QueueProfile

__all__ = ["API_SCOPES", "CALLVOLUME_TIME_UNITS", "DEFAULT_ORG_ID", "SimulatorConfig"]

# The app's API scopes the simulator knows, by config name -> Kore's display name.
API_SCOPES: dict[str, str] = {
    "configuration": "Configuration",
    "smartassist_analytics": "SmartAssist Analytics",
    "wfm_integration": "WFM Integration",
}
CALLVOLUME_TIME_UNITS = ("milliseconds", "seconds")
DEFAULT_ORG_ID = "o-5f3a9c1e-7b2d-5e48-a6c0-d91b4e7f2a63"


@dataclass
class SimulatorConfig:
    """Everything that shapes the simulated tenant.

    Who works here depends on ``agents`` and ``seed``; their starting skills and queues on
    ``skills`` and ``queues`` as well (6 and 4: the scopes file's catalogue).
    ``membership_changes_per_day`` changes one agent's skill or queue that many times a local
    day; ``drift_agents`` makes filtered availability answers disagree with the listing;
    ``missing_api_scopes`` (names of :data:`API_SCOPES`) are the scopes the app lacks;
    ``rate_clock`` is ``"wall"`` (the rate window follows the monotonic clock) or ``"model"``
    (it follows the model's clock, for tests that drive simulated minutes).

    Contacts: ``contact_load`` multiplies every queue's default volume (0: no contacts);
    ``queue_profiles`` replaces the default profiles (queues left out get no contacts).
    The callvolume route serves ``callvolume_history_days`` days back when the request has no
    ``fromTimeStamp``, at most ``callvolume_page_max`` rows a page, times in
    ``callvolume_time_unit``; with ``callvolume_restate_last`` = N > 0, some contacts of the
    last N ended intervals are reported late, so those rows change when fetched again.
    The status history routes (Agent Status Details v3, Historical Agent Status Summary)
    serve at most ``history_max_days`` local days a request and ``history_page_max`` agents
    a page (a larger ``limit`` is refused); ``status_details_offline`` lists logged-out
    (OFFLINE) spans in the status details too (default: only the log-in/out events).
    """

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
    skills: int = 6
    queues: int = 4
    page_size: int = 10
    membership_changes_per_day: int = 0
    drift_agents: int = 0
    missing_api_scopes: tuple[str, ...] = ()
    org_id: str = DEFAULT_ORG_ID
    rate_clock: str = "wall"
    contact_load: float = 1.0
    queue_profiles: tuple[QueueProfile, ...] | None = None
    callvolume_history_days: int = 35
    callvolume_page_max: int = 100
    callvolume_time_unit: str = "milliseconds"
    callvolume_restate_last: int = 0
    history_max_days: int = 31
    history_page_max: int = 50
    status_details_offline: bool = False

    def validate(self) -> None:
        """Refuse knob values the simulator cannot honour (ValueError)."""
        for name in ("page_size",):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        for name in (
            "callvolume_history_days",
            "callvolume_page_max",
            "history_max_days",
            "history_page_max",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if not (math.isfinite(self.contact_load) and self.contact_load >= 0):
            raise ValueError("contact_load must be a finite number >= 0")
        if self.callvolume_time_unit not in CALLVOLUME_TIME_UNITS:
            raise ValueError(f"callvolume_time_unit must be one of {CALLVOLUME_TIME_UNITS}")
        for name in ("membership_changes_per_day", "drift_agents", "callvolume_restate_last"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        unknown = set(self.missing_api_scopes) - set(API_SCOPES)
        if unknown:
            raise ValueError(
                f"unknown API scope(s) {sorted(unknown)}; known: {', '.join(API_SCOPES)}"
            )
        if self.rate_clock not in ("wall", "model"):
            raise ValueError("rate_clock must be 'wall' or 'model'")
        if not self.org_id:
            raise ValueError("org_id must be a non-empty string")

    def __repr__(self) -> str:
        # The secret is simulator-only, but keep it out of logs and tracebacks anyway.
        fields = ", ".join(
            f"{name}={'***' if name == 'client_secret' else repr(getattr(self, name))}"
            for name in self.__dataclass_fields__
        )
        return f"SimulatorConfig({fields})"
