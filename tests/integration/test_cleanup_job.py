"""The hourly clean-up job deletes what has expired and nothing else, once per tick however many workers run."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from app.db import models as m
from app.domain.accounts.jobs import delete_expired_credentials
from app.domain.books.jobs import requeue_stranded_imports
from app.lib import rate_limit
from app.lib.database import get_alchemy_config
from app.server.plugins import get_saq_plugin
from tests.conftest import TEST_DATABASE_URL
from tests.support.accounts import create_user
from tests.support.db import run_db, scalar
from tests.support.processes import ManagedProcess, app_env, run_app_command, start_worker

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.ext.asyncio import AsyncSession

TICK_SECONDS = 3
TICKS = 2


async def test_expired_sessions_tokens_and_windows_are_deleted_and_live_ones_kept():
    user = await create_user()
    now = datetime.now(UTC)
    async with get_alchemy_config().get_session() as session:
        for name, expires_at in (("old", now - timedelta(seconds=1)), ("live", now + timedelta(days=1))):
            session.add(m.UserSession(session_id=f"{name}-session", data=b"{}", expires_at=expires_at, user_id=user.id))
            session.add(m.ApiToken(user_id=user.id, name=name, token_hash=name.ljust(64, "0"), expires_at=expires_at))
            session.add(
                m.AccountToken(
                    user_id=user.id, purpose="verify_email", token_hash=name.ljust(64, "1"), expires_at=expires_at
                )
            )
        session.add(m.ApiToken(user_id=user.id, name="forever", token_hash="f" * 64, expires_at=None))
        await session.commit()
    await rate_limit.hit("finished-window", timedelta(microseconds=1))
    await rate_limit.hit("running-window", timedelta(hours=1))

    counts = await delete_expired_credentials({})  # type: ignore[typeddict-item]

    assert counts == {"sessions": 1, "api_tokens": 1, "account_tokens": 1, "rate_limit_windows": 1}
    async with get_alchemy_config().get_session() as session:
        assert await session.scalar(select(func.count()).select_from(m.UserSession)) == 1
        assert set(await session.scalars(select(m.ApiToken.name))) == {"live", "forever"}
        assert await session.scalar(select(func.count()).select_from(m.AccountToken)) == 1
    assert await rate_limit.current("running-window") is not None
    await get_alchemy_config().get_engine().dispose()


def test_the_clean_up_runs_hourly_and_stranded_imports_are_looked_for_every_minute():
    [queue] = list(get_saq_plugin().config.queue_configs)
    schedule = {cron.function: cron.cron for cron in queue.scheduled_tasks}
    assert schedule == {delete_expired_credentials: "0 * * * *", requeue_stranded_imports: "* * * * *"}


def test_a_worker_refuses_a_clean_up_schedule_that_is_not_cron() -> None:
    env = app_env(DATABASE_URL=TEST_DATABASE_URL, CLEANUP_CRON="every hour")
    result = run_app_command("workers", "run", env=env)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "CLEANUP_CRON must be a cron expression" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def cleanup_runs(worker: ManagedProcess) -> list[dict[str, Any]]:
    """The clean-up runs a worker logged (`app.lib.jobs.log_job`, one JSON line per job run)."""
    runs = []
    for line in worker.stderr().splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry.get("event") == "job" and entry.get("function") == "delete_expired_credentials":
            runs.append({**entry, "worker": worker.name})
    return runs


async def add_expired_session() -> None:
    user = await create_user()

    async def insert(session: AsyncSession) -> None:
        expired = datetime.now(UTC) - timedelta(seconds=1)
        session.add(m.UserSession(session_id=f"old-{user.id}", data=b"{}", expires_at=expired, user_id=user.id))
        await session.commit()

    await run_db(insert)


async def wait_for_ticks(workers: list[ManagedProcess], ticks: int, *, running: list[ManagedProcess]) -> None:
    """Until `workers` have run the clean-up for `ticks` distinct ticks in all (or long after they should have)."""
    deadline = time.monotonic() + ticks * TICK_SECONDS + 30
    while time.monotonic() < deadline:
        assert all(worker.alive() for worker in running), "\n".join(worker.output() for worker in workers)
        if len({run["scheduled"] for worker in workers for run in cleanup_runs(worker)}) >= ticks:
            return
        await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_two_workers_run_the_clean_up_once_per_tick(tmp_path: Path) -> None:
    """Both workers schedule every tick; exactly one runs it. When one stops, the other carries on alone."""
    await add_expired_session()
    env = app_env(
        DATABASE_URL=TEST_DATABASE_URL,
        SAQ_QUEUE_URL="",
        SAQ_IN_PROCESS="false",
        SAQ_SHUTDOWN_GRACE_PERIOD="0",
        CLEANUP_CRON=f"* * * * * */{TICK_SECONDS}",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
    )
    first, second = workers = [start_worker(env, tmp_path, name=f"worker-{n}") for n in (1, 2)]
    try:
        await wait_for_ticks(workers, TICKS, running=workers)
        # A tick's worth more with both running, so a late duplicate of the last tick would show up.
        await asyncio.sleep(TICK_SECONDS)
        assert second.alive(), second.output()
        first.stop()
        with_both = {run["scheduled"] for worker in workers for run in cleanup_runs(worker)}
        await wait_for_ticks(workers, len(with_both) + TICKS, running=[second])
    finally:
        for worker in workers:
            worker.stop()
    runs = sorted((run for worker in workers for run in cleanup_runs(worker)), key=lambda run: run["scheduled"])
    logs = "\n".join(worker.output() for worker in workers)

    report = "\n".join(f"  tick {run['scheduled']}: {run['worker']} {run['status']}" for run in runs)
    # A job the stopping worker had just taken is handed back to the queue ("queued"), unrun, and
    # the other worker runs it: only completed runs count.
    handed_back = [run for run in runs if run["status"] == "queued"]
    assert all(run["worker"] == first.name for run in handed_back), report
    runs = [run for run in runs if run["status"] != "queued"]
    per_tick = Counter(run["scheduled"] for run in runs)
    assert len(per_tick) >= 2 * TICKS, f"only {len(per_tick)} ticks ran\n{report}\n{logs}"
    assert set(per_tick.values()) == {1}, f"a tick ran more than once:\n{report}"
    ticks = sorted(per_tick)
    assert all(later - earlier == TICK_SECONDS for earlier, later in itertools.pairwise(ticks)), (
        f"a tick was missed:\n{report}"
    )
    assert {run["status"] for run in runs} == {"complete"}, report
    alone = [run for run in runs if run["worker"] == second.name and run["scheduled"] > max(with_both)]
    assert len(alone) >= TICKS - 1, f"the second worker did not carry on alone:\n{report}"
    assert await scalar(select(func.count()).select_from(m.UserSession)) == 0, "the clean-up did not clean up"
    print(f"\nclean-up runs, one per tick:\n{report}")
