"""CSRF protection (Litestar's double-submit cookie) where a browser's cookie could be abused.

An unsafe request (POST, PUT, PATCH, DELETE) must carry `X-CSRFToken` equal to the `csrftoken`
cookie when it is authenticated by the session cookie, and always on `/api/auth/*`. A request that
carries `Authorization: Bearer` is exempt: a browser never adds that header by itself. Safe requests
get the `csrftoken` cookie when they lack it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.config.csrf import CSRFConfig
from litestar.enums import ScopeType
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware

from app.lib.asgi import AUTH_PATH_PREFIX, SESSION_COOKIE, bearer_token, has_cookie
from app.lib.settings import get_settings

if TYPE_CHECKING:
    from litestar.types import Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SessionCSRFMiddleware(CSRFMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope.get("method") not in SAFE_METHODS and not self._needs_token(scope):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def _needs_token(self, scope: Scope) -> bool:
        if scope["path"].startswith(AUTH_PATH_PREFIX):
            return True
        if bearer_token(scope) is not None:
            return False
        return has_cookie(scope, SESSION_COOKIE)


def csrf_middleware() -> DefineMiddleware:
    settings = get_settings()
    config = CSRFConfig(
        secret=settings.app.secret_key,
        cookie_name="csrftoken",
        header_name="x-csrftoken",
        cookie_secure=settings.app.is_production,
        cookie_httponly=False,
        cookie_samesite="lax",
    )
    return DefineMiddleware(SessionCSRFMiddleware, config=config)
