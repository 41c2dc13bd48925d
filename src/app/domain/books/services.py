from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

import asyncpg
from advanced_alchemy.exceptions import IntegrityError as AdvancedAlchemyIntegrityError
from litestar.exceptions import NotFoundException, ValidationException
from sqlalchemy import bindparam, func, literal_column, select, true
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.orm import joinedload, selectinload

from app.db import models as m
from app.domain.accounts.guards import ensure_owner_or_superuser
from app.domain.books.covers import cover_file
from app.domain.tags.services import TagService, get_or_create_refs
from app.lib import driver
from app.lib.driver import driver_query
from app.lib.errors import ConflictError, violated_constraint
from app.lib.precompiled import full_row, insert_columns
from app.lib.services import SluggedService, SlugRepository, no_free_slug, slug_candidates

if TYPE_CHECKING:
    from sqlalchemy import Table

    from app.lib.driver import Columns

BOOK_LOAD = (joinedload(m.Book.author), selectinload(m.Book.tags))
ISBN_CONSTRAINT = "uq_book_isbn"
AUTHOR_CONSTRAINT = "fk_book_author_id_author"

_book = cast("Table", m.Book.__table__)
_author = select(m.Author.id, m.Author.name, m.Author.slug).where(m.Author.id == bindparam("author_id")).cte("author")
_BOUND = [name for name in insert_columns(_book) if name not in {"author_id", "cover"}]
_RETURNED = ("id", "title", "slug", "isbn", "published_year", "description", "created_by", "created_at", "updated_at")
_created = (
    insert(_book)
    .from_select(
        [*_BOUND, "cover", "author_id"],
        select(
            *(bindparam(name, type_=_book.c[name].type) for name in _BOUND),
            sql_cast(literal_column("'null'"), JSONB),  # no cover: JSON null, as the ORM stores a None here
            _author.c.id,
        ),
    )
    .on_conflict_do_nothing(index_elements=[_book.c.slug])
    .returning(
        *(_book.c[name] for name in _RETURNED),
        m.cover_version(_book.c.cover).label("cover_version"),
    )
    .cte("created")
)
_links = (
    insert(m.book_tag)
    .from_select(
        ["book_id", "tag_id"],
        select(_created.c.id, func.unnest(bindparam("tag_ids", type_=ARRAY(m.book_tag.c.tag_id.type)))),
    )
    .cte("links")
)
CREATE = driver_query(
    select(
        _created,
        _author.c.id.label("author_id"),
        _author.c.name.label("author_name"),
        _author.c.slug.label("author_slug"),
    )
    .select_from(_author.outerjoin(_created, true()))
    .add_cte(_links)
)
"""Insert a book (its columns' values, `slug` included) by author `author_id`, linked to the tags `tag_ids`.

One row: the book's columns as `app.domain.books.views` reads them (its tags apart), with the author's.
No row at all when there is no such author; the author's columns alone (the book's are null) when the
slug is taken, and then nothing is inserted.
"""


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

    async def create_book(self, data: dict[str, Any], *, created_by: UUID | None) -> tuple[Columns, list[Columns]]:
        """Create a book; its tags are matched by slug and created when new.

        The book's row, its author's name and slug included (as `Book.from_row` reads it), and its tags'
        rows in the order they were named. Run on the driver (`app.lib.driver`), inside the request's
        transaction: one statement for the tags (`get_or_create_refs`), one for the book with its author
        and its tag links (`CREATE`; one more for each slug found taken). An unknown author inserts
        nothing; a duplicate ISBN is caught by its unique constraint rather than looked up first.
        """
        connection = await driver.in_transaction(self.repository.session)
        tags = await get_or_create_refs(connection, data.pop("tags", []))
        values = {**data, "created_by": created_by}
        tag_ids = [tag["id"] for tag in tags]
        for slug in slug_candidates(data["title"], BookRepository.slug_fallback):
            try:
                row = await driver.fetch_row(
                    connection, CREATE, {**full_row(_book, {**values, "slug": slug}), "tag_ids": tag_ids}
                )
            except asyncpg.IntegrityConstraintViolationError as exc:
                if violated_constraint(exc) == ISBN_CONSTRAINT:
                    raise _isbn_taken(data["isbn"]) from exc
                if violated_constraint(exc) == AUTHOR_CONSTRAINT:
                    # The author was deleted by a request that committed after this statement's snapshot.
                    raise _unknown_author(data["author_id"]) from exc
                raise
            if row is None:
                raise _unknown_author(data["author_id"])
            if row["id"] is not None:
                return row, tags
        raise no_free_slug(data["title"])

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
