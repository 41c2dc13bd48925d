"""Readiness follows the database's migrations: a real `app run` on a database of its own, migrated
step by step under it with the `app database` CLI, never restarted.

Liveness (`/health/live`) does not depend on the database: see `test_database_restart.py`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import TYPE_CHECKING, Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_URL
from tests.support.databases import _recreate, drop_test_database
from tests.support.processes import app_env, run_app_command, start_server, wait_for_http

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow

OLDER_REVISION = "0003_covers_imports"
"""A revision before this release's head."""
NEWER_REVISION = "9999_from_a_newer_release"
"""A revision this code does not know, as a newer release leaves it after migrating."""
SETTLES_WITHIN = 5.0
"""/health shares one probe round per 100 ms; the margin is for a busy machine."""


@pytest.fixture
def database() -> Iterator[str]:
    """An empty database on the tests' server, dropped afterwards."""
    url = make_url(TEST_DATABASE_URL).set(database=f"folio_readiness_{os.getpid()}")
    rendered = url.render_as_string(hide_password=False)
    _recreate(rendered)
    yield rendered
    drop_test_database(rendered)


def _health_becomes(client: httpx.Client, status: int) -> dict[str, Any]:
    """The /health body once it answers `status` (fails with the last answer if it does not)."""
    deadline = time.monotonic() + SETTLES_WITHIN
    response = client.get("/health")
    while response.status_code != status and time.monotonic() < deadline:
        time.sleep(0.05)
        response = client.get("/health")
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _stamp(database_url: str, revision: str) -> None:
    async def stamp() -> None:
        dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute("UPDATE alembic_version SET version_num = $1", revision)
        finally:
            await connection.close()

    asyncio.run(stamp())


def test_readiness_waits_for_migrations_and_survives_a_newer_schema(database: str, tmp_path: Path) -> None:
    env = app_env(DATABASE_URL=database, SAQ_IN_PROCESS="false", DATA_DIR=str(tmp_path / "data"))
    server, base_url = start_server(env, tmp_path / "logs")
    try:
        wait_for_http(base_url, server, status=None)
        with httpx.Client(base_url=base_url, timeout=10) as client:
            pending = {"status": "degraded", "database": "ok", "queue": "ok", "migrations": "pending"}
            assert _health_becomes(client, 503) == pending, "a database never migrated is not ready"
            assert client.get("/health/live").status_code == 200, "but the process is alive"

            older = run_app_command("database", "upgrade", OLDER_REVISION, "--no-prompt", env=env)
            assert older.returncode == 0, older.stdout + older.stderr
            assert _health_becomes(client, 503) == pending, "a database behind this release is not ready"

            upgraded = run_app_command("database", "upgrade", "--no-prompt", env=env)
            assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
            ready = {"status": "ok", "database": "ok", "queue": "ok"}
            assert _health_becomes(client, 200) == ready, "ready once migrated, without a restart"
            assert client.get("/api/books").status_code == 200

            _stamp(database, NEWER_REVISION)
            time.sleep(0.2)  # past the shared probe round that saw this release's head
            assert _health_becomes(client, 200) == ready, "a newer release's schema keeps this one ready"
    finally:
        code, _ = server.stop()
    assert code in {0, -signal.SIGTERM}, server.output()
