"""Reading a cover's format and declared size from its bytes, for the containers the API tests do not reach."""

from __future__ import annotations

import struct

import pytest

from app.domain.books.cover_images import ImageInfo, inspect_image
from tests.support.images import tiny_jpeg, tiny_png, tiny_webp


def riff_webp(kind: bytes, chunk: bytes) -> bytes:
    body = b"WEBP" + kind + struct.pack("<I", len(chunk)) + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


def lossy_webp(width: int, height: int) -> bytes:
    """The VP8 frame header: a 3-byte frame tag, the start code, then 14-bit width and height."""
    return riff_webp(b"VP8 ", b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", width, height) + b"\x00" * 8)


def extended_webp(width: int, height: int) -> bytes:
    """VP8X: flags, 3 reserved bytes, then width-1 and height-1 as 24-bit little-endian numbers."""
    return riff_webp(b"VP8X", b"\x00" * 4 + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little"))


def jpeg_frame(marker: int, width: int, height: int) -> bytes:
    frame = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    return bytes([0xFF, marker]) + struct.pack(">H", len(frame) + 2) + frame


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (tiny_png(), ImageInfo("image/png", 1, 1)),
        (tiny_png() + b"\x00" * 100, ImageInfo("image/png", 1, 1)),
        (tiny_jpeg(), ImageInfo("image/jpeg", 1, 1)),
        (tiny_webp(), ImageInfo("image/webp", 1, 1)),
        (lossy_webp(640, 480), ImageInfo("image/webp", 640, 480)),
        (extended_webp(16_384, 9_000), ImageInfo("image/webp", 16_384, 9_000)),
        # Fill bytes and restart markers between segments; a progressive frame (SOF2).
        (
            b"\xff\xd8\xff\xff" + jpeg_frame(0xC2, 300, 200) + b"\xff\xd0\xff\xda\x00\x02",
            ImageInfo("image/jpeg", 300, 200),
        ),
    ],
    ids=["png", "png-trailing-bytes", "jpeg", "webp-lossless", "webp-lossy", "webp-extended", "jpeg-progressive"],
)
def test_the_format_and_size_come_from_the_bytes(content: bytes, expected: ImageInfo) -> None:
    assert inspect_image(content) == expected


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xd8\xff\xda\x00\x02",  # a scan with no frame header before it
        b"\xff\xd8" + jpeg_frame(0xC0, 0, 10) + b"\xff\xda\x00\x02",  # zero width
        b"\xff\xd8" + jpeg_frame(0xC0, 10, 10)[:-3],  # cut inside the frame header
        lossy_webp(640, 480)[:-4],  # the RIFF size says more than there is
        riff_webp(b"VP8 ", b"\x10\x02\x00\x00\x00\x00" + b"\x00" * 12),  # no VP8 start code
        riff_webp(b"ALPH", b"\x00" * 16),  # not an image chunk first
        tiny_png()[:8],  # the signature alone
    ],
    ids=["jpeg-no-frame", "jpeg-zero-width", "jpeg-cut", "webp-short", "webp-no-start-code", "webp-alpha", "png-bare"],
)
def test_a_broken_container_is_no_image(content: bytes) -> None:
    assert inspect_image(content) is None
