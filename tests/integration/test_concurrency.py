"""Concurrent creates: a brand-new tag named by many books at once, and clashing slugs, all succeed.

`AsyncTestClient` hands each request to the app's event loop and waits for it, so requests sent
through it run one after another. These tests instead send them with an httpx ASGI client from
inside the app's own loop, where they truly overlap; the pool's peak of checked-out connections
proves they did. Races with a single winner (the same isbn, tag name or sign-up email) and an
author deleted while books are created for it run against a real server in `test_races.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event, func, select

from app.db import models as m
from app.lib.database import get_alchemy_config
from tests.integration.catalogue import Client, assert_book_shape, create_author

CONCURRENCY = 20


@contextmanager
def peak_connections() -> Iterator[dict[str, int]]:
    """The most database connections checked out at the same time while the block runs."""
    engine = get_alchemy_config().get_engine().sync_engine
    counts = {"now": 0, "peak": 0}

    def checkout(*_: Any) -> None:
        counts["now"] += 1
        counts["peak"] = max(counts["peak"], counts["now"])

    def checkin(*_: Any) -> None:
        counts["now"] -= 1

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        yield counts
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)


def send_concurrently(client: Client, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
    """Send `requests` (method, path, JSON body) all at once on the app's own event loop."""

    async def send_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=client.headers) as http:
            return await asyncio.gather(*(http.request(method, path, json=body) for method, path, body in requests))

    with peak_connections() as connections:
        responses = client.blocking_portal.call(send_all)
    assert connections["peak"] > 1, "the requests did not overlap, so this test proves nothing"
    return responses


def count_rows(client: Client, model: Any) -> int:
    """Rows in `model`'s table, counted on the app's loop (the pool's connections belong to it)."""

    async def count() -> int:
        async with get_alchemy_config().get_session() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    return client.blocking_portal.call(count)


async def test_concurrent_books_naming_the_same_new_tag_leave_one_tag(client):
    author = await create_author(client)
    requests = [
        ("POST", "/api/books", {"title": f"Book {i}", "authorId": author["id"], "tags": ["Brand New Tag"]})
        for i in range(CONCURRENCY)
    ]

    responses = send_concurrently(client, requests)

    assert [r.status_code for r in responses] == [201] * CONCURRENCY, [r.text for r in responses if r.is_error]
    tag_ids = set()
    for response in responses:
        book = response.json()
        assert_book_shape(book)
        assert [(t["name"], t["slug"]) for t in book["tags"]] == [("Brand New Tag", "brand-new-tag")]
        tag_ids.add(book["tags"][0]["id"])
    assert len(tag_ids) == 1
    assert count_rows(client, m.Tag) == 1
    assert count_rows(client, m.book_tag) == CONCURRENCY
    tag = (await client.get(f"/api/tags/{tag_ids.pop()}")).json()
    assert tag["bookCount"] == CONCURRENCY


async def test_concurrent_books_naming_new_tags_in_different_orders_all_succeed(client):
    author = await create_author(client)
    names = [f"Tag {i:02d}" for i in range(50)]
    requests = [
        (
            "POST",
            "/api/books",
            {"title": f"Book {i}", "authorId": author["id"], "tags": names[::-1] if i % 2 else names},
        )
        for i in range(CONCURRENCY)
    ]

    responses = send_concurrently(client, requests)

    assert [r.status_code for r in responses] == [201] * CONCURRENCY, [r.text for r in responses if r.is_error]
    assert count_rows(client, m.Tag) == 50
    for response in responses:
        assert sorted(t["name"] for t in response.json()["tags"]) == names


async def test_concurrent_patches_naming_the_same_new_tag_leave_one_tag(client):
    author = await create_author(client)
    books = []
    for i in range(CONCURRENCY):
        response = await client.post("/api/books", json={"title": f"Book {i}", "authorId": author["id"]})
        books.append(response.json())
    requests = [("PATCH", f"/api/books/{book['id']}", {"tags": ["Late Tag"]}) for book in books]

    responses = send_concurrently(client, requests)

    assert [r.status_code for r in responses] == [200] * CONCURRENCY, [r.text for r in responses if r.is_error]
    assert count_rows(client, m.Tag) == 1
    assert len({r.json()["tags"][0]["id"] for r in responses}) == 1


async def test_concurrent_books_with_the_same_title_get_distinct_slugs(client):
    author = await create_author(client)
    requests = [("POST", "/api/books", {"title": "Dune", "authorId": author["id"]}) for _ in range(CONCURRENCY)]

    responses = send_concurrently(client, requests)

    assert [r.status_code for r in responses] == [201] * CONCURRENCY, [r.text for r in responses if r.is_error]
    slugs = [r.json()["slug"] for r in responses]
    assert len(set(slugs)) == CONCURRENCY
    assert "dune" in slugs
    assert all(slug == "dune" or slug.startswith("dune-") for slug in slugs)
    for slug in slugs:
        assert (await client.get(f"/api/books/by-slug/{slug}")).status_code == 200


async def test_concurrent_authors_with_the_same_name_get_distinct_slugs(client):
    requests = [("POST", "/api/authors", {"name": "Jane Doe"}) for _ in range(CONCURRENCY)]

    responses = send_concurrently(client, requests)

    assert [r.status_code for r in responses] == [201] * CONCURRENCY, [r.text for r in responses if r.is_error]
    slugs = {r.json()["slug"] for r in responses}
    assert len(slugs) == CONCURRENCY
    assert "jane-doe" in slugs
