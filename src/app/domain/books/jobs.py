"""Jobs of the books domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from saq.job import Status
from saq.types import Context

from app.domain.books.imports import give_up_import, run_import, unfinished_before
from app.lib.jobs import enqueue
from app.lib.settings import get_settings

STRANDED_AFTER = timedelta(minutes=2)
"""How old an unfinished import must be before its job is looked for (it may never have been queued)."""
_JOB_GONE = frozenset({Status.ABORTED, Status.FAILED, Status.COMPLETE})
LAST_ATTEMPT_LOST = "The import's worker stopped during its last attempt; upload the file again."
logger = structlog.get_logger("app.jobs")


def import_job_key(import_id: UUID | str) -> str:
    """An import's job key: one job per import, so queueing it again never makes a second one."""
    return f"import:{import_id}"


def import_job_options() -> dict[str, int]:
    """`IMPORT_JOB_TIMEOUT` and `IMPORT_JOB_HEARTBEAT`: an import beats its heartbeat after every batch,
    so a killed worker's import is swept and retried within minutes (by default)."""
    queue = get_settings().queue
    return {"timeout": queue.import_job_timeout, "heartbeat": queue.import_job_heartbeat}


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


async def requeue_stranded_imports(ctx: Context) -> dict[str, int]:
    """Cron job: settle every import left unfinished for `STRANDED_AFTER` whose job is not under way.

    An upload is committed first and its job queued after the commit, so a database or queue failure
    in between leaves the import with no job: its job is queued (under the import's own key, so never
    twice). A job that ended while its import did not (a worker killed during the last attempt is
    swept as aborted, with no hook run) leaves the import failed, with a message saying so.
    """
    queue = ctx["worker"].queue
    requeued = failed = 0
    for import_id in await unfinished_before(datetime.now(UTC) - STRANDED_AFTER):
        key = import_job_key(import_id)
        job = await queue.job(key)
        if job is None:
            queued = await enqueue(queue, "import_catalogue", import_id=str(import_id), key=key, **import_job_options())
            if queued is not None:
                requeued += 1
                logger.warning("import job queued again", import_id=str(import_id))
        elif job.status in _JOB_GONE:
            await give_up_import(import_id, LAST_ATTEMPT_LOST)
            failed += 1
            logger.warning("import given up: its job ended", import_id=str(import_id), job_status=str(job.status))
    return {"requeued": requeued, "failed": failed}


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
