from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from advanced_alchemy.filters import FilterTypes, LimitOffset
from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.openapi import ResponseSpec
from litestar.params import Body, Dependency, Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_304_NOT_MODIFIED

from app.db import models as m
from app.domain.accounts.guards import requires_active_user
from app.domain.books import schemas as s
from app.domain.books.covers import MAX_COVER_BYTES
from app.domain.books.deps import book_dependencies, import_dependencies
from app.domain.books.imports import MAX_IMPORT_BYTES, ImportService, upload_chunks
from app.domain.books.jobs import import_job_key, import_job_options
from app.domain.books.services import BookService
from app.domain.books.views import BookViews
from app.lib.errors import ConflictError
from app.lib.jobs import enqueue_after_commit
from app.lib.schema import paginated

MULTIPART_OVERHEAD = 64 * 1024


@dataclass
class FileUpload:
    file: UploadFile


class BookController(Controller):
    path = "/api/books"
    tags = ["Books"]
    dependencies = book_dependencies

    @get("/", operation_id="ListBooks", summary="List books")
    async def list_books(
        self,
        book_views: BookViews,
        filters: Annotated[list[FilterTypes], Dependency(skip_validation=True)],
        author_id: Annotated[UUID | None, Parameter(query="authorId", description="Only this author's books")] = None,
        tag: Annotated[
            str | None, Parameter(query="tag", max_length=100, description="Only books with this tag slug")
        ] = None,
    ) -> OffsetPagination[s.Book]:
        rows, total = await book_views.page(filters, author_id=author_id, tag=tag)
        return paginated([s.Book.from_row(row) for row in rows], total, filters)

    @post(
        "/",
        operation_id="CreateBook",
        summary="Create a book",
        raises=[ConflictError],
        guards=[requires_active_user],
    )
    async def create_book(
        self, request: Request[m.User, Any, Any], books_service: BookService, data: s.BookCreate
    ) -> Response[s.Book]:
        row, tags = await books_service.create_book(
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
        book = s.Book.from_row(row, tags)
        return Response(book, status_code=HTTP_201_CREATED, headers={"Location": f"/api/books/{book.id}"})

    @get("/{book_id:str}", operation_id="GetBook", summary="Get a book")
    async def get_book(self, book_views: BookViews, book_id: UUID) -> s.Book:
        return s.Book.from_row(await book_views.one(book_id))

    @get("/by-slug/{slug:str}", operation_id="GetBookBySlug", summary="Get a book by slug")
    async def get_book_by_slug(self, books_service: BookService, slug: str) -> s.Book:
        return s.Book.from_model(await books_service.get_one(slug=slug))

    @patch(
        "/{book_id:str}",
        guards=[requires_active_user],
        operation_id="UpdateBook",
        summary="Change a book; `tags` replaces the whole set",
        raises=[ConflictError],
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
    )
    async def delete_book(self, request: Request[m.User, Any, Any], books_service: BookService, book_id: UUID) -> None:
        await books_service.delete_book(book_id, actor=request.user)

    @put(
        "/{book_id:str}/cover",
        operation_id="PutBookCover",
        summary="Upload the cover (multipart field `file`; JPEG, PNG or WebP, at most 5 MiB)",
        guards=[requires_active_user],
        request_max_body_size=MAX_COVER_BYTES + MULTIPART_OVERHEAD,
    )
    async def put_cover(
        self,
        request: Request[m.User, Any, Any],
        books_service: BookService,
        book_id: UUID,
        data: Annotated[FileUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> s.Book:
        content = await data.file.read(MAX_COVER_BYTES + 1)
        book = await books_service.set_cover(book_id, content, actor=request.user)
        return s.Book.from_model(book)

    @get(
        "/{book_id:str}/cover",
        operation_id="GetBookCover",
        summary="The cover image, with ETag and cache headers",
        media_type="image/*",
        responses={
            HTTP_304_NOT_MODIFIED: ResponseSpec(
                data_container=None, description="Not Modified: `If-None-Match` names the current `ETag`"
            )
        },
    )
    async def get_cover(
        self, request: Request[Any, Any, Any], books_service: BookService, book_id: UUID
    ) -> Response[bytes]:
        book = await books_service.get(book_id)
        if book.cover is None:
            raise NotFoundException(detail="This book has no cover.")
        etag = f'"{book.cover.checksum}"'
        versioned = request.query_params.get("v") == (book.cover.checksum or "")[:16]
        headers = {
            "ETag": etag,
            "Cache-Control": "public, max-age=31536000, immutable" if versioned else "public, max-age=300",
        }
        if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
            return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
        content = await book.cover.get_content_async()
        return Response(content, media_type=book.cover.content_type, headers=headers)

    @delete(
        "/{book_id:str}/cover",
        operation_id="DeleteBookCover",
        summary="Remove the cover",
        guards=[requires_active_user],
    )
    async def delete_cover(self, request: Request[m.User, Any, Any], books_service: BookService, book_id: UUID) -> None:
        await books_service.clear_cover(book_id, actor=request.user)


class ImportController(Controller):
    path = "/api/imports"
    tags = ["Imports"]
    guards = [requires_active_user]
    dependencies = import_dependencies

    @post(
        "/",
        operation_id="CreateImport",
        summary="Upload a CSV or JSON Lines catalogue (multipart field `file`, at most 50 MiB); a worker imports it",
        status_code=HTTP_202_ACCEPTED,
        request_max_body_size=MAX_IMPORT_BYTES + MULTIPART_OVERHEAD,
    )
    async def create_import(
        self,
        request: Request[m.User, Any, Any],
        imports_service: ImportService,
        data: Annotated[FileUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[s.Import]:
        book_import = await imports_service.create_import(
            data.file.filename, data.file.content_type, upload_chunks(data.file), owner_id=request.user.id
        )
        enqueue_after_commit(
            request.scope,
            "import_catalogue",
            import_id=str(book_import.id),
            key=import_job_key(book_import.id),
            **import_job_options(),
        )
        return Response(
            s.Import.from_model(book_import),
            status_code=HTTP_202_ACCEPTED,
            headers={"Location": f"/api/imports/{book_import.id}"},
        )

    @get("/", operation_id="ListImports", summary="My imports (a superuser's: all), newest first")
    async def list_imports(
        self,
        request: Request[m.User, Any, Any],
        imports_service: ImportService,
        limit_offset: LimitOffset,
    ) -> OffsetPagination[s.Import]:
        rows, total = await imports_service.visible_to(request.user, [limit_offset])
        return paginated([s.Import.from_model(row) for row in rows], total, [limit_offset])

    @get("/{import_id:str}", operation_id="GetImport", summary="An import and its progress")
    async def get_import(
        self, request: Request[m.User, Any, Any], imports_service: ImportService, import_id: UUID
    ) -> s.Import:
        return s.Import.from_model(await imports_service.get_visible(import_id, request.user))
