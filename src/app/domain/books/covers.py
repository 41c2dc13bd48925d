"""Cover images: the type is read from the bytes, never from the name or the declared type."""

from __future__ import annotations

import hashlib
from uuid import UUID

from advanced_alchemy.types import FileObject
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE, HTTP_415_UNSUPPORTED_MEDIA_TYPE

from app.lib.storage import COVERS

MAX_COVER_BYTES = 5 * 1024 * 1024
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def sniff_image_type(head: bytes) -> str | None:
    """`image/jpeg`, `image/png` or `image/webp` from the file's first bytes; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def cover_file(book_id: UUID, content: bytes) -> FileObject:
    """A checked cover ready to store, named after its content (so a new image never reuses a URL)."""
    if len(content) > MAX_COVER_BYTES:
        raise HTTPException(
            status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            detail=f"A cover may be at most {MAX_COVER_BYTES // (1024 * 1024)} MiB.",
        )
    content_type = sniff_image_type(content[:16])
    if content_type is None:
        raise HTTPException(
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail="A cover must be a JPEG, PNG or WebP image (checked from its content).",
        )
    digest = hashlib.sha256(content).hexdigest()
    return FileObject(
        backend=COVERS,
        filename=f"{book_id}/{digest}.{EXTENSIONS[content_type]}",
        content_type=content_type,
        size=len(content),
        checksum=digest,
        content=content,
    )
