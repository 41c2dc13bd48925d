"""`/api/me`: the signed-in user, their name, their password and their browser sessions."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import pytest

from tests.integration.catalogue import assert_problem, assert_utc_timestamp
from tests.support.accounts import TEST_PASSWORD, create_user
from tests.support.browser import log_in, signed_in

NEW_PASSWORD = "a brand new passphrase"
SESSION_FIELDS = {"id", "createdAt", "expiresAt", "current"}
UNKNOWN_ID = "01900000-0000-7000-8000-000000000000"


async def test_me_is_the_caller_by_token_or_by_session(client, anon_client, user):
    by_token = await client.get("/api/me")
    await signed_in(anon_client, user.email)
    by_session = await anon_client.get("/api/me")

    assert by_token.status_code == by_session.status_code == 200
    assert by_token.json() == by_session.json()
    assert by_token.json()["id"] == str(user.id)
    assert by_token.json()["email"] == user.email
    assert "hashedPassword" not in by_token.json()


async def test_patch_me_renames(client, user):
    response = await client.patch("/api/me", json={"name": "  Grace Hopper "})

    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Grace Hopper"
    assert response.json()["id"] == str(user.id)
    assert (await client.get("/api/me")).json()["name"] == "Grace Hopper"


@pytest.mark.parametrize("name", ["", "   ", "x" * 256, None, 7])
async def test_patch_me_validates_the_name(client, user, name):
    assert_problem(await client.patch("/api/me", json={"name": name}), 400, "name")

    assert (await client.get("/api/me")).json()["name"] == user.name


# Changing the password


async def test_changing_the_password_revokes_the_other_sessions_but_keeps_this_one(anon_client, new_client, user):
    await signed_in(anon_client, user.email)
    other = new_client()
    await signed_in(other, user.email)

    response = await anon_client.post(
        "/api/me/password", json={"currentPassword": TEST_PASSWORD, "newPassword": NEW_PASSWORD}
    )

    assert response.status_code == 204, response.text
    assert (await anon_client.get("/api/me")).status_code == 200
    assert_problem(await other.get("/api/me"), 401)
    assert len((await anon_client.get("/api/me/sessions")).json()) == 1
    assert_problem(await log_in(new_client(), user.email, TEST_PASSWORD), 401)
    assert (await log_in(new_client(), user.email, NEW_PASSWORD)).status_code == 200


async def test_a_wrong_current_password_is_400_and_changes_nothing(anon_client, new_client, user):
    await signed_in(anon_client, user.email)
    other = new_client()
    await signed_in(other, user.email)

    response = await anon_client.post(
        "/api/me/password", json={"currentPassword": "not my passphrase at all", "newPassword": NEW_PASSWORD}
    )

    assert_problem(response, 400, "currentPassword")
    assert (await other.get("/api/me")).status_code == 200
    assert (await log_in(new_client(), user.email, TEST_PASSWORD)).status_code == 200


@pytest.mark.parametrize("new_password", ["too short", "1qaz2wsx3edc", "z" * 129])
async def test_a_new_password_against_the_policy_is_400(client, new_client, user, new_password):
    response = await client.post(
        "/api/me/password", json={"currentPassword": TEST_PASSWORD, "newPassword": new_password}
    )

    assert_problem(response, 400, "newPassword")
    assert (await log_in(new_client(), user.email, TEST_PASSWORD)).status_code == 200


async def test_a_new_password_may_not_contain_the_email_local_part(new_client):
    user = await create_user(email="ishmael.melville@example.com")
    browser = new_client()
    await signed_in(browser, user.email)

    response = await browser.post(
        "/api/me/password", json={"currentPassword": TEST_PASSWORD, "newPassword": "call me Ishmael.Melville"}
    )

    assert_problem(response, 400, "newPassword")


# Sessions


async def test_sessions_list_marks_the_current_one(anon_client, new_client, user):
    this_id = await signed_in(anon_client, user.email)
    other = new_client()
    other_id = await signed_in(other, user.email)
    someone_else = await create_user()
    await signed_in(new_client(), someone_else.email)

    response = await anon_client.get("/api/me/sessions")

    assert response.status_code == 200
    sessions = response.json()
    assert len(sessions) == 2
    for session in sessions:
        assert set(session) == SESSION_FIELDS, session
        UUID(session["id"])
        created = assert_utc_timestamp(session["createdAt"])
        assert datetime.fromisoformat(session["expiresAt"]) > created + timedelta(days=1)
    assert this_id not in response.text
    assert other_id not in response.text, "the list must not hand out the session cookies themselves"
    assert [session["current"] for session in sessions].count(True) == 1
    from_other = {s["id"]: s["current"] for s in (await other.get("/api/me/sessions")).json()}
    from_this = {s["id"]: s["current"] for s in sessions}
    assert from_other.keys() == from_this.keys()
    assert {key: not value for key, value in from_this.items()} == from_other


async def test_revoking_a_session_signs_it_out(anon_client, new_client, user):
    await signed_in(anon_client, user.email)
    other = new_client()
    await signed_in(other, user.email)
    [other_session] = [s for s in (await anon_client.get("/api/me/sessions")).json() if not s["current"]]

    response = await anon_client.delete(f"/api/me/sessions/{other_session['id']}")

    assert response.status_code == 204
    assert_problem(await other.get("/api/me"), 401)
    assert (await anon_client.get("/api/me")).status_code == 200
    assert [s["current"] for s in (await anon_client.get("/api/me/sessions")).json()] == [True]
    assert_problem(await anon_client.delete(f"/api/me/sessions/{other_session['id']}"), 404)


async def test_revoking_the_current_session_signs_it_out(anon_client, user):
    await signed_in(anon_client, user.email)
    [current] = (await anon_client.get("/api/me/sessions")).json()

    assert (await anon_client.delete(f"/api/me/sessions/{current['id']}")).status_code == 204

    assert_problem(await anon_client.get("/api/me"), 401)


async def test_a_session_of_someone_else_cannot_be_revoked(anon_client, new_client, user):
    await signed_in(anon_client, user.email)
    victim = await create_user()
    victim_client = new_client()
    await signed_in(victim_client, victim.email)
    [victim_session] = (await victim_client.get("/api/me/sessions")).json()

    assert_problem(await anon_client.delete(f"/api/me/sessions/{victim_session['id']}"), 404)

    assert (await victim_client.get("/api/me")).status_code == 200


async def test_revoking_an_unknown_or_malformed_session_id(anon_client, user):
    await signed_in(anon_client, user.email)

    assert_problem(await anon_client.delete(f"/api/me/sessions/{UNKNOWN_ID}"), 404)
    assert_problem(await anon_client.delete("/api/me/sessions/not-a-uuid"), 400)


async def test_a_browser_sees_the_sessions_none_of_them_current(client, anon_client, user):
    await signed_in(anon_client, user.email)

    sessions = (await client.get("/api/me/sessions")).json()

    assert [session["current"] for session in sessions] == [False]
    assert (await client.delete(f"/api/me/sessions/{sessions[0]['id']}")).status_code == 204
    assert_problem(await anon_client.get("/api/me"), 401)
