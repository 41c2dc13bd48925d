"""Helpers shared by the catalogue integration tests (authors, books, tags)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]

AUTHOR_FIELDS = {"id", "name", "slug", "bio", "dob", "createdBy", "createdAt", "updatedAt"}
BOOK_FIELDS = {
    "id",
    "title",
    "slug",
    "isbn",
    "publishedYear",
    "description",
    "author",
    "tags",
    "createdBy",
    "coverUrl",
    "createdAt",
    "updatedAt",
}
TAG_FIELDS = {"id", "name", "slug", "bookCount"}
REF_FIELDS = {"id", "name", "slug"}
PAGE_FIELDS = {"items", "total", "limit", "offset"}
PROBLEM_JSON = "application/problem+json"
URL_SAFE_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
LEAK_MARKERS = ("Traceback", 'File "', "sqlalchemy", "asyncpg", "psycopg", "SELECT ", "INSERT ", "UPDATE ")


def next_year() -> int:
    return datetime.now(UTC).year + 1


def isbn13(n: int) -> str:
    """A valid ISBN-13 (978 prefix) made from `n`."""
    first12 = f"978{n:09d}"
    total = sum(int(ch) * (1 if i % 2 == 0 else 3) for i, ch in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


async def create_author(client: Client, name: str = "Ursula K. Le Guin", **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/authors", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def create_book(
    client: Client, author_id: str, title: str = "A Wizard of Earthsea", **fields: Any
) -> dict[str, Any]:
    response = await client.post("/api/books", json={"title": title, "authorId": author_id, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def create_tag(client: Client, name: str) -> dict[str, Any]:
    response = await client.post("/api/tags", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(response: Response, status: int, *fields: str) -> dict[str, Any]:
    """`response` is an RFC 9457 problem with `status`; validation errors name at least `fields`.

    An error on an item of a list or object field (`tags[0]`) counts as naming the field (`tags`).
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0].strip() == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    for marker in LEAK_MARKERS:
        assert marker not in response.text, f"error body leaks {marker!r}: {response.text}"
    if fields:
        errors = body["errors"]
        assert isinstance(errors, list)
        for error in errors:
            assert {"field", "message", "source"} <= set(error), error
            assert error["message"]
        named = {re.split(r"[.\[]", error["field"], maxsplit=1)[0] for error in errors}
        assert set(fields) <= named, f"expected errors for {fields}, got {errors}"
    return body


def assert_uuid7(value: str) -> UUID:
    parsed = UUID(value)
    assert parsed.version == 7, value
    return parsed


def assert_utc_timestamp(value: str) -> datetime:
    """An ISO 8601 timestamp carrying a UTC offset, not long in the past or at all in the future."""
    assert "T" in value, value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.utcoffset() == timedelta(0), value
    now = datetime.now(UTC)
    assert now - timedelta(minutes=5) < parsed <= now + timedelta(seconds=5), value
    return parsed


def assert_author_shape(author: dict[str, Any]) -> None:
    assert set(author) == AUTHOR_FIELDS, author
    assert_uuid7(author["id"])
    assert URL_SAFE_SLUG.match(author["slug"]), author["slug"]
    assert_utc_timestamp(author["createdAt"])
    assert_utc_timestamp(author["updatedAt"])


def assert_book_shape(book: dict[str, Any]) -> None:
    assert set(book) == BOOK_FIELDS, book
    assert_uuid7(book["id"])
    assert URL_SAFE_SLUG.match(book["slug"]), book["slug"]
    assert set(book["author"]) == REF_FIELDS, book["author"]
    assert isinstance(book["tags"], list)
    for tag in book["tags"]:
        assert set(tag) == REF_FIELDS, tag
        assert_uuid7(tag["id"])
    assert_utc_timestamp(book["createdAt"])
    assert_utc_timestamp(book["updatedAt"])


def assert_tag_shape(tag: dict[str, Any]) -> None:
    assert set(tag) == TAG_FIELDS, tag
    assert_uuid7(tag["id"])
    assert URL_SAFE_SLUG.match(tag["slug"]), tag["slug"]
    assert isinstance(tag["bookCount"], int)
