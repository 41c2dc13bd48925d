"""Shared repository and service behaviour for resources with slugs."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator, Sequence
from functools import cache
from typing import Any, Generic, TypeVar

from advanced_alchemy.filters import LimitOffset, OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncSlugRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from advanced_alchemy.utils.text import slugify
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.db.models.limits import SLUG_MAX
from app.lib.errors import ConflictError
from app.lib.precompiled import bound_values, full_row, insert_columns, precompiled

ModelT = TypeVar("ModelT", bound=Any)
ItemT = TypeVar("ItemT")
_SUFFIX_LENGTH = 6
_SLUG_ATTEMPTS = 4
_PAGE_ATTEMPTS = 3
"""Reads of an empty page whose count says rows arrived meanwhile, before the count is answered as is."""
_PAGE_ONLY_OPTIONS = frozenset({"auto_expunge", "count_with_window_function", "order_by", "use_cache"})


def make_slug(value: str, fallback: str) -> str:
    """A URL-safe slug that leaves room for a clash suffix; `fallback` when nothing ASCII is left."""
    slug = slugify(value)[: SLUG_MAX - _SUFFIX_LENGTH - 1].strip("-_")
    return slug or fallback


def slug_candidates(value: str, fallback: str) -> Iterator[str]:
    """The slugs to try in turn for a row named `value`: its own slug, then a few with a random suffix."""
    base = make_slug(value, fallback)
    yield base
    for _ in range(_SLUG_ATTEMPTS - 1):
        yield f"{base}-{secrets.token_hex(_SUFFIX_LENGTH // 2)}"


def no_free_slug(value: str) -> ConflictError:
    """The 409 when every one of `slug_candidates(value)` was taken."""
    return ConflictError(detail=f"No free slug for {value!r}; try again.")


@cache
def _insert_unless_slug_taken(model: type[Any]) -> Any:
    """`INSERT ... ON CONFLICT (slug) DO NOTHING RETURNING` the whole row, as `model`; compiled once per model."""
    table = model.__table__
    statement = (
        insert(table)
        .values(bound_values(insert_columns(table)))
        .on_conflict_do_nothing(index_elements=[table.c.slug])
        .returning(*table.columns)
    )
    return select(model).from_statement(precompiled(statement, table, returning=True))


async def page_with_total(
    read_page: Callable[[], Awaitable[tuple[Sequence[ItemT], int]]],
    read_count: Callable[[], Awaitable[int]],
    offset: int,
) -> tuple[list[ItemT], int]:
    """A page and its total from one snapshot: `read_page` returns rows that carry the count.

    A page with no rows carries no count; then the count is read alone, and when it says rows arrived
    past `offset` in the meantime, the page is read again (a few times at most).
    """
    total = 0
    for _ in range(_PAGE_ATTEMPTS):
        items, total = await read_page()
        if items:
            return list(items), total
        total = await read_count()
        if total <= offset:
            break
    return [], total


class OneSnapshotPages(SQLAlchemyAsyncRepositoryService[ModelT], Generic[ModelT]):
    """Lists whose page and `total` agree: both come from one statement, so from one snapshot.

    Two statements (a count, then the page) each see the rows committed before they start, so a write
    landing in between gave pages that contradict their total (a partial page of 20 with a total of
    18) while others write. The page carries its count (a window function) instead; see
    `page_with_total` for a page with no rows.
    """

    async def get_many_and_count(self, *filters: Any, **kwargs: Any) -> tuple[Any, int]:
        kwargs["count_with_window_function"] = True
        counted = [item for item in filters if not isinstance(item, LimitOffset | OrderBy)]
        count_options = {key: value for key, value in kwargs.items() if key not in _PAGE_ONLY_OPTIONS}
        offset = next((item.offset for item in filters if isinstance(item, LimitOffset)), 0)

        async def read_page() -> tuple[Sequence[Any], int]:
            return await super(OneSnapshotPages, self).get_many_and_count(*filters, **kwargs)

        async def read_count() -> int:
            return await self.count(*counted, **count_options)

        return await page_with_total(read_page, read_count, offset)


class SlugRepository(SQLAlchemyAsyncSlugRepository[ModelT], Generic[ModelT]):
    slug_fallback = "item"


class SluggedService(OneSnapshotPages[ModelT], Generic[ModelT]):
    """Creates rows whose slug is taken from a name; a clash (even with a concurrent insert) gets a suffix."""

    repository_type: type[SlugRepository[ModelT]]

    async def create_with_slug(self, values: dict[str, Any], *, slug_from: str) -> ModelT:
        """Insert a row of column `values` with a slug made from `slug_from`, suffixed when it is taken.

        Each try is one `INSERT ... ON CONFLICT (slug) DO NOTHING RETURNING`: no look-up first and no
        savepoint, and a clash with a concurrent insert only sends this one on to a suffixed slug.
        Other constraints (a duplicate ISBN) still raise.
        """
        repository = self.repository
        statement = _insert_unless_slug_taken(repository.model_type)
        for slug in slug_candidates(slug_from, repository.slug_fallback):
            row = full_row(repository.model_type.__table__, {**values, "slug": slug})
            created: ModelT | None = (await repository.session.scalars(statement, row)).first()
            if created is not None:
                return created
        raise no_free_slug(slug_from)
