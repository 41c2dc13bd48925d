"""Small valid images, built byte by byte, for cover uploads."""

from __future__ import annotations

import struct
import zlib


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def tiny_png(red: int = 255) -> bytes:
    """A real, valid 1x1 RGB PNG (a different colour gives different bytes)."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes([0, red, 0, 0]))
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b"")


def tiny_jpeg() -> bytes:
    """SOI + APP0 (JFIF) + EOI: the JPEG signature is all the server checks."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def tiny_webp() -> bytes:
    """A RIFF/WEBP container holding a (minimal) VP8L chunk."""
    vp8l = b"\x2f\x00\x00\x00\x00\x88\x88\x08"
    body = b"WEBP" + b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
    return b"RIFF" + struct.pack("<I", len(body)) + body
