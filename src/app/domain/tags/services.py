from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import undefer
from uuid_utils.compat import uuid7

from app.db import models as m
from app.lib.errors import ConflictError
from app.lib.precompiled import bound_values, precompiled
from app.lib.services import OneSnapshotPages, make_slug

if TYPE_CHECKING:
    from sqlalchemy import Table


def tag_slug(name: str) -> str:
    return make_slug(name, "")


_NEW_TAG_COLUMNS = ["id", "name", "slug", "created_at", "updated_at"]
# Run once per row in one round trip (executemany), from SQL compiled once (see `precompiled`).
_INSERT_MISSING = precompiled(
    insert(m.Tag).values(bound_values(_NEW_TAG_COLUMNS)).on_conflict_do_nothing(index_elements=[m.Tag.slug]),
    cast("Table", m.Tag.__table__),
)

_BY_SLUGS = select(m.Tag).where(m.Tag.slug.in_(bindparam("slugs", expanding=True)))


class TagRepository(SQLAlchemyAsyncRepository[m.Tag]):
    model_type = m.Tag
    loader_options = [undefer(m.Tag.book_count)]


class TagService(OneSnapshotPages[m.Tag]):
    repository_type = TagRepository

    async def to_model_on_create(self, data: Any) -> Any:
        return {**data, "slug": tag_slug(data["name"])}

    async def create_tag(self, name: str) -> m.Tag:
        slug = tag_slug(name)
        if await self.exists(slug=slug):
            msg = f"A tag with slug {slug!r} already exists."
            raise ConflictError(detail=msg)
        return await self.create({"name": name}, auto_refresh=False)

    async def rename_tag(self, tag_id: UUID, name: str) -> m.Tag:
        """Rename a tag; its slug stays, so links to it keep working."""
        tag = await self.get(tag_id)
        tag.name = name
        return await self.update(tag, auto_refresh=False)

    async def get_or_create_many(self, names: Iterable[str]) -> list[m.Tag]:
        """The tags named, matched by slug and created when new; safe when requests race on a new name.

        Two statements whatever the number of names: missing tags are inserted with `ON CONFLICT DO
        NOTHING` (which waits for a concurrent insert of the same slug to commit instead of failing),
        then all are read back by slug; that read sees tags other requests just committed, which a
        single `INSERT ... RETURNING` would not. Rows go in slug order, so two requests naming the same
        new tags in different orders cannot deadlock.
        """
        by_slug: dict[str, str] = {}
        for name in names:
            by_slug.setdefault(tag_slug(name), name)
        if not by_slug:
            return []
        session = self.repository.session
        now = datetime.now(UTC)
        rows = [
            {"id": uuid7(), "name": name, "slug": slug, "created_at": now, "updated_at": now}
            for slug, name in sorted(by_slug.items())
        ]
        await session.execute(_INSERT_MISSING, rows)
        found = {tag.slug: tag for tag in await session.scalars(_BY_SLUGS, {"slugs": list(by_slug)})}
        return [found[slug] for slug in by_slug]
