"""Test set-up: every test process (each pytest-xdist worker) gets its own fresh, migrated database.

With `DATABASE_URL` unset the databases live on the embedded server (`DATA_DIR`, default `.data`),
shared with any `make run` on the machine; with it set, they are created on that server. Tests
talk to the app through `AsyncTestClient`, and tables are emptied after each test.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.databases import drop_test_database, prepare_test_database

os.environ.setdefault("APP_ENV", "dev")
os.environ.setdefault("LOG_LEVEL", "WARNING")
TEST_DATABASE_URL = prepare_test_database()
os.environ["DATABASE_URL"] = TEST_DATABASE_URL

from litestar import Litestar  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from app.db import models as m  # noqa: E402
from app.db.models import metadata  # noqa: E402
from app.lib.database import get_alchemy_config  # noqa: E402
from app.server.asgi import create_app  # noqa: E402
from tests.support import accounts  # noqa: E402

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
async def client(app: Litestar, user: m.User) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client acting as `user` through an API token (so no CSRF token is needed)."""
    token = await accounts.create_api_token(user)
    async with AsyncTestClient(app=app) as test_client:
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


@pytest.fixture
async def anon_client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client with no credentials."""
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
async def _empty_tables() -> AsyncIterator[None]:
    yield
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    async with get_alchemy_config().get_session() as session:
        await session.execute(text(f"TRUNCATE {tables} CASCADE"))
        await session.commit()
    # The app runs on the test client's own event loop; asyncpg connections opened here must not be reused there.
    await get_alchemy_config().get_engine().dispose()


def pytest_sessionfinish(session: pytest.Session) -> None:
    drop_test_database(TEST_DATABASE_URL)
