"""The simulator under hostile requests: debug endpoints refuse cross-site
requests, the request-body cap holds for chunked bodies, a malformed ``exp`` is a 401."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from pipelines.simulator import SimulatorServer

Factory = Callable[..., SimulatorServer]


def _raw(server: SimulatorServer, request: bytes) -> bytes:
    """Send ``request`` as is on a new connection; the whole answer."""
    host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_debug_endpoints_refuse_cross_site_requests(simulator: SimulatorServer) -> None:
    url = f"{simulator.base_url}/debug/faults"
    with httpx.Client(timeout=10) as client:
        assert client.get(url).status_code == 200  # tests and the demo: no Origin
        same = {"Origin": simulator.base_url, "Sec-Fetch-Site": "same-origin"}
        assert client.get(url, headers=same).status_code == 200
        refused = [
            {"Origin": "https://evil.example"},  # a page elsewhere posting to 127.0.0.1
            {"Host": "rebound.evil.example"},  # DNS rebinding: the page's name, our address
            {"Host": "x.localhost"},  # a name that only may point here
            {"Sec-Fetch-Site": "cross-site"},
        ]
        for headers in refused:
            answer = client.post(url, json={"malformed_rate": 1.0}, headers=headers)
            assert answer.status_code == 403, headers
        assert client.get(url).json()["malformed_rate"] == 0.0  # no refused post took effect


def test_chunked_body_cap_holds_for_a_negative_chunk_size(simulator: SimulatorServer) -> None:
    host = simulator.base_url.removeprefix("http://")
    head = (
        f"POST /debug/faults HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/json\r\n\r\n"
    ).encode()
    for size in (b"-1", b"-0x10", b"zz", b"1" * 40):
        answer = _raw(simulator, head + size + b"\r\n" + b"{" * 4096 + b"\r\n0\r\n\r\n")
        assert answer.startswith(b"HTTP/1.0 400") or answer.startswith(b"HTTP/1.1 400"), answer
    # Seven MiB past the cap: more than socket buffers hold, so the refusal must be read whole
    # while the client is still sending (a server that closes at once resets it instead).
    too_big = b"".join(b"100000\r\n" + b" " * 0x100000 + b"\r\n" for _ in range(8))
    answer = _raw(simulator, head + too_big + b"0\r\n\r\n")
    assert b" 413 " in answer.split(b"\r\n", 1)[0]
    ok = _raw(simulator, head + b"2\r\n{}\r\n0\r\n\r\n")
    assert b" 200 " in ok.split(b"\r\n", 1)[0]


def test_malformed_exp_in_jti_mode_is_401(simulator_factory: Factory) -> None:
    server = simulator_factory(enforce_jti=True)
    url = f"{server.base_url}/agentassist/api/v1/public/{server.config.bot_id}"
    url += "/agents/availability"
    now = int(time.time())
    bad: list[dict[str, Any]] = [
        {"iat": now, "exp": str(now + 60)},  # PyJWT takes "123"; the lifetime check cannot
        {"iat": str(now), "exp": now + 60},
        {"iat": now, "exp": 10**30},
        {"iat": now, "exp": [now]},
    ]
    with httpx.Client(timeout=10) as client:
        for n, claims in enumerate(bad):
            payload = {"appId": server.config.client_id, "jti": f"j-{n}", **claims}
            auth = jwt.encode(payload, server.config.client_secret, algorithm="HS256")
            headers = {"auth": auth, "accountId": server.config.account_id}
            answer = client.post(url, json={}, headers=headers)
            assert answer.status_code == 401, (claims, answer.text)
        good = {"appId": server.config.client_id, "jti": "j-ok", "iat": now, "exp": now + 60}
        headers = {
            "auth": jwt.encode(good, server.config.client_secret, algorithm="HS256"),
            "accountId": server.config.account_id,
        }
        assert client.post(url, json={}, headers=headers).status_code == 200
