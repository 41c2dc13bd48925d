"""What an uploaded cover really is, read from its bytes: its format and the canvas it declares.

Nothing is decoded. Each container is walked just far enough to know the file is what its
signature claims: a PNG's chunks and their checksums up to `IEND`, a JPEG's marker segments up to
its first scan (with a frame header on the way), a WebP's RIFF container and its first image
chunk. The width and height found there let a few hundred bytes that would decode into
gigabytes be refused before any client tries.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE_MARKERS = frozenset(range(0xD0, 0xD8)) | {0x01}
_JPEG_START_OF_SCAN = 0xDA


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def inspect_image(content: bytes) -> ImageInfo | None:
    """The JPEG, PNG or WebP image `content` holds; None when it is none of them, or broken."""
    if content.startswith(PNG_SIGNATURE):
        return _png(content)
    if content.startswith(b"\xff\xd8\xff"):
        return _jpeg(content)
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return _webp(content)
    return None


def _sized(content_type: str, width: int, height: int) -> ImageInfo | None:
    return ImageInfo(content_type, width, height) if width > 0 and height > 0 else None


def _png(content: bytes) -> ImageInfo | None:
    """Every chunk whole and with a matching CRC, `IHDR` first, up to `IEND` (bytes after it are ignored)."""
    offset = len(PNG_SIGNATURE)
    size: tuple[int, int] | None = None
    while offset + 12 <= len(content):
        length, kind = struct.unpack_from(">I4s", content, offset)
        data_end = offset + 8 + length
        if data_end + 4 > len(content) or not kind.isalpha():
            return None
        (crc,) = struct.unpack_from(">I", content, data_end)
        if zlib.crc32(content[offset + 4 : data_end]) != crc:
            return None
        if size is None:
            if kind != b"IHDR" or length != 13:
                return None
            size = struct.unpack_from(">II", content, offset + 8)
        if kind == b"IEND":
            return _sized("image/png", *size)
        offset = data_end + 4
    return None


def _jpeg(content: bytes) -> ImageInfo | None:
    """Well-formed marker segments from SOI to the first scan, a frame header (SOFn) among them."""
    offset = 2
    size: tuple[int, int] | None = None
    while offset + 4 <= len(content):
        if content[offset] != 0xFF:
            return None
        marker = content[offset + 1]
        if marker == 0xFF:
            offset += 1
            continue
        if marker in _JPEG_STANDALONE_MARKERS:
            offset += 2
            continue
        (length,) = struct.unpack_from(">H", content, offset + 2)
        if length < 2 or offset + 2 + length > len(content):
            return None
        if marker in _JPEG_FRAME_MARKERS:
            if length < 8:
                return None
            height, width = struct.unpack_from(">HH", content, offset + 5)
            size = (width, height)
        if marker == _JPEG_START_OF_SCAN:
            return _sized("image/jpeg", *size) if size else None
        offset += 2 + length
    return None


def _webp(content: bytes) -> ImageInfo | None:
    """A RIFF container that fits the bytes, whose first chunk is a VP8, VP8L or VP8X header."""
    if len(content) < 20:
        return None
    (riff_size,) = struct.unpack_from("<I", content, 4)
    kind, chunk_size = struct.unpack_from("<4sI", content, 12)
    if riff_size + 8 > len(content) or 20 + chunk_size > riff_size + 8:
        return None
    chunk = content[20 : 20 + chunk_size]
    if kind == b"VP8L" and len(chunk) >= 5 and chunk[0] == 0x2F:
        bits = int.from_bytes(chunk[1:5], "little")
        return _sized("image/webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if kind == b"VP8 " and len(chunk) >= 10 and chunk[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", chunk, 6)
        return _sized("image/webp", width & 0x3FFF, height & 0x3FFF)
    if kind == b"VP8X" and len(chunk) >= 10:
        return _sized("image/webp", int.from_bytes(chunk[4:7], "little") + 1, int.from_bytes(chunk[7:10], "little") + 1)
    return None
