"""Authors: create, read (by id and slug), change, delete, and their field rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.catalogue import (
    assert_author_shape,
    assert_problem,
    assert_utc_timestamp,
    create_author,
    create_book,
)


async def test_create_returns_201_with_location_and_every_field(client):
    response = await client.post("/api/authors", json={"name": "Ursula K. Le Guin"})

    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    author = response.json()
    assert_author_shape(author)
    assert author["name"] == "Ursula K. Le Guin"
    assert author["bio"] is None
    assert author["dob"] is None
    assert response.headers["location"] == f"/api/authors/{author['id']}"

    fetched = await client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == author


async def test_create_with_bio_and_dob(client):
    author = await create_author(client, "Octavia E. Butler", bio="Wrote Kindred.", dob="1947-06-22")

    assert author["bio"] == "Wrote Kindred."
    assert author["dob"] == "1947-06-22"
    assert (await client.get(f"/api/authors/{author['id']}")).json() == author


async def test_name_is_trimmed(client):
    author = await create_author(client, "   Iain M. Banks \t")

    assert author["name"] == "Iain M. Banks"
    assert author["slug"] == "iain-m-banks"


async def test_slug_is_made_from_the_name(client):
    author = await create_author(client, "Ursula K. Le Guin")

    assert author["slug"] == "ursula-k-le-guin"


async def test_a_slug_clash_gets_a_suffix(client):
    first = await create_author(client, "Jane Smith")
    second = await create_author(client, "Jane Smith")
    third = await create_author(client, "jane   SMITH!")

    assert first["slug"] == "jane-smith"
    assert second["slug"].startswith("jane-smith-")
    assert third["slug"].startswith("jane-smith-")
    assert len({first["slug"], second["slug"], third["slug"]}) == 3
    for author in (first, second, third):
        fetched = await client.get(f"/api/authors/by-slug/{author['slug']}")
        assert fetched.json()["id"] == author["id"]


async def test_name_without_ascii_letters_still_gets_a_usable_slug(client):
    author = await create_author(client, "Фёдор Достоевский")
    other = await create_author(client, "紫式部")

    assert author["name"] == "Фёдор Достоевский"
    assert author["slug"] != other["slug"]
    fetched = await client.get(f"/api/authors/by-slug/{author['slug']}")
    assert fetched.status_code == 200
    assert fetched.json()["id"] == author["id"]


async def test_get_by_slug(client):
    author = await create_author(client, "N. K. Jemisin")

    response = await client.get(f"/api/authors/by-slug/{author['slug']}")

    assert response.status_code == 200
    assert response.json() == author


async def test_get_by_unknown_slug_is_404(client):
    assert_problem(await client.get("/api/authors/by-slug/nobody-here"), 404)


async def test_get_unknown_id_is_404(client):
    assert_problem(await client.get("/api/authors/01900000-0000-7000-8000-000000000000"), 404)


async def test_patch_changes_only_the_given_fields(client):
    author = await create_author(client, "Terry Pratchett", bio="Discworld.", dob="1948-04-28")

    response = await client.patch(f"/api/authors/{author['id']}", json={"bio": "Wrote the Discworld novels."})

    assert response.status_code == 200
    changed = response.json()
    assert_author_shape(changed)
    assert changed["bio"] == "Wrote the Discworld novels."
    assert changed["name"] == author["name"]
    assert changed["dob"] == author["dob"]
    assert changed["slug"] == author["slug"]
    assert changed["createdAt"] == author["createdAt"]
    assert assert_utc_timestamp(changed["updatedAt"]) > assert_utc_timestamp(author["updatedAt"])
    assert (await client.get(f"/api/authors/{author['id']}")).json() == changed


async def test_patch_with_empty_body_changes_nothing(client):
    author = await create_author(client, "Terry Pratchett", bio="Discworld.")

    response = await client.patch(f"/api/authors/{author['id']}", json={})

    assert response.status_code == 200
    unchanged = response.json()
    assert {k: v for k, v in unchanged.items() if k != "updatedAt"} == {
        k: v for k, v in author.items() if k != "updatedAt"
    }


async def test_patch_null_clears_bio_and_dob(client):
    author = await create_author(client, "Terry Pratchett", bio="Discworld.", dob="1948-04-28")

    response = await client.patch(f"/api/authors/{author['id']}", json={"bio": None, "dob": None})

    assert response.status_code == 200
    assert response.json()["bio"] is None
    assert response.json()["dob"] is None
    fetched = (await client.get(f"/api/authors/{author['id']}")).json()
    assert fetched["bio"] is None
    assert fetched["dob"] is None
    assert fetched["name"] == "Terry Pratchett"


async def test_patch_name_null_is_400(client):
    author = await create_author(client)

    assert_problem(await client.patch(f"/api/authors/{author['id']}", json={"name": None}), 400, "name")
    assert (await client.get(f"/api/authors/{author['id']}")).json() == author


async def test_rename_keeps_the_slug(client):
    author = await create_author(client, "Mary Westmacott")

    response = await client.patch(f"/api/authors/{author['id']}", json={"name": "Agatha Christie"})

    assert response.status_code == 200
    assert response.json()["name"] == "Agatha Christie"
    assert response.json()["slug"] == "mary-westmacott"
    assert (await client.get("/api/authors/by-slug/mary-westmacott")).json()["name"] == "Agatha Christie"
    assert_problem(await client.get("/api/authors/by-slug/agatha-christie"), 404)


async def test_patch_unknown_author_is_404(client):
    response = await client.patch("/api/authors/01900000-0000-7000-8000-000000000000", json={"bio": "x"})

    assert_problem(response, 404)


async def test_delete_returns_204_and_the_author_is_gone(client):
    author = await create_author(client)

    response = await client.delete(f"/api/authors/{author['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(f"/api/authors/{author['id']}"), 404)
    assert_problem(await client.delete(f"/api/authors/{author['id']}"), 404)


async def test_delete_author_with_books_is_409_until_the_books_are_gone(client):
    author = await create_author(client)
    book = await create_book(client, author["id"])

    assert_problem(await client.delete(f"/api/authors/{author['id']}"), 409)
    assert (await client.get(f"/api/authors/{author['id']}")).status_code == 200

    assert (await client.delete(f"/api/books/{book['id']}")).status_code == 204
    assert (await client.delete(f"/api/authors/{author['id']}")).status_code == 204


@pytest.mark.parametrize("name", ["x", "x" * 255, "  " + "y" * 255 + "  "])
async def test_name_length_within_limits(client, name):
    author = await create_author(client, name)

    assert author["name"] == name.strip()
    assert 1 <= len(author["slug"]) <= 100


@pytest.mark.parametrize("name", ["", "   ", "\t\n", "x" * 256])
async def test_name_out_of_limits_is_400(client, name):
    assert_problem(await client.post("/api/authors", json={"name": name}), 400, "name")


async def test_bio_limit(client):
    author = await create_author(client, bio="b" * 10_000)
    assert len(author["bio"]) == 10_000

    assert_problem(await client.post("/api/authors", json={"name": "A", "bio": "b" * 10_001}), 400, "bio")
    response = await client.patch(f"/api/authors/{author['id']}", json={"bio": "b" * 10_001})
    assert_problem(response, 400, "bio")


async def test_dob_in_the_future_is_400(client):
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()

    assert_problem(await client.post("/api/authors", json={"name": "A", "dob": tomorrow}), 400, "dob")


@pytest.mark.parametrize("dob", ["1947-13-01", "22/06/1947", "yesterday", 1947])
async def test_malformed_dob_is_400(client, dob):
    assert_problem(await client.post("/api/authors", json={"name": "A", "dob": dob}), 400, "dob")
