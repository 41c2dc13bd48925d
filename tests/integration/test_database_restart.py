"""The web server rides out PostgreSQL going away: 503s while it is down, no lost writes, back on its own.

A real `app run` (granian) with no `DATABASE_URL`, so it starts its own embedded PostgreSQL in a
fresh `DATA_DIR`; the cluster is then restarted, or stopped for a while and started again, under a
steady load of readers and writers (`tests.support.traffic`), with `pg_ctl`.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg
import httpx
import psycopg
import pytest
from sqlalchemy import event, func, select

from app.db.models import Author
from app.lib.database import get_alchemy_config, plain_dsn
from app.lib.errors import PROBLEM_JSON
from tests.conftest import TEST_DATABASE_URL
from tests.support import db
from tests.support.csrf import csrf_headers_sync
from tests.support.processes import (
    EmbeddedCluster,
    ManagedProcess,
    app_env,
    run_app_command,
    short_temp_dir,
    start_server,
    start_worker,
    wait_for_http,
)
from tests.support.traffic import READ, WRITE_AUTHOR, WRITE_BOOK, WRITE_IMPORT, WRITES, Traffic

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from litestar import Litestar
    from litestar.testing import AsyncTestClient
    from sqlalchemy.engine import Connection

pytestmark = pytest.mark.xdist_group("embedded-postgres-restart")
"""One worker runs this module, so the server and its cluster are started once."""

RECOVERY_SECONDS = 5.0
"""After PostgreSQL is back, every request must succeed again within this long, without an app restart."""
STEADY_SECONDS = 1.0
"""How long an all-2xx streak must last (after the restart) to count as recovered."""
OUTAGE_SECONDS = 3.0
"""How long PostgreSQL stays stopped under load."""
POOL_TIMEOUT = 5.0
"""`DB_POOL_TIMEOUT` (its default): no request may wait much longer than this for the database."""
SLOWEST_ALLOWED = POOL_TIMEOUT + 3.0
"""The margin covers a busy 2-core machine; a hung request shows up as tens of seconds."""
LONG_OUTAGE_SECONDS = 16.0
"""Long enough that psycopg_pool's own reconnect schedule (attempts 1, 3, 7, 15, 31 s after the
connections were lost) would leave the job queue's connections gone until about 14 s after
PostgreSQL is back."""


@dataclass
class Deployment:
    data_dir: Path
    cluster: EmbeddedCluster
    server: ManagedProcess
    base_url: str
    api_token: str
    """A bearer token of a user signed up on this server: writing needs someone signed in."""


def _sign_up_for_a_token(base_url: str) -> str:
    """What a script's owner does: sign up in the browser way (CSRF cookie), then create an API token."""
    with httpx.Client(base_url=base_url, timeout=15.0) as client:
        headers = csrf_headers_sync(client)
        email = f"writer-{uuid.uuid4().hex[:10]}@example.com"
        signup = {"email": email, "password": "restart drill passphrase", "name": "Writer"}
        signed_up = client.post("/api/auth/signup", json=signup, headers=headers)
        assert signed_up.status_code == 201, signed_up.text
        created = client.post("/api/me/tokens", json={"name": "restart drill"}, headers=headers)
        assert created.status_code == 201, created.text
        return str(created.json()["token"])


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    data_dir = short_temp_dir("folio-restart-")
    logs = tmp_path_factory.mktemp("restart-logs")
    env = app_env(DATABASE_URL="", DATA_DIR=str(data_dir), SAQ_QUEUE_URL="", SAQ_IN_PROCESS="false", LOG_LEVEL="INFO")
    cluster = EmbeddedCluster(data_dir)
    server: ManagedProcess | None = None
    try:
        migrated = run_app_command("database", "upgrade", "--no-prompt", env=env, timeout=120)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        server, base_url = start_server(env, logs)
        wait_for_http(base_url, server, timeout=60)
        yield Deployment(data_dir, cluster, server, base_url, _sign_up_for_a_token(base_url))
        code, _ = server.stop()
        assert code in {0, -signal.SIGTERM}, server.output()
        assert "application stopped" in server.stderr(), server.output()
    finally:
        if server is not None:
            server.kill()
        # The app only stops the postmaster it started; after a restart that is someone else's job.
        cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _seed_catalogue(deployment: Deployment) -> tuple[str, str]:
    """An author and a book for the load to read and to add books to; returns their ids."""
    headers = {"Authorization": f"Bearer {deployment.api_token}"}
    with httpx.Client(base_url=deployment.base_url, timeout=15.0, headers=headers) as client:
        author = client.post("/api/authors", json={"name": "Fault Seed"})
        assert author.status_code == 201, author.text
        book = client.post("/api/books", json={"title": "Fault Seed", "authorId": author.json()["id"]})
        assert book.status_code == 201, book.text
        return str(author.json()["id"]), str(book.json()["id"])


def _recovered_after(traffic: Traffic, since: float) -> float | None:
    """Start of the first all-2xx streak after `since` lasting STEADY_SECONDS in which every kind succeeded."""
    after = sorted((o for o in traffic.outcomes if o.started >= since), key=lambda o: o.started)
    streak_start: float | None = None
    kinds: set[str] = set()
    for outcome in after:
        if not outcome.ok:
            streak_start, kinds = None, set()
            continue
        if streak_start is None:
            streak_start = outcome.started
        kinds.add(outcome.kind)
        if outcome.ended - streak_start >= STEADY_SECONDS and kinds == {READ, *WRITES}:
            return streak_start
    return None


async def _ids_in(deployment: Deployment, table: str, ids: list[str]) -> set[str]:
    connection = await asyncpg.connect(deployment.cluster.database_url("folio"))
    try:
        rows = await connection.fetch(f"SELECT id::text FROM {table} WHERE id = ANY($1::uuid[])", ids)
    finally:
        await connection.close()
    return {row["id"] for row in rows}


async def _wait_for_recovery(traffic: Traffic, since: float) -> None:
    """Keep the load going until it has recovered after `since`, or long enough to tell that it has not."""
    deadline = since + RECOVERY_SECONDS + STEADY_SECONDS + 1.0
    while time.monotonic() < deadline:
        if _recovered_after(traffic, since) is not None:
            break
        await asyncio.sleep(0.2)
    traffic.mark("after")
    await asyncio.sleep(0.5)


def _assert_only_2xx_or_problem_503(traffic: Traffic, deployment: Deployment) -> None:
    summary = traffic.summary()
    unexpected = [o for o in traffic.outcomes if not (o.ok or o.status == 503)]
    assert not unexpected, f"only 2xx or 503 are allowed; first: {unexpected[:3]}\n{summary}\n" + (
        deployment.server.output()
    )
    not_problems = [o for o in traffic.outcomes if o.status == 503 and not o.is_problem]
    assert not not_problems, f"a 503 that is not problem details: {not_problems[:3]}\n{summary}"


async def _assert_no_write_lost(traffic: Traffic, deployment: Deployment) -> None:
    """Every author, book and import answered 2xx is in the database, and every such import's job in the queue."""
    for kind, table in ((WRITE_AUTHOR, "author"), (WRITE_BOOK, "book"), (WRITE_IMPORT, "book_import")):
        created = traffic.created(kind)
        assert created, f"no {kind} succeeded\n{traffic.summary()}"
        missing = set(created) - await _ids_in(deployment, table, created)
        assert not missing, (
            f"{len(missing)} of {len(created)} {table} rows answered 2xx are not in the database: {sorted(missing)}\n"
            f"{traffic.summary()}"
        )
    imports = set(traffic.created(WRITE_IMPORT))
    without_job = imports - await _imports_with_a_job(deployment)
    # An upload committed a moment before PostgreSQL stopped can find the queue gone: its 202 stands,
    # the failure is logged, and the import stays `queued`, where the every-minute cron queues its job
    # again (test_import_requeue.py). Nothing else may be without a job.
    logs = deployment.server.stdout() + deployment.server.stderr()
    failed_enqueues = logs.count("could not enqueue job after commit")
    assert len(without_job) <= failed_enqueues, (
        f"{len(without_job)} of {len(imports)} imports have no job, {failed_enqueues} enqueue failures logged"
    )
    assert await _statuses(deployment, without_job) <= {"queued"}, "an import without a job must stay queued"


async def _statuses(deployment: Deployment, import_ids: set[str]) -> set[str]:
    connection = await asyncpg.connect(deployment.cluster.database_url("folio"))
    try:
        rows = await connection.fetch("SELECT status FROM book_import WHERE id = ANY($1::uuid[])", list(import_ids))
    finally:
        await connection.close()
    return {row["status"] for row in rows}


async def _imports_with_a_job(deployment: Deployment) -> set[str]:
    connection = await asyncpg.connect(deployment.cluster.database_url("folio"))
    try:
        rows = await connection.fetch("SELECT job FROM saq_jobs WHERE queue = 'default'")
    finally:
        await connection.close()
    jobs = [json.loads(row["job"]) for row in rows]
    return {job["kwargs"]["import_id"] for job in jobs if job["function"] == "import_catalogue"}


async def _health_within(client: httpx.AsyncClient, seconds: float) -> httpx.Response:
    """The first 200 from /health within `seconds`, or the last answer."""
    deadline = time.monotonic() + seconds
    response = await client.get("/health")
    while response.status_code != 200 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        response = await client.get("/health")
    return response


@pytest.mark.slow
async def test_health_reports_the_database_down_and_back(deployment: Deployment) -> None:
    async with httpx.AsyncClient(base_url=deployment.base_url, timeout=15.0) as client:
        assert (await _health_within(client, RECOVERY_SECONDS)).status_code == 200
        await asyncio.to_thread(deployment.cluster.stop)
        try:
            response = await client.get("/health")
            assert response.status_code == 503, response.text
            assert response.json()["database"] == "unavailable"
            assert response.json()["status"] == "degraded"
            assert "migrations" not in response.json()  # unknown: the database is marked unavailable
            live = await client.get("/health/live")
            assert live.status_code == 200, "the process is alive: a liveness probe must not restart it"
            assert live.json() == {"status": "ok"}
            books = await client.get("/api/books")
            assert books.status_code == 503, books.text
            assert books.headers["content-type"].startswith(PROBLEM_JSON)
        finally:
            await asyncio.to_thread(deployment.cluster.start)
        response = await _health_within(client, RECOVERY_SECONDS)
        assert response.status_code == 200, response.text
        assert (await client.get("/api/books")).status_code == 200


@pytest.mark.slow
async def test_requests_survive_a_postgres_restart(deployment: Deployment) -> None:
    author_id, book_id = await asyncio.to_thread(_seed_catalogue, deployment)
    async with Traffic(deployment.base_url, deployment.api_token, author_id, book_id) as traffic:
        await asyncio.sleep(0.5)
        restart_started = traffic.mark("restarting")
        await asyncio.to_thread(deployment.cluster.restart)
        restart_done = traffic.mark("back")
        await _wait_for_recovery(traffic, restart_done)
    summary = traffic.summary()

    _assert_only_2xx_or_problem_503(traffic, deployment)
    during = [o for o in traffic.outcomes if o.started < restart_done and o.ended > restart_started]
    assert during, f"no request overlapped the restart; the test proved nothing\n{summary}"

    recovered = _recovered_after(traffic, restart_done)
    assert recovered is not None, f"no steady all-2xx streak after the restart\n{summary}"
    assert recovered - restart_done <= RECOVERY_SECONDS, f"took {recovered - restart_done:.1f}s to recover\n{summary}"
    await _assert_no_write_lost(traffic, deployment)


@pytest.mark.slow
async def test_a_postgres_outage_under_steady_load(deployment: Deployment) -> None:
    """Stopped (fast shutdown) for a few seconds under reads and writes, then started on the same socket."""
    author_id, book_id = await asyncio.to_thread(_seed_catalogue, deployment)
    async with Traffic(deployment.base_url, deployment.api_token, author_id, book_id) as traffic:
        await asyncio.sleep(1.0)
        traffic.mark("stopping")
        try:
            await asyncio.to_thread(deployment.cluster.stop)
            down = traffic.mark("down")
            await asyncio.sleep(OUTAGE_SECONDS)
        finally:
            starting = traffic.mark("starting")
            await asyncio.to_thread(deployment.cluster.start)
        back = traffic.mark("back")
        await _wait_for_recovery(traffic, back)
    summary = traffic.summary()

    _assert_only_2xx_or_problem_503(traffic, deployment)
    while_down = [o for o in traffic.outcomes if o.started >= down and o.ended <= starting]
    assert {o.kind for o in while_down} == {READ, *WRITES}, f"the load stalled while down\n{summary}"
    assert len(while_down) >= 20, f"only {len(while_down)} answers in {OUTAGE_SECONDS}s down\n{summary}"
    answered_while_down = [o for o in while_down if o.status != 503]
    assert not answered_while_down, f"not a 503 while PostgreSQL was down: {answered_while_down[:3]}\n{summary}"

    slowest = max(traffic.outcomes, key=lambda o: o.seconds)
    assert slowest.seconds <= SLOWEST_ALLOWED, f"slowest answer took {slowest.seconds:.2f}s: {slowest}\n{summary}"

    recovered = _recovered_after(traffic, back)
    assert recovered is not None, f"no steady all-2xx streak after PostgreSQL came back\n{summary}"
    assert recovered - back <= RECOVERY_SECONDS, f"took {recovered - back:.2f}s to recover\n{summary}"
    await _assert_no_write_lost(traffic, deployment)
    print(
        f"\n{summary}\nslowest answer {slowest.seconds:.2f}s ({slowest.kind} {slowest.status}); "
        f"all 2xx again {recovered - back:.2f}s after PostgreSQL accepted connections"
    )


@pytest.mark.slow
async def test_jobs_flow_again_within_seconds_of_a_long_outage(deployment: Deployment, tmp_path: Path) -> None:
    """The job queue lives in PostgreSQL too: once it is back, the server queues jobs and a worker runs them."""
    env = app_env(
        DATABASE_URL=deployment.cluster.database_url("folio"),
        DATA_DIR=str(deployment.data_dir),
        SAQ_QUEUE_URL="",
        SAQ_IN_PROCESS="false",
        SAQ_SHUTDOWN_GRACE_PERIOD="0",
        LOG_LEVEL="INFO",
    )
    worker = start_worker(env, tmp_path)
    headers = {"Authorization": f"Bearer {deployment.api_token}"}
    try:
        async with httpx.AsyncClient(base_url=deployment.base_url, headers=headers, timeout=15.0) as client:
            assert (await _import_one_book(client, "Before")) == "succeeded", worker.output()
            await asyncio.to_thread(deployment.cluster.stop)
            try:
                await asyncio.sleep(LONG_OUTAGE_SECONDS)
            finally:
                await asyncio.to_thread(deployment.cluster.start)
            back = time.monotonic()
            assert (await _health_within(client, RECOVERY_SECONDS)).status_code == 200
            assert (await _import_one_book(client, "After")) == "succeeded", worker.output()
            took = time.monotonic() - back
        assert worker.alive(), worker.output()
        assert took <= RECOVERY_SECONDS, f"the first import after the outage took {took:.1f}s\n{worker.output()}"
    finally:
        worker.stop()


async def _import_one_book(client: httpx.AsyncClient, title: str) -> str:
    """Upload a one-row catalogue and wait for the worker to finish it; returns its final status."""
    csv = f"title,author\n{title} {uuid.uuid4().hex[:8]},Worker Drill\n".encode()
    created = await client.post("/api/imports", files={"file": ("drill.csv", csv, "text/csv")})
    assert created.status_code == 202, created.text
    deadline = time.monotonic() + 30
    status = created.json()["status"]
    while status not in {"succeeded", "failed"} and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        shown = await client.get(created.headers["location"])
        assert shown.status_code == 200, shown.text
        status = shown.json()["status"]
    return str(status)


@contextmanager
def _backend_killed_at_next_commit() -> Iterator[list[int]]:
    """Terminate (for real, with `pg_terminate_backend`) the server process of the next connection to commit.

    That is PostgreSQL going away in the narrowest window there is: after a request's INSERT, just
    before the `COMMIT` the autocommit hook sends while the response is on its way out.
    """
    engine = get_alchemy_config().get_engine().sync_engine
    killed: list[int] = []

    def kill(connection: Connection) -> None:
        if killed:
            return
        pid = connection.connection.driver_connection.get_server_pid()  # type: ignore[union-attr]
        with psycopg.connect(plain_dsn(TEST_DATABASE_URL), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        killed.append(pid)

    event.listen(engine, "commit", kill)
    try:
        yield killed
    finally:
        event.remove(engine, "commit", kill)


async def test_a_write_whose_commit_fails_is_not_answered_as_created(client: AsyncTestClient[Litestar]) -> None:
    name = f"Lost {uuid.uuid4().hex[:12]}"
    # The API token's first use records when it was used (a commit of its own); get that out of the way,
    # so the next commit is the one of the INSERT below.
    assert (await client.get("/api/me")).status_code == 200
    with _backend_killed_at_next_commit() as killed:
        response = await client.post("/api/authors", json={"name": name})
    assert killed, "the commit hook never ran"
    exists = await db.scalar(select(func.count()).select_from(Author).where(Author.name == name))
    assert exists == 0, "the commit was killed, yet the row exists"
    assert response.status_code == 503, f"a write that was never committed was answered {response.status_code}"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "location" not in response.headers
    assert response.headers["x-request-id"]
    assert response.json()["status"] == 503
