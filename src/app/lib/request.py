"""The request class: a body must arrive whole, and a JSON body must be declared as JSON and be
decodable, else a 4xx."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException, HTTPException, InternalServerException, SerializationException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE


def is_json_media_type(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


class JsonCheckedRequest(Request[Any, Any, Any]):
    async def stream(self) -> AsyncGenerator[bytes, None]:
        """The body's chunks; 400 when it ends before it is complete.

        A body cut short (the client stopped sending, or its chunked framing broke) is the client's
        error; Litestar calls it a 500. (Framing itself is the server's: granian reads a request with
        both `Content-Length` and `Transfer-Encoding` by its chunks, as RFC 9112 6.3 says.)
        """
        try:
            async for chunk in super().stream():
                yield chunk
        except InternalServerException as exc:  # Litestar's "client disconnected prematurely"
            raise ClientException(detail="The request body ended before it was complete.") from exc

    async def json(self) -> Any:
        """The decoded body: 415 when labelled with another media type, 400 when it cannot be decoded."""
        content_type = self.headers.get("content-type")
        if content_type is not None and not is_json_media_type(content_type):
            msg = f"The body must be JSON (Content-Type: application/json), not {content_type.split(';')[0]!r}."
            raise HTTPException(status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail=msg)
        try:
            return await super().json()
        except UnicodeDecodeError as exc:
            msg = "JSON is malformed: the body is not valid UTF-8"
            raise SerializationException(msg) from exc
        except RecursionError as exc:
            msg = "JSON is malformed: it is nested too deeply"
            raise SerializationException(msg) from exc
