"""Jobs that keep failing: retried with growing delays, then marked failed where people can see it.

Real `app workers run` processes and real faults: a mail server that refuses connections (the
verification email job), and an import whose uploaded file has gone from storage (through a real
`app run`, watched through `GET /api/imports/{id}`).
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import pytest
from saq.job import Status

from tests.conftest import TEST_DATABASE_URL
from tests.support import accounts
from tests.support.processes import ManagedProcess, app_env, free_port, start_server, start_worker, wait_for_http

if TYPE_CHECKING:
    from pathlib import Path

    from saq import Job, Queue

pytestmark = pytest.mark.slow

RETRIES = 4
RETRY_DELAY = 1.5
"""The first retry's delay; each next one doubles (plus jitter). Larger than the queue's one-second
resolution, so the delays it plans can be told apart."""
LATENESS = 3.0
"""How much later than planned a retry may start on a busy machine (the worker polls every 0.5 s)."""


def worker_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    return app_env(
        DATABASE_URL=TEST_DATABASE_URL,
        SAQ_QUEUE_URL="",
        SAQ_IN_PROCESS="false",
        SAQ_SHUTDOWN_GRACE_PERIOD="0",
        DATA_DIR=str(tmp_path / "data"),
        LOG_LEVEL="INFO",
        **overrides,
    )


@dataclass(frozen=True)
class FailedAttempt:
    attempt: int
    failed_at: float
    """Epoch seconds when the worker gave up on this attempt (the job's `touched`)."""
    retry_at: int | None
    """Epoch seconds the queue scheduled the next attempt for; None after the last one."""

    @property
    def planned_delay(self) -> float | None:
        return None if self.retry_at is None else self.retry_at - self.failed_at


async def watch_attempts(
    queue: Queue, key: str, within: float, worker: ManagedProcess
) -> tuple[Job, list[FailedAttempt]]:
    """Poll the job until it is finished, noting each failed attempt as the queue recorded it."""
    seen: dict[int, FailedAttempt] = {}
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        job = await queue.job(key)
        assert job is not None
        if job.status == Status.QUEUED and job.attempts:
            seen.setdefault(job.attempts, FailedAttempt(job.attempts, job.touched / 1000, job.scheduled))
        if job.status in {Status.COMPLETE, Status.FAILED, Status.ABORTED}:
            seen[job.attempts] = FailedAttempt(job.attempts, job.completed / 1000, None)
            return job, [seen[n] for n in sorted(seen)]
        await asyncio.sleep(0.05)
    msg = f"job {key} not finished within {within}s; attempts so far {sorted(seen)}\n{worker.output()}"
    raise AssertionError(msg)


async def test_a_job_that_always_fails_is_retried_with_growing_delays_then_failed(
    queue: Queue, processes: list[ManagedProcess], tmp_path: Path
) -> None:
    mail_server_down = {"EMAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(free_port())}
    worker = start_worker(worker_env(tmp_path, **mail_server_down), tmp_path / "logs")
    processes.append(worker)
    user = await accounts.create_user(is_verified=False)

    job = await queue.enqueue(
        "send_verification_email",
        user_id=str(user.id),
        timeout=30,
        retries=RETRIES,
        retry_delay=RETRY_DELAY,
        retry_backoff=60.0,
    )
    assert job is not None
    done, attempts = await watch_attempts(queue, job.key, 60, worker)

    report = "\n".join(f"  {a}, planned delay {a.planned_delay}" for a in attempts)
    assert done.status == Status.FAILED, f"{done.status}\n{report}\n{worker.output()}"
    assert done.attempts == RETRIES
    assert "ConnectionRefusedError" in (done.error or "") or "Connect" in (done.error or ""), done.error
    assert [a.attempt for a in attempts] == list(range(1, RETRIES + 1)), f"an attempt went unseen\n{report}"

    planned = [a.planned_delay or 0.0 for a in attempts[:-1]]
    assert all(later > earlier for earlier, later in itertools.pairwise(planned)), f"delays do not grow:\n{report}"
    for n, delay in enumerate(planned):
        base = RETRY_DELAY * 2**n
        assert base - 1 < delay <= base * 1.25 + 0.01, f"retry {n + 1} planned {delay:.2f}s, base {base}s\n{report}"
    for failed, following in itertools.pairwise(attempts):
        gap = following.failed_at - failed.failed_at
        assert failed.planned_delay is not None
        assert failed.planned_delay - 0.05 <= gap <= failed.planned_delay + LATENESS, (
            f"attempt {following.attempt} ran {gap:.2f}s after attempt {failed.attempt} failed\n{report}"
        )
    print(f"\nattempts of the failing job:\n{report}")


async def test_an_import_whose_job_keeps_failing_is_shown_failed(
    queue: Queue, processes: list[ManagedProcess], tmp_path: Path
) -> None:
    env = worker_env(tmp_path, JOB_RETRY_DELAY="0.2")
    server, base_url = start_server(env, tmp_path / "logs")
    processes.append(server)
    wait_for_http(base_url, server)
    token = await accounts.create_api_token(await accounts.create_user())

    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as http:
        csv = b"title,author\nDune,Frank Herbert\n"
        created = await http.post("/api/imports", files={"file": ("books.csv", csv, "text/csv")})
        assert created.status_code == 202, created.text
        url = created.headers["location"]
        # The stored upload is lost (a wiped volume, a bucket lifecycle rule): every attempt fails.
        shutil.rmtree(tmp_path / "data" / "imports")
        worker = start_worker(env, tmp_path / "logs")
        processes.append(worker)

        deadline = time.monotonic() + 60
        shown = (await http.get(url)).json()
        while shown["status"] not in {"succeeded", "failed"} and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            shown = (await http.get(url)).json()

    jobs = [job async for job in queue.iter_jobs() if job.function == "import_catalogue"]
    assert [job.status for job in jobs] == [Status.FAILED], f"{jobs}\n{worker.output()}"
    assert jobs[0].attempts == jobs[0].retries, "the job gave up before using its retries"
    assert shown["status"] == "failed", f"{shown}\n{worker.output()}"
    assert shown["message"], shown
    assert "Traceback" not in shown["message"], shown["message"]
    assert "/" not in shown["message"], "no file paths are shown"
    assert shown["finishedAt"] is not None
