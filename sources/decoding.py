"""Content-Encoding decoders that never inflate more than a bounded piece at a time.

httpx inflates each network chunk whole, so one 64 KB chunk of a gzip bomb can become
64 MB before anyone counts it. These decoders hand out at most ``PIECE`` bytes per step,
so the size cap in ``sources.http`` stops a bomb with memory to spare.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

import brotli

from core.errors import FetchError

PIECE = 256 * 1024  # decoded bytes per step: small next to the 10 MB cap, large enough to be fast
ACCEPT_ENCODING = "gzip, deflate, br"


class Decoder(Protocol):
    """Turns raw body bytes into decoded pieces of at most PIECE bytes."""

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces for this raw chunk."""
        ...

    def flush(self) -> Iterator[bytes]:
        """Whatever is left at the end of the body."""
        ...


class IdentityDecoder:
    """No encoding: raw bytes are the body."""

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The chunk itself."""
        if data:
            yield data

    def flush(self) -> Iterator[bytes]:
        """Nothing is buffered."""
        yield from ()


class ZlibDecoder:
    """gzip or deflate (zlib-wrapped, or raw as some servers send it), in bounded pieces."""

    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._inflater = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Inflate ``data`` at most PIECE bytes at a time."""
        try:
            yield from self._inflate(data)
        except zlib.error:
            if self._started or self._wbits != zlib.MAX_WBITS:
                raise
            self._inflater, self._wbits = zlib.decompressobj(-zlib.MAX_WBITS), -zlib.MAX_WBITS  # raw deflate
            yield from self._inflate(data)

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        """The bounded inflate loop over ``unconsumed_tail``."""
        pending = data
        while pending:
            piece = self._inflater.decompress(pending, PIECE)
            self._started = True
            pending = self._inflater.unconsumed_tail
            if piece:
                yield piece

    def flush(self) -> Iterator[bytes]:
        """The inflater's remaining output; a stream that never ended is corrupt."""
        rest = self._inflater.flush()
        if rest:
            yield rest
        if not self._inflater.eof:
            raise zlib.error("stream truncated")


class BrotliDecoder:
    """Brotli, in bounded pieces."""

    def __init__(self) -> None:
        self._inner = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decompress ``data`` at most PIECE bytes at a time."""
        piece = self._inner.process(data, output_buffer_limit=PIECE)
        if piece:
            yield piece
        # Output held back by the limit must be drained before brotli accepts more input.
        while not self._inner.can_accept_more_data() and not self._inner.is_finished():
            piece = self._inner.process(b"", output_buffer_limit=PIECE)
            if piece:
                yield piece

    def flush(self) -> Iterator[bytes]:
        """Output still held back; a stream that never ended is corrupt."""
        while not self._inner.is_finished():
            piece = self._inner.process(b"", output_buffer_limit=PIECE)
            if not piece:
                raise brotli.error("stream truncated")
            yield piece


def decoder_for(content_encoding: str | None, url: str) -> Decoder:
    """The decoder for a Content-Encoding header; FetchError for anything we cannot decode."""
    coding = (content_encoding or "identity").strip().lower()
    if coding in ("", "identity"):
        return IdentityDecoder()
    if coding in ("gzip", "x-gzip"):
        return ZlibDecoder(16 + zlib.MAX_WBITS)
    if coding == "deflate":
        return ZlibDecoder(zlib.MAX_WBITS)
    if coding == "br":
        return BrotliDecoder()
    raise FetchError(f"{url}: unsupported Content-Encoding {coding!r}", url=url)


def decode_errors() -> tuple[type[Exception], ...]:
    """The exceptions a corrupt encoded body raises."""
    return (zlib.error, brotli.error)
