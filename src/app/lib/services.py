"""Shared repository and service behaviour for resources with slugs."""

from __future__ import annotations

import secrets
from typing import Any, Generic, TypeVar

from advanced_alchemy.exceptions import IntegrityError
from advanced_alchemy.repository import SQLAlchemyAsyncSlugRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from advanced_alchemy.utils.text import slugify

from app.db.models.limits import SLUG_MAX
from app.lib.errors import violated_constraint

ModelT = TypeVar("ModelT", bound=Any)
_SUFFIX_LENGTH = 6
_SLUG_ATTEMPTS = 4


def make_slug(value: str, fallback: str) -> str:
    """A URL-safe slug that leaves room for a clash suffix; `fallback` when nothing ASCII is left."""
    slug = slugify(value)[: SLUG_MAX - _SUFFIX_LENGTH - 1].strip("-_")
    return slug or fallback


class SlugRepository(SQLAlchemyAsyncSlugRepository[ModelT], Generic[ModelT]):
    slug_fallback = "item"

    async def get_available_slug(self, value_to_slugify: str, **kwargs: Any) -> str:
        slug = make_slug(value_to_slugify, self.slug_fallback)
        if await self._is_slug_unique(slug):
            return slug
        return f"{slug}-{secrets.token_hex(_SUFFIX_LENGTH // 2)}"


class SluggedService(SQLAlchemyAsyncRepositoryService[ModelT], Generic[ModelT]):
    """Creates rows whose slug is taken from a name; a concurrent clash on the slug is retried."""

    repository_type: type[SlugRepository[ModelT]]
    count_with_window_function = False
    """A window-function count is 0 on a page past the end; a separate count query is always right."""

    async def create_with_slug(self, data: dict[str, Any]) -> ModelT:
        table = self.repository.model_type.__tablename__
        for attempt in range(_SLUG_ATTEMPTS):
            try:
                async with self.repository.session.begin_nested():
                    return await self.create(data, auto_refresh=False)
            except IntegrityError as exc:
                if violated_constraint(exc) != f"uq_{table}_slug" or attempt == _SLUG_ATTEMPTS - 1:
                    raise
        raise AssertionError  # unreachable: the last attempt re-raises
