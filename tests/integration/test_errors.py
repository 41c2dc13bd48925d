"""Bad input of every kind gets its 4xx as problem details, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.catalogue import assert_problem, create_author, create_book, isbn13

UNKNOWN_ID = "01900000-0000-7000-8000-000000000000"
MIB = 1024 * 1024


@pytest.fixture
async def author(client):
    return await create_author(client, "Ursula K. Le Guin")


@pytest.fixture
async def book(client, author):
    return await create_book(client, author["id"], tags=["Fantasy"])


def raw_json(body: bytes | str) -> dict:
    return {"content": body, "headers": {"content-type": "application/json"}}


@pytest.mark.parametrize(
    "body",
    [b"{bad json", b'{"name": "x"', b'{"name": "x",}', b"{'name': 'x'}", b'{"name": "\xff\xfe"}', b"\x00", b"NaN"],
)
async def test_malformed_json_is_400(client, body):
    assert_problem(await client.post("/api/authors", **raw_json(body)), 400)


async def test_deeply_nested_json_is_400(client):
    body = "[" * 50_000 + "]" * 50_000

    assert_problem(await client.post("/api/authors", **raw_json(body)), 400)


async def test_missing_body_is_400(client):
    assert_problem(await client.post("/api/authors", headers={"content-type": "application/json"}), 400)


@pytest.mark.parametrize("body", ["[]", "null", '"Ursula"', "42", "true"])
async def test_body_that_is_not_an_object_is_400(client, body):
    assert_problem(await client.post("/api/authors", **raw_json(body)), 400)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/authors", {"name": 123}, "name"),
        ("/api/authors", {"name": ["a"]}, "name"),
        ("/api/authors", {"name": {"first": "a"}}, "name"),
        ("/api/authors", {"name": "A", "bio": 5}, "bio"),
        ("/api/authors", {"name": "A", "dob": True}, "dob"),
        ("/api/books", {"title": 1.5, "authorId": UNKNOWN_ID}, "title"),
        ("/api/books", {"title": "T", "authorId": 42}, "authorId"),
        ("/api/books", {"title": "T", "authorId": "not-a-uuid"}, "authorId"),
        ("/api/books", {"title": "T", "authorId": UNKNOWN_ID, "publishedYear": "nineteen"}, "publishedYear"),
        ("/api/books", {"title": "T", "authorId": UNKNOWN_ID, "publishedYear": 1999.5}, "publishedYear"),
        ("/api/books", {"title": "T", "authorId": UNKNOWN_ID, "publishedYear": True}, "publishedYear"),
        ("/api/books", {"title": "T", "authorId": UNKNOWN_ID, "isbn": 9780306406157}, "isbn"),
        ("/api/books", {"title": "T", "authorId": UNKNOWN_ID, "tags": "fantasy"}, "tags"),
        ("/api/books", {"title": "T", "authorId": UNKNOWN_ID, "tags": [1, 2]}, "tags"),
        ("/api/books", {"title": "T", "authorId": UNKNOWN_ID, "tags": {"a": 1}}, "tags"),
        ("/api/tags", {"name": False}, "name"),
    ],
)
async def test_wrong_types_are_400_and_name_the_field(client, path, body, field):
    problem = assert_problem(await client.post(path, json=body), 400, field)

    assert all(error["source"] == "body" for error in problem["errors"])


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("resource", ["authors", "books", "tags"])
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "01900000-0000-7000-8000-00000000000g", "%00", "..."])
async def test_invalid_uuid_in_path_is_400(client, admin_client, method, resource, bad_id):
    kwargs: dict[str, Any] = {"json": {}} if method == "PATCH" else {}
    # Renaming and deleting tags is for superusers: anyone else is turned away before the id is read.
    caller = admin_client if resource == "tags" and method != "GET" else client

    id_field = f"{resource.removesuffix('s')}Id"
    problem = assert_problem(await caller.request(method, f"/api/{resource}/{bad_id}", **kwargs), 400, id_field)

    assert {error["source"] for error in problem["errors"] if error["field"] == id_field} == {"path"}


@pytest.mark.parametrize("page_size", ["0", "1000", "101", "-1", "abc", "1.5", "", "99999999999999999999999"])
@pytest.mark.parametrize("resource", ["authors", "books", "tags"])
async def test_bad_page_size_is_400(client, resource, page_size):
    response = await client.get(f"/api/{resource}", params={"pageSize": page_size})

    problem = assert_problem(response, 400, "pageSize")
    assert problem["errors"][0]["source"] == "query"


@pytest.mark.parametrize("current_page", ["0", "-3", "x", "99999999999999999999999"])
async def test_bad_current_page_is_400(client, current_page):
    assert_problem(await client.get("/api/books", params={"currentPage": current_page}), 400, "currentPage")


@pytest.mark.parametrize(
    ("resource", "order_by"),
    [
        ("authors", "title"),
        ("authors", "bio"),
        ("books", "name"),
        ("books", "isbn"),
        ("tags", "createdAt"),
        ("tags", ""),
    ],
)
async def test_undocumented_order_by_is_400(client, resource, order_by):
    assert_problem(await client.get(f"/api/{resource}", params={"orderBy": order_by}), 400, "orderBy")


@pytest.mark.parametrize("sort_order", ["up", "ASCENDING", "1", ""])
async def test_bad_sort_order_is_400(client, sort_order):
    assert_problem(await client.get("/api/books", params={"sortOrder": sort_order}), 400, "sortOrder")


async def test_bad_author_id_filter_is_400(client):
    assert_problem(await client.get("/api/books", params={"authorId": "nope"}), 400, "authorId")


async def test_unknown_author_id_is_400(client):
    response = await client.post("/api/books", json={"title": "T", "authorId": UNKNOWN_ID})

    assert_problem(response, 400, "authorId")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/authors", {"name": "n" * 256}, "name"),
        ("/api/authors", {"name": "A", "bio": "b" * 10_001}, "bio"),
        ("/api/books", {"title": "t" * 256, "authorId": UNKNOWN_ID}, "title"),
        ("/api/books", {"title": "T", "authorId": UNKNOWN_ID, "description": "d" * 10_001}, "description"),
        ("/api/books", {"title": "T", "authorId": UNKNOWN_ID, "tags": ["t" * 256]}, "tags"),
        ("/api/books", {"title": "T", "authorId": UNKNOWN_ID, "isbn": "9" * 300}, "isbn"),
        ("/api/tags", {"name": "n" * 256}, "name"),
        ("/api/authors", {"name": "é" * 256}, "name"),
    ],
)
async def test_over_long_strings_are_400(client, path, body, field):
    assert_problem(await client.post(path, json=body), 400, field)


async def test_over_long_string_on_patch_is_400(client, author):
    response = await client.patch(f"/api/authors/{author['id']}", json={"name": "n" * 256})

    assert_problem(response, 400, "name")


async def test_bad_isbn_checksum_is_400(client, author):
    response = await client.post("/api/books", json={"title": "T", "authorId": author["id"], "isbn": "9780306406158"})

    assert_problem(response, 400, "isbn")


async def test_duplicate_isbn_is_409(client, author):
    await create_book(client, author["id"], title="First", isbn=isbn13(7))

    response = await client.post("/api/books", json={"title": "Second", "authorId": author["id"], "isbn": isbn13(7)})

    assert_problem(response, 409)


async def test_deleting_an_author_with_books_is_409(client, author, book):
    assert_problem(await client.delete(f"/api/authors/{author['id']}"), 409)


async def test_body_over_the_size_limit_is_413(client):
    body = json.dumps({"name": "A", "bio": "b" * MIB})

    assert_problem(await client.post("/api/authors", **raw_json(body)), 413)


async def test_body_just_under_the_size_limit_is_read(client):
    body = json.dumps({"name": "A", "bio": "b" * (MIB - 100)})

    assert_problem(await client.post("/api/authors", **raw_json(body)), 400, "bio")


async def test_oversized_patch_is_413(client, book):
    body = json.dumps({"description": "d" * (2 * MIB)})

    assert_problem(await client.patch(f"/api/books/{book['id']}", **raw_json(body)), 413)


@pytest.mark.parametrize(
    "path", ["/api/nothing", "/health/nothing", "/api/authors/a/b/c", "/api/books/by-slug/x/y", "/api/tags/by-slug/x"]
)
async def test_unknown_route_is_404(client, path):
    assert_problem(await client.get(path), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/authors"),
        ("DELETE", "/api/books"),
        ("PATCH", "/api/tags"),
        ("POST", f"/api/authors/{UNKNOWN_ID}"),
        ("PUT", f"/api/books/{UNKNOWN_ID}"),
        ("POST", "/api/books/by-slug/dune"),
    ],
)
async def test_wrong_method_is_405(client, method, path):
    response = await client.request(method, path, json={})

    assert_problem(response, 405)
    assert response.headers.get("allow")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/authors", {"name": "Ursula\x00"}, "name"),
        ("/api/authors", {"name": "A", "bio": "bio\x00"}, "bio"),
        ("/api/books", {"title": "\x00", "authorId": UNKNOWN_ID}, "title"),
        ("/api/books", {"title": "T", "authorId": UNKNOWN_ID, "description": "a\x00b"}, "description"),
        ("/api/books", {"title": "T", "authorId": UNKNOWN_ID, "tags": ["x\x00y"]}, "tags"),
        ("/api/books", {"title": "T", "authorId": UNKNOWN_ID, "isbn": "978030640615\x007"}, "isbn"),
        ("/api/tags", {"name": "fan\x00tasy"}, "name"),
    ],
)
async def test_nul_bytes_in_body_strings_are_400(client, path, body, field):
    assert_problem(await client.post(path, json=body), 400, field)


async def test_nul_bytes_in_patch_are_400(client, book):
    response = await client.patch(f"/api/books/{book['id']}", json={"title": "A\x00"})

    assert_problem(response, 400, "title")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/authors", {"searchString": "a\x00b"}),
        ("/api/books", {"searchString": "\x00"}),
        ("/api/tags", {"searchString": "\x00"}),
        ("/api/books", {"tag": "fan\x00tasy"}),
    ],
)
async def test_nul_bytes_in_query_strings_are_400(client, book, path, params):
    assert_problem(await client.get(path, params=params), 400)


@pytest.mark.parametrize("resource", ["authors", "books"])
async def test_nul_byte_in_slug_is_4xx(client, resource):
    response = await client.get(f"/api/{resource}/by-slug/a%00b")

    assert response.status_code in {400, 404}
    assert_problem(response, response.status_code)


@pytest.mark.parametrize("year", [10**30, -(10**30), 2**63, 2**31, -(2**31) - 1, 1e308, -1e308])
async def test_huge_numbers_are_400(client, author, year):
    response = await client.post("/api/books", json={"title": "T", "authorId": author["id"], "publishedYear": year})

    assert_problem(response, 400, "publishedYear")


async def test_huge_number_on_patch_is_400(client, book):
    response = await client.patch(f"/api/books/{book['id']}", json={"publishedYear": 10**40})

    assert_problem(response, 400, "publishedYear")


async def test_unknown_fields_are_ignored(client, author):
    response = await client.post(
        "/api/books",
        json={
            "title": "Tehanu",
            "authorId": author["id"],
            "id": UNKNOWN_ID,
            "slug": "chosen-by-client",
            "createdAt": "2000-01-01T00:00:00Z",
            "coverUrl": "https://evil.example/x.png",
            "author": {"id": UNKNOWN_ID},
            "createdBy": UNKNOWN_ID,
            "somethingElse": [1, 2, 3],
        },
    )

    assert response.status_code == 201, response.text
    book = response.json()
    assert book["id"] != UNKNOWN_ID
    assert book["slug"] == "tehanu"
    assert not book["createdAt"].startswith("2000")
    assert book["coverUrl"] is None
    assert book["author"]["id"] == author["id"]

    patched = await client.patch(f"/api/books/{book['id']}", json={"slug": "changed", "id": UNKNOWN_ID, "x": 1})
    assert patched.status_code == 200
    assert patched.json() == (await client.get(f"/api/books/{book['id']}")).json()
    assert patched.json()["slug"] == "tehanu"
    assert patched.json()["id"] == book["id"]


async def test_unknown_fields_on_author_and_tag_are_ignored(client):
    author = await client.post("/api/authors", json={"name": "A", "slug": "zzz", "isSuperuser": True})
    tag = await client.post("/api/tags", json={"name": "T", "bookCount": 99, "slug": "zzz"})

    assert author.status_code == 201
    assert author.json()["slug"] == "a"
    assert tag.status_code == 201
    assert tag.json()["bookCount"] == 0
    assert tag.json()["slug"] == "t"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"name=Ursula", "application/x-www-form-urlencoded"),
        (b'{"name": "Ursula"}', "text/plain"),
        (b'{"name": "Ursula"}', "application/x-www-form-urlencoded"),
        (b'{"name": "Ursula"}', "application/xml"),
        (
            b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nUrsula\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
        ),
    ],
)
async def test_wrong_content_type_is_rejected(client, content, content_type):
    response = await client.post("/api/authors", content=content, headers={"content-type": content_type})

    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)
    assert (await client.get("/api/authors")).json()["total"] == 0


async def test_json_sent_as_another_media_type_is_415(client, book):
    response = await client.patch(
        f"/api/books/{book['id']}", content=b'{"title": "Changed"}', headers={"content-type": "text/plain"}
    )

    assert_problem(response, 415)
    assert (await client.get(f"/api/books/{book['id']}")).json()["title"] == book["title"]


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/merge-patch+json"])
async def test_json_media_type_variants_are_accepted(client, content_type):
    response = await client.post("/api/authors", content=b'{"name": "Ursula"}', headers={"content-type": content_type})

    assert response.status_code == 201, response.text


async def test_error_responses_are_problem_json_even_when_json_is_not_accepted(client):
    response = await client.get("/api/nothing", headers={"accept": "text/html"})

    assert_problem(response, 404)
