"""Health probes: each answers within a short timeout and never raises."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import text

if TYPE_CHECKING:
    from saq import Queue
    from sqlalchemy.ext.asyncio import AsyncEngine

PROBE_TIMEOUT = 2.0
logger = structlog.get_logger("app.health")


async def database_is_up(engine: AsyncEngine) -> bool:
    async def probe() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(probe(), PROBE_TIMEOUT)
    except Exception as exc:
        logger.warning("database probe failed", error=type(exc).__name__)
        return False
    return True


async def queue_is_up(queue: Queue) -> bool:
    async def probe() -> None:
        await queue.connect()
        await queue.count("queued")

    try:
        await asyncio.wait_for(probe(), PROBE_TIMEOUT)
    except Exception as exc:
        logger.warning("queue probe failed", error=type(exc).__name__)
        return False
    return True
