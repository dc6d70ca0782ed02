"""One scope's hostile answer ends that scope only: a real HTTP server on
127.0.0.1 answers each scope its own way, and every other scope of the tick still lands."""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipelines.kore import KoreAvailabilityClient, KoreSettings
from pipelines.kore.retry import MAX_RETRY_AFTER_S, parse_retry_after
from pipelines.scopes import Scope

GOOD = json.dumps({"AVAILABLE": [{"_id": "a-1", "userId": "u-1"}], "BUSY": [], "AWAY": []})


def _bomb(megabytes: int) -> bytes:
    """``megabytes`` MiB of zeros, gzipped, then gzipped again: a few KB on the wire."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    once = b"".join(inner.compress(block) for _ in range(megabytes)) + inner.flush()
    return gzip.compress(once, 9)


# skill ID -> (status, headers, body) the server answers for it
ANSWERS: dict[str, tuple[int, dict[str, str], bytes]] = {
    "sk-charset": (200, {"Content-Type": "application/json; charset=x-no-such-codec"}, b"{}"),
    "sk-retry": (429, {"Retry-After": "1e20", "Content-Type": "application/json"}, b"{}"),
    "sk-deep": (200, {"Content-Type": "application/json"}, b"[" * 100_000 + b"]" * 100_000),
    "sk-bomb": (200, {"Content-Encoding": "gzip, gzip"}, _bomb(200)),
    "sk-layers": (200, {"Content-Encoding": "gzip, gzip, gzip"}, gzip.compress(b"{}")),
    "sk-gzip": (200, {"Content-Encoding": "gzip"}, gzip.compress(GOOD.encode())),
}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        skill = (body.get("skillIds") or [""])[0]
        status, headers, payload = ANSWERS.get(
            skill, (200, {"Content-Type": "application/json"}, GOOD.encode())
        )
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def hostile_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_one_scopes_hostile_answer_never_costs_the_others(hostile_server: str) -> None:
    settings = KoreSettings(
        host=hostile_server,
        bot_id="st-1",
        account_id="acct",
        client_id="cs-1",
        client_secret="s" * 32,
        max_attempts=2,
        backoff_base_s=0.01,
        backoff_cap_s=0.02,
        tick_deadline_s=20,
    )
    scopes = [Scope("skill", ref, ref) for ref in ("sk-ok-1", *ANSWERS, "sk-ok-2")]
    results = {r.scope_key: r for r in KoreAvailabilityClient(settings).poll_sync(scopes)}
    assert results["skill:sk-ok-1"].ok and results["skill:sk-ok-2"].ok
    charset = results["skill:sk-charset"]
    assert not charset.ok and "x-no-such-codec" in (charset.error_text or "")
    assert not results["skill:sk-retry"].ok  # a Retry-After of 1e20 is no plan, nor a crash
    assert not results["skill:sk-deep"].ok
    assert results["skill:sk-gzip"].ok  # an honest gzipped answer is decoded
    assert "layers" not in (results["skill:sk-gzip"].error_text or "")
    layers = results["skill:sk-layers"]
    assert not layers.ok and "3 content encodings" in (layers.error_text or "")


def test_a_gzip_bomb_is_refused_at_the_decoded_cap(
    hostile_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 200 MiB decoded from a few KB on the wire, against a cap lowered to 16 MiB: refused as
    # too large while decoding, not after inflating it all.
    monkeypatch.setattr("pipelines.kore.transport.MAX_BODY_BYTES", 16 << 20)
    settings = KoreSettings(
        host=hostile_server, bot_id="st-1", account_id="acct", client_id="cs-1",
        client_secret="s" * 32, max_attempts=1,
    )  # fmt: skip
    (result,) = KoreAvailabilityClient(settings).poll_sync([Scope("skill", "sk-bomb", "b")])
    assert not result.ok and "larger than" in (result.error_text or "")


def test_retry_after_is_capped() -> None:
    assert parse_retry_after("1e20") == MAX_RETRY_AFTER_S
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("inf") is None
