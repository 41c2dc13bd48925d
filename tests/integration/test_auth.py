"""Sign-up, login, logout, browser sessions and CSRF, as API.md's Authentication section says."""

from __future__ import annotations

import secrets
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, cast

import pytest
from sqlalchemy import func, select

from app.db import models as m
from app.lib.database import get_alchemy_config
from app.lib.driver import pooled_connection
from tests.integration.catalogue import assert_problem, assert_utc_timestamp, assert_uuid7
from tests.support import db
from tests.support.accounts import TEST_PASSWORD, create_user
from tests.support.browser import (
    SESSION_COOKIE,
    SIGNUP_PASSWORD,
    log_in,
    new_email,
    set_cookie_headers,
    sign_up,
    signed_in,
)
from tests.support.csrf import CSRF_COOKIE, CSRF_HEADER, csrf_headers
from tests.support.mail import queued_jobs
from tests.support.statements import count_statements

if TYPE_CHECKING:
    from sqlalchemy.pool import QueuePool

UNFLUSHED = "set_config('synchronous_commit', 'off', true)"

USER_FIELDS = {"id", "email", "name", "isActive", "isSuperuser", "isVerified", "createdAt", "updatedAt"}
TEST_HOST = "testserver.local"
"""The host `AsyncTestClient` talks to: a cookie planted for it is sent like one the server set."""


def cookie_attributes(header: str) -> dict[str, str]:
    """`Set-Cookie` attributes by lower-cased name (flags map to "")."""
    _, *attributes = (part.strip() for part in header.split(";"))
    pairs = (attribute.partition("=") for attribute in attributes if attribute)
    return {name.lower(): value for name, _, value in pairs}


def assert_user_shape(user: dict[str, Any]) -> None:
    assert set(user) == USER_FIELDS, user
    assert_uuid7(user["id"])
    assert_utc_timestamp(user["createdAt"])
    assert_utc_timestamp(user["updatedAt"])


async def session_row_ids() -> set[str]:
    return set(await db.scalars(select(m.UserSession.session_id)))


# Sign-up


async def test_signup_creates_the_account_and_starts_a_session(anon_client):
    email = new_email("Mixed.Case")

    response = await sign_up(anon_client, email=email.upper(), name="  Ada Reader ")

    assert response.status_code == 201, response.text
    user = response.json()
    assert_user_shape(user)
    assert user["email"] == email.lower()
    assert user["name"] == "Ada Reader"
    assert (user["isActive"], user["isSuperuser"], user["isVerified"]) == (True, False, False)
    assert SIGNUP_PASSWORD not in response.text
    assert "hash" not in response.text.lower()
    [cookie] = set_cookie_headers(response, SESSION_COOKIE)
    assert anon_client.cookies.get(SESSION_COOKIE) in await session_row_ids()
    me = await anon_client.get(response.headers["location"])
    assert me.status_code == 200
    assert me.json() == user
    stored = await db.scalar(select(m.User.hashed_password).where(m.User.id == user["id"]))
    assert stored.startswith("$argon2id$")
    assert SIGNUP_PASSWORD not in stored
    assert cookie_attributes(cookie).get("samesite", "").lower() == "lax"


@pytest.mark.parametrize("variant", [str.upper, str.title, lambda email: f"  {email} "])
async def test_signup_with_an_existing_email_in_any_case_is_409(anon_client, new_client, variant):
    email = new_email()
    assert (await sign_up(anon_client, email=email)).status_code == 201
    jobs_before = await queued_jobs("send_verification_email")

    second = await sign_up(new_client(), email=variant(email), password="another fine passphrase")

    assert_problem(second, 409)
    assert not set_cookie_headers(second, SESSION_COOKIE)
    assert await db.scalar(select(func.count()).select_from(m.User)) == 1
    assert await queued_jobs("send_verification_email") == jobs_before


@pytest.mark.parametrize(
    ("email", "password"),
    [
        (None, "eleven char"),  # 11 characters
        (None, "x" * 129),
        (None, "1qaz2wsx3edc"),  # a common password
        (None, "Password1234"),  # common, whatever the case
        ("margaret.hale@example.com", "I am Margaret.Hale of Milton"),  # contains the email's local part
    ],
)
async def test_signup_refuses_a_password_against_the_policy(anon_client, email, password):
    response = await sign_up(anon_client, email=email, password=password)

    problem = assert_problem(response, 400, "password")
    assert password not in response.text
    assert {error["source"] for error in problem["errors"]} == {"body"}
    assert not set_cookie_headers(response, SESSION_COOKIE)
    assert await db.scalar(select(func.count()).select_from(m.User)) == 0


@pytest.mark.parametrize("password", ["twelve chars", "y" * 128, "ünïcödé pässwörd ✓"])
async def test_signup_accepts_passwords_within_the_limits(anon_client, password):
    response = await sign_up(anon_client, password=password)

    assert response.status_code == 201, response.text
    assert (await log_in(anon_client, response.json()["email"], password)).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"), [("email", "not-an-email"), ("email", ""), ("name", "   "), ("email", 42), ("password", None)]
)
async def test_signup_validates_its_fields(anon_client, field, value):
    body: dict[str, Any] = {"email": new_email(), "password": SIGNUP_PASSWORD, "name": "Reader", field: value}

    response = await anon_client.post("/api/auth/signup", json=body, headers=await csrf_headers(anon_client))

    assert_problem(response, 400, field)


# Login


async def test_login_answers_the_user_and_a_new_session(anon_client, user):
    response = await log_in(anon_client, user.email.upper())

    assert response.status_code == 200, response.text
    body = response.json()
    assert_user_shape(body)
    assert (body["id"], body["email"]) == (str(user.id), user.email)
    assert TEST_PASSWORD not in response.text
    session_id = anon_client.cookies.get(SESSION_COOKIE)
    assert session_id in await session_row_ids()
    assert (await anon_client.get("/api/me")).json()["id"] == str(user.id)


async def test_only_a_sign_ins_own_session_row_skips_the_wal_flush(anon_client, new_client, user):
    """The sign-in's row commits without waiting for the disk; the setting does not outlive its statement,
    and a sign-up's session row stays in the durable transaction that creates the user."""
    with count_statements() as signing_in:
        assert (await log_in(anon_client, user.email)).status_code == 200
    with count_statements() as signing_up:
        assert (await sign_up(new_client(), new_email())).status_code == 201

    assert [statement.split()[2] for statement in signing_in if UNFLUSHED in statement] == ["user_session"], signing_in
    assert not any(UNFLUSHED in statement for statement in signing_up), signing_up
    assert await db.on_app_loop(idle_connections_synchronous_commit) == {"on"}


async def idle_connections_synchronous_commit() -> set[str]:
    """`synchronous_commit` as each connection idle in the app's pool has it (all checked out at once)."""
    pool = cast("QueuePool", get_alchemy_config().get_engine().sync_engine.pool)
    async with AsyncExitStack() as stack:
        connections = [await stack.enter_async_context(pooled_connection()) for _ in range(pool.checkedin())]
        return {await connection.fetchval("SELECT current_setting('synchronous_commit')") for connection in connections}


async def test_login_failures_are_one_generic_401(new_client):
    known = await create_user()
    deactivated = await create_user(is_active=False)

    answers = [
        await log_in(new_client(), new_email("nobody")),
        await log_in(new_client(), known.email, "not the right passphrase"),
        await log_in(new_client(), deactivated.email),
    ]

    problems = [assert_problem(answer, 401) for answer in answers]
    assert problems[0] == problems[1] == problems[2]
    for answer in answers:
        assert not set_cookie_headers(answer, SESSION_COOKIE)
        assert answer.headers["content-type"] == answers[0].headers["content-type"]
    assert await session_row_ids() == set()


async def test_login_validates_its_body(anon_client):
    response = await anon_client.post(
        "/api/auth/login", json={"email": "someone@example.com"}, headers=await csrf_headers(anon_client)
    )

    assert_problem(response, 400, "password")


async def test_a_session_id_planted_before_login_is_not_the_one_after_it(anon_client, new_client, user):
    headers = await csrf_headers(anon_client)
    planted = secrets.token_hex(32)
    anon_client.cookies.set(SESSION_COOKIE, planted, domain=TEST_HOST)

    response = await anon_client.post(
        "/api/auth/login", json={"email": user.email, "password": TEST_PASSWORD}, headers=headers
    )

    assert response.request.headers["cookie"].count(planted) == 1, "the planted id must reach the server"
    assert response.status_code == 200
    session_id = anon_client.cookies.get(SESSION_COOKIE)
    assert session_id
    assert session_id != planted
    assert await session_row_ids() == {session_id}
    attacker = new_client()
    attacker.cookies.set(SESSION_COOKIE, planted, domain=TEST_HOST)
    assert_problem(await attacker.get("/api/me"), 401)


async def test_an_attackers_own_session_planted_in_a_victims_browser_never_becomes_the_victims(new_client, user):
    attacker_user = await create_user(name="Attacker")
    attacker = new_client()
    attackers_id = await signed_in(attacker, attacker_user.email)
    victim = new_client()
    headers = await csrf_headers(victim)
    victim.cookies.set(SESSION_COOKIE, attackers_id, domain=TEST_HOST)

    response = await victim.post(
        "/api/auth/login", json={"email": user.email, "password": TEST_PASSWORD}, headers=headers
    )

    assert response.status_code == 200
    assert response.request.headers["cookie"].count(attackers_id) == 1
    assert victim.cookies.get(SESSION_COOKIE) != attackers_id
    assert (await victim.get("/api/me")).json()["id"] == str(user.id)
    attackers_view = await attacker.get("/api/me")
    if attackers_view.status_code == 200:
        assert attackers_view.json()["id"] == str(attacker_user.id)
    else:
        assert_problem(attackers_view, 401)


async def test_logging_in_again_replaces_the_session(anon_client, new_client, user):
    first = await signed_in(anon_client, user.email)

    second = await signed_in(anon_client, user.email)

    assert second != first
    assert await session_row_ids() == {second}
    replay = new_client()
    replay.cookies.set(SESSION_COOKIE, first, domain=TEST_HOST)
    assert_problem(await replay.get("/api/me"), 401)


# Logout


async def test_logout_deletes_the_server_side_session(anon_client, new_client, user):
    session_id = await signed_in(anon_client, user.email)

    response = await anon_client.post("/api/auth/logout")

    assert response.status_code == 204
    assert response.content == b""
    [cleared] = set_cookie_headers(response, SESSION_COOKIE)
    assert session_id not in cleared
    assert cookie_attributes(cleared).get("max-age") == "0", "the browser must drop the cookie"
    assert SESSION_COOKIE not in anon_client.cookies
    assert await session_row_ids() == set()
    assert_problem(await anon_client.get("/api/me"), 401)
    # The old cookie, replayed (as a thief who copied it would), no longer authenticates either.
    replay = new_client()
    replay.cookies.set(SESSION_COOKIE, session_id, domain=TEST_HOST)
    refused = await replay.get("/api/me")
    assert_problem(refused, 401)
    [deleted] = set_cookie_headers(refused, SESSION_COOKIE)
    assert cookie_attributes(deleted).get("max-age") == "0", "a cookie naming no session is deleted"


async def test_logout_without_the_csrf_token_is_403_and_keeps_the_session(anon_client, user):
    session_id = await signed_in(anon_client, user.email)

    assert_problem(await anon_client.post("/api/auth/logout", headers={CSRF_HEADER: "wrong"}), 403)

    assert await session_row_ids() == {session_id}
    assert (await anon_client.get("/api/me")).status_code == 200


async def test_logout_leaves_the_users_other_sessions(anon_client, new_client, user):
    await signed_in(anon_client, user.email)
    other = new_client()
    other_id = await signed_in(other, user.email)

    assert (await anon_client.post("/api/auth/logout")).status_code == 204

    assert await session_row_ids() == {other_id}
    assert (await other.get("/api/me")).status_code == 200


# CSRF


async def test_the_csrf_cookie_is_set_on_a_safe_request_when_absent(anon_client):
    first = await anon_client.get("/api/books")

    [cookie] = set_cookie_headers(first, CSRF_COOKIE)
    attributes = cookie_attributes(cookie)
    assert "httponly" not in attributes, "the SPA must be able to read the CSRF cookie"
    assert attributes.get("samesite", "").lower() == "lax"
    assert anon_client.cookies.get(CSRF_COOKIE)
    again = await anon_client.get("/api/authors")
    assert not set_cookie_headers(again, CSRF_COOKIE)


async def test_the_session_cookie_is_httponly_and_samesite_lax(anon_client, user):
    response = await log_in(anon_client, user.email)

    [cookie] = set_cookie_headers(response, SESSION_COOKIE)
    attributes = cookie_attributes(cookie)
    assert "httponly" in attributes
    assert attributes.get("samesite", "").lower() == "lax"
    assert attributes.get("path") == "/"
    assert "secure" not in attributes, "APP_ENV=dev serves plain HTTP; a Secure cookie would never come back"


COOKIE_AUTHENTICATED_WRITES = [
    ("POST", "/api/authors", {"name": "Forged"}),
    ("PATCH", "/api/me", {"name": "Forged"}),
    ("POST", "/api/me/tokens", {"name": "forged"}),
    ("POST", "/api/me/password", {"currentPassword": TEST_PASSWORD, "newPassword": "forged passphrase here"}),
    ("DELETE", "/api/authors/01900000-0000-7000-8000-000000000000", None),
]


@pytest.mark.parametrize(("method", "path", "body"), COOKIE_AUTHENTICATED_WRITES)
@pytest.mark.parametrize("token", ["missing", "garbage", "another client's"])
async def test_an_unsafe_cookie_request_without_the_right_csrf_token_is_403(
    anon_client, new_client, user, method, path, body, token
):
    assert (await log_in(anon_client, user.email)).status_code == 200
    headers = {
        "missing": {},
        "garbage": {CSRF_HEADER: "not-a-token"},
        "another client's": await csrf_headers(new_client()),
    }[token]
    me_before = (await anon_client.get("/api/me")).json()

    assert_problem(await anon_client.request(method, path, json=body, headers=headers), 403)

    assert (await anon_client.get("/api/me")).json() == me_before
    assert await db.scalar(select(func.count()).select_from(m.Author)) == 0
    assert await db.scalar(select(func.count()).select_from(m.ApiToken)) == 0
    if path == "/api/me/password":
        assert (await log_in(new_client(), user.email)).status_code == 200, "the password must be unchanged"


async def test_an_unsafe_cookie_request_with_the_right_csrf_token_goes_through(anon_client, user):
    assert (await log_in(anon_client, user.email)).status_code == 200
    headers = await csrf_headers(anon_client)

    created = await anon_client.post("/api/authors", json={"name": "Genuine"}, headers=headers)
    renamed = await anon_client.patch(f"/api/authors/{created.json()['id']}", json={"bio": "x"}, headers=headers)
    deleted = await anon_client.delete(f"/api/authors/{created.json()['id']}", headers=headers)

    assert (created.status_code, renamed.status_code, deleted.status_code) == (201, 200, 204)


AUTH_ROUTES = [
    ("/api/auth/signup", {"email": "csrf@example.com", "password": SIGNUP_PASSWORD, "name": "X"}),
    ("/api/auth/login", {"email": "csrf@example.com", "password": SIGNUP_PASSWORD}),
    ("/api/auth/logout", None),
    ("/api/auth/forgot-password", {"email": "csrf@example.com"}),
    ("/api/auth/reset-password", {"token": "t", "password": SIGNUP_PASSWORD}),
    ("/api/auth/verify-email", {"token": "t"}),
]


@pytest.mark.parametrize(("path", "body"), AUTH_ROUTES)
async def test_unsafe_auth_requests_need_the_csrf_token_even_without_a_session(anon_client, path, body):
    await anon_client.get("/api/books")  # has the cookie, does not echo it
    assert anon_client.cookies.get(CSRF_COOKIE)

    assert_problem(await anon_client.post(path, json=body), 403)
    assert_problem(await anon_client.post(path, json=body, headers={CSRF_HEADER: "wrong"}), 403)

    assert await db.scalar(select(func.count()).select_from(m.User)) == 0


async def test_bearer_requests_need_no_csrf_token(client):
    assert CSRF_COOKIE not in client.cookies

    created = await client.post("/api/authors", json={"name": "Scripted"})
    renamed = await client.patch("/api/me", json={"name": "Script Owner"})
    token = await client.post("/api/me/tokens", json={"name": "another"})

    assert (created.status_code, renamed.status_code, token.status_code) == (201, 200, 201)


async def test_bearer_and_anonymous_responses_set_no_session_cookie(client, anon_client):
    for response in (
        await client.get("/api/me"),
        await client.post("/api/authors", json={"name": "Scripted"}),
        await anon_client.get("/api/books"),
    ):
        assert not set_cookie_headers(response, SESSION_COOKIE), response.headers
    assert await session_row_ids() == set()
