"""A starved connection pool answers a quick 503, then recovers by itself: a real `app run`, a tiny pool.

The server gets `DB_POOL_SIZE=2`. The test takes an exclusive lock on the `book` table, as a long
migration or a stuck batch job would, and sends two book reads: each takes one of the pool's
connections and waits on the lock inside PostgreSQL, so every connection is held. Other requests,
which need no book at all, can only wait for the pool: they must get a problem-details 503 after
`DB_POOL_TIMEOUT`, not hang. Once the lock is released, the held reads finish and everything is
2xx again.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import asyncpg
import httpx
import pytest

from app.lib.database import plain_dsn
from app.lib.errors import PROBLEM_JSON
from tests.conftest import TEST_DATABASE_URL
from tests.support import accounts
from tests.support.processes import ManagedProcess, app_env, start_server, wait_for_http

if TYPE_CHECKING:
    from collections.abc import Awaitable, Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow

POOL_SIZE = 2
POOL_TIMEOUT = 2.0
MARGIN = 2.0
"""For a busy 2-core machine; a request that hangs instead of failing takes as long as the lock is held."""
HOLD_WAIT = 15.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[ManagedProcess, str]]:
    env = app_env(
        DATABASE_URL=TEST_DATABASE_URL,
        DB_POOL_SIZE=str(POOL_SIZE),
        DB_MAX_OVERFLOW="0",
        DB_POOL_TIMEOUT=str(POOL_TIMEOUT),
        SAQ_QUEUE_URL="",
        SAQ_IN_PROCESS="false",
        DATA_DIR=str(tmp_path / "data"),
        LOG_LEVEL="INFO",
    )
    process, base_url = start_server(env, tmp_path / "logs")
    try:
        wait_for_http(base_url, process)
        yield process, base_url
    finally:
        process.kill()


async def _requests_waiting_on_locks(admin: asyncpg.Connection) -> int:
    return int(
        await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    )


async def _timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


async def test_starved_pool_answers_503_quickly_and_recovers(server: tuple[ManagedProcess, str]) -> None:
    process, base_url = server
    token = await accounts.create_api_token(await accounts.create_user())
    writer = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0, limits=limits) as http:
        author = await http.post("/api/authors", json={"name": "Starved Author"}, headers=writer)
        assert author.status_code == 201, author.text
        book = await http.post("/api/books", json={"title": "Held", "authorId": author.json()["id"]}, headers=writer)
        assert book.status_code == 201, book.text
        book_url = f"/api/books/{book.json()['id']}"

        locker = await asyncpg.connect(plain_dsn(TEST_DATABASE_URL))
        admin = await asyncpg.connect(plain_dsn(TEST_DATABASE_URL))
        try:
            transaction = locker.transaction()
            await transaction.start()
            await locker.execute("LOCK TABLE book IN ACCESS EXCLUSIVE MODE")
            held = [asyncio.create_task(http.get(book_url)) for _ in range(POOL_SIZE)]
            deadline = time.monotonic() + HOLD_WAIT
            while await _requests_waiting_on_locks(admin) < POOL_SIZE:
                assert time.monotonic() < deadline, f"the book reads never reached the lock\n{process.output()}"
                await asyncio.sleep(0.05)

            starved = await asyncio.gather(
                *(_timed(http.get("/api/authors")) for _ in range(3)),
                *(_timed(http.get(f"/api/authors/{author.json()['id']}")) for _ in range(2)),
                *(_timed(http.post("/api/authors", json={"name": f"Starved {n}"}, headers=writer)) for n in range(2)),
            )
            still_waiting = await _requests_waiting_on_locks(admin)
        finally:
            await locker.close()  # ends the transaction: the lock is released
            await admin.close()
        released = time.monotonic()

        for response, seconds in starved:
            assert response.status_code == 503, f"{response.status_code} {response.text}\n{process.output()}"
            assert response.headers["content-type"].startswith(PROBLEM_JSON)
            assert response.json()["status"] == 503
            assert response.headers["retry-after"]
            assert POOL_TIMEOUT - 0.2 <= seconds <= POOL_TIMEOUT + MARGIN, f"answered after {seconds:.2f}s"
        assert still_waiting == POOL_SIZE, "the held reads stopped holding their connections before the end"

        for response in await asyncio.gather(*held):
            assert response.status_code == 200, response.text

        after = await asyncio.gather(
            *(http.get("/api/authors") for _ in range(4)),
            *(http.get(book_url) for _ in range(4)),
            *(http.post("/api/authors", json={"name": f"Recovered {n}"}, headers=writer) for n in range(4)),
        )
        assert [r.status_code for r in after] == [200] * 8 + [201] * 4, [r.text for r in after]
        assert time.monotonic() - released < POOL_TIMEOUT, "recovery waited on the pool"
    assert "Traceback" not in process.stderr(), process.output()
