"""Forgotten passwords: the 202 that tells nothing, the mailed single-use token, the reset that signs out everywhere."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from sqlalchemy import event, func, select, update

from app.db import models as m
from app.domain.accounts.jobs import send_password_reset_email
from app.lib.database import get_alchemy_config, plain_dsn
from tests.conftest import TEST_DATABASE_URL
from tests.integration.catalogue import assert_problem
from tests.support import db
from tests.support.accounts import TEST_PASSWORD, create_api_token, create_user
from tests.support.browser import SIGNUP_PASSWORD, log_in, new_email, sign_up, signed_in
from tests.support.csrf import csrf_headers
from tests.support.mail import clear_mail, deliver_mail, inbox, link_token, queued_jobs

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import Connection

NEW_PASSWORD = "the tide comes in twice"
RESET_JOB = "send_password_reset_email"


@pytest.fixture(autouse=True)
def _empty_mailbox() -> Iterator[None]:
    clear_mail()
    yield
    clear_mail()


async def forgot(client: Any, email: str) -> Any:
    return await client.post("/api/auth/forgot-password", json={"email": email}, headers=await csrf_headers(client))


async def reset(client: Any, token: str, password: str = NEW_PASSWORD) -> Any:
    return await client.post(
        "/api/auth/reset-password",
        json={"token": token, "password": password},
        headers=await csrf_headers(client),
    )


async def mailed_reset_token(client: Any, email: str) -> str:
    """Ask for a reset link for `email`, deliver the queued mail, and read the token from the link."""
    response = await forgot(client, email)
    assert response.status_code == 202, response.text
    assert await deliver_mail() == 1
    message = inbox(email)[-1]
    return link_token(message, "reset-password")


async def test_forgot_password_answers_the_same_whether_or_not_the_email_exists(anon_client, user):
    deactivated = await create_user(is_active=False)

    known = await forgot(anon_client, user.email)
    unknown = await forgot(anon_client, new_email("nobody"))
    inactive = await forgot(anon_client, deactivated.email)

    assert known.status_code == unknown.status_code == inactive.status_code == 202
    assert known.json() == unknown.json() == inactive.json()
    assert known.headers["content-type"] == unknown.headers["content-type"]
    assert known.json()["message"]


async def test_a_reset_email_is_queued_for_a_known_email_only(anon_client, user):
    await forgot(anon_client, new_email("nobody"))
    assert await queued_jobs(RESET_JOB) == []

    await forgot(anon_client, user.email.upper())

    [job] = await queued_jobs(RESET_JOB)
    assert job.kwargs == {"user_id": str(user.id)}, "the job carries the user, never a token"


async def test_the_reset_email_carries_a_link_to_the_app_with_the_token(anon_client, user):
    token = await mailed_reset_token(anon_client, user.email)

    [message] = inbox(user.email)
    assert "reset" in message["Subject"].lower()
    assert message["From"]
    assert len(token) >= 32
    stored = await db.scalars(select(m.AccountToken).where(m.AccountToken.user_id == user.id))
    assert [row.purpose for row in stored] == ["reset_password"]
    assert stored[0].token_hash == hashlib.sha256(token.encode()).hexdigest(), "only the token's hash is stored"


async def test_resetting_sets_the_new_password(anon_client, new_client, user):
    token = await mailed_reset_token(anon_client, user.email)

    response = await reset(anon_client, token)

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert (await log_in(new_client(), user.email, NEW_PASSWORD)).status_code == 200
    assert_problem(await log_in(new_client(), user.email, TEST_PASSWORD), 401)


async def test_a_reset_token_works_once(anon_client, new_client, user):
    token = await mailed_reset_token(anon_client, user.email)
    assert (await reset(anon_client, token)).status_code == 204

    again = await reset(new_client(), token, "yet another passphrase")

    assert_problem(again, 400, "token")
    assert (await log_in(new_client(), user.email, NEW_PASSWORD)).status_code == 200


async def test_resetting_revokes_every_session_and_api_token(anon_client, new_client, user):
    browser = new_client()
    await signed_in(browser, user.email)
    script = new_client(await create_api_token(user))
    assert (await browser.get("/api/me")).status_code == (await script.get("/api/me")).status_code == 200
    token = await mailed_reset_token(anon_client, user.email)

    assert (await reset(anon_client, token)).status_code == 204

    assert_problem(await browser.get("/api/me"), 401)
    assert_problem(await script.get("/api/me"), 401)
    assert await db.scalar(select(func.count()).select_from(m.UserSession)) == 0
    assert await db.scalar(select(func.count()).select_from(m.ApiToken)) == 0


async def test_an_expired_reset_token_is_400(anon_client, new_client, user):
    token = await mailed_reset_token(anon_client, user.email)
    await db.execute(
        update(m.AccountToken)
        .where(m.AccountToken.token_hash == hashlib.sha256(token.encode()).hexdigest())
        .values(expires_at=datetime.now(UTC))
    )

    assert_problem(await reset(anon_client, token), 400, "token")
    assert (await log_in(new_client(), user.email, TEST_PASSWORD)).status_code == 200


async def test_reset_tokens_expire_after_an_hour(user):
    await send_password_reset_email({}, user_id=str(user.id))  # type: ignore[typeddict-item]

    [row] = await db.scalars(select(m.AccountToken).where(m.AccountToken.user_id == user.id))
    lifetime = row.expires_at - row.created_at
    assert 3590 <= lifetime.total_seconds() <= 3600, lifetime


@pytest.mark.parametrize("token", ["", "nonsense", "x" * 2000])
async def test_an_invalid_reset_token_is_400(anon_client, token):
    assert_problem(await reset(anon_client, token), 400, "token")


async def test_a_weak_new_password_is_400_and_leaves_the_token_usable(anon_client, new_client, user):
    token = await mailed_reset_token(anon_client, user.email)

    assert_problem(await reset(anon_client, token, "short"), 400, "password")
    assert_problem(await reset(anon_client, token, "1qaz2wsx3edc"), 400, "password")

    assert (await reset(anon_client, token)).status_code == 204
    assert (await log_in(new_client(), user.email, NEW_PASSWORD)).status_code == 200


async def test_a_verification_token_cannot_reset_a_password(anon_client):
    response = await sign_up(anon_client)
    email = response.json()["email"]
    assert await deliver_mail() == 1
    verify_token = link_token(inbox(email)[-1], "verify-email")

    assert_problem(await reset(anon_client, verify_token), 400, "token")
    assert (await log_in(anon_client, email, SIGNUP_PASSWORD)).status_code == 200


async def test_each_request_mails_a_fresh_link(anon_client, new_client, user):
    first = await mailed_reset_token(anon_client, user.email)
    second = await mailed_reset_token(anon_client, user.email)

    assert first != second
    assert len(inbox(user.email)) == 2
    assert (await reset(anon_client, second)).status_code == 204
    assert (await log_in(new_client(), user.email, NEW_PASSWORD)).status_code == 200


# Jobs leave only after the commit


@contextmanager
def _commit_fails_after_insert_into(table: str) -> Iterator[list[int]]:
    """Kill (with `pg_terminate_backend`) the connection that inserted into `table`, as it commits."""
    engine = get_alchemy_config().get_engine().sync_engine
    inserted: set[int] = set()
    killed: list[int] = []

    def note_insert(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "):
            inserted.add(id(conn.connection.dbapi_connection))

    def kill(conn: Connection) -> None:
        if killed or id(conn.connection.dbapi_connection) not in inserted:
            return
        pid = conn.connection.driver_connection.get_server_pid()  # type: ignore[union-attr]
        with psycopg.connect(plain_dsn(TEST_DATABASE_URL), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        killed.append(pid)

    event.listen(engine, "before_cursor_execute", note_insert)
    event.listen(engine, "commit", kill)
    try:
        yield killed
    finally:
        event.remove(engine, "before_cursor_execute", note_insert)
        event.remove(engine, "commit", kill)


async def test_a_signup_whose_commit_fails_queues_no_email(anon_client):
    email = new_email()
    await csrf_headers(anon_client)

    with _commit_fails_after_insert_into("user_account") as killed:
        response = await sign_up(anon_client, email=email)

    assert killed, "the signup's commit was never reached"
    assert_problem(response, 503)
    assert await db.scalar(select(func.count()).select_from(m.User)) == 0
    assert await queued_jobs("send_verification_email") == []
    assert await deliver_mail() == 0
    assert inbox(email) == []
