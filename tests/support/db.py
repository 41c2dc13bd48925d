"""Database work done by a test itself (arranging rows, checking what the app stored).

The pool's asyncpg connections belong to the event loop that opened them. While a test's clients
are open, the app runs on its own loop (the test clients' blocking portal), so the test's own
queries are sent there too; otherwise they run here and the pool is emptied afterwards, so that
the app's loop never gets a connection opened on this one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.lib.database import get_alchemy_config

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

T = TypeVar("T")

app_portal: BlockingPortal | None = None
"""The portal of the app's running event loop during a test, set by the `app_portal` fixture."""


async def run_db(function: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`function(session)` in a fresh session, on the loop that owns the pool's connections."""

    async def call() -> T:
        async with get_alchemy_config().get_session() as session:
            return await function(session)

    return await on_app_loop(call)


async def on_app_loop(function: Callable[[], Awaitable[T]]) -> T:
    """`await function()` on the app's loop while a test client is open, else here; the pool is emptied after.

    Emptying the pool keeps tests that open sessions on their own loop (between requests) working.
    """

    async def call() -> T:
        try:
            return await function()
        finally:
            await get_alchemy_config().get_engine().dispose()

    if app_portal is not None:
        return app_portal.call(call)
    return await call()


async def scalar(statement: Any) -> Any:
    """The first column of the first row of `statement`."""

    async def run(session: AsyncSession) -> Any:
        return await session.scalar(statement)

    return await run_db(run)


async def scalars(statement: Any) -> list[Any]:
    async def run(session: AsyncSession) -> list[Any]:
        return list((await session.scalars(statement)).all())

    return await run_db(run)


async def execute(statement: Any) -> None:
    """Run a writing statement and commit."""

    async def run(session: AsyncSession) -> None:
        await session.execute(statement)
        await session.commit()

    await run_db(run)
