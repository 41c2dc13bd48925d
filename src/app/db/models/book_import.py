from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import FileObject, JsonB, StoredObject
from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.lib.storage import IMPORTS, configure_storage

configure_storage()

IMPORT_STATUSES = ("queued", "running", "succeeded", "failed")


class BookImport(UUIDv7AuditBase):
    """One uploaded catalogue file and the progress of the job importing it.

    `next_line` is where a resumed job starts: every row before it has been committed, together
    with the counters, in the same transaction.
    """

    __tablename__ = "book_import"
    __table_args__ = (
        CheckConstraint(f"status IN {IMPORT_STATUSES!r}", name="status_known"),
        CheckConstraint("format IN ('csv', 'jsonl')", name="format_known"),
    )

    created_by: Mapped[UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    format: Mapped[str] = mapped_column(String(8), nullable=False)
    file: Mapped[FileObject | None] = mapped_column(StoredObject(backend=IMPORTS), nullable=True)
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    processed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    skipped: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, nullable=False, default=list)
    next_line: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    """Why the import failed as a whole (the file is not CSV or JSON Lines at all, ...)."""
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
