"""Jobs of the system domain."""

from __future__ import annotations

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
