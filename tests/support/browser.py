"""Signing in over HTTP as a browser does: the `csrftoken` cookie echoed in `X-CSRFToken`, a session cookie."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tests.support.accounts import TEST_PASSWORD
from tests.support.csrf import csrf_headers

if TYPE_CHECKING:
    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

SESSION_COOKIE = "session"
SIGNUP_PASSWORD = "plain sailing lighthouse"


def new_email(prefix: str = "reader") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def with_csrf(client: AsyncTestClient[Litestar]) -> AsyncTestClient[Litestar]:
    """Make every later request of `client` carry its CSRF token, as the SPA does."""
    client.headers.update(await csrf_headers(client))
    return client


async def sign_up(
    client: AsyncTestClient[Litestar],
    email: str | None = None,
    password: str = SIGNUP_PASSWORD,
    name: str = "New Reader",
) -> httpx.Response:
    body = {"email": email or new_email(), "password": password, "name": name}
    return await client.post("/api/auth/signup", json=body, headers=await csrf_headers(client))


async def log_in(client: AsyncTestClient[Litestar], email: str, password: str = TEST_PASSWORD) -> httpx.Response:
    return await client.post(
        "/api/auth/login", json={"email": email, "password": password}, headers=await csrf_headers(client)
    )


async def signed_in(client: AsyncTestClient[Litestar], email: str, password: str = TEST_PASSWORD) -> str:
    """Log `client` in (it then sends its CSRF token on every request); returns its session id."""
    response = await log_in(client, email, password)
    assert response.status_code == 200, response.text
    await with_csrf(client)
    session_id = client.cookies.get(SESSION_COOKIE)
    assert session_id, response.headers
    return session_id


def set_cookie_headers(response: httpx.Response, name: str) -> list[str]:
    """The `Set-Cookie` headers of `response` that set cookie `name`."""
    return [value for value in response.headers.get_list("set-cookie") if value.split("=", 1)[0].strip() == name]
