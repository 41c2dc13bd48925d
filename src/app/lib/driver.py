"""Hot statements run on the driver: compiled once to asyncpg's SQL, run on an asyncpg connection.

For the catalogue's most frequent reads, and for creating a book, SQLAlchemy's work around the
statement (an ORM session, a Connection, the execution context, result processing, row objects)
costs several times the CPU asyncpg spends running it. These statements return plain columns that
need no conversion, so they go to asyncpg directly, with its own prepared-statement cache, and
return `asyncpg.Record` rows (read by column name). A read's connection is the request session's
when it already has one; otherwise one is taken from the same pool for the reads alone and given
back at once, as an autocommit read would be. A write runs on the request session's connection,
inside its transaction (`in_transaction`), which the request's end commits or rolls back.
"""

from __future__ import annotations

from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.util.concurrency import greenlet_spawn

from app.lib.database import get_alchemy_config

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator, Mapping

    import asyncpg
    from litestar.types import Scope
    from sqlalchemy import ClauseElement
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.pool import PoolProxiedConnection
    from sqlalchemy.sql.compiler import SQLCompiler

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


_observers: list[Callable[[str], None]] = []


@contextmanager
def observing(callback: Callable[[str], None]) -> Iterator[None]:
    """Call `callback` with every statement run here meanwhile (the SQL counts of tests and benchmarks)."""
    _observers.append(callback)
    try:
        yield
    finally:
        _observers.remove(callback)


def _observe(query: DriverQuery) -> None:
    for callback in _observers:
        callback(query.sql)


class Columns(Protocol):
    """A row read by column name (an `asyncpg.Record`)."""

    def __getitem__(self, name: str, /) -> Any: ...


@dataclass(frozen=True)
class DriverQuery:
    """A statement's SQL with `$n` placeholders, and the bind values it was built with, in order."""

    sql: str
    names: tuple[str, ...]
    built_with: tuple[Any, ...]

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        """The positional arguments: `values` where given, else the values the statement was built with."""
        return [values.get(name, default) for name, default in zip(self.names, self.built_with, strict=True)]


def driver_query(statement: ClauseElement) -> DriverQuery:
    """`statement` compiled for asyncpg; an `IN` list it was built with becomes one parameter per value."""
    compiled = cast("SQLCompiler", statement.compile(dialect=_DIALECT))
    if compiled.post_compile_params:
        expanded = compiled.construct_expanded_state(compiled.params)
        sql, names, params = expanded.statement, tuple(expanded.positiontup or ()), expanded.parameters
    else:
        sql, names, params = str(compiled), tuple(compiled.positiontup or ()), compiled.params
    return DriverQuery(sql=sql, names=names, built_with=tuple(params[name] for name in names))


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under `session`, checked out, for reads (statements that write: `in_transaction`)."""
    driver: asyncpg.Connection = (await _pooled_under(session)).driver_connection  # type: ignore[assignment]
    return driver


async def _pooled_under(session: AsyncSession) -> PoolProxiedConnection:
    connection = await session.connection()
    return await connection.get_raw_connection()


async def in_transaction(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under `session`, its transaction begun: for statements that write.

    SQLAlchemy's asyncpg adapter sends `BEGIN` lazily, just before the first statement it runs itself.
    Statements sent to the driver directly would run before it, each committed on its own, and the
    request's end would then have no transaction to commit or roll back. So the adapter is asked to
    begin now, as its own cursor does (it begins nothing for a session in autocommit mode).
    """
    pooled = await _pooled_under(session)
    adapter: Any = pooled.dbapi_connection
    if not adapter._started:
        await adapter._start_transaction()
    driver: asyncpg.Connection = pooled.driver_connection  # type: ignore[assignment]
    return driver


@asynccontextmanager
async def reading(scope: Scope) -> AsyncIterator[asyncpg.Connection]:
    """A connection for the request's reads: its session's if it has one, else a pooled one meanwhile."""
    session: AsyncSession | None = get_aa_scope_state(scope, get_alchemy_config().session_scope_key)
    if session is not None:
        yield await driver_connection(session)
        return
    async with pooled_connection() as connection:
        yield connection


@asynccontextmanager
async def pooled_connection() -> AsyncIterator[asyncpg.Connection]:
    """A connection of the pool, outside any transaction (each statement commits), given back when the block ends."""
    pool = get_alchemy_config().get_engine().sync_engine.pool
    pooled = await greenlet_spawn(pool.connect)
    try:
        yield cast("asyncpg.Connection", pooled.driver_connection)
    except BaseException:
        pooled.invalidate()  # interrupted mid-statement, or broken: never handed out again
        raise
    finally:
        await greenlet_spawn(pooled.close)


async def fetch_row(connection: asyncpg.Connection, query: DriverQuery, values: Mapping[str, Any]) -> Columns | None:
    if _observers:
        _observe(query)
    row: Columns | None = await connection.fetchrow(query.sql, *query.arguments(values))  # type: ignore[no-untyped-call]
    return row


async def fetch_rows(connection: asyncpg.Connection, query: DriverQuery, values: Mapping[str, Any]) -> list[Columns]:
    if _observers:
        _observe(query)
    rows: list[Columns] = await connection.fetch(query.sql, *query.arguments(values))
    return rows


async def fetch_value(connection: asyncpg.Connection, query: DriverQuery, values: Mapping[str, Any]) -> Any:
    if _observers:
        _observe(query)
    return await connection.fetchval(query.sql, *query.arguments(values))  # type: ignore[no-untyped-call]


async def execute(connection: asyncpg.Connection, query: DriverQuery, values: Mapping[str, Any]) -> None:
    if _observers:
        _observe(query)
    await connection.execute(query.sql, *query.arguments(values))
