"""One rule for "this machine": pipelines.net.is_loopback_host, and the code that asks it.

Three copies used to disagree: ``localhost.localdomain`` was local for the Kore client (plain
http allowed, proxies bypassed) but not for the PII guard or the simulator, so a poll passed
validation and was then refused. Only ``localhost`` itself and loopback IP literals count.
"""

from __future__ import annotations

import pytest

from pipelines.net import is_loopback_host

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


@pytest.mark.parametrize("host", LOOPBACK)
def test_localhost_and_loopback_literals_are_loopback(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", [*NOT_LOOPBACK, ""])
def test_other_names_and_addresses_are_not(host: str) -> None:
    assert not is_loopback_host(host)
