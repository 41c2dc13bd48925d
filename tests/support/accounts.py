"""Users and credentials made straight in the database, for tests that need someone signed in."""

from __future__ import annotations

import uuid
from functools import cache

from app.db import models as m
from app.lib.crypt import new_token, password_context, token_digest
from app.lib.database import get_alchemy_config

TEST_PASSWORD = "a sturdy test passphrase"  # noqa: S105 - a test fixture's password


@cache
def _test_password_hash() -> str:
    return password_context().hash(TEST_PASSWORD)


async def create_user(
    *, email: str | None = None, name: str = "Test User", is_superuser: bool = False, is_active: bool = True
) -> m.User:
    user = m.User(
        email=email or f"user-{uuid.uuid4().hex[:10]}@example.com",
        name=name,
        hashed_password=_test_password_hash(),
        is_superuser=is_superuser,
        is_active=is_active,
        is_verified=True,
    )
    async with get_alchemy_config().get_session() as session:
        session.add(user)
        await session.commit()
    await get_alchemy_config().get_engine().dispose()
    return user


async def create_api_token(user: m.User, name: str = "tests") -> str:
    token = new_token("folio_")
    async with get_alchemy_config().get_session() as session:
        session.add(m.ApiToken(user_id=user.id, name=name, token_hash=token_digest(token)))
        await session.commit()
    await get_alchemy_config().get_engine().dispose()
    return token
