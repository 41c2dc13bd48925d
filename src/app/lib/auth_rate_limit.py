"""At most `AUTH_REQUESTS_PER_MINUTE` requests per minute per client address to `/api/auth/*`.

The count is kept by `app.lib.rate_limit` in PostgreSQL, so the limit holds across every server
process. Every request to the prefix counts, whatever its answer (a refused CSRF token, a wrong
password, a 429): an attacker cannot spend requests that go uncounted.

The client address is the one `app.lib.proxy_headers` put in the scope: the peer's, or the client
a trusted proxy names in `X-Forwarded-For`.

A sign-in (`POST /api/auth/login`) is counted by its own first statement instead, which reads the
user along with it (`COUNTED_BY_HANDLER`): one round trip fewer on the hottest auth path. A sign-in
refused before that statement (no CSRF token, a malformed body) is counted as its refusal goes out,
and answered 429 instead when that count is over the budget, like any other `/api/auth` request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException

from app.lib import rate_limit
from app.lib.asgi import AUTH_PATH_PREFIX
from app.lib.errors import problem_details_handler
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
"""The `opt` key of a handler that counts its own request (`uncounted_key`, then `admit`): the sign-in."""
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
                await app(scope, receive, _counting_unless_counted(scope, receive, send))
            except Exception:
                # A refusal the layers above answer: counted now, and a 429 instead when over the budget.
                if (count := await _count_unless_counted(scope)) is not None:
                    admit(scope, count)
                raise
            return
        admit(scope, await rate_limit.hit(key, WINDOW))
        await app(scope, receive, send)

    return middleware


def uncounted_key(scope: Scope) -> str:
    """The counter key a `COUNTED_BY_HANDLER` handler counts its request under (with `WINDOW`)."""
    key: str = scope["state"][_UNCOUNTED_KEY]
    return key


def admit(scope: Scope, count: WindowCount) -> None:
    """Mark the request counted; refuse it when `count`, its client's count with it, is over the budget."""
    scope.get("state", {}).pop(_UNCOUNTED_KEY, None)
    if (refusal := _over_budget(scope, count)) is not None:
        raise refusal


def _over_budget(scope: Scope, count: WindowCount) -> TooManyRequestsException | None:
    limit = get_settings().auth.auth_requests_per_minute
    if count.hits <= limit:
        return None
    if count.hits == limit + 1:
        logger.warning("auth requests limited", client=client_host(scope), path=scope["path"], limit=limit)
    return TooManyRequestsException(
        detail="Too many requests to /api/auth from this address; try again later.",
        headers={"Retry-After": str(count.retry_after())},
    )


def _counting_unless_counted(scope: Scope, receive: Receive, send: Send) -> Send:
    """`send`, counting the request as its answer starts if the handler did not get to count it; that
    answer (a 400 for the body, say) is replaced by the 429 when the client is over its budget."""
    replaced = False

    async def counting_send(message: Message) -> None:
        nonlocal replaced
        if replaced:
            return
        if message["type"] == "http.response.start" and (count := await _count_unless_counted(scope)) is not None:
            refusal = _over_budget(scope, count)
            if refusal is not None:
                replaced = True
                request = scope["litestar_app"].request_class(scope, receive)
                response = problem_details_handler(request, refusal).to_asgi_response(app=None, request=request)
                await response(scope, receive, send)
                return
        await send(message)

    return counting_send


async def _count_unless_counted(scope: Scope) -> WindowCount | None:
    """Count a request its handler did not get to count (one being refused: a 403, a 400, a 503).

    None when the handler counted it, or when the count cannot be written: the refusal then goes out
    as it is, rather than as a broken response.
    """
    key = scope["state"].pop(_UNCOUNTED_KEY, None)
    if key is None:
        return None
    try:
        return await rate_limit.hit(key, WINDOW)
    except Exception:  # any failure: the refusal goes out uncounted
        logger.warning("auth request not counted", client=client_host(scope), exc_info=True)
        return None
