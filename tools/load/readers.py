"""Anonymous readers: one book, book lists with search, filters and orders, tags and authors."""

from __future__ import annotations

import random
from typing import Any

import httpx

from load.client import Client
from load.context import RunContext

SEARCH_WORDS = ("the", "river", "night", "of", "garden", "letters", "island", "a", "map", "winter", "zz-nothing")
BOOK_ORDERS = ("title", "publishedYear", "createdAt")


def page_problem(params: dict[str, str | int], page: dict[str, Any]) -> str | None:
    """What is inconsistent in a page of a list, if anything.

    A page read in one snapshot agrees with its own `total`: a full page has at least `offset + items`
    matches in all, a partial page is the last one (exactly `offset + items`), an empty one lies past
    the end. A count taken apart from the page, while others write, breaks this.
    """
    size = int(params.get("pageSize", 20))
    items, total, offset = len(page["items"]), page["total"], page["offset"]
    if offset != (int(params.get("currentPage", 1)) - 1) * size or page["limit"] != size:
        return f"limit {page['limit']}, offset {offset} for {params}"
    if items > size:
        ok = False
    elif items == size:
        ok = total >= offset + items
    elif items:
        ok = total == offset + items
    else:
        ok = total <= offset
    return None if ok else f"{items} items at offset {offset}, total {total}, for {params}"


def _book_list_query(rng: random.Random, context: RunContext) -> dict[str, str | int]:
    dataset = context.dataset
    query: dict[str, str | int] = {"pageSize": rng.choice((5, 20, 50, 100)), "currentPage": rng.randint(1, 5)}
    roll = rng.random()
    if roll < 0.3:
        query["searchString"] = rng.choice(SEARCH_WORDS)
    elif roll < 0.5:
        query["authorId"] = rng.choice(dataset.author_ids)
        query["currentPage"] = 1
    elif roll < 0.7:
        query["tag"] = rng.choice(dataset.tag_slugs)
    if rng.random() < 0.5:
        query["orderBy"] = rng.choice(BOOK_ORDERS)
        query["sortOrder"] = rng.choice(("asc", "desc"))
    return query


def check_page(context: RunContext, kind: str, params: dict[str, str | int], response: httpx.Response | None) -> None:
    if response is not None and response.status_code == 200:
        problem = page_problem(params, response.json())
        if problem is not None:
            context.metrics.wrong(kind, problem)


async def read_once(client: Client, rng: random.Random, context: RunContext) -> None:
    dataset = context.dataset
    roll = rng.random()
    if roll < 0.40:
        index = rng.randrange(len(dataset.book_ids))
        response = await client.call("get_book", "GET", f"/api/books/{dataset.book_ids[index]}", expect={200})
        if response is not None and response.status_code == 200 and response.json()["id"] != dataset.book_ids[index]:
            context.metrics.wrong("get_book", f"asked for {dataset.book_ids[index]}, got {response.json()['id']}")
    elif roll < 0.75:
        query = _book_list_query(rng, context)
        response = await client.call("list_books", "GET", "/api/books", expect={200}, params=query)
        check_page(context, "list_books", query, response)
    elif roll < 0.82:
        index = rng.randrange(len(dataset.book_slugs))
        await client.call("get_book_by_slug", "GET", f"/api/books/by-slug/{dataset.book_slugs[index]}", expect={200})
    elif roll < 0.90:
        tag_query: dict[str, str | int] = {
            "orderBy": rng.choice(("name", "bookCount")),
            "pageSize": rng.choice((10, 50)),
            "currentPage": 2,
        }
        response = await client.call("list_tags", "GET", "/api/tags", expect={200}, params=tag_query)
        check_page(context, "list_tags", tag_query, response)
    elif roll < 0.95:
        author_query: dict[str, str | int] = {"searchString": rng.choice(SEARCH_WORDS[:6]), "orderBy": "name"}
        response = await client.call("list_authors", "GET", "/api/authors", expect={200}, params=author_query)
        check_page(context, "list_authors", author_query, response)
    else:
        await client.call("get_author", "GET", f"/api/authors/{rng.choice(dataset.author_ids)}", expect={200})


async def reader(context: RunContext, number: int) -> None:
    rng = context.rng("reader", number)
    client = Client(context.servers, context.metrics, offset=number)
    try:
        while context.running():
            await read_once(client, rng, context)
    finally:
        await client.close()
