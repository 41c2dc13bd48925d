"""The web server rides out a PostgreSQL restart: 503s while it is down, no lost writes, back on its own.

A real `app run` (uvicorn) with no `DATABASE_URL`, so it starts its own embedded PostgreSQL in a
fresh `DATA_DIR`; the cluster is then restarted and stopped under it with `pg_ctl`.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import time
import uuid
from collections import Counter
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
    wait_for_http,
)

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
WORKERS_PER_KIND = 3


@dataclass(frozen=True)
class Outcome:
    kind: str
    started: float
    ended: float
    status: int
    """0 when the request got no HTTP answer at all (reset, timeout)."""
    detail: str
    author_id: str | None = None


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


async def _drive(
    client: httpx.AsyncClient, kind: str, outcomes: list[Outcome], stop: asyncio.Event, api_token: str
) -> None:
    writer = {"Authorization": f"Bearer {api_token}"}
    while not stop.is_set():
        started = time.monotonic()
        author_id = None
        try:
            if kind == "read":
                response = await client.get("/api/books", params={"pageSize": 5})
            else:
                name = f"Restart {uuid.uuid4().hex[:12]}"
                response = await client.post("/api/authors", json={"name": name}, headers=writer)
                if response.status_code == 201:
                    author_id = response.json()["id"]
            status = response.status_code
            detail = f"{response.headers.get('content-type', '')} {response.text[:300]}"
        except httpx.HTTPError as exc:
            status, detail = 0, repr(exc)
        outcomes.append(Outcome(kind, started, time.monotonic(), status, detail, author_id))
        await asyncio.sleep(0.005)


def _recovered_at(outcomes: list[Outcome], since: float) -> float | None:
    """Start of the first all-2xx streak after `since` lasting STEADY_SECONDS with both kinds succeeding."""
    after = sorted((o for o in outcomes if o.started >= since), key=lambda o: o.started)
    streak_start: float | None = None
    kinds: set[str] = set()
    for outcome in after:
        if not 200 <= outcome.status < 300:
            streak_start, kinds = None, set()
            continue
        if streak_start is None:
            streak_start = outcome.started
        kinds.add(outcome.kind)
        if outcome.ended - streak_start >= STEADY_SECONDS and kinds == {"read", "write"}:
            return streak_start
    return None


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
    outcomes: list[Outcome] = []
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=2 * WORKERS_PER_KIND)
    async with httpx.AsyncClient(base_url=deployment.base_url, timeout=15.0, limits=limits) as client:
        drivers = [
            asyncio.create_task(_drive(client, kind, outcomes, stop, deployment.api_token))
            for kind in ("read", "write")
            for _ in range(WORKERS_PER_KIND)
        ]
        try:
            await asyncio.sleep(0.5)
            restart_started = time.monotonic()
            await asyncio.to_thread(deployment.cluster.restart)
            restart_done = time.monotonic()
            deadline = restart_done + RECOVERY_SECONDS + STEADY_SECONDS + 1.0
            while time.monotonic() < deadline:
                if _recovered_at(outcomes, restart_done) is not None:
                    break
                await asyncio.sleep(0.2)
        finally:
            stop.set()
            await asyncio.gather(*drivers)

    tally = Counter((o.kind, o.status) for o in outcomes)
    unexpected = [o for o in outcomes if not (200 <= o.status < 300 or o.status == 503)]
    assert not unexpected, f"only 2xx or 503 are allowed; got {tally}; first: {unexpected[:3]}\n" + (
        deployment.server.output()
    )
    not_problems = [o for o in outcomes if o.status == 503 and not o.detail.startswith(PROBLEM_JSON)]
    assert not not_problems, f"a 503 that is not problem details: {not_problems[:3]}"
    during = [o for o in outcomes if o.started < restart_done and o.ended > restart_started]
    assert during, f"no request overlapped the restart; the test proved nothing ({tally})"

    recovered = _recovered_at(outcomes, restart_done)
    assert recovered is not None, f"no steady all-2xx streak after the restart ({tally})"
    assert recovered - restart_done <= RECOVERY_SECONDS, f"took {recovered - restart_done:.1f}s to recover ({tally})"

    created = [o.author_id for o in outcomes if o.status == 201 and o.author_id]
    assert created
    connection = await asyncpg.connect(deployment.cluster.database_url("folio"))
    try:
        found = await connection.fetch("SELECT id::text FROM author WHERE id = ANY($1::uuid[])", created)
    finally:
        await connection.close()
    missing = set(created) - {row["id"] for row in found}
    assert not missing, f"{len(missing)} of {len(created)} writes answered 201 but are not in the database ({tally})"


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
