# mypy: disallow-untyped-calls=False
"""The least a Litestar app can spend: the floor's get and health, as plain Litestar handlers.

No middleware, no plugins, no dependency injection: the handler runs the floor's prepared query
on an asyncpg pool and returns the floor's msgspec Struct, which Litestar encodes. Folio's cost
above this app is Folio's own; this app's cost above the floor is the framework's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg
from litestar import Litestar, get
from litestar.exceptions import NotFoundException

from bench.floor import GET_BOOK, HEALTH_BODY, Book, book_from_row, database_url

_pool: asyncpg.Pool | None = None


@asynccontextmanager
async def _lifespan(_: Litestar) -> AsyncIterator[None]:
    global _pool
    _pool = await asyncpg.create_pool(database_url(), min_size=20, max_size=20)
    try:
        yield
    finally:
        await _pool.close()


@get("/health", media_type="application/json", sync_to_thread=False)
def health() -> bytes:
    return HEALTH_BODY


@get("/api/books/{book_id:uuid}")
async def get_book(book_id: UUID) -> Book:
    assert _pool is not None
    row = await _pool.fetchrow(GET_BOOK, book_id)
    if row is None:
        raise NotFoundException
    return book_from_row(row)


app = Litestar([health, get_book], lifespan=[_lifespan], openapi_config=None)
