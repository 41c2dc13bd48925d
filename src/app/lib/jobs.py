"""How Folio enqueues SAQ jobs: every job is crash-safe by default.

SAQ sweeps a job whose worker died once its `timeout` (or `heartbeat`) has passed; it runs again
only while `attempts < retries`. So every job gets a timeout, retries with exponential backoff,
and job functions are written to be idempotent.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from app.lib.settings import get_settings

if TYPE_CHECKING:
    from saq import Job, Queue

JOB_DEFAULTS: dict[str, Any] = {
    "timeout": 300,
    "retries": 5,
    "retry_backoff": 60.0,
    "ttl": 7 * 24 * 3600,
}
"""With `retry_delay` from `JOB_RETRY_DELAY`: retries after about 1, 2, 4 and 8 s, the job given up after 15-19 s."""
RETRY_JITTER = 0.25
"""Each retry waits up to this fraction longer than its doubling says, so jobs failing together spread out."""
_BACKOFF = "folio_backoff"


async def enqueue(queue: Queue, function: str, /, **kwargs: Any) -> Job | None:
    """Enqueue `function` with Folio's defaults; any default may be overridden by name."""
    defaults = {**JOB_DEFAULTS, "retry_delay": get_settings().queue.job_retry_delay}
    options = {
        key: kwargs.pop(key) for key in list(kwargs) if key in defaults or key in {"key", "scheduled", "heartbeat"}
    }
    return await queue.enqueue(function, **{**defaults, **options}, **kwargs)


def retry_delay(base: float, attempt: int, cap: float | None) -> float:
    """Seconds to wait after failed attempt `attempt` (from 1): `base` doubled for each earlier attempt, plus jitter."""
    delay = base * 2 ** (attempt - 1) * (1 + RETRY_JITTER * random.random())  # noqa: S311 - not for security
    return delay if cap is None else min(delay, cap)


async def plan_retry(ctx: dict[str, Any]) -> None:
    """SAQ `before_process` hook: settle how long this attempt's retry waits, should the attempt fail.

    SAQ's own exponential backoff draws each delay between zero and its exponential bound, and its
    queue schedules in whole seconds, so a retry often runs at once and a later one can come sooner
    than an earlier one: a job could spend all its attempts within a second or two of a mail server
    or the database going away. Here each delay doubles the one before (with `RETRY_JITTER` on
    top): SAQ is given that delay as a constant, and the job's backoff settings are kept in `meta`.
    """
    job = ctx.get("job")
    if job is None:
        return
    policy = job.meta.get(_BACKOFF)
    if policy is None:
        if job.retry_backoff is False or not job.retry_delay:
            return
        cap = None if job.retry_backoff is True else float(job.retry_backoff)
        policy = job.meta[_BACKOFF] = {"base": job.retry_delay, "cap": cap}
    job.retry_backoff = False
    job.retry_delay = retry_delay(policy["base"], job.attempts, policy["cap"])


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
        scheduled=job.scheduled or None,
        duration_ms=duration_ms,
        error=_error_summary(ctx.get("exception"), job.error),
    )


def _error_summary(exc: BaseException | None, error: str | None) -> str | None:
    """The exception's type and the first line of its message: a multi-line message ends a traceback with anything."""
    if exc is None:
        return error.strip().splitlines()[-1] if error and error.strip() else None
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


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
