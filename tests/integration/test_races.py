"""Races against a real server: 50 requests at once over 50 open connections to `app run`.

The server runs on a database of its own (`serve_live_app`), with no job worker; the tests check
what it stored with SQL. The in-process concurrency tests (`test_concurrency.py`) cover creates that
must all succeed; here each race has exactly one winner (the same isbn, tag or sign-up email), or
an author is deleted while books are created for it or moved to it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from functools import partial
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from app.db.models import metadata
from tests.integration.catalogue import assert_problem, isbn13
from tests.support.browser import SIGNUP_PASSWORD, new_email
from tests.support.csrf import CSRF_COOKIE, CSRF_HEADER, SAFE_PATH
from tests.support.databases import drop_test_database, prepare_test_database
from tests.support.live_app import serve_live_app

pytestmark = pytest.mark.slow

CONCURRENCY = 50
TIMEOUT = httpx.Timeout(60.0)
"""Generous: 50 password hashes on a busy 2-core machine take seconds, and a slow answer is no failure here."""


@dataclass(frozen=True)
class Server:
    url: str
    database: str
    """A plain asyncpg DSN of the server's database."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    database_url = prepare_test_database("_races")
    root: Path = tmp_path_factory.mktemp("races")
    # 50 sign-ups from one address in a second would meet the per-client limit on /api/auth/*
    # (30 a minute) and the per-email login limit; this server gets limits that the races never reach.
    limits = {"AUTH_REQUESTS_PER_MINUTE": "100000", "LOGIN_FAILURES_PER_EMAIL": "100000"}
    try:
        with serve_live_app(
            database_url, root, name="races-server", SAQ_IN_PROCESS="false", LOG_LEVEL="WARNING", **limits
        ) as live:
            dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
            yield Server(url=live.url, database=dsn)
    finally:
        drop_test_database(database_url)


@pytest.fixture
async def sql(server: Server) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the server's database; its tables are emptied after the test."""
    connection = await asyncpg.connect(server.database)
    try:
        yield connection
        tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
        await connection.execute(f"TRUNCATE {tables} CASCADE")
        await connection.execute("DELETE FROM saq_jobs")
    finally:
        await connection.close()


@pytest.fixture
async def api(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps no cookies (each request names its own) with a connection for every request of a burst."""
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT, limits=limits, cookies=no_cookies) as client:
        yield client


async def browser_headers(api: httpx.AsyncClient) -> dict[str, str]:
    """The `csrftoken` cookie and header a browser sends on an unsafe request."""
    response = await api.get(SAFE_PATH)
    token = response.cookies[CSRF_COOKIE]
    return {"Cookie": f"{CSRF_COOKIE}={token}", CSRF_HEADER: token}


async def bearer_headers(api: httpx.AsyncClient) -> dict[str, str]:
    """Sign up a new user as a browser would, then create an API token with that session."""
    headers = await browser_headers(api)
    signed_up = await api.post(
        "/api/auth/signup", json={"email": new_email(), "password": SIGNUP_PASSWORD, "name": "Racer"}, headers=headers
    )
    assert signed_up.status_code == 201, signed_up.text
    session = {"Cookie": f"{headers['Cookie']}; session={signed_up.cookies['session']}"}
    created = await api.post("/api/me/tokens", json={"name": "races"}, headers={**headers, **session})
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


async def race(api: httpx.AsyncClient, requests: list[Callable[[], Awaitable[httpx.Response]]]) -> list[httpx.Response]:
    """Send every request at once; fails unless most were sent before the first answer came back."""
    # Open a connection for each request first (the server closes idle ones after a few seconds), so
    # that the burst is not spread out by TCP handshakes.
    warm = await asyncio.gather(*(api.get("/health") for _ in requests))
    assert {response.status_code for response in warm} == {200}
    loop = asyncio.get_running_loop()
    spans: list[tuple[float, float]] = []

    async def timed(send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        started = loop.time()
        response = await send()
        spans.append((started, loop.time()))
        return response

    responses = await asyncio.gather(*(timed(send) for send in requests))
    overlapping = sum(1 for started, _ in spans if started < min(finished for _, finished in spans))
    assert overlapping >= len(requests) // 2, f"only {overlapping} requests were sent before the first answer"
    return list(responses)


def assert_no_server_errors(responses: list[httpx.Response], allowed: set[int]) -> None:
    statuses = [response.status_code for response in responses]
    unexpected = [(r.status_code, r.text[:300]) for r in responses if r.status_code not in allowed]
    assert not unexpected, f"statuses {sorted(statuses)}; unexpected answers: {unexpected}"
    for response in responses:
        if response.status_code >= 400:
            assert_problem(response, response.status_code)


def one_winner(responses: list[httpx.Response], success: int, loss: int) -> httpx.Response:
    assert_no_server_errors(responses, {success, loss})
    winners = [response for response in responses if response.status_code == success]
    assert len(winners) == 1, sorted(response.status_code for response in responses)
    return winners[0]


async def test_fifty_books_with_the_same_isbn_create_one(api, sql):
    headers = await bearer_headers(api)
    author = (await api.post("/api/authors", json={"name": "Racing Author"}, headers=headers)).json()
    isbn = isbn13(424242)

    def create(i: int) -> Callable[[], Awaitable[httpx.Response]]:
        body = {"title": f"Copy {i}", "authorId": author["id"], "isbn": isbn, "tags": [f"Copy Tag {i}"]}
        return lambda: api.post("/api/books", json=body, headers=headers)

    responses = await race(api, [create(i) for i in range(CONCURRENCY)])

    winner = one_winner(responses, 201, 409).json()
    assert await sql.fetch("SELECT id::text, isbn FROM book") == [(winner["id"], isbn)]
    # The losers left nothing behind: not their tags, not their tag links.
    assert await sql.fetchval("SELECT count(*) FROM book_tag") == 1
    assert await sql.fetchval("SELECT array_agg(name) FROM tag") == [winner["tags"][0]["name"]]


async def test_fifty_tags_with_the_same_name_create_one(api, sql):
    headers = await bearer_headers(api)
    names = ["Racing", "racing", "RACING", " Racing "]

    def create(i: int) -> Callable[[], Awaitable[httpx.Response]]:
        return lambda: api.post("/api/tags", json={"name": names[i % 4]}, headers=headers)

    responses = await race(api, [create(i) for i in range(CONCURRENCY)])

    winner = one_winner(responses, 201, 409).json()
    assert await sql.fetch("SELECT id::text, slug FROM tag") == [(winner["id"], "racing")]


async def test_fifty_sign_ups_with_the_same_email_create_one_account(api, sql):
    # API.md: a sign-up with an email that exists (in any case) is a 409.
    email = new_email("racer")
    headers = await browser_headers(api)
    variants = [email, email.upper(), email.title(), f" {email} "]

    def sign_up(i: int) -> Callable[[], Awaitable[httpx.Response]]:
        body = {"email": variants[i % 4], "password": SIGNUP_PASSWORD, "name": f"Racer {i}"}
        return lambda: api.post("/api/auth/signup", json=body, headers=headers)

    responses = await race(api, [sign_up(i) for i in range(CONCURRENCY)])

    winner = one_winner(responses, 201, 409)
    user = winner.json()
    assert await sql.fetch("SELECT id::text, email FROM user_account") == [(user["id"], email)]
    # Only the winner was signed in, and only its verification email was queued.
    assert await sql.fetchval("SELECT count(*) FROM user_session") == 1
    assert await sql.fetchval("SELECT count(*) FROM user_session WHERE user_id = $1", uuid.UUID(user["id"])) == 1
    assert await sql.fetchval("SELECT count(*) FROM saq_jobs") == 1
    for loser in responses:
        if loser is not winner:
            assert "session" not in loser.cookies


DELETE_POSITIONS = [0, 5, 25, CONCURRENCY - 1]
"""Where the author's DELETE sits among the requests sent with it: first, early, in the middle, last."""


@pytest.mark.parametrize("position", DELETE_POSITIONS)
@pytest.mark.parametrize("books_arrive_by", ["create", "move"])
async def test_deleting_an_author_while_books_join_it(api, sql, books_arrive_by, position):
    """49 requests give the author a book (`POST /api/books` for it, or `PATCH` moving a book of
    another author to it) while one deletes it. Whatever the interleaving:

    - every answer is a 2xx or 4xx: a book joins (201 or 200) or is refused with 400 because the
      author is gone; the delete is 204, or 409 because the author has books; each says why;
    - the delete succeeded exactly when no book joined: an author with a book cannot be deleted,
      and no book can join a deleted author (nothing deletes books here);
    - the author's books in the database are exactly those whose request succeeded; the other
      books are where they were; no book points at a missing author.
    """
    headers = await bearer_headers(api)
    author = (await api.post("/api/authors", json={"name": "Vanishing Author"}, headers=headers)).json()
    author_id = uuid.UUID(author["id"])
    stable = (await api.post("/api/authors", json={"name": "Stable Author"}, headers=headers)).json()

    async def join(i: int) -> httpx.Response:
        if books_arrive_by == "create":
            body = {"title": f"Book {i}", "authorId": author["id"], "tags": ["Race"]}
            return await api.post("/api/books", json=body, headers=headers)
        return await api.patch(f"/api/books/{existing[i]}", json={"authorId": author["id"]}, headers=headers)

    existing = []
    if books_arrive_by == "move":
        for i in range(CONCURRENCY - 1):
            created = await api.post(
                "/api/books", json={"title": f"Book {i}", "authorId": stable["id"]}, headers=headers
            )
            existing.append(created.json()["id"])
    requests: list[Callable[[], Awaitable[httpx.Response]]] = [partial(join, i) for i in range(CONCURRENCY - 1)]
    requests.insert(position, lambda: api.delete(f"/api/authors/{author['id']}", headers=headers))

    responses = await race(api, requests)

    deleted = responses.pop(position)
    success = 201 if books_arrive_by == "create" else 200
    assert_no_server_errors([deleted], {204, 409})
    assert_no_server_errors(responses, {success, 400})
    # The answers say why, never a bare "Conflict" from a violated foreign key.
    if deleted.status_code == 409:
        assert "still has books" in deleted.json()["detail"], deleted.text
    for refused in (response for response in responses if response.status_code == 400):
        assert refused.json()["detail"] == f"authorId: no author with id {author['id']}", refused.text
    joined = {response.json()["id"] for response in responses if response.status_code == success}
    author_exists = await sql.fetchval("SELECT count(*) FROM author WHERE id = $1", author_id) == 1
    if deleted.status_code == 204:
        assert (author_exists, joined) == (False, set())
    else:
        assert author_exists
        assert joined, "the delete was refused although the author never had a book"
    books = {row["id"]: row["author_id"] for row in await sql.fetch("SELECT id::text, author_id FROM book")}
    assert {book for book, owner in books.items() if owner == author_id} == joined
    assert {book for book, owner in books.items() if owner != author_id} == set(existing) - joined
    orphans = "SELECT count(*) FROM book b LEFT JOIN author a ON a.id = b.author_id WHERE a.id IS NULL"
    assert await sql.fetchval(orphans) == 0
    if books_arrive_by == "create":
        assert await sql.fetchval("SELECT count(*) FROM book_tag") == len(joined), "a refused book left its tag link"
