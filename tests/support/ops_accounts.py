"""Two simulated Kore.ai accounts and their accounts file, for the tests of the pieces that
serve every account (tests/integration/test_accounts_ops.py).

``acme`` and ``beta`` are two simulators on 127.0.0.1, each with its own bot, Kore account,
credentials, time zone and DuckDB file; ``gamma`` is the broken one the tests add on demand:
its secret's variable is never set. Everything goes through ``monkeypatch``, and the accounts
file is read at run time, so in-process runs see it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipelines.resources import KoreResource, ScopesResource, WarehouseResource
from pipelines.simulator import SimulatorServer
from pipelines.warehouse import connect
from tests.support.accounts import write_accounts

__all__ = ["ZONES", "Accounts", "everything_said", "rows", "text"]

Factory = Callable[..., SimulatorServer]
ZONES = {"acme": "America/New_York", "beta": "Asia/Kolkata", "gamma": "UTC"}


class Accounts:
    """The accounts file and the environment of two simulated accounts (and, on demand, the
    broken ``gamma``), set through ``monkeypatch`` so every run reads them at run time."""

    def __init__(self, factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        self.tmp_path = tmp_path
        self.monkeypatch = monkeypatch
        self.servers = {
            name: factory(
                agents=agents,
                seed=seed,
                rate_limit_per_minute=None,
                bot_id=f"st-{name}-bot",
                account_id=f"{name}-account",
                client_id=f"cs-{name}-client",
                client_secret=f"{name}-secret-" + "s" * 48,
            )
            for name, agents, seed in (("acme", 30, 5), ("beta", 50, 9))
        }
        scopes = tmp_path / "scopes.toml"
        scopes.write_text('[[scope]]\nkind = "all"\nname = "All agents"\n', encoding="utf-8")
        self.file = tmp_path / "accounts.toml"
        monkeypatch.setenv("AVAILABILITY_DB", str(tmp_path / "warehouse.duckdb"))
        monkeypatch.setenv("AVAILABILITY_ACCOUNTS_FILE", str(self.file))
        for name, server in self.servers.items():
            monkeypatch.setenv(f"{name.upper()}_CLIENT_ID", server.config.client_id)
            monkeypatch.setenv(f"{name.upper()}_CLIENT_SECRET", server.config.client_secret)
        monkeypatch.setenv("GAMMA_CLIENT_ID", "cs-gamma-client")
        monkeypatch.delenv("GAMMA_CLIENT_SECRET", raising=False)
        self.write(broken=False)

    def write(self, broken: bool) -> None:
        """The accounts file: acme and beta, and gamma too when ``broken``."""
        names = ["acme", "beta"] + (["gamma"] if broken else [])
        # gamma never gets as far as a request: beta's server stands in for its address.
        servers = {name: self.servers.get(name, self.servers["beta"]) for name in names}
        extra = {
            name: {
                "bot_id": f"st-{name}-bot",
                "account_id": f"{name}-account",
                "time_zone": ZONES[name],
                "scopes": "scopes.toml",
                "database": f"{name}.duckdb",
            }
            for name in names
        }
        write_accounts(self.file, servers, extra)

    def db(self, name: str) -> str:
        return str(self.tmp_path / f"{name}.duckdb")

    @property
    def secrets(self) -> list[str]:
        return [server.config.client_secret for server in self.servers.values()]

    def resources(self) -> dict[str, Any]:
        """Resources as the code location makes them: unbound, the accounts bind them."""
        return {
            "kore": KoreResource(
                tick_deadline_seconds=8.0,
                max_attempts=2,
                backoff_base_seconds=0.05,
                backoff_cap_seconds=0.2,
            ),
            "scopes": ScopesResource(path=str(self.tmp_path / "scopes.toml")),
            "warehouse": WarehouseResource(database=str(self.tmp_path / "warehouse.duckdb")),
        }

    @classmethod
    def start(cls, factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Accounts:
        """The two accounts, with no KORE_* variable left to stand in for theirs."""
        for variable in [v for v in os.environ if v.startswith("KORE_")]:
            monkeypatch.delenv(variable)
        return cls(factory, tmp_path, monkeypatch)


def rows(database: str, sql: str) -> list[tuple]:
    with connect(database, read_only=True) as con:
        return con.execute(sql).fetchall()


def text(value: Any) -> str:
    """A Markdown metadata value without its escapes (pipelines.markdown escapes _ and ())."""
    return value.value.replace("\\", "")


def everything_said(result: Any) -> str:
    """Every event's text of a run (messages, metadata, errors) as one string."""
    return " ".join(str(event) for event in result.all_events)
