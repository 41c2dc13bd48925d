"""The one canonical SQLAlchemy configuration.

The web app (through `SQLAlchemyPlugin`), the CLI, the SAQ workers and the tests all build their
database access from `get_alchemy_config()`; nobody creates an engine or a session maker by hand.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)

from app.lib.settings import get_settings

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


@lru_cache(maxsize=1)
def get_alchemy_config() -> SQLAlchemyAsyncConfig:
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
