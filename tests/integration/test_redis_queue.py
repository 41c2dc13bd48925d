"""The job queue on Redis (`SAQ_QUEUE_URL=redis://...`): a real `redis-server` of its own, a real web
process and a real worker. An import uploaded to the web process is queued in Redis, run by the
worker, and `/health` probes Redis as the queue. Without `redis-server` the test fails, naming
`tools/install-redis.sh`.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from saq.job import Job, Status
from saq.queue.redis import RedisQueue

from app.lib.database import plain_dsn
from tests.conftest import TEST_DATABASE_URL
from tests.integration.catalogue import isbn13
from tests.support import accounts
from tests.support.processes import ManagedProcess, app_env, start_server, start_worker, wait_for_http

sys.path.append(str(Path(__file__).resolve().parents[2] / "tools"))

from load.system_redis import start_system_redis

pytestmark = pytest.mark.slow

ROWS = 60
FINISH_WITHIN = 60.0


def catalogue_csv(path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("title,author,isbn,publishedYear,description,tags\n")
        for i in range(ROWS):
            out.write(f"Redis Volume {i},Redis Author {i % 7},{isbn13(700_000 + i)},{1950 + i},,Queued|Shelf {i % 3}\n")


async def wait_until_finished(http: httpx.AsyncClient, import_id: str, worker: ManagedProcess) -> dict[str, Any]:
    deadline = time.monotonic() + FINISH_WITHIN
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        body = (await http.get(f"/api/imports/{import_id}")).json()
        if body["status"] in {"succeeded", "failed"}:
            return body
        await asyncio.sleep(0.1)
    msg = f"import {import_id} still {body.get('status')} after {FINISH_WITHIN:.0f} s\n{worker.output()}"
    raise AssertionError(msg)


async def wait_until_complete(queue: RedisQueue, key: str, worker: ManagedProcess) -> Job:
    """The job's last run, once it is complete.

    A worker that starts while a job waits may sweep that job in the instant between taking it and
    marking it active (SAQ's Redis queue: tobymao/saq#277), and so run it a second time; jobs are
    idempotent, so the second run only finds the import finished.
    """
    deadline = time.monotonic() + FINISH_WITHIN
    job = None
    while time.monotonic() < deadline:
        job = await queue.job(key)
        if job is not None and job.status in {Status.COMPLETE, Status.FAILED, Status.ABORTED}:
            assert job.status == Status.COMPLETE, f"{job.error}\n{worker.output()}"
            return job
        await asyncio.sleep(0.1)
    msg = f"job {key} still {job.status if job else 'missing'} after {FINISH_WITHIN:.0f} s\n{worker.output()}"
    raise AssertionError(msg)


async def jobs_in_postgres(key: str) -> int:
    connection = await asyncpg.connect(plain_dsn(TEST_DATABASE_URL))
    try:
        if await connection.fetchval("SELECT to_regclass('saq_jobs')") is None:
            return 0
        return int(await connection.fetchval("SELECT count(*) FROM saq_jobs WHERE key = $1", key))
    finally:
        await connection.close()


async def test_an_import_runs_through_a_queue_on_redis(tmp_path: Path, processes: list[ManagedProcess]) -> None:
    redis = start_system_redis()
    try:
        env = app_env(
            DATABASE_URL=TEST_DATABASE_URL,
            SAQ_QUEUE_URL=redis.url(),
            SAQ_IN_PROCESS="false",
            SAQ_SHUTDOWN_GRACE_PERIOD="1",
            DATA_DIR=str(tmp_path / "data"),
        )
        server, base_url = start_server(env, tmp_path / "logs")
        processes.append(server)
        health = wait_for_http(base_url, server).json()
        assert (health["status"], health["database"], health["queue"]) == ("ok", "ok", "ok"), health

        token = await accounts.create_api_token(await accounts.create_user())
        path = tmp_path / "catalogue.csv"
        catalogue_csv(path)
        async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as http:
            with path.open("rb") as handle:
                response = await http.post("/api/imports", files={"file": ("catalogue.csv", handle, "text/csv")})
            assert response.status_code == 202, response.text
            import_id = response.json()["id"]

            queue = RedisQueue.from_url(redis.url(), name="default")
            try:
                queued = await queue.job(f"import:{import_id}")
                assert queued is not None, "the web process queued the import's job in Redis"
                assert queued.status == Status.QUEUED

                worker = start_worker(env, tmp_path / "logs")
                processes.append(worker)
                done = await wait_until_finished(http, import_id, worker)
                assert done["status"] == "succeeded", done
                assert (done["processed"], done["created"], done["skipped"], done["failed"]) == (ROWS, ROWS, 0, 0)
                listed = (await http.get("/api/books", params={"searchString": "Redis Volume", "pageSize": 1})).json()
                assert listed["total"] == ROWS

                job = await wait_until_complete(queue, f"import:{import_id}", worker)
                assert job.worker_id is not None
                assert job.result["status"] == "succeeded"
            finally:
                await queue.disconnect()
        assert await jobs_in_postgres(f"import:{import_id}") == 0, "nothing of the queue went to PostgreSQL"
    finally:
        redis.stop()

    # Redis gone: the web process's health probe says the queue is unavailable, the database still ok.
    down = wait_for_http(base_url, server, status=503).json()
    assert (down["status"], down["database"], down["queue"]) == ("degraded", "ok", "unavailable"), down
