"""Cover images: the type is read from the bytes, never from the name or the declared type."""

from __future__ import annotations

import hashlib
from uuid import UUID

from advanced_alchemy.types import FileObject
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE, HTTP_415_UNSUPPORTED_MEDIA_TYPE

from app.domain.books.cover_images import inspect_image
from app.lib.storage import COVERS

MAX_COVER_BYTES = 5 * 1024 * 1024
MAX_COVER_PIXELS = 50_000_000
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def cover_file(book_id: UUID, content: bytes) -> FileObject:
    """A checked cover ready to store, named after its content (so a new image never reuses a URL)."""
    if len(content) > MAX_COVER_BYTES:
        raise HTTPException(
            status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            detail=f"A cover may be at most {MAX_COVER_BYTES // (1024 * 1024)} MiB.",
        )
    image = inspect_image(content)
    if image is None:
        raise HTTPException(
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail="A cover must be a JPEG, PNG or WebP image (checked from its content).",
        )
    if image.pixels > MAX_COVER_PIXELS:
        raise HTTPException(
            status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            detail=f"A cover may be at most {MAX_COVER_PIXELS // 1_000_000} megapixels; "
            f"this image declares {image.width}x{image.height}.",
        )
    digest = hashlib.sha256(content).hexdigest()
    return FileObject(
        backend=COVERS,
        filename=f"{book_id}/{digest}.{EXTENSIONS[image.content_type]}",
        content_type=image.content_type,
        size=len(content),
        checksum=digest,
        content=content,
    )
