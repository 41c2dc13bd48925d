"""Who may write the catalogue: anyone reads, active users create, creators (or superusers) change and delete."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from app.db import models as m
from tests.integration.catalogue import assert_problem, create_author, create_book, create_tag
from tests.support import db
from tests.support.accounts import create_api_token, create_user

UNKNOWN_ID = "01900000-0000-7000-8000-000000000000"


@pytest.fixture
async def other_client(new_client: Any) -> Any:
    """User B: an ordinary user who created none of `client`'s (user A's) records."""
    return new_client(await create_api_token(await create_user(name="User B")))


async def a_book_of(client: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    author = await create_author(client, "Octavia E. Butler", bio="Wrote Kindred.")
    book = await create_book(client, author["id"], title="Kindred", publishedYear=1979, tags=["Time Travel"])
    return author, book


async def test_created_records_carry_their_creator(client, admin_client, user, superuser):
    author, book = await a_book_of(client)
    admins_author = await create_author(admin_client, "Admin's Author")

    assert await db.scalar(select(m.Author.created_by).where(m.Author.id == author["id"])) == user.id
    assert await db.scalar(select(m.Book.created_by).where(m.Book.id == book["id"])) == user.id
    assert await db.scalar(select(m.Author.created_by).where(m.Author.id == admins_author["id"])) == superuser.id
    # The responses name the creator, so that a client can offer edit controls only to who may use them.
    assert author["createdBy"] == book["createdBy"] == str(user.id)
    assert admins_author["createdBy"] == str(superuser.id)
    fetched = (await client.get(f"/api/books/{book['id']}")).json()
    assert fetched["createdBy"] == str(user.id)


async def test_anyone_may_read(client, anon_client):
    author, book = await a_book_of(client)

    for path in (
        "/api/authors",
        f"/api/authors/{author['id']}",
        f"/api/authors/by-slug/{author['slug']}",
        "/api/books",
        f"/api/books/{book['id']}",
        f"/api/books/by-slug/{book['slug']}",
        "/api/tags",
        f"/api/tags/{book['tags'][0]['id']}",
    ):
        assert (await anon_client.get(path)).status_code == 200, path


async def test_another_user_cannot_change_or_delete_an_author(client, other_client):
    author, _ = await a_book_of(client)
    lonely = await create_author(client, "No Books Yet")

    assert_problem(await other_client.patch(f"/api/authors/{author['id']}", json={"name": "Defaced"}), 403)
    assert_problem(await other_client.patch(f"/api/authors/{lonely['id']}", json={"bio": None}), 403)
    assert_problem(await other_client.delete(f"/api/authors/{lonely['id']}"), 403)

    assert (await client.get(f"/api/authors/{author['id']}")).json() == author
    assert (await client.get(f"/api/authors/{lonely['id']}")).json() == lonely


async def test_another_user_cannot_change_or_delete_a_book(client, other_client):
    _, book = await a_book_of(client)

    patched = await other_client.patch(f"/api/books/{book['id']}", json={"title": "Defaced", "tags": []})
    deleted = await other_client.delete(f"/api/books/{book['id']}")

    assert_problem(patched, 403)
    assert_problem(deleted, 403)
    assert (await client.get(f"/api/books/{book['id']}")).json() == book


async def test_the_creator_may_change_and_delete(client):
    author, book = await a_book_of(client)

    renamed = await client.patch(f"/api/books/{book['id']}", json={"title": "Kindred (2nd ed.)"})
    bio = await client.patch(f"/api/authors/{author['id']}", json={"bio": "American writer."})

    assert (renamed.status_code, bio.status_code) == (200, 200)
    assert (await client.delete(f"/api/books/{book['id']}")).status_code == 204
    assert (await client.delete(f"/api/authors/{author['id']}")).status_code == 204


async def test_a_superuser_may_change_and_delete_anyones_records(client, admin_client, user):
    author, book = await a_book_of(client)

    renamed = await admin_client.patch(f"/api/books/{book['id']}", json={"title": "Moderated"})
    bio = await admin_client.patch(f"/api/authors/{author['id']}", json={"bio": "Moderated."})

    assert renamed.status_code == 200
    assert renamed.json()["title"] == "Moderated"
    assert bio.json()["bio"] == "Moderated."
    assert await db.scalar(select(m.Book.created_by).where(m.Book.id == book["id"])) == user.id, "creator stays"
    assert (await admin_client.delete(f"/api/books/{book['id']}")).status_code == 204
    assert (await admin_client.delete(f"/api/authors/{author['id']}")).status_code == 204
    assert_problem(await client.get(f"/api/authors/{author['id']}"), 404)


async def test_ownership_is_checked_after_existence(other_client):
    assert_problem(await other_client.patch(f"/api/books/{UNKNOWN_ID}", json={"title": "X"}), 404)
    assert_problem(await other_client.delete(f"/api/authors/{UNKNOWN_ID}"), 404)


async def test_records_without_a_creator_are_for_superusers_only(client, admin_client):
    author = await create_author(client, "Imported Long Ago")
    await db.execute(update(m.Author).where(m.Author.id == author["id"]).values(created_by=None))

    assert_problem(await client.patch(f"/api/authors/{author['id']}", json={"bio": "mine now"}), 403)
    assert (await admin_client.patch(f"/api/authors/{author['id']}", json={"bio": "ok"})).status_code == 200


async def test_any_user_may_add_a_book_to_someone_elses_author(client, other_client):
    author, _ = await a_book_of(client)

    book = await create_book(other_client, author["id"], title="Parable of the Sower")

    assert book["author"]["id"] == author["id"]
    assert (await other_client.patch(f"/api/books/{book['id']}", json={"publishedYear": 1993})).status_code == 200
    assert_problem(await client.delete(f"/api/books/{book['id']}"), 403)


# Tags


async def test_tags_are_created_by_anyone_signed_in_but_renamed_and_deleted_by_superusers(client, admin_client):
    tag = await create_tag(client, "Afrofuturism")

    assert_problem(await client.patch(f"/api/tags/{tag['id']}", json={"name": "Renamed"}), 403)
    assert_problem(await client.delete(f"/api/tags/{tag['id']}"), 403)
    assert (await client.get(f"/api/tags/{tag['id']}")).json() == tag

    assert (await admin_client.patch(f"/api/tags/{tag['id']}", json={"name": "Renamed"})).status_code == 200
    assert (await admin_client.delete(f"/api/tags/{tag['id']}")).status_code == 204


# Deactivated callers (anonymous ones: test_authorization_matrix.py)


async def test_a_deactivated_user_cannot_write(client, user):
    author, _ = await a_book_of(client)

    await db.execute(update(m.User).where(m.User.id == user.id).values(is_active=False))

    assert_problem(await client.post("/api/authors", json={"name": "Ghost"}), 401)
    assert_problem(await client.patch(f"/api/authors/{author['id']}", json={"name": "Ghost"}), 401)
    assert (await db.scalar(select(m.Author.name).where(m.Author.id == author["id"]))) == author["name"]
