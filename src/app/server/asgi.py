from __future__ import annotations

from typing import TYPE_CHECKING

from litestar import Litestar

from app.lib.body_drain import serve_draining
from app.lib.proxy_headers import apply_proxy_headers
from app.lib.request_logging import serve_logged

if TYPE_CHECKING:
    from litestar.types import Receive, Scope, Send


class FolioApp(Litestar):
    """Litestar, with the client a trusted proxy names put in the scope (`app.lib.proxy_headers`), then
    every HTTP request logged and given a request id before anything else runs, and the unread rest of
    a request body read after an early answer (`app.lib.body_drain`)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        apply_proxy_headers(scope)
        await serve_logged(self._serve_draining, scope, receive, send)

    async def _serve_draining(self, scope: Scope, receive: Receive, send: Send) -> None:
        await serve_draining(super().__call__, scope, receive, send)


def create_app() -> Litestar:
    """The Folio ASGI application."""
    from litestar_granian import GranianPlugin

    from app.lib.proxy_headers import trusted_proxies
    from app.lib.settings import get_settings
    from app.server.core import ApplicationCore
    from app.server.plugins import get_alchemy_plugin, get_saq_plugin

    trusted_proxies()  # a bad TRUSTED_PROXIES entry stops the app from starting, not a request
    # Litestar reads the body limit from its own argument, not from the config plugins return.
    # GranianPlugin makes `app run` serve with granian (faster than uvicorn here: tools/bench).
    return FolioApp(
        plugins=[get_alchemy_plugin(), get_saq_plugin(), ApplicationCore(), GranianPlugin()],
        request_max_body_size=get_settings().app.max_body_size,
    )
