"""The double-submit CSRF token a browser would send: fetch the `csrftoken` cookie, echo it in `X-CSRFToken`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "X-CSRFToken"
SAFE_PATH = "/api/books"
"""Any safe request sets the cookie; this one does not count towards the `/api/auth` rate limit."""


async def csrf_headers(client: AsyncTestClient[Litestar]) -> dict[str, str]:
    """Headers carrying the client's CSRF token (fetched with one GET when it has none yet)."""
    if CSRF_COOKIE not in client.cookies:
        response = await client.get(SAFE_PATH)
        assert CSRF_COOKIE in client.cookies, f"no {CSRF_COOKIE} cookie from GET {SAFE_PATH}: {response.headers}"
    return {CSRF_HEADER: client.cookies[CSRF_COOKIE]}


def csrf_headers_sync(client: httpx.Client) -> dict[str, str]:
    """The same for a plain httpx client talking to a real server."""
    if CSRF_COOKIE not in client.cookies:
        response = client.get(SAFE_PATH)
        assert CSRF_COOKIE in client.cookies, f"no {CSRF_COOKIE} cookie from GET {SAFE_PATH}: {response.headers}"
    return {CSRF_HEADER: client.cookies[CSRF_COOKIE]}
