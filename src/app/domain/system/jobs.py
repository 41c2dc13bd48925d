"""Jobs of the system domain."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import structlog
from sqlalchemy import text

from app.lib.database import get_alchemy_config

logger = structlog.get_logger("app.jobs")


async def ping(ctx: dict[str, Any], *, token: str) -> dict[str, str]:
    """Round trip through a worker and the database: proves workers run jobs and reach PostgreSQL."""
    async with get_alchemy_config().get_session() as session:
        database = await session.scalar(text("SELECT current_database()"))
    logger.info("ping", token=token)
    return {"token": token, "database": str(database)}


async def sleep(ctx: dict[str, Any], *, seconds: float, token: str = "") -> dict[str, Any]:
    """Hold one worker slot for `seconds`, then say which worker process ran it and on which attempt.

    Harmless and idempotent: used by the fault tests (a worker killed mid-job) and to watch a
    queue's capacity and retries by hand.
    """
    await asyncio.sleep(seconds)
    job = ctx.get("job")
    return {"token": token, "pid": os.getpid(), "attempts": job.attempts if job is not None else None}
