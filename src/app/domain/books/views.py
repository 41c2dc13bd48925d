"""The statements that read books as the API shows them: each book with its author and its tags, in one row.

The tags come aggregated into arrays (ordered by name) by a lateral subquery, so reading one book
is one statement and so is a page of books (its rows carry the count), whatever the page size.
A page is chosen first among book ids alone (an index-only scan in the default order, however deep
the page), and only its rows are joined to their authors and tags.
Rows carry plain columns, not ORM objects, and the statements are compiled once for the driver
(`app.lib.driver`): reads skip SQLAlchemy's execution and result machinery as well as the ORM's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from advanced_alchemy.exceptions import NotFoundError
from advanced_alchemy.filters import LimitOffset, OrderBy, StatementFilter
from advanced_alchemy.repository import DEFAULT_ERROR_MESSAGE_TEMPLATES
from sqlalchemy import ColumnElement, Select, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by

from app.db import models as m
from app.lib import driver
from app.lib.driver import DriverQuery, driver_query
from app.lib.services import page_with_total

if TYPE_CHECKING:
    from litestar.types import Scope

    from app.lib.driver import Columns

_tags = (
    select(
        func.array_agg(aggregate_order_by(m.Tag.id, m.Tag.name)).label("tag_ids"),
        func.array_agg(aggregate_order_by(m.Tag.name, m.Tag.name)).label("tag_names"),
        func.array_agg(aggregate_order_by(m.Tag.slug, m.Tag.name)).label("tag_slugs"),
    )
    .select_from(m.book_tag.join(m.Tag, m.Tag.id == m.book_tag.c.tag_id))
    .where(m.book_tag.c.book_id == m.Book.id)
    .lateral("book_tags")
)


_COLUMNS = (
    m.Book.id,
    m.Book.title,
    m.Book.slug,
    m.Book.isbn,
    m.Book.published_year,
    m.Book.description,
    m.cover_version(m.Book.cover).label("cover_version"),
    m.Book.created_by,
    m.Book.created_at,
    m.Book.updated_at,
    m.Book.author_id,
    m.Author.name.label("author_name"),
    m.Author.slug.label("author_slug"),
    _tags.c.tag_ids,
    _tags.c.tag_names,
    _tags.c.tag_slugs,
)

BY_ID = driver_query(
    select(*_COLUMNS)
    .select_from(m.Book)
    .join(m.Author, m.Author.id == m.Book.author_id)
    .join(_tags, true())
    .where(m.Book.id == bindparam("book_id"))
)
"""One book, by `book_id`."""


_TAGGED = (
    select(m.book_tag.c.book_id)
    .join(m.Tag, m.Tag.id == m.book_tag.c.tag_id)
    .where(m.Tag.slug == bindparam("tag"))
    .scalar_subquery()
)
_MAX_SHAPES = 256
_shapes: dict[tuple[Any, ...], tuple[DriverQuery, DriverQuery]] = {}


def listing(
    filters: Sequence[StatementFilter], *, author_id: UUID | None, tag: str | None
) -> tuple[DriverQuery, DriverQuery, dict[str, Any]]:
    """The statement for the page of books the list filters select (each row with `total`, the count
    of every book they match), the count alone (for a page without rows), and the values to run both with.

    Statements are kept by shape (the filters apart from the page, whether an author or a tag is
    asked for): the page, the author and the tag are bound values, so the catalogue's pages reuse one
    statement each way they are ordered, built and compiled once.
    """
    values: dict[str, Any] = {"author_id": author_id, "tag": tag}
    shaping: list[StatementFilter] = []
    for item in filters:
        if isinstance(item, LimitOffset):
            values["limit"], values["offset"] = item.limit, item.offset
        else:
            shaping.append(item)
    paged = "limit" in values
    key = (tuple(repr(item) for item in shaping), paged, author_id is not None, tag is not None)
    statements = _shapes.get(key)
    if statements is None:
        if len(_shapes) >= _MAX_SHAPES:
            _shapes.clear()
        statements = _shapes[key] = _build(
            shaping, paged=paged, by_author=author_id is not None, by_tag=tag is not None
        )
    return *statements, values


def _build(
    filters: Sequence[StatementFilter], *, paged: bool, by_author: bool, by_tag: bool
) -> tuple[DriverQuery, DriverQuery]:
    chosen: Select[Any] = select(m.Book.id)
    count: Select[Any] = select(func.count()).select_from(m.Book)
    conditions: list[ColumnElement[bool]] = []
    if by_author:
        conditions.append(m.Book.author_id == bindparam("author_id"))
    if by_tag:
        conditions.append(m.Book.id.in_(_TAGGED))
    chosen, count = chosen.where(*conditions), count.where(*conditions)
    for item in filters:
        chosen = item.append_to_statement(chosen, m.Book)
        if not isinstance(item, OrderBy):
            count = item.append_to_statement(count, m.Book)
    if paged:
        chosen = chosen.limit(bindparam("limit")).offset(bindparam("offset"))
    page_ids = chosen.subquery("page")
    # The count rides along in every row: the page and its total come from one snapshot. Without
    # `correlate(None)` it would be correlated to the page's own `book` and count one row each.
    page: Select[Any] = (
        select(*_COLUMNS, count.correlate(None).scalar_subquery().label("total"))
        .select_from(page_ids)
        .join(m.Book, m.Book.id == page_ids.c.id)
        .join(m.Author, m.Author.id == m.Book.author_id)
        .join(_tags, true())
    )
    for item in filters:
        if isinstance(item, OrderBy):
            page = item.append_to_statement(page, m.Book)
    return driver_query(page), driver_query(count)


class BookViews:
    """Books as the API shows them, read through the driver (`app.lib.driver`): the catalogue's read side.

    Handlers that only read books take this instead of `BookService`: a service builds its repository
    and an ORM session on every request, and a read needs neither.
    """

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def one(self, book_id: UUID) -> Columns:
        """One book; `NotFoundError` (404) when there is none."""
        async with driver.reading(self.scope) as connection:
            row = await driver.fetch_row(connection, BY_ID, {"book_id": book_id})
        if row is None:
            raise NotFoundError(detail=str(DEFAULT_ERROR_MESSAGE_TEMPLATES["not_found"]))
        return row

    async def page(
        self, filters: Sequence[StatementFilter], *, author_id: UUID | None = None, tag: str | None = None
    ) -> tuple[list[Columns], int]:
        """The page of books the filters select, and how many books they match.

        `author_id` keeps one author's books, `tag` (a tag slug) the books with that tag.
        """
        page, count, values = listing(filters, author_id=author_id, tag=tag)
        async with driver.reading(self.scope) as connection:

            async def read_page() -> tuple[list[Columns], int]:
                rows = await driver.fetch_rows(connection, page, values)
                return rows, rows[0]["total"] if rows else 0

            async def read_count() -> int:
                total: int = await driver.fetch_value(connection, count, values)
                return total

            return await page_with_total(read_page, read_count, values.get("offset", 0))
