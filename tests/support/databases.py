"""Create and migrate the database a test process uses, before the app is imported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _server_url(name: str) -> str:
    """A URL for database `name` on the configured server, the embedded one when none is."""
    configured = os.environ.get("DATABASE_URL", "").strip()
    if configured:
        url = make_url(configured).set(drivername="postgresql+asyncpg")
        return url.set(database=name).render_as_string(hide_password=False)
    from app.lib.embedded_postgres import get_embedded_server

    data_dir = Path(os.environ.get("DATA_DIR", ".data")).resolve()
    return get_embedded_server(data_dir).get_uri(database=name, driver="asyncpg")


TEST_DATABASE_PREFIX = "folio_test_"


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


def _run_admin(url: str, *statements: str) -> list[str]:
    """Run `statements` on the server's `postgres` database; returns the names of stale test databases."""
    import asyncio

    import asyncpg

    async def run() -> list[str]:
        connection = await asyncpg.connect(_admin_dsn(url))
        try:
            for statement in statements:
                await connection.execute(statement)
            rows = await connection.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE $1", TEST_DATABASE_PREFIX + "%"
            )
            return [row["datname"] for row in rows]
        finally:
            await connection.close()

    return asyncio.run(run())


def _is_stale(name: str) -> bool:
    """A test database whose pytest process (its name ends with the pid) is gone."""
    import psutil

    pid = name.removeprefix(TEST_DATABASE_PREFIX).split("_", 1)[0]
    return pid.isdigit() and not psutil.pid_exists(int(pid))


def _recreate(url: str) -> None:
    name = make_url(url).database
    existing = _run_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    stale = [f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)' for other in existing if _is_stale(other)]
    if stale:
        _run_admin(url, *stale)


def drop_test_database(url: str) -> None:
    _run_admin(url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def prepare_test_database(suffix: str = "") -> str:
    """A fresh database for this test process (named after its pid, then `suffix`), migrated to head; its URL."""
    url = _server_url(f"{TEST_DATABASE_PREFIX}{os.getpid()}{suffix}")
    _recreate(url)
    subprocess.run(
        [sys.executable, "-m", "app", "database", "upgrade", "--no-prompt"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"},
        check=True,
        capture_output=True,
    )
    return url
