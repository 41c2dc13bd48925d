from __future__ import annotations

from litestar import Litestar


def create_app() -> Litestar:
    """The Folio ASGI application."""
    from app.server.core import ApplicationCore
    from app.server.plugins import get_alchemy_plugin, get_saq_plugin

    return Litestar(plugins=[get_alchemy_plugin(), get_saq_plugin(), ApplicationCore()])
