"""Jobs of the books domain."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from saq.types import Context

from app.domain.books.imports import run_import


async def import_catalogue(ctx: Context, *, import_id: str) -> dict[str, Any]:
    """Run (or resume) a bulk import; it beats the job's heartbeat after every committed batch."""
    job = ctx.get("job")

    async def heartbeat() -> None:
        if job is not None:
            await job.update()

    book_import = await run_import(UUID(import_id), after_batch=heartbeat)
    if book_import is None:
        return {"status": "missing"}
    return {
        "status": book_import.status,
        "processed": book_import.processed,
        "created": book_import.created,
        "skipped": book_import.skipped,
        "failed": book_import.failed,
    }
