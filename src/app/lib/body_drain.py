"""Reading the rest of a request body the app answered without reading (an early 401, 413 or 503).

A server that closes the connection while the client is still sending makes the client's TCP stack
discard the answer (a reset): the client sees a broken connection instead of the 503 it was sent.
So once the app is done, what is left of a body is read and dropped, up to a limit and a deadline.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from litestar.enums import ScopeType

from app.lib.asgi import header

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

DRAIN_LIMIT = 16 * 1024 * 1024
"""Bytes read past an answer at most; a bigger upload is cut off (its client may then see a reset)."""
DRAIN_SECONDS = 5.0


def _has_body(scope: Scope) -> bool:
    length = header(scope, b"content-length")
    return (length is not None and length.strip() != "0") or header(scope, b"transfer-encoding") is not None


async def serve_draining(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run `app`, then read and drop what it left of the request body."""
    if scope["type"] != ScopeType.HTTP or not _has_body(scope):
        await app(scope, receive, send)
        return
    finished = False

    async def tracked_receive() -> ReceiveMessage:
        nonlocal finished
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            finished = True
        return message

    try:
        await app(scope, tracked_receive, send)
    finally:
        if not finished:
            await _drain(receive)


async def _drain(receive: Receive) -> None:
    read = 0
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            while read <= DRAIN_LIMIT:
                message = await receive()
                if message["type"] != "http.request":
                    return
                read += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return
    except TimeoutError:
        return
