from __future__ import annotations

from typing import Any
from uuid import UUID

from advanced_alchemy.exceptions import IntegrityError
from sqlalchemy import select

from app.db import models as m
from app.domain.accounts.guards import ensure_owner_or_superuser
from app.lib.errors import ConflictError
from app.lib.services import SluggedService, SlugRepository


class AuthorRepository(SlugRepository[m.Author]):
    model_type = m.Author
    slug_fallback = "author"


class AuthorService(SluggedService[m.Author]):
    repository_type = AuthorRepository

    async def create_author(self, data: dict[str, Any], *, created_by: UUID | None) -> m.Author:
        return await self.create_with_slug({**data, "created_by": created_by}, slug_from=data["name"])

    async def update_author(self, author_id: UUID, changes: dict[str, Any], *, actor: m.User) -> m.Author:
        """Apply `changes`; the slug stays what it was when the author was created."""
        author = await self.get(author_id)
        ensure_owner_or_superuser(author, actor)
        for field, value in changes.items():
            setattr(author, field, value)
        return await self.update(author, auto_refresh=False)

    async def delete_author(self, author_id: UUID, *, actor: m.User) -> None:
        author = await self.get(author_id)
        ensure_owner_or_superuser(author, actor)
        has_books = await self.repository.session.scalar(
            select(select(m.Book.id).where(m.Book.author_id == author.id).exists())
        )
        msg = "This author still has books; delete or reassign them first."
        if has_books:
            raise ConflictError(detail=msg)
        try:
            await self.delete(author.id)
        except IntegrityError as exc:
            # A book for this author was committed after the check above.
            raise ConflictError(detail=msg) from exc
