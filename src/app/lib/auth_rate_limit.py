"""At most `AUTH_REQUESTS_PER_MINUTE` requests per minute per client address to `/api/auth/*`.

The count is kept by `app.lib.rate_limit` in PostgreSQL, so the limit holds across every server
process. Every request to the prefix counts, whatever its answer (a refused CSRF token, a wrong
password, a 429): an attacker cannot spend requests that go uncounted.

The client address is the one `app.lib.proxy_headers` put in the scope: the peer's, or the client
a trusted proxy names in `X-Forwarded-For`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException

from app.lib import rate_limit
from app.lib.asgi import AUTH_PATH_PREFIX
from app.lib.proxy_headers import client_host
from app.lib.settings import get_settings

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

WINDOW = timedelta(minutes=1)
logger = structlog.get_logger("app.auth")


def client_key(address: str) -> str:
    """The rate-limit counter key for one client address."""
    return f"auth-requests:{address}"


def auth_rate_limit_middleware(app: ASGIApp) -> ASGIApp:
    """Refuse (429 with `Retry-After`) a client over its per-minute `/api/auth/*` budget."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not scope["path"].startswith(AUTH_PATH_PREFIX):
            await app(scope, receive, send)
            return
        limit = get_settings().auth.auth_requests_per_minute
        address = client_host(scope)
        count = await rate_limit.hit(client_key(address), WINDOW)
        if count.hits > limit:
            if count.hits == limit + 1:
                logger.warning("auth requests limited", client=address, path=scope["path"], limit=limit)
            raise TooManyRequestsException(
                detail="Too many requests to /api/auth from this address; try again later.",
                headers={"Retry-After": str(count.retry_after())},
            )
        await app(scope, receive, send)

    return middleware
