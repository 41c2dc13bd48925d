"""Alembic environment: the canonical config's engine, the models' metadata, SAQ's tables left alone."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import AsyncEngine, async_engine_from_config

from app.db.models import metadata

if TYPE_CHECKING:
    from advanced_alchemy.alembic.commands import AlembicCommandConfig
    from sqlalchemy.engine import Connection

config = cast("AlembicCommandConfig", context.config)

FOREIGN_TABLES = frozenset({"saq_jobs", "saq_stats", "saq_versions"})
"""Tables other libraries create and migrate themselves."""


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    table = obj if type_ == "table" else getattr(obj, "table", None)
    table_name = getattr(table, "name", name)
    return table_name not in FOREIGN_TABLES


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=True,
        version_table=config.version_table_name,
        include_object=include_object,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=config.db_url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_with(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = config.engine
    if engine is None:
        section = config.get_section(config.config_ini_section) or {}
        section["sqlalchemy.url"] = config.db_url
        engine = cast(
            "AsyncEngine",
            async_engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool),
        )
    async with engine.connect() as connection:
        await connection.run_sync(_run_with)


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
