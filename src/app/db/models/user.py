from __future__ import annotations

from advanced_alchemy.base import UUIDv7AuditBase
from sqlalchemy import Boolean, CheckConstraint, String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from app.db.models.limits import EMAIL_MAX, NAME_MAX


class User(UUIDv7AuditBase):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lower_case"),
        CheckConstraint(f"char_length(btrim(name)) BETWEEN 1 AND {NAME_MAX}", name="name_length"),
    )

    email: Mapped[str] = mapped_column(String(EMAIL_MAX), nullable=False, unique=True)
    """Stored lower-cased, so uniqueness is case-insensitive."""
    name: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False)
    hashed_password: Mapped[str] = mapped_column(String(255), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())
    is_superuser: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    is_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
