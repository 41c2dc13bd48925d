from __future__ import annotations

from typing import Annotated
from uuid import UUID

from advanced_alchemy.filters import FilterTypes
from advanced_alchemy.service import OffsetPagination
from litestar import Controller, delete, get, patch
from litestar.params import Dependency

from app.domain.accounts import schemas as s
from app.domain.accounts.deps import user_dependencies
from app.domain.accounts.guards import requires_superuser
from app.domain.accounts.services import UserService
from app.lib.schema import paginated


class UserAdminController(Controller):
    path = "/api/users"
    tags = ["Administration"]
    guards = [requires_superuser]
    dependencies = user_dependencies

    @get("/", operation_id="ListUsers", summary="List users (search over email and name)")
    async def list_users(
        self,
        users_service: UserService,
        filters: Annotated[list[FilterTypes], Dependency(skip_validation=True)],
    ) -> OffsetPagination[s.User]:
        results, total = await users_service.get_many_and_count(*filters)
        return paginated([s.User.from_model(row) for row in results], total, filters)

    @get("/{user_id:str}", operation_id="GetUser", summary="Get a user")
    async def get_user(self, users_service: UserService, user_id: UUID) -> s.User:
        return s.User.from_model(await users_service.get(user_id))

    @patch(
        "/{user_id:str}",
        operation_id="UpdateUser",
        summary="Rename, (de)activate or promote a user; deactivating signs them out everywhere",
    )
    async def update_user(self, users_service: UserService, user_id: UUID, data: s.UserAdminUpdate) -> s.User:
        return s.User.from_model(await users_service.update_by_admin(user_id, data.to_changes()))

    @delete("/{user_id:str}", operation_id="DeleteUser", summary="Delete a user")
    async def delete_user(self, users_service: UserService, user_id: UUID) -> None:
        await users_service.delete(user_id)
