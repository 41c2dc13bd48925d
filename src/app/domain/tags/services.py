from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.orm import undefer
from uuid_utils.compat import uuid7

from app.db import models as m
from app.lib import driver
from app.lib.driver import driver_query
from app.lib.errors import ConflictError
from app.lib.precompiled import bound_values, precompiled
from app.lib.services import OneSnapshotPages, make_slug

if TYPE_CHECKING:
    import asyncpg
    from sqlalchemy import Table

    from app.lib.driver import Columns


def tag_slug(name: str) -> str:
    return make_slug(name, "")


_NEW_TAG_COLUMNS = ["id", "name", "slug", "created_at", "updated_at"]
# Run once per row in one round trip (executemany), from SQL compiled once (see `precompiled`).
_INSERT_MISSING = precompiled(
    insert(m.Tag).values(bound_values(_NEW_TAG_COLUMNS)).on_conflict_do_nothing(index_elements=[m.Tag.slug]),
    cast("Table", m.Tag.__table__),
)

_BY_SLUGS = select(m.Tag).where(m.Tag.slug.in_(bindparam("slugs", expanding=True)))


def _by_slug(names: Iterable[str]) -> dict[str, str]:
    """The tags named, by slug: the first name given for each."""
    by_slug: dict[str, str] = {}
    for name in names:
        by_slug.setdefault(tag_slug(name), name)
    return by_slug


def _new_rows(by_slug: dict[str, str]) -> list[dict[str, Any]]:
    """A new tag row for each, in slug order: requests naming the same new tags lock them in the same order."""
    now = datetime.now(UTC)
    return [
        {"id": uuid7(), "name": name, "slug": slug, "created_at": now, "updated_at": now}
        for slug, name in sorted(by_slug.items())
    ]


_tag = cast("Table", m.Tag.__table__)
_REFS = (_tag.c.id, _tag.c.name, _tag.c.slug)
_new = (
    func.unnest(*(bindparam(f"{name}s", type_=ARRAY(_tag.c[name].type)) for name in ("id", "name", "slug")))
    .table_valued("id", "name", "slug")
    .render_derived(name="new")
)
_now = bindparam("now", type_=_tag.c.created_at.type)
_inserted = (
    insert(_tag)
    .from_select(_NEW_TAG_COLUMNS, select(_new.c.id, _new.c.name, _new.c.slug, _now, _now))
    .on_conflict_do_nothing(index_elements=[_tag.c.slug])
    .returning(*_REFS)
    .cte("inserted")
)
GET_OR_CREATE = driver_query(
    select(_inserted.c.id, _inserted.c.name, _inserted.c.slug).union_all(
        # Not a slug inserted above: an old row of it is still in this statement's snapshot if it was
        # deleted meanwhile (which let the insert through).
        select(*_REFS).where(_tag.c.slug == any_(bindparam("slugs")), _tag.c.slug.not_in(select(_inserted.c.slug)))
    )
)
"""Insert the tags of `ids`, `names`, `slugs` (a row each) unless their slug exists; read those inserted and found."""
BY_SLUGS = driver_query(select(*_REFS).where(_tag.c.slug == any_(bindparam("slugs", type_=ARRAY(_tag.c.slug.type)))))


async def get_or_create_refs(connection: asyncpg.Connection, names: Iterable[str]) -> list[Columns]:
    """`TagService.get_or_create_many` on the driver (`app.lib.driver`): rows of `id`, `name` and `slug`.

    One statement in the common case: the missing tags are inserted (`ON CONFLICT DO NOTHING`, in slug
    order) and the others read, by the same statement. A tag that a concurrent request created and
    committed while this insert waited for it is neither inserted here nor visible to this statement's
    snapshot: a second statement, with a snapshot of its own, reads those.
    """
    by_slug = _by_slug(names)
    if not by_slug:
        return []
    new = _new_rows(by_slug)
    columns = {f"{name}s": [row[name] for row in new] for name in ("id", "name", "slug")}
    rows = await driver.fetch_rows(connection, GET_OR_CREATE, {**columns, "now": new[0]["created_at"]})
    found = {row["slug"]: row for row in rows}
    missing = [slug for slug in by_slug if slug not in found]
    if missing:
        found.update((row["slug"], row) for row in await driver.fetch_rows(connection, BY_SLUGS, {"slugs": missing}))
    return [found[slug] for slug in by_slug]


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
        by_slug = _by_slug(names)
        if not by_slug:
            return []
        session = self.repository.session
        await session.execute(_INSERT_MISSING, _new_rows(by_slug))
        found = {tag.slug: tag for tag in await session.scalars(_BY_SLUGS, {"slugs": list(by_slug)})}
        return [found[slug] for slug in by_slug]
