"""The request class: a JSON body must be declared as JSON and be decodable, else a 4xx."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException, SerializationException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE


def is_json_media_type(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


class JsonCheckedRequest(Request[Any, Any, Any]):
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
