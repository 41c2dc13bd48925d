"""Health probes: each answers within a short timeout and never raises."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import text

if TYPE_CHECKING:
    from saq import Queue
    from sqlalchemy.ext.asyncio import AsyncEngine

PROBE_TIMEOUT = 2.0
logger = structlog.get_logger("app.health")


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
