"""Mass assignment: fields the server owns, sent in a create or update body, are never applied.

Every body below carries, beside its ordinary fields, forged values for what only the server may
set: ids, creators, flags, timestamps, slugs (camelCase as the API spells them and snake_case as the
columns do). The API may ignore them or refuse the body with a 400; either way the stored row must
show none of them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from httpx import Response
from sqlalchemy import func, select

from app.db import models as m
from app.lib.crypt import password_context
from tests.integration.catalogue import assert_problem, create_author, create_book, create_tag, isbn13
from tests.support import db
from tests.support.accounts import TEST_PASSWORD, create_user
from tests.support.browser import SIGNUP_PASSWORD, new_email
from tests.support.csrf import csrf_headers

FORGED_ID = "01900000-0000-7000-8000-00000000f00d"
FORGED_TIME = "2001-01-01T00:00:00Z"


def forged(victim: m.User, **extra: Any) -> dict[str, Any]:
    """Server-owned fields set to values an attacker would like: someone else's id, old timestamps."""
    values = {
        "id": FORGED_ID,
        "createdBy": str(victim.id),
        "createdAt": FORGED_TIME,
        "updatedAt": FORGED_TIME,
        "slug": "forged-slug",
        **extra,
    }
    snake = {"created_by": values["createdBy"], "created_at": FORGED_TIME, "updated_at": FORGED_TIME}
    return {**values, **snake}


def applied_or_refused(response: Response, success: int) -> bool:
    """True when the request went through (the forged fields ignored), False when it was a 400."""
    if response.status_code == 400:
        assert_problem(response, 400)
        return False
    assert response.status_code == success, response.text
    return True


def assert_recent(value: datetime) -> None:
    assert datetime.now(UTC) - value < timedelta(minutes=5), value


async def row(model: Any, row_id: Any) -> Any:
    return await db.scalar(select(model).where(model.id == row_id))


async def count(model: Any, *where: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(model).where(*where)))


@pytest.fixture
async def victim() -> m.User:
    """Someone whose name an attacker would like to write records under."""
    return await create_user(name="Victim", is_superuser=True)


# Catalogue


async def test_creating_an_author_ignores_server_owned_fields(client, user, victim):
    response = await client.post("/api/authors", json={"name": "Mary Shelley", **forged(victim)})

    if applied_or_refused(response, 201):
        stored = await row(m.Author, response.json()["id"])
        assert str(stored.id) != FORGED_ID
        assert stored.created_by == user.id
        assert stored.slug == "mary-shelley"
        assert_recent(stored.created_at)
        assert_recent(stored.updated_at)
    assert await count(m.Author, m.Author.id == FORGED_ID) == 0
    assert await count(m.Author, m.Author.created_by == victim.id) == 0


async def test_updating_an_author_ignores_server_owned_fields(client, user, victim):
    author = await create_author(client, "Mary Shelley")
    before = await row(m.Author, author["id"])

    response = await client.patch(f"/api/authors/{author['id']}", json={"bio": "Wrote Frankenstein.", **forged(victim)})

    stored = await row(m.Author, author["id"])
    if applied_or_refused(response, 200):
        assert stored.bio == "Wrote Frankenstein."
    assert (stored.id, stored.created_by, stored.slug, stored.created_at) == (
        before.id,
        user.id,
        "mary-shelley",
        before.created_at,
    )
    assert stored.updated_at >= before.updated_at
    assert await count(m.Author, m.Author.id == FORGED_ID) == 0


async def test_creating_a_book_ignores_server_owned_fields(client, user, victim):
    author = await create_author(client, "Mary Shelley")
    elsewhere = await create_author(client, "Percy Shelley")
    body = {
        "title": "Frankenstein",
        "authorId": author["id"],
        **forged(victim),
        "author": {"id": elsewhere["id"]},
        "coverUrl": "https://evil.example/cover.png",
        "cover": {"path": "/etc/passwd"},
    }

    response = await client.post("/api/books", json=body)

    if applied_or_refused(response, 201):
        stored = await row(m.Book, response.json()["id"])
        assert str(stored.id) != FORGED_ID
        assert (stored.created_by, stored.author_id, stored.slug, stored.cover) == (
            user.id,
            UUID(author["id"]),
            "frankenstein",
            None,
        )
        assert_recent(stored.created_at)
        assert response.json()["coverUrl"] is None
    assert await count(m.Book, m.Book.created_by == victim.id) == 0


async def test_updating_a_book_ignores_server_owned_fields(client, user, victim):
    author = await create_author(client, "Mary Shelley")
    book = await create_book(client, author["id"], "Frankenstein", isbn=isbn13(1))
    before = await row(m.Book, book["id"])

    response = await client.patch(
        f"/api/books/{book['id']}",
        json={"publishedYear": 1818, **forged(victim), "coverUrl": "https://evil.example/c.png"},
    )

    stored = await row(m.Book, book["id"])
    if applied_or_refused(response, 200):
        assert stored.published_year == 1818
    assert (stored.id, stored.created_by, stored.slug, stored.created_at, stored.cover) == (
        before.id,
        user.id,
        "frankenstein",
        before.created_at,
        None,
    )


async def test_creating_a_tag_ignores_server_owned_fields(client, victim):
    response = await client.post("/api/tags", json={"name": "Gothic", **forged(victim), "bookCount": 1000})

    if applied_or_refused(response, 201):
        assert response.json()["bookCount"] == 0
        stored = await row(m.Tag, response.json()["id"])
        assert (str(stored.id) != FORGED_ID, stored.slug) == (True, "gothic")
    assert await count(m.Tag, m.Tag.id == FORGED_ID) == 0


async def test_renaming_a_tag_ignores_server_owned_fields(client, admin_client, victim):
    tag = await create_tag(client, "Gothic")

    response = await admin_client.patch(f"/api/tags/{tag['id']}", json={"name": "Gothic Fiction", **forged(victim)})

    stored = await row(m.Tag, tag["id"])
    if applied_or_refused(response, 200):
        assert stored.name == "Gothic Fiction"
    assert stored.slug == "gothic"


# Accounts


async def test_sign_up_never_takes_flags_ids_or_a_password_hash_from_the_body(anon_client, victim):
    email = new_email()
    body = {
        "email": email,
        "password": SIGNUP_PASSWORD,
        "name": "Sneaky",
        **forged(victim),
        "isSuperuser": True,
        "isVerified": True,
        "isActive": True,
        "is_superuser": True,
        "is_verified": True,
        "hashedPassword": "$argon2id$forged",
        "hashed_password": "$argon2id$forged",
    }

    response = await anon_client.post("/api/auth/signup", json=body, headers=await csrf_headers(anon_client))

    if applied_or_refused(response, 201):
        assert (response.json()["isSuperuser"], response.json()["isVerified"]) == (False, False)
        stored = await db.scalar(select(m.User).where(m.User.email == email))
        assert str(stored.id) != FORGED_ID
        assert (stored.is_superuser, stored.is_verified, stored.is_active) == (False, False, True)
        assert password_context().verify(SIGNUP_PASSWORD, stored.hashed_password)
        assert_recent(stored.created_at)
    assert await count(m.User, m.User.is_superuser.is_(True)) == 1, "only the victim"
    assert await count(m.User, m.User.id == FORGED_ID) == 0


async def test_patch_me_changes_nothing_but_the_name(client, user, victim):
    body = {
        "name": "Grace Hopper",
        "email": "evil@example.com",
        "isSuperuser": True,
        "isActive": False,
        "isVerified": False,
        "hashedPassword": "$argon2id$forged",
        **forged(victim),
    }

    response = await client.patch("/api/me", json=body)

    stored = await row(m.User, user.id)
    if applied_or_refused(response, 200):
        assert stored.name == "Grace Hopper"
    assert (stored.email, stored.is_superuser, stored.is_active, stored.is_verified) == (user.email, False, True, True)
    assert stored.created_at == user.created_at
    assert password_context().verify(TEST_PASSWORD, stored.hashed_password)
    me = (await client.get("/api/me")).json()
    assert (me["id"], me["email"], me["isSuperuser"]) == (str(user.id), user.email, False)


async def test_an_admin_update_changes_only_name_and_flags(admin_client, victim):
    target = await create_user(name="Target", is_verified=False)
    body = {
        "name": "Renamed",
        "email": "taken@example.com",
        "isVerified": True,
        "hashedPassword": "x",
        **forged(victim),
    }

    response = await admin_client.patch(f"/api/users/{target.id}", json=body)

    stored = await row(m.User, target.id)
    if applied_or_refused(response, 200):
        assert stored.name == "Renamed"
    assert (stored.email, stored.is_verified, stored.created_at) == (target.email, False, target.created_at)
    assert password_context().verify(TEST_PASSWORD, stored.hashed_password)


async def test_a_new_token_belongs_to_its_creator_whatever_the_body_says(client, user, victim):
    body = {
        "name": "script",
        "userId": str(victim.id),
        "user_id": str(victim.id),
        "tokenHash": "0" * 64,
        **forged(victim),
    }

    response = await client.post("/api/me/tokens", json=body)

    if applied_or_refused(response, 201):
        stored = await row(m.ApiToken, response.json()["id"])
        assert stored.user_id == user.id
        assert stored.token_hash != "0" * 64
        assert str(stored.id) != FORGED_ID
    assert await count(m.ApiToken, m.ApiToken.user_id == victim.id) == 0


async def test_an_import_belongs_to_its_uploader_whatever_the_form_says(client, user, victim):
    form = {"createdBy": str(victim.id), "created_by": str(victim.id), "status": "succeeded", "id": FORGED_ID}
    files = {"file": ("books.csv", b"title,author\nFrankenstein,Mary Shelley\n", "text/csv")}

    response = await client.post("/api/imports", data=form, files=files)

    if applied_or_refused(response, 202):
        stored = await row(m.BookImport, response.json()["id"])
        assert (stored.created_by, stored.status) == (user.id, "queued")
        assert str(stored.id) != FORGED_ID
    assert await count(m.BookImport, m.BookImport.created_by == victim.id) == 0
