"""Shared repository and service behaviour for resources with slugs."""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any, Generic, TypeVar

from advanced_alchemy.repository import SQLAlchemyAsyncSlugRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from advanced_alchemy.utils.text import slugify
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.db.models.limits import SLUG_MAX
from app.lib.errors import ConflictError
from app.lib.precompiled import bound_values, full_row, insert_columns, precompiled

ModelT = TypeVar("ModelT", bound=Any)
_SUFFIX_LENGTH = 6
_SLUG_ATTEMPTS = 4


def make_slug(value: str, fallback: str) -> str:
    """A URL-safe slug that leaves room for a clash suffix; `fallback` when nothing ASCII is left."""
    slug = slugify(value)[: SLUG_MAX - _SUFFIX_LENGTH - 1].strip("-_")
    return slug or fallback


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


class SlugRepository(SQLAlchemyAsyncSlugRepository[ModelT], Generic[ModelT]):
    slug_fallback = "item"


class SluggedService(SQLAlchemyAsyncRepositoryService[ModelT], Generic[ModelT]):
    """Creates rows whose slug is taken from a name; a clash (even with a concurrent insert) gets a suffix."""

    repository_type: type[SlugRepository[ModelT]]
    count_with_window_function = False
    """A window-function count is 0 on a page past the end; a separate count query is always right."""

    async def create_with_slug(self, values: dict[str, Any], *, slug_from: str) -> ModelT:
        """Insert a row of column `values` with a slug made from `slug_from`, suffixed when it is taken.

        Each try is one `INSERT ... ON CONFLICT (slug) DO NOTHING RETURNING`: no look-up first and no
        savepoint, and a clash with a concurrent insert only sends this one on to a suffixed slug.
        Other constraints (a duplicate ISBN) still raise.
        """
        repository = self.repository
        statement = _insert_unless_slug_taken(repository.model_type)
        base = make_slug(slug_from, repository.slug_fallback)
        slug = base
        for _ in range(_SLUG_ATTEMPTS):
            row = full_row(repository.model_type.__table__, {**values, "slug": slug})
            created: ModelT | None = (await repository.session.scalars(statement, row)).first()
            if created is not None:
                return created
            slug = f"{base}-{secrets.token_hex(_SUFFIX_LENGTH // 2)}"
        msg = f"No free slug for {slug_from!r}; try again."
        raise ConflictError(detail=msg)
