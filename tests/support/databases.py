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


def _recreate(url: str) -> None:
    import asyncio

    import asyncpg

    parsed = make_url(url)
    name = parsed.database
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)

    async def recreate() -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(recreate())


def prepare_test_database(name: str) -> str:
    """A fresh database called `name`, migrated to head; returns its URL."""
    url = _server_url(name)
    _recreate(url)
    subprocess.run(
        [sys.executable, "-m", "app", "database", "upgrade", "--no-prompt"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"},
        check=True,
        capture_output=True,
    )
    return url
