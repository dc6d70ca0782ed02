"""Reading an answer's body within a cap on its DECODED size, whatever its encodings say.

httpx decodes ``Content-Encoding`` a whole network chunk at a time, so 42 KB of ``gzip, gzip``
can become gigabytes before any cap is checked. Here the raw bytes are decoded by this module,
a bounded piece at a time per layer, at most ``MAX_LAYERS`` layers of gzip or deflate, and
every layer's output counts against the cap as it is produced.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = [
    "ACCEPT_ENCODING",
    "MAX_LAYERS",
    "BodyTooLarge",
    "BodyUnreadable",
    "OneLargeAnswer",
    "UnreadAnswer",
    "read_capped",
]

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
    size: int = 0  # bytes in ``out``

    def __post_init__(self) -> None:
        self.produced = [0] * len(self.decoders)

    def push(self, data: bytes, layer: int = 0) -> None:
        if layer == len(self.decoders):
            self.out.append(data)
            self.size += len(data)
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


class UnreadAnswer(Exception):
    """An answer whose status arrived but whose body could not be read (too large, an
    unknown encoding or charset, memory): ``status`` is kept for the record."""

    def __init__(self, status: int, cause: Exception):
        super().__init__(str(cause))
        self.status = status
        self.cause = cause


class OneLargeAnswer:
    """Lets one answer at a time grow past ``threshold`` bytes in memory, per tick.

    Answers are read concurrently, and each may be nearly the cap: eleven of them at once
    held eleven copies (and their parsed trees) together. A reader whose answer passes the
    threshold waits here until the previous large answer has been parsed and packed; the
    attempt that holds the gate releases it when it ends (:meth:`release`), even on error or
    cancellation. Small answers never wait.
    """

    def __init__(self, threshold: int):
        self.threshold = threshold
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[Any] | None = None

    async def admit(self) -> None:
        task = asyncio.current_task()
        if self._holder is not task:
            await self._lock.acquire()
            self._holder = task

    def release(self) -> None:
        if self._holder is not None and self._holder is asyncio.current_task():
            self._holder = None
            self._lock.release()


async def read_capped(
    response: httpx.Response, cap: int, gate: OneLargeAnswer | None = None
) -> bytes:
    """The decoded body, or :class:`BodyTooLarge` once any layer's output passes ``cap``.
    Past ``gate.threshold`` bytes (raw or decoded) reading goes on only once admitted."""
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
        if gate is not None and max(raw_size, chain.size) > gate.threshold:
            await gate.admit()
    chain.finish()
    return b"".join(chain.out)
