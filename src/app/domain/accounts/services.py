from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from litestar.exceptions import NotFoundException, ValidationException
from sqlalchemy import String, bindparam, delete, select, true, update

from app.db import models as m
from app.domain.accounts.password_policy import password_problems
from app.domain.accounts.user_rows import USERS, detached_user
from app.lib.crypt import hash_password, new_token, token_digest, verify_password
from app.lib.database import brief_session
from app.lib.driver import driver_query, fetch_row, pooled_connection
from app.lib.errors import ConflictError
from app.lib.rate_limit import WindowCount, counting, current_columns
from app.lib.services import OneSnapshotPages

API_TOKEN_PREFIX = "folio_"  # noqa: S105 - a public prefix, not a secret
"""Every API token starts with this, so leaked tokens are easy to recognise (and to scan for)."""


def ensure_password_acceptable(password: str, email: str, field: str = "password") -> None:
    """Raise a 400 naming `field` when the password breaks the policy."""
    problems = password_problems(password, email)
    if problems:
        messages = [field + problem.removeprefix("password") for problem in problems]
        raise ValidationException(
            detail="; ".join(messages),
            extra=[{"key": field, "message": message, "source": "body"} for message in messages],
        )


async def new_password_hash(password: str, email: str, field: str = "password") -> str:
    """The hash of a password the policy accepts; a 400 naming `field` otherwise.

    Callers hash before their first statement, so that no pooled connection waits on the hashing.
    """
    ensure_password_acceptable(password, email, field)
    return await hash_password(password)


_failures, _failures_window_ends_at = current_columns(bindparam("key"))
_counts = select(_failures.label("failures"), _failures_window_ends_at.label("failures_window_ends_at")).subquery()
_client = counting("client_key", "client_window").cte("client")
_SIGN_IN_CANDIDATE = driver_query(
    select(
        _client.c.hits.label("client_hits"),
        _client.c.window_ends_at.label("client_window_ends_at"),
        _counts,
        *USERS.columns,
    )
    .select_from(_client)
    .join(_counts, true())
    .outerjoin(USERS, USERS.c.email == bindparam("email", type_=String))
)


class UserRepository(SQLAlchemyAsyncRepository[m.User]):
    model_type = m.User


class UserService(OneSnapshotPages[m.User]):
    repository_type = UserRepository

    async def sign_up(self, *, email: str, password: str, name: str, is_superuser: bool = False) -> m.User:
        email = email.lower()
        hashed_password = await new_password_hash(password, email)  # before any statement: see brief_session
        if await self.exists(email=email):
            msg = "An account with this email already exists."
            raise ConflictError(detail=msg)
        return await self.create(
            {"email": email, "hashed_password": hashed_password, "name": name, "is_superuser": is_superuser},
            auto_refresh=False,
        )

    @staticmethod
    async def sign_in_candidate(
        email: str, failures_key: str, client_key: str, client_window: timedelta
    ) -> tuple[m.User | None, WindowCount | None, WindowCount]:
        """The user with this email (if any), the rate-limit count under `failures_key`, and the count
        under `client_key` with this sign-in counted (in a window of `client_window`), in one statement.

        Read on the driver, on a connection given back at once: none is held while `authenticate` then
        checks the password. The user is a detached `User` made from the row.
        """
        values = {
            "email": email.lower(),
            "key": failures_key,
            "client_key": client_key,
            "client_window": client_window.total_seconds(),
        }
        async with pooled_connection() as connection:
            row = await fetch_row(connection, _SIGN_IN_CANDIDATE, values)
        assert row is not None  # the client's count is one row, outer-joined to the user
        failures = WindowCount.of(row["failures"], row["failures_window_ends_at"])
        client = WindowCount(hits=row["client_hits"], window_ends_at=row["client_window_ends_at"])
        return (None if row["id"] is None else detached_user(row)), failures, client

    async def authenticate(self, user: m.User | None, password: str) -> m.User | None:
        """The one place credentials are checked: `user` (from `sign_in_candidate`) if active and `password` is theirs.

        No user (an unknown email) costs the same hashing work as a wrong password. A hash made with
        outdated parameters is replaced by a current one.
        """
        valid, new_hash = await verify_password(password, user.hashed_password if user else None)
        if user is None or not valid or not user.is_active:
            return None
        if new_hash is not None:
            await self.store_password_hash(user, new_hash, touch=False)
        return user

    async def change_password(self, user: m.User, current_password: str, new_password: str) -> None:
        """Check and replace the password of `user` (as loaded by authentication: no connection held)."""
        valid, _ = await verify_password(current_password, user.hashed_password)
        if not valid:
            raise ValidationException(
                detail="currentPassword is wrong",
                extra=[{"key": "currentPassword", "message": "currentPassword is wrong", "source": "body"}],
            )
        await self.store_password_hash(user, await new_password_hash(new_password, user.email, field="newPassword"))

    async def store_password_hash(self, user: m.User, hashed_password: str, *, touch: bool = True) -> None:
        """Save a new hash for `user`; `touch=False` for a rehash the user did not ask for."""
        values: dict[str, Any] = {"hashed_password": hashed_password}
        if touch:
            values["updated_at"] = datetime.now(UTC)
        await self.repository.session.execute(update(m.User).where(m.User.id == user.id).values(**values))
        for field, value in values.items():
            setattr(user, field, value)

    async def update_by_admin(self, user_id: UUID, changes: dict[str, Any]) -> m.User:
        user = await self.get(user_id)
        for field, value in changes.items():
            setattr(user, field, value)
        user = await self.update(user, auto_refresh=False)
        if changes.get("is_active") is False:
            await self.revoke_sessions(user.id)
            await self.revoke_api_tokens(user.id)
        return user

    async def revoke_sessions(self, user_id: UUID, *, keep_session_id: str | None = None) -> None:
        statement = delete(m.UserSession).where(m.UserSession.user_id == user_id)
        if keep_session_id is not None:
            statement = statement.where(m.UserSession.session_id != keep_session_id)
        await self.repository.session.execute(statement)

    async def revoke_api_tokens(self, user_id: UUID) -> None:
        await self.repository.session.execute(delete(m.ApiToken).where(m.ApiToken.user_id == user_id))


class AccountTokenService:
    """Single-use, expiring tokens sent by email; only their hashes are stored."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def issue(self, user_id: UUID, purpose: str, max_age: int) -> str:
        token = new_token()
        self.session.add(
            m.AccountToken(
                user_id=user_id,
                purpose=purpose,
                token_hash=token_digest(token),
                expires_at=datetime.now(UTC) + timedelta(seconds=max_age),
            )
        )
        await self.session.flush()
        return token

    async def consume(self, token: str, purpose: str) -> UUID | None:
        """Mark the token used and return its user, or None when it is unknown, used or expired."""
        now = datetime.now(UTC)
        statement = (
            update(m.AccountToken)
            .where(
                m.AccountToken.token_hash == token_digest(token),
                m.AccountToken.purpose == purpose,
                m.AccountToken.used_at.is_(None),
                m.AccountToken.expires_at > now,
            )
            .values(used_at=now)
            .returning(m.AccountToken.user_id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    @staticmethod
    async def holder(token: str, purpose: str) -> m.User | None:
        """The user a usable token was issued to, read without consuming it (and without holding a connection)."""
        statement = (
            select(m.User)
            .join(m.AccountToken, m.AccountToken.user_id == m.User.id)
            .where(
                m.AccountToken.token_hash == token_digest(token),
                m.AccountToken.purpose == purpose,
                m.AccountToken.used_at.is_(None),
                m.AccountToken.expires_at > datetime.now(UTC),
            )
        )
        async with brief_session() as session:
            return await session.scalar(statement)

    async def revoke_all(self, user_id: UUID, purpose: str) -> None:
        """Make every outstanding token of `purpose` for the user unusable (after one was used)."""
        await self.session.execute(
            update(m.AccountToken)
            .where(
                m.AccountToken.user_id == user_id,
                m.AccountToken.purpose == purpose,
                m.AccountToken.used_at.is_(None),
            )
            .values(used_at=datetime.now(UTC))
        )


class ApiTokenRepository(SQLAlchemyAsyncRepository[m.ApiToken]):
    model_type = m.ApiToken


class ApiTokenService(SQLAlchemyAsyncRepositoryService[m.ApiToken]):
    repository_type = ApiTokenRepository

    async def create_token(self, user_id: UUID, name: str, expires_in_days: int | None) -> tuple[m.ApiToken, str]:
        token = new_token(API_TOKEN_PREFIX)
        expires_at = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
        row = await self.create(
            {"user_id": user_id, "name": name, "token_hash": token_digest(token), "expires_at": expires_at},
            auto_refresh=False,
        )
        return row, token

    async def list_for(self, user_id: UUID) -> list[m.ApiToken]:
        return list(await self.get_many(m.ApiToken.user_id == user_id, order_by=[m.ApiToken.created_at.desc()]))

    async def revoke(self, user_id: UUID, token_id: UUID) -> None:
        deleted = await self.repository.session.execute(
            delete(m.ApiToken).where(m.ApiToken.id == token_id, m.ApiToken.user_id == user_id).returning(m.ApiToken.id)
        )
        if deleted.scalar_one_or_none() is None:
            raise NotFoundException(detail="No such token")


class SessionService:
    """A user's own browser sessions."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def list_for(self, user_id: UUID) -> list[m.UserSession]:
        statement = (
            select(m.UserSession)
            .where(m.UserSession.user_id == user_id, m.UserSession.expires_at > datetime.now(UTC))
            .order_by(m.UserSession.created_at.desc())
        )
        return list((await self.session.scalars(statement)).all())

    async def revoke(self, user_id: UUID, session_row_id: UUID) -> None:
        deleted = await self.session.execute(
            delete(m.UserSession)
            .where(m.UserSession.id == session_row_id, m.UserSession.user_id == user_id)
            .returning(m.UserSession.id)
        )
        if deleted.scalar_one_or_none() is None:
            raise NotFoundException(detail="No such session")
