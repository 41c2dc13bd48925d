from __future__ import annotations

from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.mixins import SlugKey
from advanced_alchemy.types import FileObject, StoredObject
from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    func,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column, relationship

from app.db.models.author import Author
from app.db.models.book_tag import book_tag
from app.db.models.limits import (
    ISBN_LENGTH,
    LONG_TEXT_MAX,
    NAME_MAX,
    PUBLISHED_YEAR_MIN,
)
from app.db.models.tag import Tag
from app.lib.storage import COVERS, configure_storage

configure_storage()


class Book(UUIDv7AuditBase, SlugKey):
    __tablename__ = "book"
    __table_args__ = (
        UniqueConstraint("slug", name="uq_book_slug"),
        # The default list order (newest first, the id breaking ties): one index scan, not a sort of every book.
        Index("ix_book_created_at_id", "created_at", "id"),
        CheckConstraint(f"char_length(btrim(title)) BETWEEN 1 AND {NAME_MAX}", name="title_length"),
        CheckConstraint(f"char_length(description) <= {LONG_TEXT_MAX}", name="description_length"),
        CheckConstraint(f"isbn ~ '^[0-9]{{{ISBN_LENGTH}}}$'", name="isbn_digits"),
        CheckConstraint(f"published_year >= {PUBLISHED_YEAR_MIN}", name="published_year_min"),
    )

    title: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False, index=True)
    isbn: Mapped[str | None] = mapped_column(String(ISBN_LENGTH), nullable=True, unique=True)
    published_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    author_id: Mapped[UUID] = mapped_column(ForeignKey("author.id", ondelete="RESTRICT"), nullable=False, index=True)
    created_by: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True
    )
    """The user who created the record; only they (or a superuser) may change or delete it."""

    author: Mapped[Author] = relationship(back_populates="books", lazy="raise", innerjoin=True)
    tags: Mapped[list[Tag]] = relationship(secondary=book_tag, lazy="raise", order_by=Tag.name)

    cover: Mapped[FileObject | None] = mapped_column(StoredObject(backend=COVERS), nullable=True)
    """The cover image; the file is removed from storage when replaced, cleared or when the book is deleted."""

    @property
    def cover_url(self) -> str | None:
        return cover_url(self.id, self.cover)


COVER_VERSION_LENGTH = 16


def cover_url(book_id: UUID, cover: FileObject | None) -> str | None:
    """Where a book's cover is served, versioned by its content so caches never show a stale image."""
    if cover is None:
        return None
    return versioned_cover_url(book_id, (cover.checksum or "")[:COVER_VERSION_LENGTH])


def versioned_cover_url(book_id: UUID, version: str | None) -> str | None:
    """`cover_url` from the version `cover_version` reads in SQL (None: no cover)."""
    return None if version is None else f"/api/books/{book_id}/cover?v={version}"


def cover_version(cover: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[str | None]:
    """In SQL, the version `cover_url` puts in the URL; NULL for no cover (SQL NULL or JSON null)."""
    document = type_coerce(cover, JSONB)
    checksum = func.coalesce(document["checksum"].astext, "")
    return case((func.jsonb_typeof(document) == "object", func.left(checksum, COVER_VERSION_LENGTH)), else_=None)
