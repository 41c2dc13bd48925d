"""Real SAQ workers (`app workers run`) against the test database: jobs run, survive a crash, stop cleanly."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from typing import TYPE_CHECKING

import pytest
from saq.job import Status
from sqlalchemy.engine import make_url

from app.lib.jobs import JOB_DEFAULTS, enqueue
from tests.conftest import TEST_DATABASE_URL
from tests.support.processes import ManagedProcess, app_env, start_worker

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from saq import Job, Queue

GRACE_PERIOD = 2
"""`SAQ_SHUTDOWN_GRACE_PERIOD` for these workers. SAQ waits all of it even when idle, so keep it short here."""
EXIT_WITHIN = GRACE_PERIOD + 4.0
"""The grace period, SAQ's one-second cancellation deadline, and closing the connection pool."""
WORKER_ENV = app_env(
    DATABASE_URL=TEST_DATABASE_URL,
    SAQ_QUEUE_URL="",
    SAQ_IN_PROCESS="false",
    SAQ_SHUTDOWN_GRACE_PERIOD=str(GRACE_PERIOD),
    LOG_LEVEL="INFO",
)


@pytest.fixture
def workers() -> Iterator[list[ManagedProcess]]:
    """Workers a test starts; any still running at the end are killed so no test leaks one."""
    started: list[ManagedProcess] = []
    yield started
    for worker in started:
        worker.kill()


FINISHED = {Status.COMPLETE, Status.FAILED, Status.ABORTED}


async def wait_for_job(queue: Queue, key: str, until: set[Status], within: float, worker: ManagedProcess) -> Job:
    deadline = time.monotonic() + within
    job: Job | None = None
    while time.monotonic() < deadline:
        job = await queue.job(key)
        # SAQ marks a job active when it is dequeued, and records the attempt a moment later: a job
        # counts as running only once its attempt is recorded (a worker killed before that left none).
        if job is not None and job.status in until and (job.status != Status.ACTIVE or job.attempts > 0):
            return job
        await asyncio.sleep(0.05)
    msg = f"job {key} still {job.status if job else 'missing'} after {within}s, wanted {until}\n{worker.output()}"
    raise AssertionError(msg)


def stop_gracefully(worker: ManagedProcess) -> None:
    """SIGTERM, as a deploy or `docker stop` sends it: the worker must exit cleanly within its grace period."""
    code, _ = worker.stop(signal.SIGTERM, timeout=EXIT_WITHIN)
    assert code == 0, f"{worker.name} exited with {code} after SIGTERM\n{worker.output()}"


@pytest.mark.slow
async def test_worker_runs_ping_job_and_drains_on_sigterm(
    queue: Queue, workers: list[ManagedProcess], tmp_path: Path
) -> None:
    worker = start_worker(WORKER_ENV, tmp_path)
    workers.append(worker)
    token = uuid.uuid4().hex

    job = await enqueue(queue, "ping", token=token)
    assert job is not None
    done = await wait_for_job(queue, job.key, FINISHED, 30, worker)
    assert done.status == Status.COMPLETE, f"{done.error}\n{worker.output()}"
    assert done.result == {"token": token, "database": make_url(TEST_DATABASE_URL).database}
    assert done.attempts == 1

    # SIGTERM while a job runs: the job finishes within the grace period, then the worker exits.
    sleeper = await enqueue(queue, "sleep", seconds=1.0, token="drain")
    assert sleeper is not None
    running = await wait_for_job(queue, sleeper.key, {Status.ACTIVE, *FINISHED}, 30, worker)
    assert running.status == Status.ACTIVE
    stop_gracefully(worker)
    drained = await queue.job(sleeper.key)
    assert drained is not None
    assert drained.status == Status.COMPLETE, f"{drained.status} {drained.error}\n{worker.output()}"
    assert drained.attempts == 1
    assert drained.result["pid"] == worker.pid


async def test_jobs_are_enqueued_crash_safe_by_default(queue: Queue) -> None:
    """A worker that dies mid-job only gets its job back if the job has a timeout and retries left."""
    job = await enqueue(queue, "ping", token="defaults", scheduled=int(time.time()) + 3600)
    assert job is not None
    try:
        stored = await queue.job(job.key)
        assert stored is not None
        assert stored.timeout > 0
        assert stored.retries > 1
        assert stored.retry_delay > 0
        assert stored.ttl > 0
        assert (stored.timeout, stored.retries) == (JOB_DEFAULTS["timeout"], JOB_DEFAULTS["retries"])

        overridden = await enqueue(queue, "ping", token="override", timeout=7, scheduled=int(time.time()) + 3600)
        assert overridden is not None
        assert (overridden.timeout, overridden.retries) == (7, JOB_DEFAULTS["retries"])
        await queue.abort(overridden, "test clean-up")
    finally:
        await queue.abort(job, "test clean-up")


@pytest.mark.slow
async def test_job_of_a_killed_worker_is_retried_by_another_worker(
    queue: Queue, workers: list[ManagedProcess], tmp_path: Path
) -> None:
    first = start_worker(WORKER_ENV, tmp_path, name="worker-1")
    workers.append(first)
    timeout = 2
    job = await enqueue(queue, "sleep", seconds=1.0, token="survivor", timeout=timeout, retry_delay=0.1)
    assert job is not None

    running = await wait_for_job(queue, job.key, {Status.ACTIVE, *FINISHED}, 30, first)
    assert running.status == Status.ACTIVE, f"the job was not caught mid-run\n{first.output()}"
    first.kill()  # SIGKILL: no clean-up, the job row stays "active"
    assert first.process.returncode == -signal.SIGKILL

    # SAQ sweeps an active job once its timeout has passed; a worker sweeps when it starts.
    await asyncio.sleep(max(0.0, running.started / 1000 + timeout + 0.2 - time.time()))
    second = start_worker(WORKER_ENV, tmp_path, name="worker-2")
    workers.append(second)

    done = await wait_for_job(queue, job.key, FINISHED, 30, second)
    assert done.status == Status.COMPLETE, f"{done.error}\n{second.output()}"
    assert done.result["token"] == "survivor"
    assert done.result["pid"] == second.pid
    assert done.result["attempts"] == 2


@pytest.mark.slow
async def test_sigterm_hands_a_job_longer_than_the_grace_period_back_to_the_queue(
    queue: Queue, workers: list[ManagedProcess], tmp_path: Path
) -> None:
    first = start_worker(WORKER_ENV, tmp_path, name="worker-1")
    workers.append(first)
    job = await enqueue(queue, "sleep", seconds=GRACE_PERIOD + 2.0, token="handed back", timeout=60)
    assert job is not None
    running = await wait_for_job(queue, job.key, {Status.ACTIVE, *FINISHED}, 30, first)
    assert running.status == Status.ACTIVE

    _, took = first.stop(signal.SIGTERM, timeout=EXIT_WITHIN)
    assert first.process.returncode == 0, first.output()
    assert took >= GRACE_PERIOD - 0.5, f"exited after {took:.1f}s: the running job got no grace period"
    handed_back = await queue.job(job.key)
    assert handed_back is not None
    assert handed_back.status == Status.QUEUED, f"{handed_back.status} {handed_back.error}\n{first.output()}"
    assert handed_back.attempts == 1

    second = start_worker(WORKER_ENV, tmp_path, name="worker-2")
    workers.append(second)
    done = await wait_for_job(queue, job.key, FINISHED, 30, second)
    assert done.status == Status.COMPLETE, f"{done.error}\n{second.output()}"
    assert (done.result["pid"], done.result["attempts"]) == (second.pid, 2)
