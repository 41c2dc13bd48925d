from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

import msgspec

from app.db import models as m
from app.domain.tags.schemas import TagRef
from app.lib import validation as v
from app.lib.driver import Columns
from app.lib.schema import CamelizedBaseStruct, PatchStruct

MAX_TAGS_PER_BOOK = 50


class AuthorRef(CamelizedBaseStruct):
    id: UUID
    name: str
    slug: str


class Book(CamelizedBaseStruct):
    id: UUID
    title: str
    slug: str
    isbn: str | None
    published_year: int | None
    description: str | None
    author: AuthorRef
    tags: list[TagRef]
    cover_url: str | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Columns, tags: Sequence[Columns] | None = None) -> Book:
        """A book read by `app.domain.books.views` (one row: the book, its author's name and slug, its tags).

        A book just created comes with its `tags` apart (rows of `id`, `name`, `slug`), in the order named.
        """
        book_id = row["id"]
        return cls(
            id=book_id,
            title=row["title"],
            slug=row["slug"],
            isbn=row["isbn"],
            published_year=row["published_year"],
            description=row["description"],
            author=AuthorRef(id=row["author_id"], name=row["author_name"], slug=row["author_slug"]),
            tags=[
                TagRef(id=tag_id, name=name, slug=slug)
                for tag_id, name, slug in zip(
                    row["tag_ids"] or (), row["tag_names"] or (), row["tag_slugs"] or (), strict=True
                )
            ]
            if tags is None
            else [TagRef(id=tag["id"], name=tag["name"], slug=tag["slug"]) for tag in tags],
            cover_url=m.versioned_cover_url(book_id, row["cover_version"]),
            created_by=row["created_by"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    @classmethod
    def from_model(cls, book: m.Book) -> Book:
        author = book.author
        return cls(
            id=book.id,
            title=book.title,
            slug=book.slug,
            isbn=book.isbn,
            published_year=book.published_year,
            description=book.description,
            author=AuthorRef(id=author.id, name=author.name, slug=author.slug),
            tags=[TagRef(id=tag.id, name=tag.name, slug=tag.slug) for tag in book.tags],
            cover_url=book.cover_url,
            created_by=book.created_by,
            created_at=book.created_at,
            updated_at=book.updated_at,
        )


def _clean_tags(names: list[str]) -> list[str]:
    if len(names) > MAX_TAGS_PER_BOOK:
        msg = f"tags must name at most {MAX_TAGS_PER_BOOK} tags per book"
        raise ValueError(msg)
    return [v.clean_tag_name(name) for name in names]


class _BookFields(Protocol):
    title: str
    isbn: str | None
    published_year: int | None
    description: str | None
    tags: list[str]


def clean_book_fields(book: _BookFields) -> None:
    """The rules of `POST /api/books` for the fields every way of creating a book shares."""
    book.title = v.clean_name(v.clean_text_without_nul(book.title, "title"), "title")
    if book.isbn is not None:
        book.isbn = v.clean_isbn(book.isbn)
    if book.published_year is not None:
        book.published_year = v.clean_published_year(book.published_year)
    if book.description is not None:
        book.description = v.clean_long_text(v.clean_text_without_nul(book.description, "description"), "description")
    book.tags = _clean_tags(book.tags)


class BookCreate(CamelizedBaseStruct):
    title: str
    author_id: UUID
    isbn: str | None = None
    published_year: int | None = None
    description: str | None = None
    tags: list[str] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        clean_book_fields(self)


class BookUpdate(PatchStruct):
    title: str | msgspec.UnsetType = msgspec.UNSET
    author_id: UUID | msgspec.UnsetType = msgspec.UNSET
    isbn: str | msgspec.UnsetType | None = msgspec.UNSET
    published_year: int | msgspec.UnsetType | None = msgspec.UNSET
    description: str | msgspec.UnsetType | None = msgspec.UNSET
    tags: list[str] | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if isinstance(self.title, str):
            self.title = v.clean_name(v.clean_text_without_nul(self.title, "title"), "title")
        if isinstance(self.isbn, str):
            self.isbn = v.clean_isbn(self.isbn)
        if isinstance(self.published_year, int):
            self.published_year = v.clean_published_year(self.published_year)
        if isinstance(self.description, str):
            self.description = v.clean_long_text(
                v.clean_text_without_nul(self.description, "description"), "description"
            )
        if isinstance(self.tags, list):
            self.tags = _clean_tags(self.tags)


class ImportRowProblem(CamelizedBaseStruct):
    line: int
    message: str


class Import(CamelizedBaseStruct):
    id: UUID
    status: str
    filename: str
    total: int
    processed: int
    created: int
    skipped: int
    failed: int
    errors: list[ImportRowProblem]
    message: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_model(cls, book_import: m.BookImport) -> Import:
        return cls(
            id=book_import.id,
            status=book_import.status,
            filename=book_import.filename,
            total=book_import.total,
            processed=book_import.processed,
            created=book_import.created,
            skipped=book_import.skipped,
            failed=book_import.failed,
            errors=[ImportRowProblem(line=error["line"], message=error["message"]) for error in book_import.errors],
            message=book_import.message,
            created_at=book_import.created_at,
            started_at=book_import.started_at,
            finished_at=book_import.finished_at,
        )
