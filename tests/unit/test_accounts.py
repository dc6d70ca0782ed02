"""The accounts file: what it accepts, and errors that name the file, line and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pipelines import accounts
from pipelines.accounts import AccountsFileError, load_accounts
from pipelines.kore import KoreConfigError
from pipelines.resources import KoreResource, WarehouseResource

SECRET = "a-client-secret-that-must-never-be-shown-0123456789"


def entry(name: str, **overrides: Any) -> dict[str, str]:
    """One account's keys: its own host and Kore account unless a test says otherwise."""
    values = {
        "name": name,
        "host": f"https://{name}.kore.example",
        "bot_id": f"st-{name}",
        "account_id": f"acc-{name}",
        "client_id_env": f"{name.upper()}_CLIENT_ID",
        "client_secret_env": f"{name.upper()}_CLIENT_SECRET",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def write(path: Path, *entries: dict[str, Any], preamble: str = "") -> Path:
    """An accounts file of these entries, each after a comment line so headers move down."""
    lines = [preamble] if preamble else []
    for values in entries:
        lines += ["# another account", "[[account]]"]
        lines += [f"{key} = {_toml(value)}" for key, value in values.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _toml(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def header_line(path: Path, index: int) -> int:
    """The line number of the ``index``-th ``[[account]]`` header, counted independently."""
    numbers = [
        n for n, line in enumerate(path.read_text().splitlines(), 1) if line == "[[account]]"
    ]
    return numbers[index]


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A single-account database in its own folder; no ledger, default account name."""
    path = tmp_path / "data" / "warehouse.duckdb"
    monkeypatch.setenv("AVAILABILITY_DB", str(path))
    for name in ("AVAILABILITY_ACCOUNTS_FILE", "AVAILABILITY_ACCOUNT_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AVAILABILITY_BUDGET_LEDGER", raising=False)
    return path


def refused(path: Path) -> str:
    with pytest.raises(AccountsFileError) as caught:
        load_accounts(path)
    return str(caught.value)


@pytest.mark.parametrize(
    ("second", "key"),
    [
        (entry("beta", colour="blue"), "colour"),
        (entry("beta", host=None), "host"),
        (entry("beta", bot_id=" "), "bot_id"),
        (entry("beta", client_secret_env=None), "client_secret_env"),
        (entry("Beta Corp"), "name"),
        (entry("beta", time_zone="Mars/Olympus_Mons"), "time_zone"),
        (entry("beta", account_id=42), "account_id"),
    ],
    ids=["unknown", "no-host", "blank-bot", "no-secret-env", "bad-name", "bad-zone", "not-text"],
)
def test_an_error_names_the_file_the_line_of_its_account_and_the_key(
    tmp_path: Path, second: dict[str, Any], key: str
) -> None:
    path = write(tmp_path / "accounts.toml", entry("alpha"), second)
    message = refused(path)
    assert str(path) in message
    assert f"line {header_line(path, 1)}:" in message
    assert key in message.split(":", 1)[1]


@pytest.mark.parametrize("key", ["client_id_env", "client_secret_env"])
@pytest.mark.parametrize("value", [SECRET, "secret+with/base64=", "Alnum0Secret9Value"])
def test_a_value_where_a_variable_name_belongs_is_refused_and_never_repeated(
    tmp_path: Path, key: str, value: str
) -> None:
    path = write(tmp_path / "accounts.toml", entry("alpha", **{key: value}))
    message = refused(path)
    assert key in message and f"line {header_line(path, 0)}" in message
    assert value not in message


def test_a_number_pasted_where_a_variable_name_belongs_is_not_repeated(tmp_path: Path) -> None:
    path = write(tmp_path / "accounts.toml", entry("alpha", client_secret_env=73914285067))
    message = refused(path)
    assert "client_secret_env" in message and "73914285067" not in message


@pytest.mark.parametrize(
    ("second", "shared"),
    [
        (entry("alpha", host="https://other.kore.example", account_id="x"), "name"),
        (entry("beta", database="data/one.duckdb"), "database"),
        (entry("beta", host="https://alpha.kore.example", account_id="acc-alpha"), "Kore account"),
    ],
    ids=["name", "database", "kore-account"],
)
def test_two_accounts_sharing_what_must_be_their_own_are_refused(
    tmp_path: Path, second: dict[str, Any], shared: str
) -> None:
    first = entry("alpha", database="data/one.duckdb")
    path = write(tmp_path / "accounts.toml", first, second)
    message = refused(path)
    assert str(path) in message and f"line {header_line(path, 1)}" in message
    assert "'alpha'" in message and f"share one {shared}" in message
    if shared == "Kore account":
        assert "AVAILABILITY_BUDGET_LEDGER" in message


def test_an_account_given_the_default_accounts_database_by_path_is_refused(
    tmp_path: Path, database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The account of AVAILABILITY_ACCOUNT_NAME keeps AVAILABILITY_DB; another naming that
    file by its path (relative to the accounts file) would share it."""
    monkeypatch.setenv("AVAILABILITY_ACCOUNT_NAME", "alpha")
    relative = database.relative_to(tmp_path)
    path = write(tmp_path / "accounts.toml", entry("alpha"), entry("beta", database=str(relative)))
    assert "share one database" in refused(path)


def test_two_bots_of_one_kore_account_are_accepted_with_a_shared_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVAILABILITY_BUDGET_LEDGER", str(tmp_path / "ledger.sqlite"))
    same = {"host": "https://one.kore.example", "account_id": "acc-one"}
    path = write(tmp_path / "accounts.toml", entry("alpha", **same), entry("beta", **same))
    assert [a.name for a in load_accounts(path)] == ["alpha", "beta"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[[account]\nname = ", "accounts.toml"),
        ("", "no [[account]] table"),
        ('title = "x"\n', "unknown top-level key"),
        ("account = 3\n", "no [[account]] table"),
    ],
    ids=["not-toml", "empty", "top-level-key", "not-a-list"],
)
def test_a_malformed_file_names_itself(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(text)
    message = refused(path)
    assert str(path) in message and says in message


def test_a_missing_file_names_itself_and_its_setting(tmp_path: Path) -> None:
    message = refused(tmp_path / "nowhere.toml")
    assert str(tmp_path / "nowhere.toml") in message and "AVAILABILITY_ACCOUNTS_FILE" in message


def test_paths_are_relative_to_the_accounts_file_not_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    files = {
        "scopes": "alpha/scopes.toml",
        "targets": "../shared/targets.csv",
        "forecast": "alpha/forecast.csv",
        "schedules": "alpha/schedules.csv",
        "database": "../data/alpha.duckdb",
    }
    [alpha] = load_accounts(write(folder / "accounts.toml", entry("alpha", **files)))
    for key, relative in files.items():
        assert Path(getattr(alpha, key)) == (folder / relative).resolve(), key


def test_defaults_the_zone_the_scopes_and_a_database_beside_the_single_account_one(
    tmp_path: Path, database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVAILABILITY_TIME_ZONE", "Asia/Tokyo")
    monkeypatch.setenv("AVAILABILITY_SCOPES", str(tmp_path / "scopes.toml"))
    path = write(
        tmp_path / "accounts.toml",
        entry("alpha"),
        entry("beta", time_zone="Europe/Berlin"),
        entry("default"),
    )
    alpha, beta, default = load_accounts(path)
    assert Path(alpha.database) == database.parent / f"{database.stem}.alpha.duckdb"
    assert Path(beta.database) == database.parent / f"{database.stem}.beta.duckdb"
    assert (alpha.time_zone, beta.time_zone) == ("Asia/Tokyo", "Europe/Berlin")
    assert alpha.scopes == beta.scopes == str(tmp_path / "scopes.toml")
    # The account of AVAILABILITY_ACCOUNT_NAME ("default") keeps AVAILABILITY_DB itself.
    assert default.database is None
    warehouse = WarehouseResource(database=str(database))
    assert warehouse.for_account(default).database == str(database)
    assert warehouse.for_account(alpha).database == alpha.database
    assert not any(a.implicit for a in (alpha, beta, default))


def test_the_named_single_account_keeps_the_single_account_database(
    tmp_path: Path, database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVAILABILITY_ACCOUNT_NAME", "beta")
    alpha, beta = load_accounts(write(tmp_path / "accounts.toml", entry("alpha"), entry("beta")))
    assert beta.database is None and alpha.database is not None


def test_without_a_file_there_is_one_implicit_account_of_the_configured_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert [a.name for a in accounts.configured()] == ["default"]
    monkeypatch.setenv("AVAILABILITY_ACCOUNT_NAME", "acme")
    [only] = accounts.configured()
    assert (only.name, only.implicit, only.database, only.connection()) == ("acme", True, None, {})
    assert not accounts.is_multi()


def test_accounts_are_read_on_every_call_and_named_lists_the_known_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "accounts.toml", entry("alpha"))
    monkeypatch.setenv("AVAILABILITY_ACCOUNTS_FILE", str(path))
    assert accounts.is_multi() and accounts.named("alpha").bot_id == "st-alpha"
    write(path, entry("alpha"), entry("beta"))
    assert accounts.named("beta").host == "https://beta.kore.example"
    with pytest.raises(AccountsFileError, match="gamma.*alpha, beta"):
        accounts.named("gamma")


def test_credentials_come_from_the_named_variables_when_a_run_needs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [alpha] = load_accounts(
        write(tmp_path / "accounts.toml", entry("alpha", org_id="o-alpha", time_zone="UTC"))
    )
    kore = KoreResource(tick_deadline_seconds=5.0).for_account(alpha)
    monkeypatch.setenv("ALPHA_CLIENT_ID", "cs-alpha")
    monkeypatch.setenv("ALPHA_CLIENT_SECRET", SECRET)
    # The single-account variables are ignored for a named account.
    monkeypatch.setenv("KORE_CLIENT_SECRET", "the-single-account-secret-not-this-one")
    found = kore.settings()
    assert (found.client_id, found.client_secret) == ("cs-alpha", SECRET)
    assert (found.host, found.bot_id, found.account_id) == (alpha.host, "st-alpha", "acc-alpha")
    assert found.org_id == "o-alpha" and found.tick_deadline_s == 5.0
    assert SECRET not in repr(found) and SECRET not in repr(alpha)
    monkeypatch.setenv("ALPHA_CLIENT_SECRET", SECRET + "-rotated")
    assert kore.settings().client_secret == SECRET + "-rotated"  # read again, not kept


@pytest.mark.parametrize("unset", ["ALPHA_CLIENT_ID", "ALPHA_CLIENT_SECRET"])
def test_an_unset_credential_variable_is_named_with_its_account_and_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unset: str
) -> None:
    [alpha] = load_accounts(write(tmp_path / "accounts.toml", entry("alpha")))
    monkeypatch.setenv("ALPHA_CLIENT_ID", "cs-alpha")
    monkeypatch.setenv("ALPHA_CLIENT_SECRET", SECRET)
    monkeypatch.setenv(unset, "   ")  # blank counts as unset
    with pytest.raises(KoreConfigError) as caught:
        KoreResource().for_account(alpha).settings()
    message = str(caught.value)
    assert unset in message and "'alpha'" in message and "AVAILABILITY_ACCOUNTS_FILE" in message
    assert SECRET not in message


def test_a_bad_value_of_an_account_names_its_key_not_the_single_account_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [alpha] = load_accounts(
        write(tmp_path / "accounts.toml", entry("alpha", host="ftp://alpha.kore.example"))
    )
    monkeypatch.setenv("ALPHA_CLIENT_ID", "cs-alpha")
    monkeypatch.setenv("ALPHA_CLIENT_SECRET", SECRET)
    with pytest.raises(KoreConfigError) as caught:
        KoreResource().for_account(alpha).settings()
    message = str(caught.value)
    assert "host of account 'alpha' in AVAILABILITY_ACCOUNTS_FILE" in message
    assert "KORE_HOST" not in message and SECRET not in message
    # The single-account settings keep their own names.
    monkeypatch.setenv("KORE_HOST", "ftp://single.kore.example")
    for name, value in (("BOT_ID", "st-x"), ("ACCOUNT_ID", "a"), ("CLIENT_ID", "c")):
        monkeypatch.setenv(f"KORE_{name}", value)
    monkeypatch.setenv("KORE_CLIENT_SECRET", SECRET)
    with pytest.raises(KoreConfigError, match="KORE_HOST"):
        KoreResource().settings()
