"""Jobs of the books domain."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from saq.job import Status
from saq.types import Context

from app.domain.books.imports import give_up_import, run_import


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


async def fail_given_up_import(ctx: Context) -> None:
    """SAQ `after_process` hook: an import whose job has failed for the last time is shown as failed.

    Without it the import would stay `queued` or `running` for ever, its job failed in the queue only.
    """
    job = ctx.get("job")
    if job is None or job.function != import_catalogue.__qualname__ or job.status != Status.FAILED:
        return
    exc = ctx.get("exception")
    if isinstance(exc, FileNotFoundError):
        message = "The uploaded file is no longer in storage; upload it again."
    elif isinstance(exc, TimeoutError):
        message = "The import took longer than it is allowed to; split the file and upload the parts."
    else:
        message = f"The import failed {job.attempts} times in a row and was given up; upload the file again."
    await give_up_import(UUID((job.kwargs or {})["import_id"]), message)
