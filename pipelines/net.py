"""Which hosts count as this machine: one rule for the Kore client, the PII guard and the
simulator, so a host cannot pass one check and fail another."""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback_host"]


def is_loopback_host(hostname: str) -> bool:
    """True for ``localhost`` and for loopback IP literals (127.0.0.0/8, ``::1``).

    Only the name ``localhost`` itself is trusted by name: any other name (``*.localhost``,
    ``localhost.localdomain``) can resolve anywhere, so it does not count as loopback.
    """
    # "[::1]" from a URL, "fe80::1%eth0" with a zone: the address is what counts.
    name = hostname.strip().strip("[]").split("%")[0].rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
