"""The one canonical SQLAlchemy configuration.

The web app (through `SQLAlchemyPlugin`), the CLI, the SAQ workers and the tests all build their
database access from `get_alchemy_config()`; nobody creates an engine or a session maker by hand.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import structlog
from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from advanced_alchemy.extensions.litestar._utils import delete_aa_scope_state, get_aa_scope_state, set_aa_scope_state
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

from app.lib.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar import Response
    from litestar.datastructures import State
    from litestar.types import BeforeMessageSendHookHandler, HTTPResponseStartEvent, Message, Scope
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

logger = structlog.get_logger("app.database")
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"


@lru_cache(maxsize=1)
def get_database_url() -> str:
    """`DATABASE_URL`, or the embedded server's URL (started on first use) when it is unset."""
    settings = get_settings()
    if settings.db.url:
        return settings.db.url
    from app.lib.embedded_postgres import embedded_database_url

    return embedded_database_url(settings.app.data_dir)


def plain_dsn(url: str) -> str:
    """The libpq form (`postgresql://`) of a SQLAlchemy URL, for psycopg and SAQ."""
    scheme, _, rest = url.partition("://")
    return f"postgresql://{rest}" if scheme.startswith("postgresql") else url


_REPLACED_BODY = "_folio_failed_commit_body"
_ENTITY_HEADERS = frozenset({b"content-type", b"content-length", b"location", b"etag", b"last-modified"})


def _replace_with_problem(message: HTTPResponseStartEvent, scope: Scope, problem: Response[Any]) -> None:
    """Turn the response about to start into `problem` (its body goes out in place of the original)."""
    from litestar.serialization import encode_json

    from app.lib.errors import PROBLEM_JSON

    body = encode_json(problem.content)
    headers: list[tuple[bytes, bytes]] = [
        (name, value) for name, value in message.get("headers", []) if bytes(name).lower() not in _ENTITY_HEADERS
    ]
    headers += [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", b"%d" % len(body))]
    headers += [(name.lower().encode(), value.encode()) for name, value in problem.headers.items()]
    message["status"] = problem.status_code or 503
    message["headers"] = headers
    set_aa_scope_state(scope, _REPLACED_BODY, body)


def _commit_or_roll_back(session_scope_key: str) -> BeforeMessageSendHookHandler:
    """The request transaction's end: commit on a 2xx, roll back otherwise, then close the session.

    What advanced-alchemy's "autocommit" hook does, except that:

    - a failed COMMIT never goes out as a success. The stock hook logs it at debug level and sends
      the 2xx anyway, so a client could be told "201 Created" about a row that was rolled back
      (PostgreSQL restarting between the INSERT and the COMMIT). Here the response becomes the
      problem the error handler gives that error (503 when the database went away);
    - a session with nothing to commit (none begun, or a read-only request's, whose statements ran in
      autocommit mode) is only closed: the stock hook commits every session, which costs an empty
      transaction's worth of events on every request;
    - files a commit saves or removes (a replaced cover, a deleted book's cover) are done before the
      response goes out: advanced-alchemy runs them in a background task after the commit;
    - jobs the request queued are sent once the commit succeeded, and dropped otherwise.
    """
    from app.lib.errors import database_error_response
    from app.lib.jobs import discard_deferred_jobs, enqueue_deferred_jobs
    from app.lib.storage import files_settled

    async def handler(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.body":
            replacement: Any = get_aa_scope_state(scope, _REPLACED_BODY)
            if replacement is not None:
                message["body"] = replacement
                set_aa_scope_state(scope, _REPLACED_BODY, b"")  # later chunks of a streamed body go empty
            return
        if message["type"] != "http.response.start":
            return
        session: AsyncSession | None = get_aa_scope_state(scope, session_scope_key)
        if not 200 <= message["status"] < 300:
            discard_deferred_jobs(scope)
        else:
            try:
                if session is not None and _has_work_to_commit(session, scope):
                    async with files_settled():
                        await session.commit()
            except Exception as exc:  # answered as a problem, never swallowed
                discard_deferred_jobs(scope)
                _replace_with_problem(message, scope, database_error_response(exc))
            else:
                await enqueue_deferred_jobs(scope)
        if session is not None:
            delete_aa_scope_state(scope, session_scope_key)
            try:
                await session.close()  # rolls back whatever was not committed
            except Exception:  # the connection is gone; the pool replaces it
                logger.debug("closing the request's session failed", exc_info=True)

    return handler


def _has_work_to_commit(session: AsyncSession, scope: Scope) -> bool:
    """False for a session with nothing to commit: none begun, or a read-only request's with no ORM changes.

    A GET's or HEAD's session runs in autocommit mode (`RequestSessionConfig`): its statements are
    committed as they run, and its ORM-level commit would only flush (nothing) and fire events.
    """
    if not session.in_transaction():
        return False
    if scope.get("method") not in _READ_ONLY_METHODS:
        return True
    return bool(session.new or session.dirty or session.deleted)


def request_db_session(scope: Scope) -> AsyncSession:
    """The request's database session, the `db_session` its handler gets; made on first use."""
    return get_alchemy_config().provide_session(scope["app"].state, scope)


def request_in_transaction(scope: Scope) -> bool:
    """Whether the request's database session has begun a transaction (which its end commits or rolls back)."""
    session: AsyncSession | None = get_aa_scope_state(scope, get_alchemy_config().session_scope_key)
    return session is not None and session.in_transaction()


_LOOKUP_SESSION = "folio_lookup_session"


def autocommit_engine() -> AsyncEngine:
    """The engine in autocommit mode, on the same pool: for single statements that need no transaction."""
    return cast("RequestSessionConfig", get_alchemy_config()).autocommit_engine()


def lookup_db_session(scope: Scope) -> AsyncSession:
    """The session middleware reads who is calling with (a session row, an API token), before the handler.

    A read-only request shares it with its handler: one connection for the whole request. Any other
    request gets one of its own, outside a transaction, which `end_lookups` closes before the request
    body is read: no connection is held while a client uploads, and the handler's transaction holds
    only the handler's work. Either way nothing waits for a BEGIN or a COMMIT, and what a lookup
    writes (when a token was last used) is kept even if the request then fails.
    """
    if scope.get("method") in _READ_ONLY_METHODS:
        return request_db_session(scope)
    session: AsyncSession | None = get_aa_scope_state(scope, _LOOKUP_SESSION)
    if session is None:
        config = cast("RequestSessionConfig", get_alchemy_config())
        session = config.lookup_session_maker()(bind=autocommit_engine())
        set_aa_scope_state(scope, _LOOKUP_SESSION, session)
    return session


async def end_lookups(scope: Scope) -> None:
    """Close the session `lookup_db_session` made for this request, if it made one."""
    session: AsyncSession | None = get_aa_scope_state(scope, _LOOKUP_SESSION, pop=True)
    if session is not None:
        await session.close()


@asynccontextmanager
async def brief_session() -> AsyncIterator[AsyncSession]:
    """A session outside any transaction, whose connection goes back to the pool when the block ends.

    For what a request reads before slow work of its own (hashing a password): the request's session
    would keep its connection all along, and a burst of sign-ins waiting for the hashing threads could
    hold every connection of the pool. What it loaded stays readable after the block.
    """
    config = cast("RequestSessionConfig", get_alchemy_config())
    async with config.lookup_session_maker()(bind=autocommit_engine()) as session:
        yield session


@lru_cache(maxsize=1)
def get_alchemy_config() -> SQLAlchemyAsyncConfig:
    config = _build_alchemy_config()
    config.before_send_handler = _commit_or_roll_back(config.session_scope_key)
    return config


_READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


def _refuse_closed_connection(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """A cheaper pre-ping: a pooled connection PostgreSQL has closed (a restart) is replaced at checkout.

    SQLAlchemy's `pool_pre_ping` costs three round trips per checkout with asyncpg (BEGIN, a ping,
    ROLLBACK), which is more than most requests' own queries. asyncpg notices a closed socket by
    itself, so asking it is free; a connection that dies some other way fails one statement, and
    SQLAlchemy then invalidates the whole pool, so the next requests get fresh connections.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError


class RequestSessionConfig(SQLAlchemyAsyncConfig):
    """advanced-alchemy's configuration, with requests that only read running outside a transaction.

    A GET or HEAD request's session is bound to the engine in autocommit mode: no `BEGIN` and no
    `COMMIT` round trip around its reads. Under READ COMMITTED each statement sees its own snapshot
    anyway, so a read-only request loses nothing by it; the few writes such a request makes (when a
    token or session was last used) commit at once.
    """

    def provide_session(self, state: State, scope: Scope) -> AsyncSession:
        new = get_aa_scope_state(scope, self.session_scope_key) is None
        session = super().provide_session(state, scope)
        if new and scope.get("method") in _READ_ONLY_METHODS:
            session.sync_session.bind = self.autocommit_engine().sync_engine
        return session

    def get_engine(self) -> AsyncEngine:
        if self.engine_instance is None:
            engine = super().get_engine()
            event.listen(engine.sync_engine, "checkout", _refuse_closed_connection)
        return super().get_engine()

    def autocommit_engine(self) -> AsyncEngine:
        """The engine, in autocommit mode (the same pool of connections)."""
        engine: AsyncEngine | None = getattr(self, "_folio_autocommit_engine", None)
        if engine is None:
            engine = self.get_engine().execution_options(isolation_level="AUTOCOMMIT")
            self._folio_autocommit_engine = engine
        return engine

    def lookup_session_maker(self) -> async_sessionmaker[AsyncSession]:
        maker: async_sessionmaker[AsyncSession] | None = getattr(self, "_folio_lookup_session_maker", None)
        if maker is None:
            maker = cast("async_sessionmaker[AsyncSession]", self.create_session_maker())
            self._folio_lookup_session_maker = maker
        return maker


def _build_alchemy_config() -> SQLAlchemyAsyncConfig:
    settings = get_settings()
    return RequestSessionConfig(
        connection_string=get_database_url(),
        before_send_handler="autocommit",
        session_config=AsyncSessionConfig(
            expire_on_commit=False,
            # advanced-alchemy looks these flags up at every commit, first here; when they are missing it
            # asks the engine, which makes a new engine-options object each time. No cache is configured;
            # file objects (covers) do need their listener.
            info={"enable_cache_listener": False, "enable_file_object_listener": True},
        ),
        engine_config=EngineConfig(
            pool_pre_ping=False,  # see _refuse_closed_connection
            pool_size=settings.db.pool_size,
            max_overflow=settings.db.max_overflow,
            pool_timeout=settings.db.pool_timeout,  # type: ignore[arg-type]
            pool_recycle=settings.db.pool_recycle,
            echo=settings.db.echo,
            connect_args={
                "server_settings": {"application_name": "folio"},
                "timeout": 5,
            },
        ),
        alembic_config=AlembicAsyncConfig(
            script_location=str(MIGRATIONS_DIR),
            version_table_name="alembic_version",
            render_as_batch=False,
            compare_type=True,
        ),
        create_all=False,
        set_default_exception_handler=False,
    )
