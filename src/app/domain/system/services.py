"""Health probes: each answers within a short timeout and never raises."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

import structlog
from sqlalchemy import String, column, select, table
from sqlalchemy.exc import ProgrammingError

if TYPE_CHECKING:
    from advanced_alchemy.extensions.litestar import AlembicAsyncConfig
    from saq import Queue
    from sqlalchemy.ext.asyncio import AsyncEngine

PROBE_TIMEOUT = 2.0
PROBE_FRESH_FOR = 0.1
"""Seconds a finished round of health probes answers for."""
logger = structlog.get_logger("app.health")
T = TypeVar("T")


class Shared(Generic[T]):
    """Runs one piece of work at a time, and shares its result with everyone who asks meanwhile.

    Whoever asks while a run is going waits for it; whoever asks within `fresh_for` seconds after it
    finished gets its result at once. A load balancer (or a benchmark) polling many times a second
    thus costs one round of probes per `fresh_for`, and a failure still shows within `fresh_for`.
    Results are kept per event loop: they are never handed to a caller on another loop.
    """

    def __init__(self, fresh_for: float) -> None:
        self._fresh_for = fresh_for
        self._running: asyncio.Future[T] | None = None
        self._finished_at = 0.0

    async def __call__(self, work: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        running = self._running
        if running is None or not self._usable(running, loop):
            running = self._running = loop.create_task(self._run(work))
        # A caller that goes away (client disconnected) leaves the run going for the others.
        return await asyncio.shield(running)

    def _usable(self, run: asyncio.Future[T], loop: asyncio.AbstractEventLoop) -> bool:
        if run.get_loop() is not loop:
            return False
        if not run.done():
            return True
        return not run.cancelled() and loop.time() - self._finished_at < self._fresh_for

    async def _run(self, work: Callable[[], Awaitable[T]]) -> T:
        try:
            return await work()
        finally:
            self._finished_at = asyncio.get_running_loop().time()


async def _answer(part: str, probe: Callable[[], Awaitable[T]]) -> T | None:
    """What `probe` returns; None when it fails or takes too long (logged)."""
    try:
        return await asyncio.wait_for(probe(), PROBE_TIMEOUT)
    except Exception as exc:  # any failure means "unavailable"
        logger.warning("health probe failed", part=part, error=type(exc).__name__)
        return None


UNDEFINED_TABLE = "42P01"
MigrationStatus = Literal["ok", "pending"]


@dataclass(frozen=True)
class Revisions:
    """The migrations this code ships: its head revisions, and every revision it knows."""

    heads: frozenset[str]
    known: frozenset[str]

    def status(self, applied: frozenset[str]) -> MigrationStatus:
        """`pending` while the database is behind this code's heads (or has no revision at all).

        A revision this code does not know was written by a newer release (a rolling deploy after it
        migrated): the schema is ahead, which a release must cope with, so that counts as `ok`.
        """
        if applied - self.known:
            return "ok"
        return "ok" if applied == self.heads else "pending"


def read_revisions(config: AlembicAsyncConfig) -> Revisions:
    """Reads every migration file: call it once, in a thread."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(config.script_location)
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return Revisions(heads=frozenset(script.get_heads()), known=known)


class CodeRevisions:
    """This code's `Revisions`, read on first use."""

    def __init__(self) -> None:
        self._revisions: Revisions | None = None

    async def get(self, config: AlembicAsyncConfig) -> Revisions:
        if self._revisions is None:
            self._revisions = await asyncio.to_thread(read_revisions, config)
        return self._revisions


async def applied_revisions(engine: AsyncEngine, version_table: str) -> frozenset[str] | None:
    """The revisions the database is migrated to (none without a version table); None when it does not answer.

    The one query doubles as the database probe.
    """
    versions = select(column("version_num", String)).select_from(table(version_table))

    async def probe() -> frozenset[str]:
        async with engine.connect() as connection:
            try:
                return frozenset((await connection.execute(versions)).scalars())
            except ProgrammingError as exc:
                if getattr(exc.orig, "sqlstate", None) != UNDEFINED_TABLE:
                    raise
                return frozenset()

    return await _answer("database", probe)


async def queue_is_up(queue: Queue) -> bool:
    async def probe() -> bool:
        await queue.connect()
        await queue.count("queued")
        return True

    return await _answer("queue", probe) is not None
