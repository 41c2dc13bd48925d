"""A large import survives its worker being killed: real server, real workers, real signals.

The file goes in through `POST /api/imports` on a real server process; the job runs in `app workers
run` processes. One is SIGKILLed (or SIGTERMed) halfway; the next one must retry the job and finish
it with every row imported exactly once. The import job's heartbeat and SAQ's sweep interval are
set small through their settings, so the dead worker's job is swept within seconds.
"""

from __future__ import annotations

import asyncio
import signal
import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

import httpx
import pytest
from saq.job import Status
from sqlalchemy import func, select

from app.db import models as m
from app.server.plugins import get_saq_plugin
from tests.conftest import TEST_DATABASE_URL
from tests.integration.catalogue import isbn13
from tests.support import accounts
from tests.support.db import on_app_loop, run_db, scalar
from tests.support.processes import ManagedProcess, app_env, start_server, start_worker, wait_for_http

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.ext.asyncio import AsyncSession

pytestmark = pytest.mark.slow

ROWS = 20_000
AUTHORS = 300
HEARTBEAT = 3
"""`IMPORT_JOB_HEARTBEAT`: a job whose worker has not beaten for this long is stuck (swept and retried)."""
FINISH_WITHIN = 120.0  # generous for busy CI machines; a passing run never waits this long


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """One environment for the server and every worker (same database, queue and file storage)."""
    return app_env(
        DATABASE_URL=TEST_DATABASE_URL,
        SAQ_QUEUE_URL="",
        SAQ_IN_PROCESS="false",
        SAQ_SHUTDOWN_GRACE_PERIOD="0",
        SAQ_SWEEP_INTERVAL="1",
        IMPORT_JOB_HEARTBEAT=str(HEARTBEAT),
        DATA_DIR=str(tmp_path / "data"),
        LOG_LEVEL="INFO",
    )


def catalogue_csv(path: Path) -> list[str]:
    """`ROWS` rows, each with its own isbn; returns the isbns."""
    isbns = [isbn13(500_000 + i) for i in range(ROWS)]
    with path.open("w", encoding="utf-8") as out:
        out.write("title,author,isbn,publishedYear,description,tags\n")
        for i, isbn in enumerate(isbns):
            out.write(
                f'Volume {i},Author {i % AUTHORS},{isbn},{1900 + i % 120},"Book {i}, described",Shelf {i % 40}|All\n'
            )
    return isbns


async def import_row(import_id: UUID) -> m.BookImport:
    async def read(session: AsyncSession) -> m.BookImport:
        found = await session.get(m.BookImport, import_id)
        assert found is not None
        return found

    return await run_db(read)


async def wait_for(import_id: UUID, done: Any, within: float, process: ManagedProcess, what: str) -> m.BookImport:
    deadline = time.monotonic() + within
    current = await import_row(import_id)
    while time.monotonic() < deadline:
        current = await import_row(import_id)
        if done(current):
            return current
        if not process.alive():
            break
        await asyncio.sleep(0.02)
    msg = f"{what}: import {current.status} at {current.processed}/{current.total}\n{process.output()}"
    raise AssertionError(msg)


async def start_import(env: dict[str, str], tmp_path: Path, processes: list[ManagedProcess]) -> tuple[UUID, list[str]]:
    """Upload the file to a real server as a real user; the server enqueues the job."""
    user = await accounts.create_user()
    token = await accounts.create_api_token(user)
    server, base_url = start_server(env, tmp_path / "logs")
    processes.append(server)
    wait_for_http(base_url, server)
    path = tmp_path / "catalogue.csv"
    isbns = catalogue_csv(path)
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        with path.open("rb") as handle:
            response = await http.post("/api/imports", files={"file": ("catalogue.csv", handle, "text/csv")})
    assert response.status_code == 202, response.text
    return UUID(response.json()["id"]), isbns


async def interrupt_halfway(
    import_id: UUID, env: dict[str, str], tmp_path: Path, processes: list[ManagedProcess], sig: signal.Signals
) -> int:
    """Start a worker, stop it with `sig` once about half the rows are in; returns the rows committed by then."""
    first = start_worker(env, tmp_path / "logs", name="worker-1")
    processes.append(first)
    await wait_for(import_id, lambda row: row.processed >= ROWS // 2, 120, first, "the first worker never got halfway")
    if sig == signal.SIGKILL:
        first.kill()
        assert first.process.returncode == -signal.SIGKILL
    else:
        code, _ = first.stop(sig)
        assert code == 0, first.output()
    interrupted = await import_row(import_id)
    assert interrupted.status == "running", "the worker was stopped too late to test anything"
    assert ROWS // 2 <= interrupted.processed < ROWS
    assert interrupted.processed % 500 == 0, "only whole batches are committed"
    assert await count_books() == interrupted.created == interrupted.processed
    return interrupted.processed


async def count_books() -> int:
    return int(await scalar(select(func.count()).select_from(m.Book)))


async def assert_imported_exactly_once(import_id: UUID, isbns: list[str]) -> None:
    done = await import_row(import_id)
    assert done.status == "succeeded", done.message
    assert (done.total, done.processed, done.created, done.skipped, done.failed) == (ROWS, ROWS, ROWS, 0, 0)
    assert done.errors == []
    assert await count_books() == ROWS
    stored = await run_db(lambda session: _isbn_counts(session))
    assert len(stored) == ROWS
    assert set(stored) == set(isbns), "every isbn of the file is in the catalogue"
    assert set(stored.values()) == {1}, "no isbn twice"
    assert await scalar(select(func.count(func.distinct(m.Book.title)))) == ROWS
    assert await scalar(select(func.count()).select_from(m.Author)) == AUTHORS
    assert await scalar(select(func.count()).select_from(m.Tag)) == 41
    assert await scalar(select(func.count()).select_from(m.book_tag)) == 2 * ROWS


async def _isbn_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(m.Book.isbn, func.count()).group_by(m.Book.isbn))
    return {str(isbn): int(n) for isbn, n in rows}


async def import_job(import_id: UUID) -> Any:
    async def read() -> Any:
        queue = get_saq_plugin().get_queue("default")
        await queue.connect()
        async for job in queue.iter_jobs():
            if job.function == "import_catalogue" and (job.kwargs or {}).get("import_id") == str(import_id):
                return job
        return None

    return await on_app_loop(read)


async def test_import_survives_sigkill_of_its_worker(
    tmp_path: Path, env: dict[str, str], processes: list[ManagedProcess]
) -> None:
    import_id, isbns = await start_import(env, tmp_path, processes)
    job = await import_job(import_id)
    assert job is not None
    assert job.heartbeat == HEARTBEAT

    await interrupt_halfway(import_id, env, tmp_path, processes, signal.SIGKILL)
    second = start_worker(env, tmp_path / "logs", name="worker-2")
    processes.append(second)
    await wait_for(import_id, lambda row: row.status in {"succeeded", "failed"}, FINISH_WITHIN, second, "not resumed")

    await assert_imported_exactly_once(import_id, isbns)
    job = await import_job(import_id)
    assert job.status == Status.COMPLETE, job.error
    assert job.attempts == 2, "the killed worker's job was swept and retried"
    assert job.result["processed"] == ROWS


async def test_import_survives_sigterm_of_its_worker(
    tmp_path: Path, env: dict[str, str], processes: list[ManagedProcess]
) -> None:
    """SIGTERM with no grace period left: the job is cancelled mid-batch and handed back to the queue."""
    import_id, isbns = await start_import(env, tmp_path, processes)

    await interrupt_halfway(import_id, env, tmp_path, processes, signal.SIGTERM)
    second = start_worker(env, tmp_path / "logs", name="worker-2")
    processes.append(second)
    await wait_for(import_id, lambda row: row.status in {"succeeded", "failed"}, FINISH_WITHIN, second, "not resumed")

    await assert_imported_exactly_once(import_id, isbns)
    job = await import_job(import_id)
    assert job.status == Status.COMPLETE, job.error
