"""Hypothesis strategies for hostile answers: a status, headers and a body a server might send
for one scope, from honest to malicious (wrong charsets and encodings, bombs, huge or deep
JSON, thousands of bucket keys, Kore errors carrying Markdown and e-mail addresses).
Used by tests/integration/test_hostile_properties.py and `make fuzz`."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

from hypothesis import strategies as st

STATUSES = [200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 408, 429, 500, 502, 503, 599]
CHARSETS = ["utf-8", "latin-1", "utf-16", "x-no-such-codec", "", "utf-8; q=", "\x00"]
ENCODINGS = ["", "identity", "gzip", "deflate", "gzip, gzip", "gzip, gzip, gzip", "br", "x;y"]
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from("|#[]()\n<>@"),
    max_size=40,
)
AGENT = st.fixed_dictionaries(
    {"_id": st.one_of(st.text(min_size=1, max_size=12), st.integers(), st.none())},
    optional={"emailId": st.emails(), "userId": TEXT, "channelCapacity": st.just({"voice": {}})},
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """A body: availability-shaped or not, sometimes huge in keys or depth, sometimes bytes."""
    kind = draw(st.sampled_from(["buckets", "many_keys", "json", "error", "deep", "bytes", "cut"]))
    if kind == "buckets":
        keys = st.sampled_from(["AVAILABLE", "BUSY", "AWAY", "OFFLINE"]) | TEXT
        value: Any = draw(st.dictionaries(keys, st.lists(AGENT, max_size=5) | st.none()))
    elif kind == "many_keys":
        n = draw(st.integers(min_value=60, max_value=5000))
        value = {f"S{i}": [{"_id": f"a{i}"}] for i in range(n)}
    elif kind == "json":
        value = draw(JSON)
    elif kind == "error":
        msg = draw(TEXT) + " " + draw(st.emails())
        value = {"errors": [{"msg": msg, "code": draw(st.integers(0, 5000))}]}
    elif kind == "deep":
        depth = draw(st.integers(min_value=100, max_value=50_000))
        return b"[" * depth + b"]" * depth
    elif kind == "bytes":
        return draw(st.binary(max_size=200))
    else:
        text = json.dumps({"AVAILABLE": [{"_id": "x"}] * draw(st.integers(1, 50))})
        return text[: draw(st.integers(0, len(text)))].encode()
    return json.dumps(value, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


def _encode(body: bytes, encoding: str, bomb_mib: int) -> bytes:
    names = [n.strip() for n in encoding.split(",") if n.strip() not in ("", "identity")]
    if bomb_mib:
        body = b"\0" * (bomb_mib << 20)
    for name in names:
        if name == "gzip":
            body = gzip.compress(body, 6)
        elif name == "deflate":
            body = zlib.compress(body, 6)
    return body


@st.composite
def answers(draw: st.DrawFn) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) for one scope."""
    status = draw(st.sampled_from(STATUSES))
    headers: dict[str, str] = {}
    charset = draw(st.sampled_from(CHARSETS))
    headers["Content-Type"] = "application/json" + (f"; charset={charset}" if charset else "")
    encoding = draw(st.sampled_from(ENCODINGS))
    bomb = draw(st.sampled_from([0, 0, 0, 8])) if encoding.startswith("gzip") else 0
    if encoding:
        headers["Content-Encoding"] = encoding
    if draw(st.booleans()):
        headers["Retry-After"] = draw(st.sampled_from(["1e20", "-1", "nan", "0", "x", "2"]))
    if draw(st.booleans()):
        headers["Transfer-Encoding"] = "chunked"
    return status, headers, _encode(draw(bodies()), encoding, bomb)
