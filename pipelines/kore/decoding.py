"""Reading an answer's body within a cap on its DECODED size, whatever its encodings say.

httpx decodes ``Content-Encoding`` a whole network chunk at a time, so 42 KB of ``gzip, gzip``
can become gigabytes before any cap is checked. Here the raw bytes are decoded by this module,
a bounded piece at a time per layer, at most ``MAX_LAYERS`` layers of gzip or deflate, and
every layer's output counts against the cap as it is produced.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import httpx

__all__ = ["ACCEPT_ENCODING", "MAX_LAYERS", "BodyTooLarge", "BodyUnreadable", "read_capped"]

ACCEPT_ENCODING = "gzip, deflate"
MAX_LAYERS = 2
_PIECE = 1 << 20  # bytes a decoder may produce per call


class BodyTooLarge(Exception):
    """The body exceeded the cap (decoded); reading stops so memory stays bounded."""


class BodyUnreadable(Exception):
    """The body's encodings are not ones this client decodes, or too many of them."""


def _decoder(name: str) -> zlib._Decompress:
    if name in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if name == "deflate":
        return zlib.decompressobj()
    raise BodyUnreadable(f"Content-Encoding {name!r} is not one this client asked for")


@dataclass
class _Chain:
    decoders: list[zlib._Decompress]
    cap: int
    produced: list[int] = field(default_factory=list)
    out: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.produced = [0] * len(self.decoders)

    def push(self, data: bytes, layer: int = 0) -> None:
        if layer == len(self.decoders):
            self.out.append(data)
            return
        decoder = self.decoders[layer]
        pending = data
        while True:
            try:
                piece = decoder.decompress(pending, _PIECE)
            except zlib.error as exc:
                problem = f"layer {layer + 1} of the body is not valid ({exc})"
                raise BodyUnreadable(problem) from None
            self.produced[layer] += len(piece)
            if self.produced[layer] > self.cap:
                raise BodyTooLarge()
            if piece:
                self.push(piece, layer + 1)
            pending = decoder.unconsumed_tail
            if not pending:
                return

    def finish(self) -> None:
        for layer, decoder in enumerate(self.decoders):
            rest = decoder.flush()
            self.produced[layer] += len(rest)
            if self.produced[layer] > self.cap:
                raise BodyTooLarge()
            if rest:
                self.push(rest, layer + 1)


async def read_capped(response: httpx.Response, cap: int) -> bytes:
    """The decoded body, or :class:`BodyTooLarge` once any layer's output passes ``cap``."""
    if response.is_stream_consumed:
        # A transport that built the response whole in memory (no network stream to read).
        if len(response.content) > cap:
            raise BodyTooLarge()
        return response.content
    header = response.headers.get("content-encoding", "")
    names = [n.strip().lower() for n in header.split(",") if n.strip()]
    names = [n for n in names if n != "identity"]
    if len(names) > MAX_LAYERS:
        raise BodyUnreadable(
            f"the body has {len(names)} content encodings ({header}); at most {MAX_LAYERS}"
        )
    # The last encoding applied is the first to undo.
    chain = _Chain([_decoder(name) for name in reversed(names)], cap)
    raw_size = 0
    async for raw in response.aiter_raw():
        raw_size += len(raw)
        if raw_size > cap:
            raise BodyTooLarge()
        chain.push(raw)
    chain.finish()
    return b"".join(chain.out)
