"""Jobs of the accounts domain: the emails with single-use links, and the hourly clean-up.

The mail jobs create their token themselves, so no usable token ever sits in the job queue. A
retried job mails a fresh token; every token it made stays valid until it expires.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import structlog
from saq.types import Context
from sqlalchemy import delete

from app.db import models as m
from app.domain.accounts.services import AccountTokenService
from app.lib.database import get_alchemy_config
from app.lib.email import OutgoingEmail, send_email
from app.lib.rate_limit import delete_finished_windows
from app.lib.settings import get_settings

logger = structlog.get_logger("app.jobs")

RESET_PASSWORD = "reset_password"  # noqa: S105 - a token purpose, not a secret
VERIFY_EMAIL = "verify_email"


async def _mail_link(user_id: UUID, purpose: str, max_age: int, page: str, subject: str, body: str) -> bool:
    settings = get_settings()
    async with get_alchemy_config().get_session() as session:
        user = await session.get(m.User, user_id)
        if user is None or not user.is_active:
            return False
        token = await AccountTokenService(session).issue(user.id, purpose, max_age)
        await session.commit()
    link = f"{settings.email.app_url}/{page}?token={token}"
    await send_email(OutgoingEmail(to=user.email, subject=subject, text=body.format(name=user.name, link=link)))
    return True


async def send_verification_email(ctx: Context, *, user_id: str) -> bool:
    return await _mail_link(
        UUID(user_id),
        VERIFY_EMAIL,
        get_settings().auth.verify_token_max_age,
        "verify-email",
        "Confirm your email address for Folio",
        "Hello {name},\n\nPlease confirm your email address by opening this link:\n\n{link}\n\n"
        "If you did not sign up for Folio, ignore this message.\n",
    )


async def send_password_reset_email(ctx: Context, *, user_id: str) -> bool:
    return await _mail_link(
        UUID(user_id),
        RESET_PASSWORD,
        get_settings().auth.reset_token_max_age,
        "reset-password",
        "Reset your Folio password",
        "Hello {name},\n\nSomeone asked to reset the password of your Folio account. To choose a new "
        "password, open this link within the hour:\n\n{link}\n\nIf it was not you, ignore this message: "
        "your password stays as it is.\n",
    )


async def delete_expired_credentials(ctx: Context) -> dict[str, int]:
    """Hourly: drop expired sessions, API tokens, mailed tokens and finished rate-limit windows."""
    now = datetime.now(UTC)
    async with get_alchemy_config().get_session() as session:
        sessions = await session.execute(delete(m.UserSession).where(m.UserSession.expires_at <= now))
        tokens = await session.execute(delete(m.ApiToken).where(m.ApiToken.expires_at <= now))
        mailed = await session.execute(delete(m.AccountToken).where(m.AccountToken.expires_at <= now))
        await session.commit()
    counts = {
        "sessions": int(sessions.rowcount or 0),  # type: ignore[attr-defined]
        "api_tokens": int(tokens.rowcount or 0),  # type: ignore[attr-defined]
        "account_tokens": int(mailed.rowcount or 0),  # type: ignore[attr-defined]
        "rate_limit_windows": await delete_finished_windows(),
    }
    logger.info("expired credentials deleted", **counts)
    return counts
