"""`app users create|promote|deactivate`, run as the real CLI against the test database, checked over HTTP."""

from __future__ import annotations

import subprocess
import uuid
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from app.db import models as m
from app.lib.database import get_alchemy_config
from tests.conftest import TEST_DATABASE_URL
from tests.support.csrf import csrf_headers
from tests.support.processes import APP_COMMAND, PROJECT_ROOT, app_env

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

pytestmark = pytest.mark.slow
PASSWORD = "quiet harbour lantern 42"


def app_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m app ...` on the test database, `stdin` piped in (no terminal, no other way in)."""
    return subprocess.run(
        [*APP_COMMAND, *args],
        cwd=PROJECT_ROOT,
        env=app_env(DATABASE_URL=TEST_DATABASE_URL, LOG_LEVEL="WARNING"),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        start_new_session=True,  # no controlling terminal: nothing can be read from anywhere but stdin
    )


def create(email: str, password: str = PASSWORD, confirmation: str | None = None, *extra: str) -> str:
    result = app_cli(
        "users",
        "create",
        "--email",
        email,
        "--name",
        "Cli Person",
        *extra,
        stdin=f"{password}\n{password if confirmation is None else confirmation}\n",
    )
    output = result.stdout + result.stderr
    assert password not in output, "the password must never be echoed"
    assert result.returncode == 0, output
    return output


async def _user_row(email: str) -> m.User | None:
    async with get_alchemy_config().get_session() as session:
        return await session.scalar(select(m.User).where(m.User.email == email))


async def _count_credentials(user_id: uuid.UUID) -> tuple[int, int]:
    async with get_alchemy_config().get_session() as session:
        sessions = await session.scalar(
            select(func.count()).select_from(m.UserSession).where(m.UserSession.user_id == user_id)
        )
        tokens = await session.scalar(select(func.count()).select_from(m.ApiToken).where(m.ApiToken.user_id == user_id))
    return int(sessions or 0), int(tokens or 0)


def user_row(client: AsyncTestClient[Litestar], email: str) -> m.User | None:
    """Read on the app's own event loop: the connection pool's connections belong to it."""
    return client.blocking_portal.call(_user_row, email)


def count_credentials(client: AsyncTestClient[Litestar], user_id: uuid.UUID) -> tuple[int, int]:
    return client.blocking_portal.call(_count_credentials, user_id)


def new_email() -> str:
    return f"cli-{uuid.uuid4().hex[:10]}@example.com"


def test_the_password_is_not_an_option() -> None:
    result = app_cli("users", "create", "--help")
    assert result.returncode == 0, result.stderr
    assert "--email" in result.stdout
    assert "--password" not in result.stdout
    refused = app_cli("users", "create", "--email", new_email(), "--name", "X", "--password", PASSWORD)
    assert refused.returncode != 0
    assert "No such option" in refused.stderr


async def test_a_created_user_signs_in_over_http(anon_client: AsyncTestClient[Litestar]) -> None:
    email = new_email()
    output = create(email.upper())  # stored lower-cased
    assert email in output

    row = user_row(anon_client, email)
    assert row is not None
    assert row.is_active
    assert not row.is_superuser
    assert row.hashed_password.startswith("$argon2id$")
    assert PASSWORD not in row.hashed_password

    login = await anon_client.post(
        "/api/auth/login", json={"email": email, "password": PASSWORD}, headers=await csrf_headers(anon_client)
    )
    assert login.status_code == 200, login.text
    assert login.json()["email"] == email
    assert login.json()["isSuperuser"] is False


async def test_a_superuser_can_be_created_and_a_user_promoted(anon_client: AsyncTestClient[Litestar]) -> None:
    admin, person = new_email(), new_email()
    create(admin, PASSWORD, None, "--superuser")
    create(person)
    assert user_row(anon_client, admin).is_superuser  # type: ignore[union-attr]
    assert not user_row(anon_client, person).is_superuser  # type: ignore[union-attr]

    promoted = app_cli("users", "promote", person)
    assert promoted.returncode == 0, promoted.stderr
    assert person in promoted.stdout

    login = await anon_client.post(
        "/api/auth/login", json={"email": person, "password": PASSWORD}, headers=await csrf_headers(anon_client)
    )
    assert login.status_code == 200, login.text
    assert login.json()["isSuperuser"] is True
    assert (await anon_client.get("/api/users")).status_code == 200, "a superuser may list users"


async def test_deactivating_revokes_sessions_and_tokens(anon_client: AsyncTestClient[Litestar]) -> None:
    email = new_email()
    create(email)
    headers = await csrf_headers(anon_client)
    login = await anon_client.post("/api/auth/login", json={"email": email, "password": PASSWORD}, headers=headers)
    assert login.status_code == 200, login.text
    made = await anon_client.post("/api/me/tokens", json={"name": "script"}, headers=headers)
    assert made.status_code == 201, made.text
    bearer = {"Authorization": f"Bearer {made.json()['token']}"}
    assert (await anon_client.get("/api/me", headers=bearer)).status_code == 200
    assert (await anon_client.get("/api/me")).status_code == 200

    deactivated = app_cli("users", "deactivate", email.upper())
    assert deactivated.returncode == 0, deactivated.stderr

    assert (await anon_client.get("/api/me")).status_code == 401, "the session no longer authenticates"
    assert (await anon_client.get("/api/me", headers=bearer)).status_code == 401, "the token no longer works"
    again = await anon_client.post("/api/auth/login", json={"email": email, "password": PASSWORD}, headers=headers)
    assert again.status_code == 401
    row = user_row(anon_client, email)
    assert row is not None
    assert row.is_active is False
    assert count_credentials(anon_client, row.id) == (0, 0)


@pytest.mark.parametrize(
    ("password", "confirmation", "message"),
    [
        ("short pw", None, "at least 12 characters"),
        ("password1234", None, "too common"),
        ("{local} and more words", None, "email"),
        (PASSWORD, "something else entirely", "do not match"),
    ],
)
async def test_a_refused_password_creates_nobody(
    anon_client: AsyncTestClient[Litestar], password: str, confirmation: str | None, message: str
) -> None:
    email = new_email()
    password = password.format(local=email.partition("@")[0])
    confirmation = password if confirmation is None else confirmation
    result = app_cli("users", "create", "--email", email, "--name", "X", stdin=f"{password}\n{confirmation}\n")
    assert result.returncode != 0, result.stdout + result.stderr
    assert message in result.stderr, result.stderr
    assert password not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert user_row(anon_client, email) is None


async def test_errors_are_messages_not_tracebacks() -> None:
    email = new_email()
    create(email)
    duplicate = app_cli("users", "create", "--email", email, "--name", "X", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert duplicate.returncode != 0
    assert "already exists" in duplicate.stderr, duplicate.stderr
    for command in ("promote", "deactivate"):
        missing = app_cli("users", command, new_email())
        assert missing.returncode != 0
        assert "No user with email" in missing.stderr, missing.stderr
        assert "Traceback" not in missing.stderr
    bad_email = app_cli("users", "create", "--email", "not-an-email", "--name", "X", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert bad_email.returncode != 0
    assert "valid email" in bad_email.stderr, bad_email.stderr
