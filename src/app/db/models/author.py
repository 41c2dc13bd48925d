from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.mixins import SlugKey
from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.models.limits import LONG_TEXT_MAX, NAME_MAX

if TYPE_CHECKING:
    from app.db.models.book import Book


class Author(UUIDv7AuditBase, SlugKey):
    __tablename__ = "author"
    __table_args__ = (
        UniqueConstraint("slug", name="uq_author_slug"),
        CheckConstraint(f"char_length(btrim(name)) BETWEEN 1 AND {NAME_MAX}", name="name_length"),
        CheckConstraint(f"char_length(bio) <= {LONG_TEXT_MAX}", name="bio_length"),
    )

    name: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False, index=True)
    bio: Mapped[str | None] = mapped_column(Text, nullable=True)
    dob: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True
    )
    """The user who created the record; only they (or a superuser) may change or delete it."""

    books: Mapped[list[Book]] = relationship(back_populates="author", lazy="raise", passive_deletes="all")
