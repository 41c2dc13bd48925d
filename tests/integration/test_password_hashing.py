"""Passwords are stored as Argon2id hashes with at least OWASP's parameters, upgraded at sign-in."""

from __future__ import annotations

from uuid import UUID

from passlib.context import CryptContext
from sqlalchemy import select

from app.db import models as m
from app.lib.crypt import ARGON2_MEMORY_KIB, ARGON2_PARALLELISM, ARGON2_TIME_COST, hash_password, verify_password
from app.lib.database import get_alchemy_config
from tests.support.accounts import TEST_PASSWORD, create_user

WEAK_ARGON2 = CryptContext(
    schemes=["argon2"], argon2__type="ID", argon2__memory_cost=8192, argon2__time_cost=1, argon2__parallelism=1
)


async def _stored_hash(user_id: UUID) -> str:
    # The app runs on the test client's own loop: connections it pooled cannot be used from this one.
    await get_alchemy_config().get_engine().dispose()
    async with get_alchemy_config().get_session() as session:
        stored = await session.scalar(select(m.User.hashed_password).where(m.User.id == user_id))
    await get_alchemy_config().get_engine().dispose()
    assert stored is not None
    return stored


async def test_new_hashes_are_argon2id_with_at_least_owasp_parameters():
    hashed = await hash_password("correct horse battery staple")

    assert hashed.startswith("$argon2id$")
    assert f"m={ARGON2_MEMORY_KIB},t={ARGON2_TIME_COST},p={ARGON2_PARALLELISM}" in hashed
    assert ARGON2_MEMORY_KIB >= 19 * 1024
    assert ARGON2_TIME_COST >= 2
    assert ARGON2_PARALLELISM >= 1
    assert await verify_password("correct horse battery staple", hashed) == (True, None)
    assert (await verify_password("wrong horse battery staple", hashed))[0] is False


async def test_an_outdated_hash_is_upgraded_at_the_next_sign_in(anon_client):
    user = await create_user()
    async with get_alchemy_config().get_session() as session:
        stored = await session.get(m.User, user.id)
        assert stored is not None
        stored.hashed_password = WEAK_ARGON2.hash(TEST_PASSWORD)
        await session.commit()
    await get_alchemy_config().get_engine().dispose()
    assert "m=8192,t=1" in await _stored_hash(user.id)

    await anon_client.get("/api/books")
    csrf = anon_client.cookies.get("csrftoken")
    response = await anon_client.post(
        "/api/auth/login", json={"email": user.email, "password": TEST_PASSWORD}, headers={"X-CSRFToken": csrf}
    )

    assert response.status_code == 200
    upgraded = await _stored_hash(user.id)
    assert f"m={ARGON2_MEMORY_KIB},t={ARGON2_TIME_COST},p={ARGON2_PARALLELISM}" in upgraded
    assert (await verify_password(TEST_PASSWORD, upgraded))[0] is True
