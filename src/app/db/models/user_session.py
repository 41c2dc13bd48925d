from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from advanced_alchemy.extensions.litestar.session import SessionModelMixin
from sqlalchemy import DateTime, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


class UserSession(SessionModelMixin):
    """A browser session: the cookie carries `session_id`; `data` is what Litestar's session holds."""

    __tablename__ = "user_session"
    __table_args__ = (UniqueConstraint("session_id", name="uq_user_session_session_id"),)

    user_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=lambda: datetime.now(UTC)
    )
