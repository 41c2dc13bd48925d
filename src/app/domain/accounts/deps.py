from __future__ import annotations

from typing import Any

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.accounts.services import ApiTokenService, SessionService, UserService
from app.lib.database import get_alchemy_config
from app.lib.deps import create_collection_dependencies

user_dependencies = create_collection_dependencies(
    UserService,
    key="users_service",
    search="email,name",
    order_fields={"email": "email", "name": "name", "createdAt": "created_at"},
    default_order=("createdAt", "desc"),
)


def provide_session_service(db_session: AsyncSession) -> SessionService:
    return SessionService(db_session)


account_dependencies: dict[str, Any] = {
    "users_service": Provide(create_service_provider(UserService, config=get_alchemy_config())),
    "api_tokens_service": Provide(create_service_provider(ApiTokenService, config=get_alchemy_config())),
    "sessions_service": Provide(provide_session_service, sync_to_thread=False),
}
