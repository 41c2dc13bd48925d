"""ASGI middleware: one log line per request (with the client address the rate limits count), and a
request id taken from `X-Request-ID` or made up."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import TYPE_CHECKING

import structlog
from litestar.enums import ScopeType

from app.lib.asgi import header
from app.lib.proxy_headers import client_host

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
REQUEST_ID_HEADER_BYTES = REQUEST_ID_HEADER.encode()
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
logger = structlog.get_logger("app.request")
_REQUESTS = logging.getLogger("app.request")


def _request_id(scope: Scope) -> str:
    given = header(scope, b"x-request-id")
    return given if given is not None and _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex


async def serve_logged(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run `app` for one HTTP request: echo or make up its request id, and log one line when it ends.

    It wraps the whole application (see `app.server.asgi.FolioApp`), so errors raised by middleware
    and unknown routes get a request id and their real status too.
    """
    if scope["type"] != ScopeType.HTTP:
        await app(scope, receive, send)
        return
    request_id = _request_id(scope)
    request_id_bytes = request_id.encode()
    status = 500
    started = time.perf_counter()

    async def send_with_request_id(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            # Nothing else sets this header: appended, not looked for first.
            message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER_BYTES, request_id_bytes)]
            status = int(message["status"])
        await send(message)

    structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        await app(scope, receive, send_with_request_id)
    finally:
        if _REQUESTS.isEnabledFor(logging.INFO):  # structlog would build the event only to drop it
            logger.info(
                "request",
                method=scope.get("method"),
                path=scope["path"],
                status=status,
                client=client_host(scope),
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
        structlog.contextvars.unbind_contextvars("request_id")
