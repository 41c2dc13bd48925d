"""What the busiest requests cost in SQL statements, recognising the caller included.

The budgets (issue 6): reading a book at most 2, a page of 20 books with authors and tags at most 4,
creating a book with 3 new tags at most 8. Each request is sent once before it is counted, as the
benchmark does: an API token's first use records when it was used, which is not the steady state
(`test_a_tokens_use_is_recorded_at_most_every_few_minutes` pins that write separately).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from app.db import models as m
from app.lib.settings import get_settings
from tests.integration.catalogue import Client, create_author, create_book, isbn13
from tests.support import db
from tests.support.accounts import TEST_PASSWORD
from tests.support.browser import SESSION_COOKIE, signed_in
from tests.support.csrf import csrf_headers
from tests.support.statements import count_statements

GET_BUDGET = 2
LIST_BUDGET = 4
CREATE_BUDGET = 8


async def counted(send: Callable[[], Awaitable[httpx.Response]], status: int = 200) -> list[str]:
    """The statements of one `send()`, after a first one that is not counted."""
    assert (await send()).status_code == status
    with count_statements() as statements:
        response = await send()
    assert response.status_code == status, response.text
    return statements


async def a_catalogue(client: Client, books: int = 30) -> list[dict[str, Any]]:
    authors = [await create_author(client, f"Author {i}") for i in range(3)]
    tags = [[f"Tag {(i + k) % 7}" for k in range(3)] for i in range(books)]
    return [await create_book(client, authors[i % 3]["id"], title=f"Book {i}", tags=tags[i]) for i in range(books)]


async def test_reading_a_book(client, anon_client):
    book = (await a_catalogue(client, books=1))[0]
    path = f"/api/books/{book['id']}"

    anonymous = await counted(lambda: anon_client.get(path))
    with_token = await counted(lambda: client.get(path))

    assert len(anonymous) == 1, anonymous  # the book, its author and its tags in one row
    assert len(with_token) == 2, with_token  # plus the token with its user
    assert len(with_token) <= GET_BUDGET


async def test_a_missing_book_costs_the_same_statement(anon_client):
    statements = await counted(lambda: anon_client.get("/api/books/01900000-0000-7000-8000-000000000000"), 404)

    assert len(statements) == 1, statements


async def test_listing_a_page_of_books(client, anon_client):
    await a_catalogue(client)

    anonymous = await counted(lambda: anon_client.get("/api/books", params={"pageSize": 20}))
    with_token = await counted(lambda: client.get("/api/books", params={"pageSize": 20}))
    narrowed = {"pageSize": 20, "tag": "tag-1", "searchString": "Book"}
    filtered = await counted(lambda: client.get("/api/books", params=narrowed))

    assert len(anonymous) == 1, anonymous  # the page with authors, tags and the count in each row
    assert len(with_token) == 2, with_token
    assert len(filtered) == 2, filtered
    assert len(with_token) <= LIST_BUDGET


async def test_an_empty_page_asks_for_its_count_alone(anon_client):
    statements = await counted(lambda: anon_client.get("/api/books", params={"tag": "no-such-tag"}))

    assert len(statements) == 2, statements  # the page (no rows, so no count in them), then the count


async def test_creating_a_book_with_three_new_tags(client):
    author = await create_author(client)
    await client.get("/api/me")  # the token's first use is recorded here, not counted below
    body = {"title": "Kindred", "authorId": author["id"], "isbn": isbn13(7), "publishedYear": 1979}

    with count_statements() as statements:
        response = await client.post("/api/books", json={**body, "tags": ["Time Travel", "Slavery", "Classics"]})

    assert response.status_code == 201, response.text
    assert sorted(tag["slug"] for tag in response.json()["tags"]) == ["classics", "slavery", "time-travel"]
    # The token; the tags (the missing inserted, all read: one statement); the book with its author
    # and its tag links (one statement).
    assert len(statements) == 3, statements
    assert len(statements) <= CREATE_BUDGET


async def test_creating_a_book_with_known_tags_costs_the_same(client):
    author = await create_author(client)
    await create_book(client, author["id"], title="First", tags=["Fantasy", "Classics", "Sea"])

    with count_statements() as statements:
        response = await client.post(
            "/api/books", json={"title": "Second", "authorId": author["id"], "tags": ["Sea", "Fantasy", "Classics"]}
        )

    assert response.status_code == 201, response.text
    assert len(statements) == 3, statements


async def test_a_clashing_title_costs_one_more_insert(client):
    author = await create_author(client)
    await create_book(client, author["id"], title="Dune")

    with count_statements() as statements:
        response = await client.post("/api/books", json={"title": "Dune", "authorId": author["id"]})

    assert response.status_code == 201, response.text
    assert response.json()["slug"].startswith("dune-")
    # The token, the book under the taken slug (nothing inserted), then under a new one.
    assert len(statements) == 3, statements


async def test_a_tokens_use_is_recorded_at_most_every_few_minutes(client, user):
    def token_writes(statements: list[str]) -> list[str]:
        return [s for s in statements if s.startswith("UPDATE api_token")]

    with count_statements() as first:
        assert (await client.get("/api/me")).status_code == 200
    with count_statements() as second:
        assert (await client.get("/api/me")).status_code == 200
    used_at = await db.scalar(select(m.ApiToken.last_used_at).where(m.ApiToken.user_id == user.id))
    await db.execute(update(m.ApiToken).values(last_used_at=datetime.now(UTC) - timedelta(minutes=10)))
    with count_statements() as later:
        assert (await client.get("/api/me")).status_code == 200

    assert len(token_writes(first)) == 1, first
    assert token_writes(second) == [], second
    assert used_at is not None
    assert len(token_writes(later)) == 1, later
    assert await db.scalar(select(m.ApiToken.last_used_at).where(m.ApiToken.user_id == user.id)) > used_at


async def test_a_browser_session_is_renewed_at_most_every_few_minutes(anon_client, user):
    session_id = await signed_in(anon_client, user.email)
    max_age = timedelta(seconds=get_settings().auth.session_max_age)

    def session_writes(statements: list[str]) -> list[str]:
        return [s for s in statements if s.startswith("UPDATE user_session")]

    with count_statements() as right_after_login:
        assert (await anon_client.get("/api/me")).status_code == 200
    renewed_long_ago = datetime.now(UTC) + max_age - timedelta(minutes=10)
    await db.execute(
        update(m.UserSession).where(m.UserSession.session_id == session_id).values(expires_at=renewed_long_ago)
    )
    with count_statements() as later:
        assert (await anon_client.get("/api/me")).status_code == 200

    assert session_writes(right_after_login) == [], right_after_login
    assert len(right_after_login) == 1, right_after_login  # the session row with its user
    assert len(session_writes(later)) == 1, later
    expires_at = await db.scalar(select(m.UserSession.expires_at).where(m.UserSession.session_id == session_id))
    assert expires_at > renewed_long_ago + timedelta(minutes=9)


async def test_a_sign_in_costs_two_statements_and_a_failed_one_writes_no_session(anon_client, user):
    headers = await csrf_headers(anon_client)
    right = {"email": user.email, "password": TEST_PASSWORD}

    with count_statements() as signing_in:
        assert (await anon_client.post("/api/auth/login", json=right, headers=headers)).status_code == 200
    anon_client.cookies.delete(SESSION_COOKIE)
    with count_statements() as failing:
        wrong = {**right, "password": TEST_PASSWORD + "-wrong"}
        assert (await anon_client.post("/api/auth/login", json=wrong, headers=headers)).status_code == 401

    # The client's request counted along with reading the user and the email's failed sign-ins; the new
    # session row.
    assert [first_word(s) for s in signing_in] == ["WITH", "INSERT user_session"]
    # A failure counts against the email instead of writing a session.
    assert [first_word(s) for s in failing] == ["WITH", "INSERT rate_limit_counter"]


def first_word(statement: str) -> str:
    """`INSERT table` for an insert, else the statement's first keyword."""
    words = statement.split()
    return f"INSERT {words[2]}" if words[0] == "INSERT" else words[0]


async def test_every_list_page_carries_its_count(client, admin_client):
    """A page and its total come from one statement (one snapshot), on every list, not only books'."""
    await a_catalogue(client, books=3)
    for _ in range(3):
        queued = await client.post("/api/imports", files={"file": ("books.csv", b"title,author\nA,B\n", "text/csv")})
        assert queued.status_code == 202, queued.text

    for path in ("/api/authors", "/api/tags", "/api/imports", "/api/users"):
        page = functools.partial(admin_client.get, path, params={"pageSize": 2})
        statements = await counted(page)
        assert len(statements) == 2, (path, statements)  # the caller's token, then the page with its count
