from __future__ import annotations

from typing import Any
from uuid import UUID

from advanced_alchemy.exceptions import IntegrityError as AdvancedAlchemyIntegrityError
from litestar.exceptions import NotFoundException, ValidationException
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.db import models as m
from app.domain.accounts.guards import ensure_owner_or_superuser
from app.domain.books.covers import cover_file
from app.domain.tags.services import TagService
from app.lib.errors import ConflictError, violated_constraint
from app.lib.services import SluggedService, SlugRepository

BOOK_LOAD = (joinedload(m.Book.author), selectinload(m.Book.tags))
ISBN_CONSTRAINT = "uq_book_isbn"
AUTHOR_CONSTRAINT = "fk_book_author_id_author"
_INSERT_LINKS = insert(m.book_tag)


def _isbn_taken(isbn: str) -> ConflictError:
    return ConflictError(detail=f"A book with isbn {isbn} already exists.")


def _unknown_author(author_id: UUID) -> ValidationException:
    return ValidationException(
        detail=f"authorId: no author with id {author_id}",
        extra=[{"key": "authorId", "message": f"no author with id {author_id}", "source": "body"}],
    )


class BookRepository(SlugRepository[m.Book]):
    model_type = m.Book
    slug_fallback = "book"
    loader_options = list(BOOK_LOAD)


class BookService(SluggedService[m.Book]):
    repository_type = BookRepository

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
            raise _isbn_taken(isbn)

    async def create_book(self, data: dict[str, Any], *, created_by: UUID | None) -> m.Book:
        """Create a book; its tags are matched by slug and created when new.

        Five statements: the author, the tags (two), the book, its tag links. A duplicate ISBN is
        caught by its unique constraint rather than looked up first.
        """
        tag_names: list[str] = data.pop("tags", [])
        author = await self._author(data["author_id"])
        tags = await TagService(session=self.repository.session).get_or_create_many(tag_names)
        try:
            book = await self.create_with_slug({**data, "created_by": created_by}, slug_from=data["title"])
        except IntegrityError as exc:
            if violated_constraint(exc) == ISBN_CONSTRAINT:
                raise _isbn_taken(data["isbn"]) from exc
            if violated_constraint(exc) == AUTHOR_CONSTRAINT:
                # The author was deleted by a request that committed after `_author` found it.
                raise _unknown_author(data["author_id"]) from exc
            raise
        if tags:
            links = [{"book_id": book.id, "tag_id": tag.id} for tag in tags]
            await self.repository.session.execute(_INSERT_LINKS, links)
        set_committed_value(book, "author", author)
        set_committed_value(book, "tags", tags)
        return book

    async def update_book(self, book_id: UUID, changes: dict[str, Any], *, actor: m.User) -> m.Book:
        """Apply `changes`; `tags`, when given, replaces the whole set. The slug never changes."""
        book = await self.get(book_id)
        ensure_owner_or_superuser(book, actor)
        author_id = changes.pop("author_id", None)
        if author_id is not None:
            book.author = await self._author(author_id)
        if "isbn" in changes and changes["isbn"] != book.isbn:
            await self._ensure_isbn_free(changes["isbn"], book.id)
        if "tags" in changes:
            book.tags = await TagService(session=self.repository.session).get_or_create_many(changes.pop("tags"))
        for field, value in changes.items():
            setattr(book, field, value)
        try:
            return await self.update(book, auto_refresh=False)
        except AdvancedAlchemyIntegrityError as exc:
            if violated_constraint(exc) == AUTHOR_CONSTRAINT:
                # The new author was deleted by a request that committed after `_author` found it.
                raise _unknown_author(author_id) from exc
            raise

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
