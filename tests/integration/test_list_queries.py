"""List endpoints: the pagination envelope, search, ordering, filters, and a fixed number of SQL statements."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.catalogue import (
    PAGE_FIELDS,
    Client,
    assert_author_shape,
    assert_book_shape,
    assert_tag_shape,
    create_author,
    create_book,
    create_tag,
)
from tests.support.statements import count_statements


async def list_of(client: Client, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    page = response.json()
    assert set(page) == PAGE_FIELDS, page
    return page


async def names(client: Client, path: str, **params: Any) -> list[str]:
    key = "title" if path == "/api/books" else "name"
    return [item[key] for item in (await list_of(client, path, **params))["items"]]


async def statements_for(client: Client, path: str, **params: Any) -> tuple[dict[str, Any], list[str]]:
    await list_of(client, path, **params)
    with count_statements() as statements:
        page = await list_of(client, path, **params)
    return page, statements


AUTHENTICATION_STATEMENTS = 1
"""What recognising the caller costs: one lookup of the API token together with its user."""


async def assert_signed_in_adds_a_fixed_cost(client: Client, path: str, anonymous: list[str], **params: Any) -> None:
    """The same list read with an API token costs the anonymous statements plus a fixed few, whatever the page size."""
    for page_size in (1, 100):
        _, statements = await statements_for(client, path, **{**params, "pageSize": page_size})
        assert len(statements) == len(anonymous) + AUTHENTICATION_STATEMENTS, statements


# Pagination envelope


async def test_default_page(client):
    for i in range(7):
        await create_author(client, f"Author {i}")

    page = await list_of(client, "/api/authors")

    assert page["total"] == 7
    assert page["limit"] == 20
    assert page["offset"] == 0
    assert len(page["items"]) == 7
    for item in page["items"]:
        assert_author_shape(item)


async def test_empty_list(client):
    for path in ("/api/authors", "/api/books", "/api/tags"):
        assert await list_of(client, path) == {"items": [], "total": 0, "limit": 20, "offset": 0}


async def test_pages_split_the_list(client):
    for i in range(7):
        await create_author(client, f"Author {i}")

    pages = [
        await list_of(client, "/api/authors", pageSize=3, currentPage=n, orderBy="name", sortOrder="asc")
        for n in (1, 2, 3, 4)
    ]

    assert [(p["limit"], p["offset"], p["total"], len(p["items"])) for p in pages] == [
        (3, 0, 7, 3),
        (3, 3, 7, 3),
        (3, 6, 7, 1),
        (3, 9, 7, 0),
    ]
    seen = [item["name"] for p in pages for item in p["items"]]
    assert seen == [f"Author {i}" for i in range(7)]


async def test_a_page_past_the_end_still_counts_every_match(client):
    author = await create_author(client)
    for i in range(4):
        await create_book(client, author["id"], title=f"Book {i}", tags=[f"Tag {i}"])

    for path in ("/api/books", "/api/tags"):
        last = await list_of(client, path, pageSize=3, currentPage=2)
        past = await list_of(client, path, pageSize=3, currentPage=3)
        assert (last["total"], len(last["items"])) == (4, 1), path
        assert (past["total"], past["items"], past["offset"]) == (4, [], 6), path


async def test_page_size_bounds_are_inclusive(client):
    await create_author(client)

    assert (await list_of(client, "/api/authors", pageSize=1))["limit"] == 1
    assert (await list_of(client, "/api/authors", pageSize=100))["limit"] == 100


async def test_paging_through_ties_is_stable(client):
    author = await create_author(client)
    for i in range(12):
        await create_book(client, author["id"], title=f"Book {i % 2}", publishedYear=2000)

    for order_by in ("publishedYear", "title"):
        ids = []
        for n in range(1, 6):
            page = await list_of(client, "/api/books", orderBy=order_by, pageSize=3, currentPage=n)
            ids += [book["id"] for book in page["items"]]
        assert len(ids) == 12
        assert len(set(ids)) == 12, f"pages ordered by {order_by} repeat or skip books"


# Search


async def test_author_search_is_case_insensitive_and_partial(client):
    for name in ("Ursula K. Le Guin", "Gene Wolfe", "Guy Gavriel Kay"):
        await create_author(client, name)

    assert await names(client, "/api/authors", searchString="le guin") == ["Ursula K. Le Guin"]
    assert await names(client, "/api/authors", searchString="GU", orderBy="name", sortOrder="asc") == [
        "Guy Gavriel Kay",
        "Ursula K. Le Guin",
    ]
    page = await list_of(client, "/api/authors", searchString="WOLF")
    assert page["total"] == 1
    assert await names(client, "/api/authors", searchString="nobody") == []


async def test_empty_search_string_matches_everything(client):
    for name in ("One", "Two"):
        await create_author(client, name)

    assert (await list_of(client, "/api/authors", searchString=""))["total"] == 2


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("%", ["100% Cotton"]),
        ("0%", ["100% Cotton"]),
        ("_", ["snake_case"]),
        ("e_c", ["snake_case"]),
        ("\\", ["back\\slash"]),
        ("'", ["O'Brien"]),
    ],
)
async def test_search_treats_wildcards_literally(client, search, expected):
    for name in ("100% Cotton", "1000 Cotton", "snake_case", "snakeXcase", "back\\slash", "O'Brien", "OBrien"):
        await create_author(client, name)

    assert await names(client, "/api/authors", searchString=search) == expected


async def test_book_search_is_over_the_title_only(client):
    author = await create_author(client, "Dune Writer")
    await create_book(client, author["id"], title="Dune Messiah")
    await create_book(client, author["id"], title="Foundation", description="Not dune at all", tags=["dune"])

    page = await list_of(client, "/api/books", searchString="DUNE")

    assert [book["title"] for book in page["items"]] == ["Dune Messiah"]
    assert page["total"] == 1
    assert_book_shape(page["items"][0])


async def test_book_search_with_wildcards(client):
    author = await create_author(client)
    await create_book(client, author["id"], title="50% Off")
    await create_book(client, author["id"], title="500 Off")

    assert await names(client, "/api/books", searchString="0%") == ["50% Off"]


async def test_tag_search_is_over_the_name(client):
    for name in ("Science Fiction", "Fiction", "Fantasy", "100%_true"):
        await create_tag(client, name)

    assert await names(client, "/api/tags", searchString="FICTION") == ["Fiction", "Science Fiction"]
    assert await names(client, "/api/tags", searchString="%_") == ["100%_true"]
    assert await names(client, "/api/tags", searchString="%_t") == ["100%_true"]


# Ordering


@pytest.mark.parametrize(
    ("order_by", "sort_order", "expected"),
    [
        ("name", "asc", ["Alpha", "Bravo", "Charlie"]),
        ("name", "desc", ["Charlie", "Bravo", "Alpha"]),
        ("createdAt", "asc", ["Charlie", "Alpha", "Bravo"]),
        ("createdAt", "desc", ["Bravo", "Alpha", "Charlie"]),
    ],
)
async def test_author_ordering(client, order_by, sort_order, expected):
    for name in ("Charlie", "Alpha", "Bravo"):
        await create_author(client, name)

    assert await names(client, "/api/authors", orderBy=order_by, sortOrder=sort_order) == expected


async def test_sort_order_defaults_to_ascending_for_a_chosen_field_and_newest_first_otherwise(client):
    for name in ("Charlie", "Alpha", "Bravo"):
        await create_author(client, name)

    assert await names(client, "/api/authors", orderBy="name") == ["Alpha", "Bravo", "Charlie"]
    assert await names(client, "/api/authors") == ["Bravo", "Alpha", "Charlie"]


@pytest.mark.parametrize(
    ("order_by", "sort_order", "expected"),
    [
        ("title", "asc", ["Alpha", "Bravo", "Charlie"]),
        ("title", "desc", ["Charlie", "Bravo", "Alpha"]),
        ("publishedYear", "asc", ["Bravo", "Charlie", "Alpha"]),
        ("publishedYear", "desc", ["Alpha", "Charlie", "Bravo"]),
        ("createdAt", "asc", ["Charlie", "Alpha", "Bravo"]),
        ("createdAt", "desc", ["Bravo", "Alpha", "Charlie"]),
    ],
)
async def test_book_ordering(client, order_by, sort_order, expected):
    author = await create_author(client)
    for title, year in (("Charlie", 1990), ("Alpha", 2010), ("Bravo", -50)):
        await create_book(client, author["id"], title=title, publishedYear=year)

    assert await names(client, "/api/books", orderBy=order_by, sortOrder=sort_order) == expected


@pytest.mark.parametrize("sort_order", ["asc", "desc"])
async def test_books_without_a_year_come_last_either_way(client, sort_order):
    author = await create_author(client)
    await create_book(client, author["id"], title="Undated")
    await create_book(client, author["id"], title="Old", publishedYear=1900)
    await create_book(client, author["id"], title="New", publishedYear=2000)

    titles = await names(client, "/api/books", orderBy="publishedYear", sortOrder=sort_order)

    assert titles == (["Old", "New", "Undated"] if sort_order == "asc" else ["New", "Old", "Undated"])


@pytest.mark.parametrize(
    ("order_by", "sort_order", "expected"),
    [
        ("name", "asc", ["Alpha", "Bravo", "Charlie"]),
        ("name", "desc", ["Charlie", "Bravo", "Alpha"]),
        ("bookCount", "asc", ["Charlie", "Alpha", "Bravo"]),
        ("bookCount", "desc", ["Bravo", "Alpha", "Charlie"]),
    ],
)
async def test_tag_ordering(client, order_by, sort_order, expected):
    author = await create_author(client)
    await create_tag(client, "Charlie")
    await create_book(client, author["id"], title="1", tags=["Alpha", "Bravo"])
    await create_book(client, author["id"], title="2", tags=["Alpha", "Bravo"])
    await create_book(client, author["id"], title="3", tags=["Bravo"])

    page = await list_of(client, "/api/tags", orderBy=order_by, sortOrder=sort_order)

    assert [tag["name"] for tag in page["items"]] == expected
    assert {tag["name"]: tag["bookCount"] for tag in page["items"]} == {"Alpha": 2, "Bravo": 3, "Charlie": 0}
    for tag in page["items"]:
        assert_tag_shape(tag)


@pytest.mark.parametrize("resource", ["authors", "books", "tags"])
async def test_sort_order_alone_is_accepted(client, resource):
    assert (await client.get(f"/api/{resource}", params={"sortOrder": "asc"})).status_code == 200


# Filters


async def test_author_id_filter(client):
    le_guin = await create_author(client, "Ursula K. Le Guin")
    wolfe = await create_author(client, "Gene Wolfe")
    for title in ("A", "B", "C"):
        await create_book(client, le_guin["id"], title=title)
    await create_book(client, wolfe["id"], title="Shadow")

    page = await list_of(client, "/api/books", authorId=le_guin["id"], pageSize=2, orderBy="title", sortOrder="asc")

    assert page["total"] == 3
    assert [book["title"] for book in page["items"]] == ["A", "B"]
    assert {book["author"]["id"] for book in page["items"]} == {le_guin["id"]}
    assert await names(client, "/api/books", authorId=wolfe["id"]) == ["Shadow"]
    unknown = await list_of(client, "/api/books", authorId="01900000-0000-7000-8000-000000000000")
    assert unknown["total"] == 0


async def test_tag_filter_takes_a_slug(client):
    author = await create_author(client)
    await create_book(client, author["id"], title="A", tags=["Science Fiction", "Classics"])
    await create_book(client, author["id"], title="B", tags=["Science Fiction"])
    await create_book(client, author["id"], title="C", tags=["Classics"])
    await create_book(client, author["id"], title="D")

    assert await names(client, "/api/books", tag="science-fiction", orderBy="title", sortOrder="asc") == ["A", "B"]
    assert await names(client, "/api/books", tag="classics", orderBy="title", sortOrder="asc") == ["A", "C"]
    assert (await list_of(client, "/api/books", tag="science-fiction"))["total"] == 2
    assert (await list_of(client, "/api/books", tag="no-such-tag"))["total"] == 0
    tagged = (await list_of(client, "/api/books", tag="science-fiction"))["items"]
    assert all(len(book["tags"]) >= 1 for book in tagged)
    a = next(book for book in tagged if book["title"] == "A")
    assert sorted(tag["slug"] for tag in a["tags"]) == ["classics", "science-fiction"]


async def test_filters_combine(client):
    le_guin = await create_author(client, "Ursula K. Le Guin")
    wolfe = await create_author(client, "Gene Wolfe")
    await create_book(client, le_guin["id"], title="The Dispossessed", tags=["Utopia"])
    await create_book(client, le_guin["id"], title="The Lathe of Heaven", tags=["Dreams"])
    await create_book(client, le_guin["id"], title="Always Coming Home", tags=["Utopia"])
    await create_book(client, wolfe["id"], title="The Fifth Head of Cerberus", tags=["Utopia"])

    page = await list_of(client, "/api/books", authorId=le_guin["id"], tag="utopia", searchString="the")

    assert [book["title"] for book in page["items"]] == ["The Dispossessed"]
    assert page["total"] == 1


# A fixed number of statements per list, whatever the page size


async def test_book_list_runs_a_fixed_number_of_statements(client, anon_client):
    authors = [await create_author(client, f"Author {i}") for i in range(3)]
    for i in range(30):
        tags = [f"Tag {(i + k) % 7}" for k in range(3)]
        await create_book(client, authors[i % 3]["id"], title=f"Book {i}", publishedYear=1900 + i, tags=tags)

    one, one_statements = await statements_for(anon_client, "/api/books", pageSize=1)
    hundred, hundred_statements = await statements_for(anon_client, "/api/books", pageSize=100)
    filtered, filtered_statements = await statements_for(anon_client, "/api/books", pageSize=100, tag="tag-1")

    assert len(one["items"]) == 1
    assert len(hundred["items"]) == 30
    assert len(filtered["items"]) == 14
    assert all(len(book["tags"]) == 3 for book in hundred["items"])
    assert {book["author"]["name"] for book in hundred["items"]} == {"Author 0", "Author 1", "Author 2"}
    assert 1 <= len(one_statements) <= 3, one_statements
    assert len(hundred_statements) == len(one_statements), hundred_statements
    assert len(filtered_statements) == len(one_statements), filtered_statements
    await assert_signed_in_adds_a_fixed_cost(client, "/api/books", one_statements)
    await assert_signed_in_adds_a_fixed_cost(client, "/api/books", one_statements, tag="tag-1")


async def test_author_list_runs_a_fixed_number_of_statements(client, anon_client):
    for i in range(25):
        author = await create_author(client, f"Author {i}")
        await create_book(client, author["id"], title=f"Book {i}", tags=["Shared"])

    one, one_statements = await statements_for(anon_client, "/api/authors", pageSize=1)
    hundred, hundred_statements = await statements_for(anon_client, "/api/authors", pageSize=100)

    assert len(one["items"]) == 1
    assert len(hundred["items"]) == 25
    assert 1 <= len(one_statements) <= 2, one_statements
    assert len(hundred_statements) == len(one_statements), hundred_statements
    await assert_signed_in_adds_a_fixed_cost(client, "/api/authors", one_statements)


async def test_tag_list_runs_a_fixed_number_of_statements(client, anon_client):
    author = await create_author(client)
    for i in range(25):
        await create_book(client, author["id"], title=f"Book {i}", tags=[f"Tag {i}", f"Tag {i + 1}"])

    one, one_statements = await statements_for(anon_client, "/api/tags", pageSize=1, orderBy="bookCount")
    hundred, hundred_statements = await statements_for(anon_client, "/api/tags", pageSize=100, orderBy="bookCount")

    assert len(one["items"]) == 1
    assert len(hundred["items"]) == 26
    assert sum(tag["bookCount"] for tag in hundred["items"]) == 50
    assert 1 <= len(one_statements) <= 2, one_statements
    assert len(hundred_statements) == len(one_statements), hundred_statements
    await assert_signed_in_adds_a_fixed_cost(client, "/api/tags", one_statements, orderBy="bookCount")
