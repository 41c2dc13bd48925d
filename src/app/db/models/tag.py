from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.mixins import SlugKey, UniqueMixin
from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    String,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column

from app.db.models.book_tag import book_tag
from app.db.models.limits import NAME_MAX


class Tag(UUIDv7AuditBase, SlugKey, UniqueMixin):
    __tablename__ = "tag"
    __table_args__ = (
        UniqueConstraint("slug", name="uq_tag_slug"),
        CheckConstraint(f"char_length(btrim(name)) BETWEEN 1 AND {NAME_MAX}", name="name_length"),
    )

    name: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False)

    if TYPE_CHECKING:
        book_count: Mapped[int]

    @classmethod
    def unique_hash(cls, *args: Any, **kwargs: Any) -> Hashable:
        return kwargs["slug"]

    @classmethod
    def unique_filter(cls, *args: Any, **kwargs: Any) -> ColumnElement[bool]:
        return cls.slug == kwargs["slug"]


_tagged = book_tag.alias("tagged")
# Deferred: a count per tag is wanted by the tag endpoints (which undefer it), not by every book listing its tags.
Tag.book_count = column_property(
    select(func.count(_tagged.c.book_id)).where(_tagged.c.tag_id == Tag.id).correlate_except(_tagged).scalar_subquery(),
    deferred=True,
    raiseload=True,
)
