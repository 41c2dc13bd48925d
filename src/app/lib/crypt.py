"""Password hashing (passlib's CryptContext, Argon2id) and token hashing.

Hashing and verifying take tens of milliseconds of CPU, so they run in a worker thread, never on
the event loop. Parameters are at least OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane);
a hash made with weaker parameters is reported as needing an upgrade when it is verified.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache

import anyio
from passlib.context import CryptContext

ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1


@lru_cache(maxsize=1)
def password_context() -> CryptContext:
    return CryptContext(
        schemes=["argon2"],
        argon2__type="ID",
        argon2__memory_cost=ARGON2_MEMORY_KIB,
        argon2__time_cost=ARGON2_TIME_COST,
        argon2__parallelism=ARGON2_PARALLELISM,
    )


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return password_context().hash(secrets.token_urlsafe(16))


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(password_context().hash, password)


async def verify_password(password: str, hashed: str | None) -> tuple[bool, str | None]:
    """Whether `password` matches `hashed`, and a replacement hash when the stored one is outdated.

    With `hashed=None` (no such user) the same work is done against a dummy hash, so an unknown
    email costs as much time as a wrong password.
    """
    context = password_context()
    if hashed is None:
        await anyio.to_thread.run_sync(context.verify, password, _dummy_hash())
        return False, None
    valid, new_hash = await anyio.to_thread.run_sync(context.verify_and_update, password, hashed)
    return bool(valid), new_hash


def new_token(prefix: str = "") -> str:
    """A URL-safe random token with 256 bits of entropy."""
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored for a token: its SHA-256, hex. Tokens are random, so no salt or slow hash is needed."""
    return hashlib.sha256(token.encode()).hexdigest()
