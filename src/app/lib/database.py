"""The one canonical SQLAlchemy configuration.

The web app (through `SQLAlchemyPlugin`), the CLI, the SAQ workers and the tests all build their
database access from `get_alchemy_config()`; nobody creates an engine or a session maker by hand.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state, set_aa_scope_state

from app.lib.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from litestar import Response
    from litestar.types import BeforeMessageSendHookHandler, HTTPResponseStartEvent, Message, Scope

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


def _never_acknowledge_a_failed_commit(
    autocommit: Callable[[Message, Scope], Awaitable[None]], session_scope_key: str
) -> BeforeMessageSendHookHandler:
    """advanced-alchemy's "autocommit" hook, except that a failed COMMIT never goes out as a success.

    The stock hook logs a failed commit at debug level and sends the 2xx anyway, so a client could be
    told "201 Created" about a row that was rolled back (PostgreSQL restarting between the INSERT and
    the COMMIT). Here the commit runs first; if it fails, the response becomes the problem the error
    handler gives that error (503 when the database went away), and the stock hook then rolls back and
    closes the session as before.

    Files a commit saves or removes (a replaced cover, a deleted book's cover) are done before the
    response goes out: advanced-alchemy runs them in a background task after the commit.
    """
    from app.lib.errors import database_error_response
    from app.lib.jobs import discard_deferred_jobs, enqueue_deferred_jobs
    from app.lib.storage import files_settled

    async def handler(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start" and not 200 <= message["status"] < 300:
            discard_deferred_jobs(scope)
        elif message["type"] == "http.response.start":
            session = get_aa_scope_state(scope, session_scope_key)
            try:
                if session is not None:
                    async with files_settled():
                        await session.commit()
            except Exception as exc:  # answered as a problem, never swallowed
                discard_deferred_jobs(scope)
                _replace_with_problem(message, scope, database_error_response(exc))
            else:
                await enqueue_deferred_jobs(scope)
        elif message["type"] == "http.response.body":
            replacement: Any = get_aa_scope_state(scope, _REPLACED_BODY)
            if replacement is not None:
                message["body"] = replacement
                set_aa_scope_state(scope, _REPLACED_BODY, b"")  # later chunks of a streamed body go empty
        await autocommit(message, scope)

    return handler


@lru_cache(maxsize=1)
def get_alchemy_config() -> SQLAlchemyAsyncConfig:
    config = _build_alchemy_config()
    config.before_send_handler = _never_acknowledge_a_failed_commit(
        config.before_send_handler,  # type: ignore[arg-type]  # "autocommit", made into the stock async hook
        config.session_scope_key,
    )
    return config


def _build_alchemy_config() -> SQLAlchemyAsyncConfig:
    settings = get_settings()
    return SQLAlchemyAsyncConfig(
        connection_string=get_database_url(),
        before_send_handler="autocommit",
        session_config=AsyncSessionConfig(expire_on_commit=False),
        engine_config=EngineConfig(
            pool_pre_ping=True,
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
