from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from advanced_alchemy.filters import FilterTypes
from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import Dependency, Parameter
from litestar.status_codes import HTTP_201_CREATED

from app.db import models as m
from app.domain.accounts.guards import requires_active_user
from app.domain.authors import schemas as s
from app.domain.authors.deps import author_dependencies
from app.domain.authors.services import AuthorService
from app.lib.errors import ConflictError
from app.lib.schema import paginated


class AuthorController(Controller):
    path = "/api/authors"
    tags = ["Authors"]
    dependencies = author_dependencies

    @get("/", operation_id="ListAuthors", summary="List authors")
    async def list_authors(
        self,
        authors_service: AuthorService,
        filters: Annotated[list[FilterTypes], Dependency(skip_validation=True)],
    ) -> OffsetPagination[s.Author]:
        results, total = await authors_service.get_many_and_count(*filters)
        return paginated([s.Author.from_model(row) for row in results], total, filters)

    @post(
        "/",
        operation_id="CreateAuthor",
        summary="Create an author",
        raises=[ConflictError],
        guards=[requires_active_user],
    )
    async def create_author(
        self, request: Request[m.User, Any, Any], authors_service: AuthorService, data: s.AuthorCreate
    ) -> Response[s.Author]:
        author = await authors_service.create_author(
            {"name": data.name, "bio": data.bio, "dob": data.dob}, created_by=request.user.id
        )
        return Response(
            s.Author.from_model(author),
            status_code=HTTP_201_CREATED,
            headers={"Location": f"/api/authors/{author.id}"},
        )

    @get("/{author_id:str}", operation_id="GetAuthor", summary="Get an author")
    async def get_author(
        self, authors_service: AuthorService, author_id: Annotated[UUID, Parameter(title="Author id")]
    ) -> s.Author:
        return s.Author.from_model(await authors_service.get(author_id))

    @get("/by-slug/{slug:str}", operation_id="GetAuthorBySlug", summary="Get an author by slug")
    async def get_author_by_slug(self, authors_service: AuthorService, slug: str) -> s.Author:
        return s.Author.from_model(await authors_service.get_one(slug=slug))

    @patch(
        "/{author_id:str}",
        operation_id="UpdateAuthor",
        summary="Change an author (its creator or a superuser)",
        guards=[requires_active_user],
    )
    async def update_author(
        self, request: Request[m.User, Any, Any], authors_service: AuthorService, author_id: UUID, data: s.AuthorUpdate
    ) -> s.Author:
        author = await authors_service.update_author(author_id, data.to_changes(), actor=request.user)
        return s.Author.from_model(author)

    @delete(
        "/{author_id:str}",
        guards=[requires_active_user],
        operation_id="DeleteAuthor",
        summary="Delete an author without books",
        raises=[ConflictError],
    )
    async def delete_author(
        self, request: Request[m.User, Any, Any], authors_service: AuthorService, author_id: UUID
    ) -> None:
        await authors_service.delete_author(author_id, actor=request.user)
