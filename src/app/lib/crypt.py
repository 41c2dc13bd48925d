"""Password hashing (passlib's CryptContext, Argon2id) and token hashing.

Hashing and verifying take tens of milliseconds of CPU, so they run in a worker thread, never on
the event loop. Parameters are at least OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane);
a hash made with weaker parameters is reported as needing an upgrade when it is verified.

At most one hash per CPU core is computed at a time (`_HASHING_SLOTS`); further ones wait in their
worker thread. More would not finish any sooner, but would each take 19 MiB and crowd the event
loop's thread off the CPU: a burst of logins must not slow down every other request.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import anyio
from passlib.context import CryptContext

if TYPE_CHECKING:
    from collections.abc import Callable

P = ParamSpec("P")
R = TypeVar("R")

ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1
HASHING_THREADS = max(1, (os.cpu_count() or 1) - 1)
"""Hashes run at once: one core is always left to the event loop, so a burst of sign-ins cannot stall
every other request (it queues the sign-ins instead; tools/bench's login storm measures this)."""
_HASHING_SLOTS = threading.BoundedSemaphore(HASHING_THREADS)


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


async def _in_thread(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run `function` in a worker thread once a hashing slot is free (the wait happens in that thread)."""

    def run() -> R:
        with _HASHING_SLOTS:
            return function(*args, **kwargs)

    return await anyio.to_thread.run_sync(run)


async def hash_password(password: str) -> str:
    return await _in_thread(password_context().hash, password)


async def verify_password(password: str, hashed: str | None) -> tuple[bool, str | None]:
    """Whether `password` matches `hashed`, and a replacement hash when the stored one is outdated.

    With `hashed=None` (no such user) the same work is done against a dummy hash, so an unknown
    email costs as much time as a wrong password.
    """
    context = password_context()
    if hashed is None:
        # `_dummy_hash()` is made on first use: in the thread too, never on the event loop.
        await _in_thread(lambda: context.verify(password, _dummy_hash()))
        return False, None
    valid, new_hash = await _in_thread(context.verify_and_update, password, hashed)
    return bool(valid), new_hash


def new_token(prefix: str = "") -> str:
    """A URL-safe random token with 256 bits of entropy."""
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored for a token: its SHA-256, hex. Tokens are random, so no salt or slow hash is needed."""
    return hashlib.sha256(token.encode()).hexdigest()
