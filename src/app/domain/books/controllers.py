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
from app.domain.books import schemas as s
from app.domain.books.deps import book_dependencies
from app.domain.books.services import BookRepository, BookService
from app.lib import openapi
from app.lib.schema import paginated


class BookController(Controller):
    path = "/api/books"
    tags = ["Books"]
    dependencies = book_dependencies

    @get("/", operation_id="ListBooks", summary="List books", responses=openapi.LIST)
    async def list_books(
        self,
        books_service: BookService,
        filters: Annotated[list[FilterTypes], Dependency(skip_validation=True)],
        author_id: Annotated[UUID | None, Parameter(query="authorId", description="Only this author's books")] = None,
        tag: Annotated[
            str | None, Parameter(query="tag", max_length=100, description="Only books with this tag slug")
        ] = None,
    ) -> OffsetPagination[s.Book]:
        conditions = BookRepository.list_conditions(author_id, tag)
        results, total = await books_service.get_many_and_count(*filters, *conditions)
        return paginated([s.Book.from_model(row) for row in results], total, filters)

    @post(
        "/",
        operation_id="CreateBook",
        summary="Create a book",
        guards=[requires_active_user],
        responses=openapi.WRITE,
    )
    async def create_book(
        self, request: Request[m.User, Any, Any], books_service: BookService, data: s.BookCreate
    ) -> Response[s.Book]:
        book = await books_service.create_book(
            {
                "title": data.title,
                "author_id": data.author_id,
                "isbn": data.isbn,
                "published_year": data.published_year,
                "description": data.description,
                "tags": data.tags,
            },
            created_by=request.user.id,
        )
        return Response(
            s.Book.from_model(book),
            status_code=HTTP_201_CREATED,
            headers={"Location": f"/api/books/{book.id}"},
        )

    @get("/{book_id:str}", operation_id="GetBook", summary="Get a book", responses=openapi.READ)
    async def get_book(self, books_service: BookService, book_id: UUID) -> s.Book:
        return s.Book.from_model(await books_service.get(book_id))

    @get("/by-slug/{slug:str}", operation_id="GetBookBySlug", summary="Get a book by slug", responses=openapi.READ)
    async def get_book_by_slug(self, books_service: BookService, slug: str) -> s.Book:
        return s.Book.from_model(await books_service.get_one(slug=slug))

    @patch(
        "/{book_id:str}",
        guards=[requires_active_user],
        operation_id="UpdateBook",
        summary="Change a book; `tags` replaces the whole set",
        responses=openapi.WRITE,
    )
    async def update_book(
        self, request: Request[m.User, Any, Any], books_service: BookService, book_id: UUID, data: s.BookUpdate
    ) -> s.Book:
        book = await books_service.update_book(book_id, data.to_changes(), actor=request.user)
        return s.Book.from_model(book)

    @delete(
        "/{book_id:str}",
        operation_id="DeleteBook",
        summary="Delete a book (its creator or a superuser)",
        guards=[requires_active_user],
        responses=openapi.DELETE,
    )
    async def delete_book(self, request: Request[m.User, Any, Any], books_service: BookService, book_id: UUID) -> None:
        await books_service.delete_book(book_id, actor=request.user)
