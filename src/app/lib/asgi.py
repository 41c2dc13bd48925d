"""Reading what middleware needs straight from an ASGI scope, before Litestar builds a request."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar.types import Scope

API_PATH_PREFIX = "/api/"
AUTH_PATH_PREFIX = "/api/auth/"
SESSION_COOKIE = "session"


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header `name` (lower-case bytes), if the request has it."""
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def has_cookie(scope: Scope, name: str) -> bool:
    cookies = header(scope, b"cookie") or ""
    return any(part.strip().partition("=")[0] == name for part in cookies.split(";"))


def bearer_token(scope: Scope) -> str | None:
    """The token of an `Authorization: Bearer ...` header."""
    scheme, _, token = (header(scope, b"authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None
