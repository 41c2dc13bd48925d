"""Test set-up: every test process (each pytest-xdist worker) gets its own fresh, migrated database.

With `DATABASE_URL` unset the databases live on the embedded server (`DATA_DIR`, default `.data`),
shared with any `make run` on the machine; with it set, they are created on that server. Tests
talk to the app through `AsyncTestClient`, and tables are emptied after each test.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.support.databases import drop_test_database, prepare_test_database

os.environ.setdefault("APP_ENV", "dev")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Each pytest worker's app, and every server and worker process a test starts, shares one PostgreSQL
# (100 connections): pools keep what they opened, so the production default of 20 each is too many.
os.environ.setdefault("DB_POOL_SIZE", "8")
# Mail goes out through the real `file` backend, into a directory of this test process's own.
TEST_EMAIL_DIR = Path(tempfile.gettempdir()) / f"folio-test-emails-{os.getpid()}"
os.environ["EMAIL_BACKEND"] = "file"
os.environ["EMAIL_FILE_DIR"] = str(TEST_EMAIL_DIR)
TEST_DATABASE_URL = prepare_test_database()
os.environ["DATABASE_URL"] = TEST_DATABASE_URL

from anyio.from_thread import BlockingPortal  # noqa: E402
from litestar import Litestar  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from app.db import models as m  # noqa: E402
from app.db.models import metadata  # noqa: E402
from app.lib.database import get_alchemy_config  # noqa: E402
from app.server.asgi import create_app  # noqa: E402
from tests.support import accounts, db  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def app() -> Litestar:
    return create_app()


@pytest.fixture
async def user() -> m.User:
    """An active, verified, ordinary user."""
    return await accounts.create_user()


@pytest.fixture
async def superuser() -> m.User:
    return await accounts.create_user(is_superuser=True, name="Admin")


@pytest.fixture
async def app_portal(app: Litestar) -> AsyncIterator[BlockingPortal]:
    """The app, started (lifespan included) on its own event loop for this test.

    Every client of a test sends its requests to this one loop: the connection pool's asyncpg
    connections belong to the loop that opened them, so two clients on two loops would trade
    connections across loops. `tests.support.db` sends the test's own queries there too.
    """
    async with AsyncTestClient(app=app) as base:
        db.app_portal = base.blocking_portal
        try:
            yield base.blocking_portal
        finally:
            db.app_portal = None


ClientFactory = Callable[..., AsyncTestClient[Litestar]]


@pytest.fixture
def new_client(app: Litestar, app_portal: BlockingPortal) -> ClientFactory:
    """Make another client (own cookies and headers) on the test's app loop, with an API token if given."""

    def make(token: str | None = None) -> AsyncTestClient[Litestar]:
        test_client = AsyncTestClient(app=app)
        test_client.blocking_portal = app_portal
        if token is not None:
            test_client.headers["Authorization"] = f"Bearer {token}"
        return test_client

    return make


@pytest.fixture
async def client(user: m.User, new_client: ClientFactory) -> AsyncTestClient[Litestar]:
    """A client acting as `user` through an API token (so no CSRF token is needed)."""
    return new_client(await accounts.create_api_token(user))


@pytest.fixture
async def admin_client(superuser: m.User, new_client: ClientFactory) -> AsyncTestClient[Litestar]:
    """A client acting as `superuser` through an API token."""
    return new_client(await accounts.create_api_token(superuser))


@pytest.fixture
def anon_client(new_client: ClientFactory) -> AsyncTestClient[Litestar]:
    """A client with no credentials."""
    return new_client()


@pytest.fixture(autouse=True)
async def _empty_tables() -> AsyncIterator[None]:
    yield
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    async with get_alchemy_config().get_session() as session:
        await session.execute(text(f"TRUNCATE {tables} CASCADE"))
        # Jobs the test queued (SAQ's table lives in the same database when no SAQ_QUEUE_URL is set).
        # DELETE, not TRUNCATE: SAQ's own connections may hold locks on the table that TRUNCATE would wait for.
        if await session.scalar(text("SELECT to_regclass('saq_jobs')")) is not None:
            await session.execute(text("DELETE FROM saq_jobs"))
        await session.commit()
    # The app runs on the test client's own event loop; asyncpg connections opened here must not be reused there.
    await get_alchemy_config().get_engine().dispose()


def pytest_sessionfinish(session: pytest.Session) -> None:
    drop_test_database(TEST_DATABASE_URL)
    shutil.rmtree(TEST_EMAIL_DIR, ignore_errors=True)
