"""Tags: create, read, rename, delete, and how they count and leave books."""

from __future__ import annotations

import pytest

from tests.integration.catalogue import (
    assert_problem,
    assert_tag_shape,
    create_author,
    create_book,
    create_tag,
)

UNKNOWN_ID = "01900000-0000-7000-8000-000000000000"


async def test_create_returns_201_with_location_and_every_field(client):
    response = await client.post("/api/tags", json={"name": "  Science Fiction "})

    assert response.status_code == 201
    tag = response.json()
    assert_tag_shape(tag)
    assert tag["name"] == "Science Fiction"
    assert tag["slug"] == "science-fiction"
    assert tag["bookCount"] == 0
    assert response.headers["location"] == f"/api/tags/{tag['id']}"
    fetched = await client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == tag


@pytest.mark.parametrize("second", ["Science Fiction", "science fiction", "SCIENCE-FICTION", " Science   Fiction!"])
async def test_a_tag_with_the_same_slug_is_409(client, second):
    await create_tag(client, "Science Fiction")

    assert_problem(await client.post("/api/tags", json={"name": second}), 409)
    assert (await client.get("/api/tags")).json()["total"] == 1


@pytest.mark.parametrize("name", ["", "   ", "!!!", "x" * 256, None, 42])
async def test_bad_name_is_400(client, name):
    assert_problem(await client.post("/api/tags", json={"name": name}), 400, "name")


async def test_unknown_tag_is_404(client, admin_client):
    assert_problem(await client.get(f"/api/tags/{UNKNOWN_ID}"), 404)
    assert_problem(await admin_client.patch(f"/api/tags/{UNKNOWN_ID}", json={"name": "X"}), 404)
    assert_problem(await admin_client.delete(f"/api/tags/{UNKNOWN_ID}"), 404)


async def test_book_count(client):
    author = await create_author(client)
    tag = await create_tag(client, "Fantasy")
    await create_book(client, author["id"], title="One", tags=["Fantasy", "Magic"])
    await create_book(client, author["id"], title="Two", tags=["fantasy"])
    await create_book(client, author["id"], title="Three")

    fetched = (await client.get(f"/api/tags/{tag['id']}")).json()
    assert fetched["bookCount"] == 2
    counts = {t["slug"]: t["bookCount"] for t in (await client.get("/api/tags")).json()["items"]}
    assert counts == {"fantasy": 2, "magic": 1}


async def test_tag_created_by_a_book_keeps_the_first_name_given(client):
    author = await create_author(client)
    await create_book(client, author["id"], title="One", tags=["Hard SF"])
    book = await create_book(client, author["id"], title="Two", tags=["hard sf"])

    assert [t["name"] for t in book["tags"]] == ["Hard SF"]


async def test_rename_keeps_the_slug_and_shows_in_books(client, admin_client):
    author = await create_author(client)
    book = await create_book(client, author["id"], tags=["Sci Fi"])
    tag_id = book["tags"][0]["id"]

    response = await admin_client.patch(f"/api/tags/{tag_id}", json={"name": "Science Fiction"})

    assert response.status_code == 200
    renamed = response.json()
    assert_tag_shape(renamed)
    assert renamed == {"id": tag_id, "name": "Science Fiction", "slug": "sci-fi", "bookCount": 1}
    assert (await client.get(f"/api/books/{book['id']}")).json()["tags"] == [
        {"id": tag_id, "name": "Science Fiction", "slug": "sci-fi"}
    ]
    filtered = (await client.get("/api/books", params={"tag": "sci-fi"})).json()
    assert [b["id"] for b in filtered["items"]] == [book["id"]]


@pytest.mark.parametrize("name", ["", "!!!", "x" * 256])
async def test_rename_validates_the_name(client, admin_client, name):
    tag = await create_tag(client, "Fantasy")

    assert_problem(await admin_client.patch(f"/api/tags/{tag['id']}", json={"name": name}), 400, "name")
    assert (await client.get(f"/api/tags/{tag['id']}")).json() == tag


async def test_delete_tag_removes_it_from_its_books(client, admin_client):
    author = await create_author(client)
    first = await create_book(client, author["id"], title="One", tags=["Doomed", "Kept"])
    second = await create_book(client, author["id"], title="Two", tags=["Doomed"])
    doomed = next(t for t in first["tags"] if t["slug"] == "doomed")

    response = await admin_client.delete(f"/api/tags/{doomed['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(f"/api/tags/{doomed['id']}"), 404)
    assert [t["slug"] for t in (await client.get(f"/api/books/{first['id']}")).json()["tags"]] == ["kept"]
    assert (await client.get(f"/api/books/{second['id']}")).json()["tags"] == []
    assert (await client.get("/api/books", params={"tag": "doomed"})).json()["total"] == 0
    assert (await client.get("/api/books")).json()["total"] == 2

    again = await create_book(client, author["id"], title="Three", tags=["Doomed"])
    assert again["tags"][0]["id"] != doomed["id"]
