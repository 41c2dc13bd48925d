"""Books: create, read (by id and slug), change, delete; ISBNs, years, tags and slugs."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select, text

from app.db import models as m
from app.lib import services
from tests.integration.catalogue import (
    assert_book_shape,
    assert_problem,
    assert_utc_timestamp,
    create_author,
    create_book,
    create_tag,
    isbn13,
    next_year,
)
from tests.support import db

UNKNOWN_ID = "01900000-0000-7000-8000-000000000000"


@pytest.fixture
async def author(client):
    return await create_author(client, "Ursula K. Le Guin")


def tag_names(book: dict[str, Any]) -> list[str]:
    return sorted(tag["name"] for tag in book["tags"])


async def test_create_minimal_book_has_every_field_null_or_empty(client, author):
    response = await client.post("/api/books", json={"title": "The Dispossessed", "authorId": author["id"]})

    assert response.status_code == 201
    book = response.json()
    assert_book_shape(book)
    assert book["title"] == "The Dispossessed"
    assert book["slug"] == "the-dispossessed"
    assert book["isbn"] is None
    assert book["publishedYear"] is None
    assert book["description"] is None
    assert book["coverUrl"] is None
    assert book["tags"] == []
    assert book["author"] == {"id": author["id"], "name": author["name"], "slug": author["slug"]}
    assert response.headers["location"] == f"/api/books/{book['id']}"

    fetched = await client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == book


async def test_create_full_book(client, author):
    book = await create_book(
        client,
        author["id"],
        title="  The Left Hand of Darkness ",
        isbn="978-0-441-47812-5",
        publishedYear=1969,
        description="Genly Ai on Gethen.",
        tags=["Science Fiction", "Classics"],
    )

    assert_book_shape(book)
    assert book["title"] == "The Left Hand of Darkness"
    assert book["slug"] == "the-left-hand-of-darkness"
    assert book["isbn"] == "9780441478125"
    assert book["publishedYear"] == 1969
    assert book["description"] == "Genly Ai on Gethen."
    assert [(t["name"], t["slug"]) for t in sorted(book["tags"], key=lambda t: t["slug"])] == [
        ("Classics", "classics"),
        ("Science Fiction", "science-fiction"),
    ]
    fetched = (await client.get(f"/api/books/{book['id']}")).json()
    assert {k: v for k, v in fetched.items() if k != "tags"} == {k: v for k, v in book.items() if k != "tags"}
    assert sorted(fetched["tags"], key=lambda t: t["id"]) == sorted(book["tags"], key=lambda t: t["id"])


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("0-306-40615-2", "9780306406157"),
        ("0306406152", "9780306406157"),
        ("0 306 40615 2", "9780306406157"),
        ("0-8044-2957-X", "9780804429573"),
        ("0-8044-2957-x", "9780804429573"),
        ("978-0-306-40615-7", "9780306406157"),
        ("978 0 306 40615 7", "9780306406157"),
        ("979-10-343-0458-5", "9791034304585"),
    ],
)
async def test_isbn_is_stored_and_returned_as_13_digits(client, author, given, stored):
    book = await create_book(client, author["id"], isbn=given)

    assert book["isbn"] == stored
    assert (await client.get(f"/api/books/{book['id']}")).json()["isbn"] == stored


@pytest.mark.parametrize(
    "isbn",
    ["978-0-306-40615-8", "0-306-40615-3", "12345", "978030640615A", "X306406152", "", "9780306406157123", "abc"],
)
async def test_invalid_isbn_is_400(client, author, isbn):
    response = await client.post("/api/books", json={"title": "T", "authorId": author["id"], "isbn": isbn})

    assert_problem(response, 400, "isbn")


async def test_duplicate_isbn_is_409_whatever_its_form(client, author):
    await create_book(client, author["id"], title="One", isbn="978-0-306-40615-7")

    for form in ("9780306406157", "0-306-40615-2"):
        response = await client.post("/api/books", json={"title": "Two", "authorId": author["id"], "isbn": form})
        assert_problem(response, 409)
    listing = (await client.get("/api/books")).json()
    assert listing["total"] == 1


@pytest.mark.parametrize("year", [-3000, -500, 0, 1, 2001])
async def test_published_year_within_bounds(client, author, year):
    book = await create_book(client, author["id"], publishedYear=year)

    assert book["publishedYear"] == year


async def test_published_year_next_year_is_allowed(client, author):
    book = await create_book(client, author["id"], publishedYear=next_year())

    assert book["publishedYear"] == next_year()


@pytest.mark.parametrize("year", [-3001, -1_000_000, "next+1", 99_999])
async def test_published_year_out_of_bounds_is_400(client, author, year):
    value = next_year() + 1 if year == "next+1" else year

    response = await client.post("/api/books", json={"title": "T", "authorId": author["id"], "publishedYear": value})

    assert_problem(response, 400, "publishedYear")


async def test_unknown_author_is_400(client):
    response = await client.post("/api/books", json={"title": "T", "authorId": UNKNOWN_ID})

    assert_problem(response, 400, "authorId")
    assert (await client.get("/api/books")).json()["total"] == 0


async def test_missing_required_fields_are_400(client, author):
    assert_problem(await client.post("/api/books", json={"authorId": author["id"]}), 400, "title")
    assert_problem(await client.post("/api/books", json={"title": "T"}), 400, "authorId")


@pytest.mark.parametrize(("field", "limit"), [("title", 255), ("description", 10_000)])
async def test_text_limits(client, author, field, limit):
    ok = await create_book(client, author["id"], **{"title": "T", field: "z" * limit})
    assert len(ok[field]) == limit

    response = await client.post("/api/books", json={"title": "T", "authorId": author["id"], field: "z" * (limit + 1)})
    assert_problem(response, 400, field)


async def test_blank_title_is_400(client, author):
    assert_problem(await client.post("/api/books", json={"title": "  ", "authorId": author["id"]}), 400, "title")


async def test_title_slug_clash_gets_a_suffix(client, author):
    first = await create_book(client, author["id"], title="Dune")
    second = await create_book(client, author["id"], title="DUNE")

    assert first["slug"] == "dune"
    assert second["slug"].startswith("dune-")
    assert (await client.get(f"/api/books/by-slug/{second['slug']}")).json()["id"] == second["id"]


async def test_get_by_slug(client, author):
    book = await create_book(client, author["id"], title="The Lathe of Heaven", tags=["Dreams"])

    response = await client.get("/api/books/by-slug/the-lathe-of-heaven")

    assert response.status_code == 200
    assert response.json() == book


async def test_unknown_book_is_404(client):
    assert_problem(await client.get(f"/api/books/{UNKNOWN_ID}"), 404)
    assert_problem(await client.get("/api/books/by-slug/no-such-book"), 404)
    assert_problem(await client.patch(f"/api/books/{UNKNOWN_ID}", json={"title": "T"}), 404)
    assert_problem(await client.delete(f"/api/books/{UNKNOWN_ID}"), 404)


async def test_tags_are_matched_by_slug_and_created_when_new(client, author):
    first = await create_book(client, author["id"], title="One", tags=["Science Fiction"])
    second = await create_book(client, author["id"], title="Two", tags=["science   fiction", "New Wave"])

    scifi = first["tags"][0]
    assert scifi["slug"] == "science-fiction"
    assert scifi in second["tags"]
    assert tag_names(second) == ["New Wave", "Science Fiction"]
    tags = (await client.get("/api/tags")).json()
    assert tags["total"] == 2


async def test_a_new_books_tags_come_in_the_order_named(client, author):
    zebra = await create_tag(client, "Zebra")

    book = await create_book(client, author["id"], tags=["zebra", "Mango", "Apple", "MANGO"])

    # A known tag keeps its name; a slug named twice counts once, where it was first named.
    assert [t["name"] for t in book["tags"]] == ["Zebra", "Mango", "Apple"]
    assert book["tags"][0]["id"] == zebra["id"]
    assert tag_names((await client.get(f"/api/books/{book['id']}")).json()) == ["Apple", "Mango", "Zebra"]


async def test_a_refused_book_leaves_none_of_its_new_tags_behind(client, author):
    await create_book(client, author["id"], title="One", isbn=isbn13(3), tags=["Kept"])
    tags = ["Kept", "Brand New", "Another New"]

    duplicate = await client.post(
        "/api/books", json={"title": "Two", "authorId": author["id"], "isbn": isbn13(3), "tags": tags}
    )
    unknown = await client.post("/api/books", json={"title": "Three", "authorId": UNKNOWN_ID, "tags": tags})

    assert_problem(duplicate, 409)
    assert duplicate.json()["detail"] == f"A book with isbn {isbn13(3)} already exists."
    assert_problem(unknown, 400, "authorId")
    assert unknown.json()["detail"] == f"authorId: no author with id {UNKNOWN_ID}"
    assert [t["name"] for t in (await client.get("/api/tags")).json()["items"]] == ["Kept"]
    assert await db.scalar(select(func.count()).select_from(m.book_tag)) == 1
    assert (await client.get("/api/books")).json()["total"] == 1


async def test_a_new_book_stores_no_cover_as_json_null(client, author):
    book = await create_book(client, author["id"])

    cover_type = text("SELECT jsonb_typeof(cover) FROM book WHERE id = CAST(:id AS uuid)")
    stored = await db.scalar(cover_type.bindparams(id=book["id"]))

    assert stored == "null"
    assert book["coverUrl"] is None


async def test_a_title_with_nothing_to_make_a_slug_of_gets_the_fallback(client, author):
    first = await create_book(client, author["id"], title="東京物語")
    second = await create_book(client, author["id"], title="Волшебник")

    assert first["slug"] == "book"
    assert second["slug"].startswith("book-")
    assert len(second["slug"]) == len("book-") + 6


@pytest.mark.parametrize("resource", ["books", "authors"])
async def test_no_free_slug_after_a_few_tries_is_409(client, author, monkeypatch, resource):
    """Every suffixed slug taken as well (here the suffixes never change): books and authors say the same."""
    monkeypatch.setattr(services, "secrets", SimpleNamespace(token_hex=lambda _: "c0ffee"))
    body = {"title": "Dune", "authorId": author["id"]} if resource == "books" else {"name": "Dune"}
    slugs = [(await client.post(f"/api/{resource}", json=body)).json()["slug"] for _ in range(2)]

    response = await client.post(f"/api/{resource}", json=body)

    assert slugs == ["dune", "dune-c0ffee"]
    assert_problem(response, 409)
    assert response.json()["detail"] == "No free slug for 'Dune'; try again."


async def test_duplicate_tag_names_in_one_request_give_one_tag(client, author):
    book = await create_book(client, author["id"], tags=["Fantasy", "fantasy", " FANTASY "])

    assert len(book["tags"]) == 1
    assert (await client.get("/api/tags")).json()["total"] == 1


@pytest.mark.parametrize("tags", [[""], ["   "], ["!!!"], ["x" * 256], [f"t{i}" for i in range(51)], "fantasy"])
async def test_bad_tags_are_400(client, author, tags):
    response = await client.post("/api/books", json={"title": "T", "authorId": author["id"], "tags": tags})

    assert_problem(response, 400, "tags")
    assert (await client.get("/api/tags")).json()["total"] == 0


async def test_patch_changes_only_the_given_fields(client, author):
    book = await create_book(
        client, author["id"], title="Rocannon's World", isbn=isbn13(1), publishedYear=1966, tags=["Hainish"]
    )

    response = await client.patch(f"/api/books/{book['id']}", json={"description": "The first Hainish novel."})

    assert response.status_code == 200
    changed = response.json()
    assert_book_shape(changed)
    assert changed["description"] == "The first Hainish novel."
    for field in ("title", "slug", "isbn", "publishedYear", "author", "tags", "coverUrl", "createdAt"):
        assert changed[field] == book[field], field
    assert assert_utc_timestamp(changed["updatedAt"]) > assert_utc_timestamp(book["updatedAt"])
    assert (await client.get(f"/api/books/{book['id']}")).json() == changed


async def test_patch_tags_replaces_the_whole_set(client, author):
    book = await create_book(client, author["id"], tags=["Fantasy", "Magic", "Islands"])

    response = await client.patch(f"/api/books/{book['id']}", json={"tags": ["Magic", "Dragons"]})

    assert response.status_code == 200
    assert tag_names(response.json()) == ["Dragons", "Magic"]
    assert tag_names((await client.get(f"/api/books/{book['id']}")).json()) == ["Dragons", "Magic"]
    magic_before = next(t for t in book["tags"] if t["name"] == "Magic")
    assert magic_before in response.json()["tags"]

    cleared = await client.patch(f"/api/books/{book['id']}", json={"tags": []})
    assert cleared.json()["tags"] == []
    assert (await client.get(f"/api/books/{book['id']}")).json()["tags"] == []


async def test_patch_without_tags_keeps_them(client, author):
    book = await create_book(client, author["id"], tags=["Fantasy", "Magic"])

    response = await client.patch(f"/api/books/{book['id']}", json={"title": "Tehanu"})

    assert tag_names(response.json()) == ["Fantasy", "Magic"]


async def test_patch_null_clears_optional_fields(client, author):
    book = await create_book(client, author["id"], isbn=isbn13(2), publishedYear=1990, description="About.")

    response = await client.patch(
        f"/api/books/{book['id']}", json={"isbn": None, "publishedYear": None, "description": None}
    )

    assert response.status_code == 200
    fetched = (await client.get(f"/api/books/{book['id']}")).json()
    for field in ("isbn", "publishedYear", "description"):
        assert response.json()[field] is None
        assert fetched[field] is None
    assert fetched["title"] == book["title"]


@pytest.mark.parametrize("field", ["title", "authorId", "tags"])
async def test_patch_required_field_to_null_is_400(client, author, field):
    book = await create_book(client, author["id"], tags=["Kept"])

    assert_problem(await client.patch(f"/api/books/{book['id']}", json={field: None}), 400, field)
    assert (await client.get(f"/api/books/{book['id']}")).json() == book


async def test_patch_author(client, author):
    other = await create_author(client, "Gene Wolfe")
    book = await create_book(client, author["id"])

    response = await client.patch(f"/api/books/{book['id']}", json={"authorId": other["id"]})

    assert response.status_code == 200
    assert response.json()["author"] == {"id": other["id"], "name": "Gene Wolfe", "slug": "gene-wolfe"}
    assert (await client.get(f"/api/books/{book['id']}")).json()["author"]["id"] == other["id"]
    assert (await client.delete(f"/api/authors/{author['id']}")).status_code == 204


async def test_patch_unknown_author_is_400(client, author):
    book = await create_book(client, author["id"])

    assert_problem(await client.patch(f"/api/books/{book['id']}", json={"authorId": UNKNOWN_ID}), 400, "authorId")
    assert (await client.get(f"/api/books/{book['id']}")).json()["author"]["id"] == author["id"]


async def test_patch_isbn(client, author):
    taken = await create_book(client, author["id"], title="Taken", isbn=isbn13(3))
    book = await create_book(client, author["id"], title="Mine", isbn=isbn13(4))

    assert (await client.patch(f"/api/books/{book['id']}", json={"isbn": isbn13(4)})).status_code == 200
    assert_problem(await client.patch(f"/api/books/{book['id']}", json={"isbn": taken["isbn"]}), 409)
    assert_problem(await client.patch(f"/api/books/{book['id']}", json={"isbn": "978-0-306-40615-8"}), 400, "isbn")

    response = await client.patch(f"/api/books/{book['id']}", json={"isbn": "0-306-40615-2"})
    assert response.status_code == 200
    assert response.json()["isbn"] == "9780306406157"


async def test_patch_validates_limits(client, author):
    book = await create_book(client, author["id"])
    url = f"/api/books/{book['id']}"

    assert_problem(await client.patch(url, json={"title": "t" * 256}), 400, "title")
    assert_problem(await client.patch(url, json={"title": " "}), 400, "title")
    assert_problem(await client.patch(url, json={"description": "d" * 10_001}), 400, "description")
    assert_problem(await client.patch(url, json={"publishedYear": -3001}), 400, "publishedYear")
    assert_problem(await client.patch(url, json={"publishedYear": next_year() + 1}), 400, "publishedYear")
    assert (await client.get(url)).json() == book


async def test_rename_keeps_the_slug(client, author):
    book = await create_book(client, author["id"], title="The Word for World Is Forest")

    response = await client.patch(f"/api/books/{book['id']}", json={"title": "Little Green Men"})

    assert response.json()["title"] == "Little Green Men"
    assert response.json()["slug"] == "the-word-for-world-is-forest"
    assert (await client.get("/api/books/by-slug/the-word-for-world-is-forest")).json()["id"] == book["id"]


async def test_author_rename_shows_in_books(client, author):
    book = await create_book(client, author["id"])

    await client.patch(f"/api/authors/{author['id']}", json={"name": "U. K. Le Guin"})

    fetched = (await client.get(f"/api/books/{book['id']}")).json()
    assert fetched["author"] == {"id": author["id"], "name": "U. K. Le Guin", "slug": author["slug"]}


async def test_delete_book(client, author):
    book = await create_book(client, author["id"], tags=["Kept Tag"])

    response = await client.delete(f"/api/books/{book['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(f"/api/books/{book['id']}"), 404)
    assert_problem(await client.get(f"/api/books/by-slug/{book['slug']}"), 404)
    tags = (await client.get("/api/tags")).json()["items"]
    assert [(t["name"], t["bookCount"]) for t in tags] == [("Kept Tag", 0)]
