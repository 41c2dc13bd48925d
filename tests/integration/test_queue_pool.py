"""The job queue in PostgreSQL holds at most a few connections per process (deploy/README's arithmetic)."""

from __future__ import annotations

from saq import Queue

from app.server.plugins import POSTGRES_QUEUE_POOL


async def test_the_queue_pool_stays_small(queue: Queue) -> None:
    pool = queue.pool  # type: ignore[attr-defined]
    assert (pool.min_size, pool.max_size) == (POSTGRES_QUEUE_POOL["min_size"], POSTGRES_QUEUE_POOL["max_size"])
