"""How Folio enqueues SAQ jobs: every job is crash-safe by default.

SAQ sweeps a job whose worker died once its `timeout` (or `heartbeat`) has passed; it runs again
only while `attempts < retries`. So every job gets a timeout, retries with exponential backoff,
and job functions are written to be idempotent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from saq import Job, Queue

JOB_DEFAULTS: dict[str, Any] = {
    "timeout": 300,
    "retries": 5,
    "retry_delay": 1.0,
    "retry_backoff": 60.0,
    "ttl": 7 * 24 * 3600,
}


async def enqueue(queue: Queue, function: str, /, **kwargs: Any) -> Job | None:
    """Enqueue `function` with Folio's defaults; any default may be overridden by name."""
    options = {
        key: kwargs.pop(key) for key in list(kwargs) if key in JOB_DEFAULTS or key in {"key", "scheduled", "heartbeat"}
    }
    return await queue.enqueue(function, **{**JOB_DEFAULTS, **options}, **kwargs)


async def log_job(ctx: dict[str, Any]) -> None:
    """SAQ `after_process` hook: one log line per job run."""
    import structlog

    job = ctx.get("job")
    if job is None:
        return
    duration_ms = max(0, (job.completed or job.touched) - job.started) if job.started else None
    structlog.get_logger("app.jobs").info(
        "job",
        function=job.function,
        job_key=job.key,
        status=getattr(job.status, "value", job.status),
        attempts=job.attempts,
        duration_ms=duration_ms,
        error=job.error.splitlines()[-1] if job.error else None,
    )


_DEFERRED_JOBS = "folio_deferred_jobs"


def enqueue_after_commit(scope: Any, function: str, /, **kwargs: Any) -> None:
    """Enqueue `function` once the request's transaction has committed; never if it rolls back.

    `scope` is the ASGI scope (`request.scope`). The jobs go out from the autocommit hook in
    `app.lib.database`, right after a successful COMMIT and before the response is sent.
    """
    scope.setdefault("state", {}).setdefault(_DEFERRED_JOBS, []).append((function, kwargs))


def discard_deferred_jobs(scope: Any) -> None:
    scope.get("state", {}).pop(_DEFERRED_JOBS, None)


async def enqueue_deferred_jobs(scope: Any) -> None:
    import structlog
    from litestar_saq import SAQPlugin

    deferred = scope.get("state", {}).pop(_DEFERRED_JOBS, None)
    if not deferred:
        return
    queue = scope["app"].plugins.get(SAQPlugin).get_queue("default")
    for function, kwargs in deferred:
        try:
            await enqueue(queue, function, **kwargs)
        except Exception:
            # The data is committed; a job that cannot be queued is logged loudly, not turned into an error.
            structlog.get_logger("app.jobs").exception("could not enqueue job after commit", function=function)
