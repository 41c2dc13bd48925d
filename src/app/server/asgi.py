from __future__ import annotations

from litestar import Litestar


def create_app() -> Litestar:
    """The Folio ASGI application."""
    from app.lib.settings import get_settings
    from app.server.core import ApplicationCore
    from app.server.plugins import get_alchemy_plugin, get_saq_plugin

    # Litestar reads the body limit from its own argument, not from the config plugins return.
    return Litestar(
        plugins=[get_alchemy_plugin(), get_saq_plugin(), ApplicationCore()],
        request_max_body_size=get_settings().app.max_body_size,
    )
