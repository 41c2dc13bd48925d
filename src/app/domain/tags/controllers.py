from __future__ import annotations

from typing import Annotated
from uuid import UUID

from advanced_alchemy.filters import FilterTypes
from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Response, delete, get, patch, post
from litestar.params import Dependency
from litestar.status_codes import HTTP_201_CREATED

from app.domain.accounts.guards import requires_active_user, requires_superuser
from app.domain.tags import schemas as s
from app.domain.tags.deps import tag_dependencies
from app.domain.tags.services import TagService
from app.lib.errors import ConflictError
from app.lib.schema import paginated


class TagController(Controller):
    path = "/api/tags"
    tags = ["Tags"]
    dependencies = tag_dependencies

    @get("/", operation_id="ListTags", summary="List tags with their book counts")
    async def list_tags(
        self,
        tags_service: TagService,
        filters: Annotated[list[FilterTypes], Dependency(skip_validation=True)],
    ) -> OffsetPagination[s.Tag]:
        results, total = await tags_service.get_many_and_count(*filters)
        return paginated([s.Tag.from_model(row) for row in results], total, filters)

    @post("/", operation_id="CreateTag", summary="Create a tag", guards=[requires_active_user], raises=[ConflictError])
    async def create_tag(self, tags_service: TagService, data: s.TagWrite) -> Response[s.Tag]:
        tag = await tags_service.create_tag(data.name)
        body = s.Tag(id=tag.id, name=tag.name, slug=tag.slug, book_count=0)
        return Response(body, status_code=HTTP_201_CREATED, headers={"Location": f"/api/tags/{tag.id}"})

    @get("/{tag_id:str}", operation_id="GetTag", summary="Get a tag")
    async def get_tag(self, tags_service: TagService, tag_id: UUID) -> s.Tag:
        return s.Tag.from_model(await tags_service.get(tag_id))

    @patch(
        "/{tag_id:str}",
        guards=[requires_superuser],
        operation_id="RenameTag",
        summary="Rename a tag (superusers); its slug stays",
    )
    async def rename_tag(self, tags_service: TagService, tag_id: UUID, data: s.TagWrite) -> s.Tag:
        tag = await tags_service.rename_tag(tag_id, data.name)
        return s.Tag.from_model(await tags_service.get(tag.id))

    @delete(
        "/{tag_id:str}",
        guards=[requires_superuser],
        operation_id="DeleteTag",
        summary="Delete a tag and remove it from its books (superusers)",
    )
    async def delete_tag(self, tags_service: TagService, tag_id: UUID) -> None:
        await tags_service.delete(tag_id)
