"""Several Kore.ai accounts in tests: an accounts file over simulators, and its environment."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pipelines.simulator import SimulatorServer


def variables(name: str) -> tuple[str, str]:
    """The names of the variables holding an account's client ID and secret."""
    stem = name.upper().replace("-", "_")
    return f"{stem}_CLIENT_ID", f"{stem}_CLIENT_SECRET"


def write_accounts(
    path: Path,
    servers: Mapping[str, SimulatorServer],
    extra: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, str]:
    """An accounts file with one account per simulator (name -> server), each in the server's
    zone; ``extra`` adds keys per account (``database``, say). Returns the environment that
    serves it: the file's path and each account's credentials under the names it gives."""
    env = {"AVAILABILITY_ACCOUNTS_FILE": str(path)}
    lines = []
    for name, server in servers.items():
        config = server.config
        id_env, secret_env = variables(name)
        keys = {
            "name": name,
            "host": server.base_url,
            "bot_id": config.bot_id,
            "account_id": config.account_id,
            "org_id": config.org_id,
            "time_zone": config.time_zone,
            "client_id_env": id_env,
            "client_secret_env": secret_env,
            **(extra or {}).get(name, {}),
        }
        lines += ["[[account]]", *(f'{key} = "{value}"' for key, value in keys.items()), ""]
        env[id_env] = config.client_id
        env[secret_env] = config.client_secret
    path.write_text("\n".join(lines), encoding="utf-8")
    return env
