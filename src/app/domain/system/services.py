"""Health probes: each answers within a short timeout and never raises."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Generic, TypeVar

import structlog
from sqlalchemy import text

if TYPE_CHECKING:
    from saq import Queue
    from sqlalchemy.ext.asyncio import AsyncEngine

PROBE_TIMEOUT = 2.0
PROBE_FRESH_FOR = 0.1
"""Seconds a finished round of health probes answers for."""
logger = structlog.get_logger("app.health")
T = TypeVar("T")


class Shared(Generic[T]):
    """Runs one piece of work at a time, and shares its result with everyone who asks meanwhile.

    Whoever asks while a run is going waits for it; whoever asks within `fresh_for` seconds after it
    finished gets its result at once. A load balancer (or a benchmark) polling many times a second
    thus costs one round of probes per `fresh_for`, and a failure still shows within `fresh_for`.
    Results are kept per event loop: they are never handed to a caller on another loop.
    """

    def __init__(self, fresh_for: float) -> None:
        self._fresh_for = fresh_for
        self._running: asyncio.Future[T] | None = None
        self._finished_at = 0.0

    async def __call__(self, work: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        running = self._running
        if running is None or not self._usable(running, loop):
            running = self._running = loop.create_task(self._run(work))
        # A caller that goes away (client disconnected) leaves the run going for the others.
        return await asyncio.shield(running)

    def _usable(self, run: asyncio.Future[T], loop: asyncio.AbstractEventLoop) -> bool:
        if run.get_loop() is not loop:
            return False
        if not run.done():
            return True
        return not run.cancelled() and loop.time() - self._finished_at < self._fresh_for

    async def _run(self, work: Callable[[], Awaitable[T]]) -> T:
        try:
            return await work()
        finally:
            self._finished_at = asyncio.get_running_loop().time()


async def _answers(part: str, probe: Callable[[], Awaitable[object]]) -> bool:
    try:
        await asyncio.wait_for(probe(), PROBE_TIMEOUT)
    except Exception as exc:  # any failure means "unavailable"
        logger.warning("health probe failed", part=part, error=type(exc).__name__)
        return False
    return True


async def database_is_up(engine: AsyncEngine) -> bool:
    async def probe() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    return await _answers("database", probe)


async def queue_is_up(queue: Queue) -> bool:
    async def probe() -> None:
        await queue.connect()
        await queue.count("queued")

    return await _answers("queue", probe)
