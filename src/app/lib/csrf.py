"""CSRF protection (Litestar's double-submit cookie) where a browser's cookie could be abused.

An unsafe request (POST, PUT, PATCH, DELETE) must carry `X-CSRFToken` equal to the `csrftoken`
cookie when it is authenticated by the session cookie, and always on `/api/auth/*`. A request that
carries `Authorization: Bearer` is exempt: a browser never adds that header by itself. Safe API
requests without a bearer token get the `csrftoken` cookie when they lack it (the web app's first
call, `GET /api/me`, brings it; `/health` and the docs never need it); its `Set-Cookie` header is made
from a template, since building it through Litestar's `Cookie` costs more than the rest of a read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_token

from app.lib.asgi import API_PATH_PREFIX, AUTH_PATH_PREFIX, SESSION_COOKIE, bearer_token, has_cookie
from app.lib.settings import get_settings

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_VALUE_PLACEHOLDER = "csrf-cookie-value"


class SessionCSRFMiddleware(CSRFMiddleware):
    def __init__(self, app: ASGIApp, config: CSRFConfig) -> None:
        super().__init__(app, config)
        cookie = Cookie(
            key=config.cookie_name,
            value=_VALUE_PLACEHOLDER,
            path=config.cookie_path,
            secure=config.cookie_secure,
            httponly=config.cookie_httponly,
            samesite=config.cookie_samesite,
            domain=config.cookie_domain,
        )
        before, _, after = cookie.to_header(header="").partition(_VALUE_PLACEHOLDER)
        self._cookie_header = (before.encode(), after.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
        elif scope["method"] in SAFE_METHODS:
            await self._safe(scope, receive, send)
        elif self._needs_token(scope):
            await super().__call__(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _safe(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            not scope["path"].startswith(API_PATH_PREFIX)
            or bearer_token(scope) is not None
            or has_cookie(scope, self.config.cookie_name)
        ):
            await self.app(scope, receive, send)
            return
        before, after = self._cookie_header
        set_cookie = (b"set-cookie", before + generate_csrf_token(secret=self.config.secret).encode() + after)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), set_cookie]
            await send(message)

        await self.app(scope, receive, send_with_cookie)

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
