from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar.exceptions import NotFoundException, ValidationException
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import joinedload, selectinload

from app.db import models as m
from app.domain.accounts.guards import ensure_owner_or_superuser
from app.domain.books.covers import cover_file
from app.domain.tags.services import TagService
from app.lib.errors import ConflictError
from app.lib.services import SluggedService, SlugRepository

BOOK_LOAD = (joinedload(m.Book.author), selectinload(m.Book.tags))


def _unknown_author(author_id: UUID) -> ValidationException:
    return ValidationException(
        detail=f"authorId: no author with id {author_id}",
        extra=[{"key": "authorId", "message": f"no author with id {author_id}", "source": "body"}],
    )


class BookRepository(SlugRepository[m.Book]):
    model_type = m.Book
    slug_fallback = "book"
    loader_options = list(BOOK_LOAD)

    @staticmethod
    def list_conditions(author_id: UUID | None, tag: str | None) -> list[ColumnElement[bool]]:
        """The `authorId` and `tag` (a tag slug) list filters."""
        conditions: list[ColumnElement[bool]] = []
        if author_id is not None:
            conditions.append(m.Book.author_id == author_id)
        if tag is not None:
            tagged = select(m.book_tag.c.book_id).join(m.Tag, m.Tag.id == m.book_tag.c.tag_id).where(m.Tag.slug == tag)
            conditions.append(m.Book.id.in_(tagged))
        return conditions


class BookService(SluggedService[m.Book]):
    repository_type = BookRepository

    async def to_model_on_create(self, data: Any) -> Any:
        data = dict(data)
        data["slug"] = await self.repository.get_available_slug(data["title"])
        return data

    async def _author(self, author_id: UUID) -> m.Author:
        author = await self.repository.session.get(m.Author, author_id)
        if author is None:
            raise _unknown_author(author_id)
        return author

    async def _ensure_isbn_free(self, isbn: str | None, book_id: UUID | None = None) -> None:
        if isbn is None:
            return
        statement = select(m.Book.id).where(m.Book.isbn == isbn)
        if book_id is not None:
            statement = statement.where(m.Book.id != book_id)
        if await self.repository.session.scalar(statement) is not None:
            msg = f"A book with isbn {isbn} already exists."
            raise ConflictError(detail=msg)

    async def create_book(self, data: dict[str, Any], *, created_by: UUID | None) -> m.Book:
        """Create a book; its tags are matched by slug and created when new."""
        tag_names: list[str] = data.pop("tags", [])
        author = await self._author(data["author_id"])
        await self._ensure_isbn_free(data.get("isbn"))
        tags = await TagService(session=self.repository.session).get_or_create_many(tag_names)
        return await self.create_with_slug({**data, "author": author, "tags": tags, "created_by": created_by})

    async def update_book(self, book_id: UUID, changes: dict[str, Any], *, actor: m.User) -> m.Book:
        """Apply `changes`; `tags`, when given, replaces the whole set. The slug never changes."""
        book = await self.get(book_id)
        ensure_owner_or_superuser(book, actor)
        if "author_id" in changes:
            book.author = await self._author(changes.pop("author_id"))
        if "isbn" in changes and changes["isbn"] != book.isbn:
            await self._ensure_isbn_free(changes["isbn"], book.id)
        if "tags" in changes:
            book.tags = await TagService(session=self.repository.session).get_or_create_many(changes.pop("tags"))
        for field, value in changes.items():
            setattr(book, field, value)
        return await self.update(book, auto_refresh=False)

    async def set_cover(self, book_id: UUID, content: bytes, *, actor: m.User) -> m.Book:
        """Store a new cover (the old file is removed once the change commits)."""
        book = await self.get(book_id)
        ensure_owner_or_superuser(book, actor)
        cover = cover_file(book.id, content)
        await cover.save_async()
        book.cover = cover
        return await self.update(book, auto_refresh=False)

    async def clear_cover(self, book_id: UUID, *, actor: m.User) -> None:
        book = await self.get(book_id)
        ensure_owner_or_superuser(book, actor)
        if book.cover is None:
            raise NotFoundException(detail="This book has no cover.")
        book.cover = None
        await self.update(book, auto_refresh=False)

    async def delete_book(self, book_id: UUID, *, actor: m.User) -> None:
        book = await self.get(book_id)
        ensure_owner_or_superuser(book, actor)
        await self.delete(book.id)
