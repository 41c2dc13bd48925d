"""An import whose job was never queued (the queue failed after the upload's commit) is queued again;
one whose job ended while it did not (a worker killed during the last attempt) is shown as failed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from saq import Worker
from saq.job import Status
from sqlalchemy import text, update

from app.db import models as m
from app.domain.books.jobs import LAST_ATTEMPT_LOST, STRANDED_AFTER, import_job_key, requeue_stranded_imports
from app.server.plugins import get_saq_plugin
from tests.support.db import on_app_loop, run_db
from tests.support.mail import queued_jobs

Client = AsyncTestClient[Litestar]
CSV = b"title,author\nDune,Frank Herbert\n"


async def upload(client: Client) -> dict[str, Any]:
    response = await client.post("/api/imports", files={"file": ("books.csv", CSV, "text/csv")})
    assert response.status_code == 202, response.text
    return response.json()


async def lose_its_job_and_age(import_id: str, age: timedelta) -> None:
    """What a failure between the upload's commit and its enqueue leaves: the import, no job."""

    async def change(session: Any) -> None:
        key = {"key": f"%{import_job_key(import_id)}"}
        await session.execute(text("DELETE FROM saq_jobs WHERE key LIKE :key"), key)
        created = datetime.now(UTC) - age
        await session.execute(update(m.BookImport).where(m.BookImport.id == import_id).values(created_at=created))
        await session.commit()

    await run_db(change)


async def requeue() -> dict[str, int]:
    """The cron job, with the context a worker of the app's queue gives it."""
    queue = get_saq_plugin().get_queue("default")
    worker = Worker(queue, functions=[requeue_stranded_imports])
    return await on_app_loop(lambda: requeue_stranded_imports({"worker": worker}))


async def test_an_import_left_without_its_job_is_queued_again_once(client: Client) -> None:
    stranded = await upload(client)
    recent = await upload(client)
    await lose_its_job_and_age(stranded["id"], STRANDED_AFTER + timedelta(minutes=1))
    await lose_its_job_and_age(recent["id"], timedelta(seconds=5))
    assert [job.kwargs["import_id"] for job in await queued_jobs("import_catalogue")] == []

    assert await requeue() == {"requeued": 1, "failed": 0}
    assert await requeue() == {"requeued": 0, "failed": 0}  # its job is waiting: queued once, under the import's key

    jobs = await queued_jobs("import_catalogue")
    assert [job.kwargs for job in jobs] == [{"import_id": stranded["id"]}]
    assert jobs[0].key == import_job_key(stranded["id"])


async def test_an_import_whose_job_is_waiting_is_left_alone(client: Client) -> None:
    waiting = await upload(client)
    await lose_its_job_and_age(waiting["id"], timedelta(0))  # drop the job, then queue it as the upload does
    await client.post("/api/imports", files={"file": ("other.csv", CSV, "text/csv")})

    async def age(session: Any) -> None:
        await session.execute(update(m.BookImport).values(created_at=datetime.now(UTC) - timedelta(hours=1)))
        await session.commit()

    await run_db(age)
    before = {job.kwargs["import_id"] for job in await queued_jobs("import_catalogue")}

    assert await requeue() == {"requeued": 1, "failed": 0}  # only the one whose job was lost
    after = {job.kwargs["import_id"] for job in await queued_jobs("import_catalogue")}
    assert after == before | {waiting["id"]}


async def test_an_import_whose_job_ended_without_it_is_failed_with_a_message(client: Client) -> None:
    swept = await upload(client)
    running = await upload(client)
    queue = get_saq_plugin().get_queue("default")

    async def sweep_the_first_and_start_the_second() -> None:
        # What SAQ's sweep leaves after a worker died during the last attempt: the job aborted, the
        # import `running`. The second import's job is running (active) somewhere: it is left alone.
        first = await queue.job(import_job_key(swept["id"]))
        assert first is not None
        await queue.finish(first, Status.ABORTED, error="swept")
        second = await queue.job(import_job_key(running["id"]))
        assert second is not None
        await second.update(status=Status.ACTIVE)

    async def age(session: Any) -> None:
        created = datetime.now(UTC) - STRANDED_AFTER - timedelta(minutes=1)
        await session.execute(update(m.BookImport).values(status="running", created_at=created))
        await session.commit()

    await on_app_loop(sweep_the_first_and_start_the_second)
    await run_db(age)

    assert await requeue() == {"requeued": 0, "failed": 1}
    assert await requeue() == {"requeued": 0, "failed": 0}

    failed = (await client.get(f"/api/imports/{swept['id']}")).json()
    assert (failed["status"], failed["message"]) == ("failed", LAST_ATTEMPT_LOST)
    assert failed["finishedAt"] is not None
    assert (await client.get(f"/api/imports/{running['id']}")).json()["status"] == "running"
