"""The Kore.ai accounts one deployment serves: the accounts file, or the one implicit account.

Without ``AVAILABILITY_ACCOUNTS_FILE`` there is one account, named by ``AVAILABILITY_ACCOUNT_NAME``
(default ``default``), whose connection comes from the ``KORE_*`` settings and whose data is
``AVAILABILITY_DB``: single-account use needs no configuration. With the file, each
``[[account]]`` names its own host, bot, Kore account, organization, time zone, scopes,
targets, forecast and schedules files, DuckDB file, and the *names* of the environment
variables holding its client ID and secret (never the secrets themselves).

Each account's data is its own DuckDB file, which records the account it belongs to
(``warehouse_account``): no row of one account can join another's, one account's lock, size or
damaged file never costs the others, and a departing client's data is one file. The account
named by ``AVAILABILITY_ACCOUNT_NAME`` keeps ``AVAILABILITY_DB``, so the data of a deployment
that served one account becomes that account's without a rewrite.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines import settings

__all__ = [
    "ACCOUNT_DIMENSION",
    "DAY_DIMENSION",
    "Account",
    "AccountsFileError",
    "configured",
    "is_multi",
    "load_accounts",
    "named",
]

# The two dimensions of a coverage partition when an accounts file is set ("acme|2026-10-20").
ACCOUNT_DIMENSION = "account"
DAY_DIMENSION = "day"

# Names go into partition keys, file names and alert texts: lower-case letters, digits, - and _.
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# Upper case only: a client secret pasted in place of its variable's name is then refused
# here, before a later "<name> is not set" could repeat it.
_VARIABLE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_REQUIRED = ("name", "host", "bot_id", "account_id", "client_id_env", "client_secret_env")
_PATHS = ("scopes", "targets", "forecast", "schedules", "database")
# The keys of an account that stand for a KORE_* setting of the same name.
_CONNECTION_KEYS = ("host", "bot_id", "account_id", "org_id")


class AccountsFileError(ValueError):
    """The accounts file is missing or malformed; the message names the file, line and key."""


@dataclass(frozen=True)
class Account:
    """One Kore.ai account. A field left None is taken from the single-account settings
    (``KORE_*``, ``AVAILABILITY_*``) or the resource it binds: that is the implicit account."""

    name: str
    host: str | None = None
    bot_id: str | None = None
    account_id: str | None = None
    org_id: str | None = None
    time_zone: str | None = None
    scopes: str | None = None
    targets: str | None = None
    forecast: str | None = None
    schedules: str | None = None
    database: str | None = None
    client_id_env: str | None = None
    client_secret_env: str | None = None

    @property
    def implicit(self) -> bool:
        """The account of the single-account settings (no accounts file)."""
        return self.host is None

    def connection(self) -> dict[str, Any]:
        """The Kore connection (KoreSettings fields) this account overrides; the secret is read
        from the variable the file names, now, through pipelines.settings."""
        if self.implicit:
            return {}
        return {
            "host": self.host,
            "bot_id": self.bot_id,
            "account_id": self.account_id,
            "org_id": self.org_id,
            "client_id": settings.named(self.client_id_env or "", self._where("client_id_env")),
            "client_secret": settings.named(
                self.client_secret_env or "", self._where("client_secret_env"), secret=True
            ),
            "sources": self.sources(),
        }

    def _where(self, key: str) -> str:
        return f"{key} of account {self.name!r} in AVAILABILITY_ACCOUNTS_FILE"

    def sources(self) -> tuple[tuple[str, str], ...]:
        """Where this account's values come from, per KORE_* setting they stand for (none for
        the implicit account), so error hints name what to change for this account."""
        if self.implicit:
            return ()
        return (
            (
                "KORE_CLIENT_SECRET",
                f"{self.client_secret_env} ({self._where('client_secret_env')})",
            ),
            ("KORE_CLIENT_ID", f"{self.client_id_env} ({self._where('client_id_env')})"),
            *((f"KORE_{key.upper()}", self._where(key)) for key in _CONNECTION_KEYS),
        )


def _header_lines(text: str) -> list[int]:
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if re.match(r"^\s*\[\[\s*account\s*\]\]", line)
    ]


def _default_database(name: str) -> str | None:
    """The account of AVAILABILITY_ACCOUNT_NAME keeps AVAILABILITY_DB (None: the resource's);
    the others get ``<stem>.<name>.duckdb`` beside it."""
    if name == settings.get("AVAILABILITY_ACCOUNT_NAME"):
        return None
    database = Path(settings.get("AVAILABILITY_DB"))
    return str(database.with_name(f"{database.stem}.{name}{database.suffix or '.duckdb'}"))


def _account(entry: Any, where: str, folder: Path) -> Account:
    if not isinstance(entry, dict):
        raise AccountsFileError(f"{where}: an [[account]] must be a table")
    known = {f.name for f in fields(Account)}
    for key in entry:
        if key not in known:
            raise AccountsFileError(
                f"{where}: unknown key {key!r} (known: {', '.join(sorted(known))})"
            )
    for key, value in entry.items():
        if not isinstance(value, str):
            raise AccountsFileError(  # the type alone: the value may be a pasted secret
                f"{where}: {key} must be a string, got a {type(value).__name__}"
            )
    values = {key: value.strip() for key, value in entry.items()}
    for key in _REQUIRED:
        if not values.get(key):
            raise AccountsFileError(f"{where}: {key} is required")
    if not _NAME.match(values["name"]):
        raise AccountsFileError(
            f"{where}: name {values['name']!r} must be lower-case letters, digits, - or _ "
            "(it goes into partition keys and file names)"
        )
    for key in ("client_id_env", "client_secret_env"):
        if not _VARIABLE.match(values[key]):
            raise AccountsFileError(
                f"{where}: {key} must be the NAME of an environment variable "
                "(upper-case letters, digits, _), never the value itself"
            )
    if values.get("time_zone"):
        try:
            ZoneInfo(values["time_zone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise AccountsFileError(
                f"{where}: time_zone {values['time_zone']!r} is not an IANA zone"
            ) from None
    else:
        values["time_zone"] = settings.get("AVAILABILITY_TIME_ZONE")
    for key in _PATHS:
        if values.get(key):
            values[key] = str((folder / values[key]).resolve())
        else:
            values.pop(key, None)
    values.setdefault("database", _default_database(values["name"]))
    values.setdefault("scopes", str(settings.get("AVAILABILITY_SCOPES")))
    return Account(**{k: v or None for k, v in values.items()})


def load_accounts(path: str | Path) -> tuple[Account, ...]:
    """Parse and check the accounts file; paths in it are relative to its folder."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AccountsFileError(
            f"accounts file {file} (AVAILABILITY_ACCOUNTS_FILE) not found"
        ) from None
    except UnicodeDecodeError:
        raise AccountsFileError(f"accounts file {file} is not UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AccountsFileError(f"accounts file {file}: {exc}") from None
    unknown = set(document) - {"account"}
    if unknown:
        raise AccountsFileError(
            f"accounts file {file}: unknown top-level key(s) {sorted(unknown)}; "
            "each account is an [[account]] table"
        )
    entries = document.get("account", [])
    if not isinstance(entries, list) or not entries:
        raise AccountsFileError(f"accounts file {file}: no [[account]] table")
    lines = _header_lines(text)
    wheres = [f"{file}, line {lines[i] if i < len(lines) else '?'}" for i in range(len(entries))]
    accounts = [
        _account(entry, where, file.parent) for entry, where in zip(entries, wheres, strict=True)
    ]
    _refuse_shared(wheres, accounts)
    return tuple(accounts)


def _refuse_shared(wheres: list[str], accounts: list[Account]) -> None:
    """Two accounts with one name or one DuckDB file would mix their data; two entries of one
    Kore account (two bots) must share one budget ledger, or each would spend the whole 60."""
    seen: dict[Any, str] = {}
    own = Path(settings.get("AVAILABILITY_DB")).resolve()
    for where, account in zip(wheres, accounts, strict=True):
        database = Path(account.database).resolve() if account.database else own
        keys = [("name", account.name), ("database", str(database))]
        if not settings.get("AVAILABILITY_BUDGET_LEDGER"):
            keys.append(("Kore account", (account.host, account.account_id)))
        for kind, key in keys:
            if (kind, key) in seen:
                hint = (
                    "; set AVAILABILITY_BUDGET_LEDGER so both spend one per-minute budget"
                    if kind == "Kore account"
                    else ""
                )
                raise AccountsFileError(
                    f"{where}: accounts {seen[(kind, key)]!r} and {account.name!r} share "
                    f"one {kind}{hint}"
                )
            seen[(kind, key)] = account.name


def is_multi() -> bool:
    """Whether an accounts file is set (coverage partitions are then account × day)."""
    return settings.get("AVAILABILITY_ACCOUNTS_FILE") is not None


def configured() -> tuple[Account, ...]:
    """The accounts of the accounts file, or the one implicit account; read on every call, so
    a poll sees an edit at once (partitions see it when the code location reloads)."""
    path = settings.get("AVAILABILITY_ACCOUNTS_FILE")
    if path is None:
        return (Account(name=settings.get("AVAILABILITY_ACCOUNT_NAME")),)
    return load_accounts(path)


def named(name: str) -> Account:
    """The configured account called ``name``; an unknown name says which ones exist."""
    accounts = configured()
    for account in accounts:
        if account.name == name:
            return account
    raise AccountsFileError(
        f"no account named {name!r}; configured: {', '.join(a.name for a in accounts)}"
    )
