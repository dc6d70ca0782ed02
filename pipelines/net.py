"""Whether a host name means this machine: one rule for the client, the PII guard and the simulator.

Only the name ``localhost`` counts by name. Other names that usually point here
(``localhost.localdomain``, ``*.localhost``) are up to the resolver and the hosts file, so they
are treated like any other name; so is everything that is not an IP literal in 127.0.0.0/8 or
``::1``. Callers use the answer to allow plain ``http://`` without a flag, to bypass proxy
variables, to hash without a key kept elsewhere, and to serve debug endpoints, so erring towards
"not loopback" only ever asks for an explicit setting.
"""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback_host"]


def is_loopback_host(hostname: str) -> bool:
    """True for ``localhost`` and for loopback IP literals (``127.0.0.0/8``, ``::1``).

    Brackets around an IPv6 literal (``[::1]``, as in a URL) and letter case are ignored. An
    IPv4-mapped IPv6 literal (``::ffff:127.0.0.1``) counts as its IPv4 address, whatever the
    Python version (3.13 changed ``is_loopback`` for these).
    """
    name = hostname.strip().strip("[]").split("%")[0].lower()  # "fe80::1%eth0": the address
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
