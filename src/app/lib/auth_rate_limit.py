"""At most `AUTH_REQUESTS_PER_MINUTE` requests per minute per client address to `/api/auth/*`.

The count is kept by `app.lib.rate_limit` in PostgreSQL, so the limit holds across every server
process. Every request to the prefix counts, whatever its answer (a refused CSRF token, a wrong
password, a 429): an attacker cannot spend requests that go uncounted.

The client address is the one `app.lib.proxy_headers` put in the scope: the peer's, or the client
a trusted proxy names in `X-Forwarded-For`.

A sign-in (`POST /api/auth/login`) is counted by its own first statement instead, which reads the
user along with it (`COUNTED_BY_HANDLER`): one round trip fewer on the hottest auth path. A sign-in
refused before that statement (no CSRF token, a malformed body) is counted as its answer starts;
it is answered with its own refusal (403, 400), not with a 429, whatever the count.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import structlog
from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException

from app.lib import rate_limit
from app.lib.asgi import AUTH_PATH_PREFIX
from app.lib.proxy_headers import client_host
from app.lib.settings import get_settings

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from app.lib.rate_limit import WindowCount

WINDOW = timedelta(minutes=1)
logger = structlog.get_logger("app.auth")


def client_key(address: str) -> str:
    """The rate-limit counter key for one client address."""
    return f"auth-requests:{address}"


COUNTED_BY_HANDLER = "auth_request_counted_by_handler"
"""The `opt` key of a handler that counts its own request (`count_with_handler`, `admit`): the sign-in."""
_UNCOUNTED_KEY = "folio_auth_uncounted_key"


def auth_rate_limit_middleware(app: ASGIApp) -> ASGIApp:
    """Refuse (429 with `Retry-After`) a client over its per-minute `/api/auth/*` budget."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not scope["path"].startswith(AUTH_PATH_PREFIX):
            await app(scope, receive, send)
            return
        key = client_key(client_host(scope))
        if scope["route_handler"].opt.get(COUNTED_BY_HANDLER):
            scope.setdefault("state", {})[_UNCOUNTED_KEY] = key
            try:
                await app(scope, receive, _counting_unless_counted(scope, send))
            except Exception:
                await _count_unless_counted(scope)  # the refusal is answered by the layers above
                raise
            return
        admit(scope, await rate_limit.hit(key, WINDOW))
        await app(scope, receive, send)

    return middleware


def count_with_handler(scope: Scope) -> dict[str, Any]:
    """The values `rate_limit.counting("client_key", "client_window")` needs to count this request."""
    return {"client_key": scope["state"][_UNCOUNTED_KEY], "client_window": WINDOW.total_seconds()}


def admit(scope: Scope, count: WindowCount) -> None:
    """Refuse the request when `count`, its client's count with it included, is over the budget."""
    scope.get("state", {}).pop(_UNCOUNTED_KEY, None)
    limit = get_settings().auth.auth_requests_per_minute
    if count.hits > limit:
        if count.hits == limit + 1:
            logger.warning("auth requests limited", client=client_host(scope), path=scope["path"], limit=limit)
        raise TooManyRequestsException(
            detail="Too many requests to /api/auth from this address; try again later.",
            headers={"Retry-After": str(count.retry_after())},
        )


def _counting_unless_counted(scope: Scope, send: Send) -> Send:
    """`send`, counting the request as its answer starts if the handler did not get to count it."""

    async def counting_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            await _count_unless_counted(scope)
        await send(message)

    return counting_send


async def _count_unless_counted(scope: Scope) -> None:
    """Count a request its handler did not get to count: one about to be refused (403, 400; 503).

    If the count cannot be written, the refusal is still sent: failing it would only make it a broken
    response.
    """
    key = scope["state"].pop(_UNCOUNTED_KEY, None)
    if key is None:
        return
    try:
        await rate_limit.hit(key, WINDOW)
    except Exception:  # any failure: the refusal goes out uncounted
        logger.warning("auth request not counted", client=client_host(scope), exc_info=True)
