"""The migrations, checked against scratch databases on the tests' PostgreSQL server.

Up to head, no drift from the models (alembic's own autogenerate comparison, configured like
`migrations/env.py`), down to base leaving no app table, up again; then the `app database` CLI.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from advanced_alchemy.alembic.commands import AlembicCommands
from advanced_alchemy.extensions.litestar import EngineConfig, SQLAlchemyAsyncConfig
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.db.models import metadata
from app.lib.database import MIGRATIONS_DIR, get_alchemy_config, plain_dsn
from tests.conftest import TEST_DATABASE_URL
from tests.support.databases import _recreate
from tests.support.processes import APP_COMMAND, PROJECT_ROOT, app_env

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from sqlalchemy.engine import Connection


def _env_py(*names: str) -> dict[str, Any]:
    """The named top-level definitions of `migrations/env.py`, without running its migrations."""
    tree = ast.parse((MIGRATIONS_DIR / "env.py").read_text())
    wanted: list[ast.stmt] = []
    for node in tree.body:
        defined = {getattr(target, "id", None) for target in getattr(node, "targets", [])}
        if getattr(node, "name", None) in names or defined & set(names):
            wanted.append(node)
    namespace: dict[str, Any] = {"Any": Any}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), str(MIGRATIONS_DIR / "env.py"), "exec"), namespace)
    assert set(names) <= set(namespace), f"migrations/env.py no longer defines {set(names) - set(namespace)}"
    return namespace


ENV = _env_py("FOREIGN_TABLES", "include_object")
FOREIGN_TABLES: frozenset[str] = ENV["FOREIGN_TABLES"]
include_object: Callable[..., bool] = ENV["include_object"]


def _scratch_url(purpose: str) -> str:
    url = make_url(TEST_DATABASE_URL).set(database=f"folio_{purpose}_{os.getpid()}")
    return url.render_as_string(hide_password=False)


@pytest.fixture
async def scratch() -> AsyncIterator[SQLAlchemyAsyncConfig]:
    """A fresh empty database holding SAQ's tables too, as every real one does; dropped afterwards."""
    url = _scratch_url("migrations")
    await asyncio.to_thread(_recreate, url)
    from saq.queue.postgres import PostgresQueue

    queue = PostgresQueue.from_url(plain_dsn(url), name="default")
    await queue.connect()
    await queue.disconnect()
    config = SQLAlchemyAsyncConfig(
        connection_string=url,
        alembic_config=get_alchemy_config().alembic_config,
        engine_config=EngineConfig(poolclass=NullPool),  # every alembic command runs on its own event loop
    )
    yield config
    await config.get_engine().dispose()
    await _drop(url)


async def _drop(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await connection.close()


def _drift(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "target_metadata": metadata,
            "compare_type": True,
            "compare_server_default": True,
            "include_object": include_object,
        },
    )
    return compare_metadata(context, metadata)


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_matches_models_and_downgrade_removes_everything(scratch: SQLAlchemyAsyncConfig) -> None:
    commands = AlembicCommands(sqlalchemy_config=scratch)
    head = ScriptDirectory.from_config(commands.config).get_current_head()
    engine = scratch.get_engine()
    app_tables = {table.name for table in metadata.sorted_tables}

    await asyncio.to_thread(commands.upgrade, "head")
    async with engine.connect() as connection:
        assert await connection.run_sync(_drift) == [], "the models and the migrations disagree"
        assert app_tables <= await connection.run_sync(_tables)
        # Alembic does not compare UNLOGGED: the models' table prefixes are checked here.
        unlogged = set(
            (await connection.exec_driver_sql("SELECT relname FROM pg_class WHERE relpersistence = 'u'")).scalars()
        )
    assert unlogged & app_tables == {t.name for t in metadata.sorted_tables if "UNLOGGED" in t._prefixes}
    assert "rate_limit_counter" in unlogged
    async with engine.connect() as connection:
        version = (await connection.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == head

    await asyncio.to_thread(commands.downgrade, "base")
    async with engine.connect() as connection:
        left = await connection.run_sync(_tables) - {"alembic_version"}
    assert left == set(FOREIGN_TABLES) & left, f"downgrade to base left app tables behind: {left - FOREIGN_TABLES}"
    assert left, "SAQ's tables should still be there: the migrations must leave them alone"

    await asyncio.to_thread(commands.upgrade, "head")
    async with engine.connect() as connection:
        assert await connection.run_sync(_drift) == []
        assert app_tables <= await connection.run_sync(_tables)


@pytest.mark.slow
async def test_database_cli_commands(scratch: SQLAlchemyAsyncConfig, tmp_path: Path) -> None:
    """`show-current-revision`, `stamp-migration` and `dump-data`, run side by side to keep the test short."""
    commands = AlembicCommands(sqlalchemy_config=scratch)
    head = ScriptDirectory.from_config(commands.config).get_current_head()
    assert head is not None
    await asyncio.to_thread(commands.upgrade, "head")
    async with scratch.get_engine().begin() as connection:
        await connection.exec_driver_sql(
            "INSERT INTO author (id, name, slug, created_at, updated_at) "
            "VALUES (gen_random_uuid(), 'Dumped Author', 'dumped-author', now(), now())"
        )
    stamped_url = _scratch_url("stamp")
    await asyncio.to_thread(_recreate, stamped_url)
    dump_dir = tmp_path / "dump"
    try:
        runs = {
            "current": ("show-current-revision", scratch.connection_string),
            "dump": (f"dump-data --table author --dir {dump_dir}", scratch.connection_string),
            "stamp": ("stamp-migration head", stamped_url),
        }
        processes = {
            name: await asyncio.create_subprocess_exec(
                *APP_COMMAND,
                "database",
                *command.split(),
                cwd=PROJECT_ROOT,
                env=app_env(DATABASE_URL=url, LOG_LEVEL="WARNING"),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            for name, (command, url) in runs.items()
        }
        outputs: dict[str, str] = {}
        for name, process in processes.items():
            output, _ = await asyncio.wait_for(process.communicate(), 60)
            outputs[name] = output.decode(errors="replace")
            assert process.returncode == 0, f"`app database {runs[name][0]}` failed:\n{outputs[name]}"

        assert head in outputs["current"], outputs["current"]

        dumped = json.loads((dump_dir / "author.json").read_text())
        assert [row["name"] for row in dumped] == ["Dumped Author"], dumped

        connection = await asyncpg.connect(make_url(stamped_url).set(drivername="postgresql").render_as_string(False))
        try:
            assert await connection.fetchval("SELECT version_num FROM alembic_version") == head
            assert await connection.fetchval("SELECT to_regclass('author')") is None, "stamp must not migrate"
        finally:
            await connection.close()
    finally:
        await _drop(stamped_url)
