"""The import jobs as SAQ keeps them, read through SAQ itself: the queue may be in PostgreSQL or Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from saq import Job, Queue
from saq.job import Status

from app.domain.books.jobs import import_catalogue, import_job_key


@asynccontextmanager
async def connected(queue_url: str) -> AsyncIterator[Queue]:
    """The app's `default` queue at `queue_url` (`SAQ_QUEUE_URL`'s form), connected."""
    options = {"min_size": 1, "max_size": 2} if queue_url.startswith("postgresql://") else {}
    queue = Queue.from_url(queue_url, name="default", **options)
    await queue.connect()
    try:
        yield queue
    finally:
        await queue.disconnect()


_UNDER_WAY = frozenset({Status.NEW, Status.QUEUED, Status.ACTIVE, Status.ABORTING})
SETTLE_WITHIN = 30.0
"""How long a job may still be under way once its import is finished: a sweep that took a slow but live
job for stuck aborts and queues it again, and the new run finds its import done at once."""


async def import_jobs(queue_url: str, import_ids: list[str]) -> dict[str, Job | None]:
    """Each import's job (None when the queue has none), once none is under way (or `SETTLE_WITHIN` passed)."""
    keys = [import_job_key(import_id) for import_id in import_ids]
    deadline = asyncio.get_running_loop().time() + SETTLE_WITHIN
    async with connected(queue_url) as queue:
        jobs = await queue.jobs(keys)
        while any(job is not None and job.status in _UNDER_WAY for job in jobs):
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.5)
            jobs = await queue.jobs(keys)
    return dict(zip(import_ids, jobs, strict=True))


async def active_imports(queue: Queue) -> dict[str, Job]:
    """The import jobs the workers run right now, by import id."""
    return {
        (job.kwargs or {})["import_id"]: job
        async for job in queue.iter_jobs([Status.ACTIVE])
        if job.function == import_catalogue.__name__
    }
