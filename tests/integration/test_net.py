"""One rule for "this machine": pipelines.net.is_loopback_host, and the code that asks it.

Three copies used to disagree: ``localhost.localdomain`` was local for the Kore client (plain
http allowed, proxies bypassed) but not for the PII guard or the simulator, so a poll passed
validation and was then refused. Only ``localhost`` itself and loopback IP literals count.
"""

from __future__ import annotations

import asyncio

import pytest

from pipelines.kore import KoreConfigError, KoreSettings
from pipelines.kore.availability import AVAILABILITY
from pipelines.kore.transport import KoreTransport
from pipelines.net import is_loopback_host
from pipelines.warehouse import PiiConfigError, PiiPolicy

LOOPBACK = ["localhost", "LocalHost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1"]
NOT_LOOPBACK = [
    "localhost.localdomain",
    "app.localhost",
    "localhost.",
    "127.0.0.1.nip.io",
    "0.0.0.0",
    "10.0.0.5",
    "::",
    "::ffff:10.0.0.1",
    "example.com",
]


def url(host: str) -> str:
    bracketed = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{bracketed}:8765"


def settings_for(host: str, **overrides: object) -> KoreSettings:
    return KoreSettings(
        host=url(host),
        bot_id="st-bot",
        account_id="acc",
        client_id="cs-client",
        client_secret="a-client-secret-long-enough-for-hs256-0123456789",
        **overrides,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("host", LOOPBACK)
def test_localhost_and_loopback_literals_are_loopback(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", [*NOT_LOOPBACK, ""])
def test_other_names_and_addresses_are_not(host: str) -> None:
    assert not is_loopback_host(host)


@pytest.mark.parametrize("host", LOOPBACK + NOT_LOOPBACK)
def test_the_kore_client_allows_plain_http_exactly_to_loopback(host: str) -> None:
    if is_loopback_host(host):
        settings_for(host).validate()
        return
    with pytest.raises(KoreConfigError, match="KORE_ALLOW_INSECURE_HTTP"):
        settings_for(host).validate()


@pytest.mark.parametrize("host", LOOPBACK + NOT_LOOPBACK)
def test_the_kore_client_bypasses_proxies_exactly_for_loopback(host: str) -> None:
    http = KoreTransport(settings_for(host, allow_insecure_http=True), AVAILABILITY).open()
    try:
        assert http.trust_env is not is_loopback_host(host)
    finally:
        asyncio.run(http.aclose())


def test_the_pii_guard_agrees() -> None:
    policy = PiiPolicy.from_env({})  # hash without a key: allowed only against this machine
    for host in LOOPBACK + NOT_LOOPBACK:
        if is_loopback_host(host):
            policy.require_key_for(url(host))
        else:
            with pytest.raises(PiiConfigError):
                policy.require_key_for(url(host))
