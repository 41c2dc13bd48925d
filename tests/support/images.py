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


def _jpeg_segment(marker: int, data: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data


def tiny_jpeg() -> bytes:
    """A real, valid 1x1 grey baseline JPEG: one 8x8 block whose coefficients are all zero.

    Each Huffman table holds a single one-bit code (`0`) for symbol 0, so the scan is the DC code
    (difference 0) and the AC end-of-block code, `00`, padded with ones: 0x3F.
    """
    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    quantisation = b"\x00" + b"\x01" * 64
    frame = struct.pack(">BHHB", 8, 1, 1, 1) + b"\x01\x11\x00"
    one_code = b"\x01" + b"\x00" * 15 + b"\x00"
    scan = b"\x01\x01\x00\x00\x3f\x00"
    return (
        b"\xff\xd8"
        + _jpeg_segment(0xE0, jfif)
        + _jpeg_segment(0xDB, quantisation)
        + _jpeg_segment(0xC0, frame)
        + _jpeg_segment(0xC4, b"\x00" + one_code)
        + _jpeg_segment(0xC4, b"\x10" + one_code)
        + _jpeg_segment(0xDA, scan)
        + b"\x3f\xff\xd9"
    )


def tiny_webp() -> bytes:
    """A RIFF/WEBP container holding a (minimal) VP8L chunk."""
    vp8l = b"\x2f\x00\x00\x00\x00\x88\x88\x08"
    body = b"WEBP" + b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
    return b"RIFF" + struct.pack("<I", len(body)) + body
