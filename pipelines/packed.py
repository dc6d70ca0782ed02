"""Answer bodies kept packed in memory between the request and the write.

A tick's answers may each be close to the 128 MiB cap. Kept as text until the tick's write,
eleven of them held eleven times that; packed with zlib (JSON packs five- to tenfold, at
level 1 quickly) they cost little, and the write unpacks one batch at a time
(:func:`pipelines.warehouse.ticks.landing_batches`). Short texts stay as they are.
"""

from __future__ import annotations

import zlib

__all__ = ["PACK_ABOVE", "pack", "unpack", "unpacked_size"]

PACK_ABOVE = 1 << 16  # characters
_PIECE = 1 << 20  # bytes inflated at a time when only the size is wanted


def pack(text: str | None) -> str | bytes | None:
    """``text`` as kept in memory: zlib-packed UTF-8 when long, else as is."""
    if text is None or len(text) <= PACK_ABOVE:
        return text
    try:
        return zlib.compress(text.encode("utf-8", "surrogatepass"), 1)
    except MemoryError:  # keeping the text costs memory; failing here would cost the tick
        return text


def unpack(packed: str | bytes | None) -> str | None:
    """The text :func:`pack` kept (anything else that is not text or bytes: None)."""
    if isinstance(packed, bytes):
        return zlib.decompress(packed).decode("utf-8", "surrogatepass")
    return packed if isinstance(packed, str) else None


def unpacked_size(packed: str | bytes | None) -> int:
    """Characters (for packed text, its UTF-8 bytes) of what :func:`unpack` would give, without
    holding it: packed text is inflated a bounded piece at a time and counted."""
    if isinstance(packed, str):
        return len(packed)
    if not isinstance(packed, bytes):
        return 0
    inflater, size, rest = zlib.decompressobj(), 0, packed
    while rest:
        size += len(inflater.decompress(rest, _PIECE))
        rest = inflater.unconsumed_tail
    return size + len(inflater.flush())
