"""`/api/users`: superusers list, search, read, change and delete users; nobody else may."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.db import models as m
from tests.integration.catalogue import PAGE_FIELDS, assert_problem
from tests.support import db
from tests.support.accounts import TEST_PASSWORD, create_api_token, create_user
from tests.support.browser import log_in, signed_in

USER_FIELDS = {"id", "email", "name", "isActive", "isSuperuser", "isVerified", "createdAt", "updatedAt"}
UNKNOWN_ID = "01900000-0000-7000-8000-000000000000"


async def test_superusers_list_users(admin_client, superuser):
    for name in ("Ada Lovelace", "Alan Turing"):
        await create_user(name=name)

    response = await admin_client.get("/api/users")

    assert response.status_code == 200
    page = response.json()
    assert set(page) == PAGE_FIELDS
    assert (page["total"], page["limit"], page["offset"]) == (3, 20, 0)
    assert {user["name"] for user in page["items"]} == {"Ada Lovelace", "Alan Turing", superuser.name}
    for user in page["items"]:
        assert set(user) == USER_FIELDS, user
    assert "argon2" not in response.text
    assert "password" not in response.text.lower()


async def test_the_user_list_pages(admin_client):
    for i in range(4):
        await create_user(name=f"Reader {i}")

    page = (await admin_client.get("/api/users", params={"pageSize": 2, "currentPage": 2})).json()

    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (5, 2, 2, 2)
    assert_problem(await admin_client.get("/api/users", params={"pageSize": 101}), 400, "pageSize")


async def test_search_covers_email_and_name_case_insensitively(admin_client):
    await create_user(name="Grace Hopper", email="cobol@navy.example")
    await create_user(name="Someone Else", email="grace.notes@example.com")
    await create_user(name="Unrelated", email="x@example.com")

    by_both = (await admin_client.get("/api/users", params={"searchString": "GRACE"})).json()
    by_email = (await admin_client.get("/api/users", params={"searchString": "navy.EXAMPLE"})).json()

    assert {user["name"] for user in by_both["items"]} == {"Grace Hopper", "Someone Else"}
    assert by_both["total"] == 2
    assert [user["email"] for user in by_email["items"]] == ["cobol@navy.example"]


async def test_get_a_user(admin_client):
    target = await create_user(name="Target")

    response = await admin_client.get(f"/api/users/{target.id}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == USER_FIELDS
    assert (body["id"], body["email"], body["name"]) == (str(target.id), target.email, "Target")
    assert_problem(await admin_client.get(f"/api/users/{UNKNOWN_ID}"), 404)
    assert_problem(await admin_client.get("/api/users/not-a-uuid"), 400, "userId")


async def test_patch_renames_promotes_and_demotes(admin_client, new_client):
    target = await create_user(name="Target")
    target_client = new_client(await create_api_token(target))

    renamed = await admin_client.patch(f"/api/users/{target.id}", json={"name": "  Renamed  "})
    promoted = await admin_client.patch(f"/api/users/{target.id}", json={"isSuperuser": True})

    assert renamed.status_code == promoted.status_code == 200
    assert renamed.json()["name"] == "Renamed"
    assert (promoted.json()["name"], promoted.json()["isSuperuser"]) == ("Renamed", True)
    assert (await target_client.get("/api/users")).status_code == 200, "a promoted user is a superuser at once"

    demoted = await admin_client.patch(f"/api/users/{target.id}", json={"isSuperuser": False})
    assert demoted.json()["isSuperuser"] is False
    assert_problem(await target_client.get("/api/users"), 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": ""}, "name"), ({"isActive": "no"}, "isActive"), ({"isSuperuser": [True]}, "isSuperuser")],
)
async def test_patch_validates(admin_client, body, field):
    target = await create_user(name="Target")

    assert_problem(await admin_client.patch(f"/api/users/{target.id}", json=body), 400, field)

    assert (await admin_client.get(f"/api/users/{target.id}")).json()["name"] == "Target"


async def test_patch_an_unknown_user_is_404(admin_client):
    assert_problem(await admin_client.patch(f"/api/users/{UNKNOWN_ID}", json={"name": "X"}), 404)


async def test_deactivating_revokes_sessions_and_tokens_at_once(admin_client, new_client):
    target = await create_user()
    browser = new_client()
    await signed_in(browser, target.email)
    script = new_client(await create_api_token(target))
    assert (await browser.get("/api/me")).status_code == (await script.get("/api/me")).status_code == 200

    response = await admin_client.patch(f"/api/users/{target.id}", json={"isActive": False})

    assert response.status_code == 200
    assert response.json()["isActive"] is False
    assert_problem(await browser.get("/api/me"), 401)
    assert_problem(await script.get("/api/me"), 401)
    assert_problem(await browser.post("/api/authors", json={"name": "Too late"}), 401)
    for model in (m.UserSession, m.ApiToken):
        count = await db.scalar(select(func.count()).select_from(model).where(model.user_id == target.id))
        assert count == 0, model
    assert_problem(await log_in(new_client(), target.email, TEST_PASSWORD), 401)


async def test_a_reactivated_user_signs_in_again(admin_client, new_client):
    target = await create_user(is_active=False)

    response = await admin_client.patch(f"/api/users/{target.id}", json={"isActive": True})

    assert response.json()["isActive"] is True
    assert (await log_in(new_client(), target.email, TEST_PASSWORD)).status_code == 200


async def test_delete_a_user(admin_client, new_client):
    target = await create_user()
    script = new_client(await create_api_token(target))
    await script.post("/api/authors", json={"name": "Left Behind"})

    response = await admin_client.delete(f"/api/users/{target.id}")

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await admin_client.get(f"/api/users/{target.id}"), 404)
    assert_problem(await script.get("/api/me"), 401)
    assert_problem(await admin_client.delete(f"/api/users/{target.id}"), 404)
    authors = (await admin_client.get("/api/authors")).json()
    assert [author["name"] for author in authors["items"]] == ["Left Behind"], "their records outlive them"


async def test_an_ordinary_user_cannot_promote_themselves(client, user):
    assert_problem(await client.patch(f"/api/users/{user.id}", json={"isSuperuser": True}), 403)

    assert (await client.get("/api/me")).json()["isSuperuser"] is False
