"""Users and credentials made straight in the database, for tests that need someone signed in."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import models as m
from app.lib.crypt import new_token, password_context, token_digest
from tests.support.db import run_db

TEST_PASSWORD = "a sturdy test passphrase"


@cache
def _test_password_hash() -> str:
    return password_context().hash(TEST_PASSWORD)


async def create_user(
    *,
    email: str | None = None,
    name: str = "Test User",
    is_superuser: bool = False,
    is_active: bool = True,
    is_verified: bool = True,
) -> m.User:
    user = m.User(
        email=email or f"user-{uuid.uuid4().hex[:10]}@example.com",
        name=name,
        hashed_password=_test_password_hash(),
        is_superuser=is_superuser,
        is_active=is_active,
        is_verified=is_verified,
    )

    async def insert(session: AsyncSession) -> None:
        session.add(user)
        await session.commit()
        await session.refresh(user)

    await run_db(insert)
    return user


async def create_api_token(user: m.User, name: str = "tests", *, expires_at: datetime | None = None) -> str:
    token = new_token("folio_")

    async def insert(session: AsyncSession) -> None:
        session.add(m.ApiToken(user_id=user.id, name=name, token_hash=token_digest(token), expires_at=expires_at))
        await session.commit()

    await run_db(insert)
    return token
