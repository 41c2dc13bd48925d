"""`ApplicationCore`: wires every domain into the app and the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.plugins import CLIPluginProtocol, InitPluginProtocol

if TYPE_CHECKING:
    from click import Group
    from litestar.config.app import AppConfig


async def connect_queues() -> None:
    """Open the job queues' connections before an in-process SAQ worker starts polling them."""
    from app.server.plugins import get_saq_plugin

    for queue in get_saq_plugin().get_queues().queues.values():
        await queue.connect()


def log_stopped() -> None:
    """The last word of a server process that stopped cleanly (after its requests and its lifespan)."""
    import structlog

    structlog.get_logger("app").info("application stopped")


class ApplicationCore(InitPluginProtocol, CLIPluginProtocol):
    def on_cli_init(self, cli: Group) -> None:
        from app.server.cli import register_commands

        register_commands(cli)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        from advanced_alchemy.filters import FilterTypes
        from advanced_alchemy.service import OffsetPagination
        from litestar.openapi.spec import Components
        from litestar.status_codes import HTTP_404_NOT_FOUND
        from litestar_saq import TaskQueues
        from sqlalchemy.ext.asyncio import AsyncSession

        from app.__metadata__ import __version__
        from app.db import models as m
        from app.domain.accounts.authentication import authentication_middleware, session_middleware
        from app.domain.accounts.controllers import AuthController, MeController, UserAdminController
        from app.domain.accounts.services import ApiTokenService, SessionService, UserService
        from app.domain.authors.controllers import AuthorController
        from app.domain.authors.services import AuthorService
        from app.domain.books.controllers import BookController, ImportController
        from app.domain.books.imports import ImportService
        from app.domain.books.services import BookService
        from app.domain.books.views import BookViews
        from app.domain.system.controllers import SystemController
        from app.domain.tags.controllers import TagController
        from app.domain.tags.services import TagService
        from app.lib.auth_rate_limit import auth_rate_limit_middleware
        from app.lib.csrf import csrf_middleware
        from app.lib.errors import exception_handlers
        from app.lib.hardening import allowed_hosts_config, cors_config, security_headers_hook
        from app.lib.logging import configure_logging
        from app.lib.openapi import SECURITY_SCHEMES, ProblemResponses
        from app.lib.request import JsonCheckedRequest
        from app.lib.settings import get_settings
        from app.lib.spa import spa_not_found_handler

        settings = get_settings()
        configure_logging(settings.app)
        app_config.debug = False
        app_config.logging_config = None
        app_config.openapi_config = OpenAPIConfig(
            title="Folio",
            version=__version__,
            description="The Folio book catalogue API. Lists are paginated with `currentPage` and `pageSize`.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
            components=Components(security_schemes=dict(SECURITY_SCHEMES)),
        )
        app_config.route_handlers.extend(
            [
                SystemController,
                AuthController,
                MeController,
                UserAdminController,
                AuthorController,
                BookController,
                ImportController,
                TagController,
            ]
        )
        app_config.plugins.append(ProblemResponses())
        app_config.exception_handlers.update(exception_handlers)
        # Requests no route matches: the single-page app's files and pages, else the 404 problem.
        app_config.exception_handlers[HTTP_404_NOT_FOUND] = spa_not_found_handler(settings.app.web_dist_dir)
        app_config.on_startup.insert(0, connect_queues)
        app_config.on_shutdown.append(log_stopped)
        app_config.middleware[:0] = [
            auth_rate_limit_middleware,
            session_middleware(),
            authentication_middleware,
            csrf_middleware(),
        ]
        app_config.before_send.append(security_headers_hook(production=settings.app.is_production))
        app_config.cors_config = cors_config(settings)
        app_config.allowed_hosts = allowed_hosts_config(settings)
        app_config.request_class = JsonCheckedRequest
        app_config.signature_namespace.update(
            {
                "AuthorService": AuthorService,
                "BookService": BookService,
                "BookViews": BookViews,
                "ImportService": ImportService,
                "TagService": TagService,
                "FilterTypes": FilterTypes,
                "OffsetPagination": OffsetPagination,
                "TaskQueues": TaskQueues,
                "UserService": UserService,
                "ApiTokenService": ApiTokenService,
                "SessionService": SessionService,
                "AsyncSession": AsyncSession,
                "User": m.User,
            }
        )
        return app_config
