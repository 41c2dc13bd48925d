"""Who may call what, for every route in the app's own route table.

User A owns an author, a book (with a tag and a cover), an import, a browser session and an API
token. Every route the app serves is in exactly one of four tables below: PUBLIC (anyone),
ADMIN (the superuser guard), A_RECORDS (its path names one of A's records) or CALLERS_OWN (it acts
on the caller's own account, or creates something new). A route in none of them fails
`test_every_route_is_in_the_matrix`, so a new route cannot slip past the matrix.

Each refused request is followed by the same request from someone who may make it, which must
succeed: a refusal caused by a malformed request would prove nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import models as m
from app.server.asgi import create_app
from tests.integration.catalogue import Client, assert_problem, create_author, create_book, isbn13
from tests.support.accounts import TEST_PASSWORD, create_api_token, create_user
from tests.support.browser import new_email, signed_in, with_csrf
from tests.support.db import run_db
from tests.support.images import tiny_png
from tests.support.routes import Operation, operations

ROUTES = operations(create_app())
REQUIRES_USER = "requires_active_user"
REQUIRES_SUPERUSER = "requires_superuser"


@dataclass
class World:
    """User A's records, and everyone who will try to touch them."""

    user: m.User
    a: Client
    a_token: str
    author: dict[str, Any]
    """A's author without books, so that deleting it can succeed."""
    book: dict[str, Any]
    import_id: str
    session_cookie: str
    session_id: str
    token_id: str
    new_client: Callable[..., Client]
    tag_ids: list[uuid.UUID] = field(default_factory=list)

    def private(self) -> list[str]:
        """What nobody but A may ever see."""
        return [self.user.email, self.import_id, self.session_cookie, self.session_id, self.token_id, self.a_token]


Request = Callable[[World], dict[str, Any]]
"""The keyword arguments of `client.request(method, path, ...)` for a route, given A's records."""


def no_body(_: World) -> dict[str, Any]:
    return {}


def body(value: dict[str, Any]) -> Request:
    return lambda _: {"json": value}


def upload(filename: str, content: bytes, content_type: str) -> Request:
    return lambda _: {"files": {"file": (filename, content, content_type)}}


IMPORT_CSV = ("books.csv", b"title,author\nThe Left Hand of Darkness,Ursula K. Le Guin\n", "text/csv")

PUBLIC: dict[str, tuple[Request, int]] = {
    "GET /health": (no_body, 200),
    "GET /health/live": (no_body, 200),
    "GET /schema": (no_body, 200),
    "GET /schema/scalar": (no_body, 200),
    "GET /schema/openapi.json": (no_body, 200),
    "GET /schema/{path}": (no_body, 404),
    "POST /api/auth/signup": (
        lambda _: {"json": {"email": new_email(), "password": "quiet harbour lanterns", "name": "N"}},
        201,
    ),
    "POST /api/auth/login": (lambda w: {"json": {"email": w.user.email, "password": TEST_PASSWORD}}, 200),
    "POST /api/auth/logout": (no_body, 204),
    "POST /api/auth/forgot-password": (lambda w: {"json": {"email": w.user.email}}, 202),
    "POST /api/auth/reset-password": (body({"token": "not-a-token", "password": "quiet harbour lanterns"}), 400),
    "POST /api/auth/verify-email": (body({"token": "not-a-token"}), 400),
    "GET /api/authors": (no_body, 200),
    "GET /api/authors/{author_id}": (no_body, 200),
    "GET /api/authors/by-slug/{slug}": (no_body, 200),
    "GET /api/books": (no_body, 200),
    "GET /api/books/{book_id}": (no_body, 200),
    "GET /api/books/by-slug/{slug}": (no_body, 200),
    "GET /api/books/{book_id}/cover": (no_body, 200),
    "GET /api/tags": (no_body, 200),
    "GET /api/tags/{tag_id}": (no_body, 200),
}
"""Anyone may call these; the status an anonymous browser gets for the request given."""

ADMIN: dict[str, Request] = {
    "GET /api/users": no_body,
    "GET /api/users/{user_id}": no_body,
    "PATCH /api/users/{user_id}": body({"name": "Promoted", "isSuperuser": True}),
    "DELETE /api/users/{user_id}": no_body,
    "PATCH /api/tags/{tag_id}": body({"name": "Renamed Tag"}),
    "DELETE /api/tags/{tag_id}": no_body,
}
"""Superusers only (ordinary users: 403); `{user_id}` is user A."""

A_RECORDS: dict[str, tuple[Request, int]] = {
    "PATCH /api/authors/{author_id}": (body({"name": "Defaced", "bio": "B was here"}), 403),
    "DELETE /api/authors/{author_id}": (no_body, 403),
    "PATCH /api/books/{book_id}": (body({"title": "Defaced", "isbn": isbn13(99), "tags": []}), 403),
    "DELETE /api/books/{book_id}": (no_body, 403),
    "PUT /api/books/{book_id}/cover": (upload("b.png", tiny_png(red=7), "image/png"), 403),
    "DELETE /api/books/{book_id}/cover": (no_body, 403),
    "GET /api/imports/{import_id}": (no_body, 404),
    "DELETE /api/me/sessions/{session_id}": (no_body, 404),
    "DELETE /api/me/tokens/{token_id}": (no_body, 404),
}
"""Routes naming one of A's records: user B gets the status given, A (the owner) succeeds."""

CALLERS_OWN: dict[str, tuple[Request, int]] = {
    "POST /api/authors": (body({"name": "B's Author"}), 201),
    "POST /api/books": (
        lambda w: {"json": {"title": "B's Book", "authorId": w.book["author"]["id"], "tags": ["Time Travel"]}},
        201,
    ),
    "POST /api/tags": (body({"name": "B's Tag"}), 201),
    "POST /api/imports": (upload(*IMPORT_CSV), 202),
    "GET /api/imports": (no_body, 200),
    "GET /api/me": (no_body, 200),
    "PATCH /api/me": (body({"name": "B Renamed"}), 200),
    "POST /api/me/password": (body({"currentPassword": TEST_PASSWORD, "newPassword": "a brand new passphrase"}), 204),
    "GET /api/me/sessions": (no_body, 200),
    "POST /api/me/tokens": (body({"name": "B's script"}), 201),
    "GET /api/me/tokens": (no_body, 200),
}
"""Routes acting on the caller's own account or creating something new: B succeeds and A's records stay as they were."""

TABLES: dict[str, dict[str, Any]] = {
    "public": PUBLIC,
    "admin": ADMIN,
    "A's records": A_RECORDS,
    "the caller's own": CALLERS_OWN,
}


def request_for(operation: Operation) -> Request:
    for table in TABLES.values():
        if operation.key in table:
            entry = table[operation.key]
            return entry[0] if isinstance(entry, tuple) else entry
    pytest.fail(f"{operation.key} is in none of the matrix's tables: add it to one of {list(TABLES)}")


def path_of(operation: Operation, world: World) -> str:
    values = {
        "author_id": world.author["id"],
        "book_id": world.book["id"],
        "tag_id": world.book["tags"][0]["id"],
        "import_id": world.import_id,
        "session_id": world.session_id,
        "token_id": world.token_id,
        "user_id": str(world.user.id),
        "path": "no-such-page",
    }
    slugs = {"authors": world.author["slug"], "books": world.book["slug"]}
    path = operation.path
    for name in operation.parameters:
        value = slugs.get(path.split("/")[2]) if name == "slug" else values.get(name)
        assert value is not None, f"the matrix does not know what to put in {{{name}}} of {operation.key}"
        path = path.replace(f"{{{name}}}", value)
    return path


async def call(client: Client, operation: Operation, world: World) -> Any:
    return await client.request(operation.method, path_of(operation, world), **request_for(operation)(world))


# What of A's is stored, row by row: nothing B does may change any of it.
A_ROWS = {
    m.User.__tablename__: "id = :a",
    m.Author.__tablename__: "created_by = :a",
    m.Book.__tablename__: "created_by = :a",
    m.book_tag.name: "book_id IN (SELECT id FROM book WHERE created_by = :a)",
    m.Tag.__tablename__: "id = ANY(:tags)",
    m.BookImport.__tablename__: "created_by = :a",
    m.UserSession.__tablename__: "user_id = :a",
    m.ApiToken.__tablename__: "user_id = :a",
}


async def a_rows(world: World) -> dict[str, list[str]]:
    async def read(session: AsyncSession) -> dict[str, list[str]]:
        rows = {}
        for table, where in A_ROWS.items():
            statement = text(f'SELECT to_jsonb(t)::text FROM "{table}" t WHERE {where} ORDER BY 1')
            result = await session.scalars(statement, {"a": world.user.id, "tags": world.tag_ids})
            rows[table] = list(result.all())
        return rows

    return await run_db(read)


@pytest.fixture
async def world(user: m.User, new_client: Callable[..., Client]) -> World:
    a_token = await create_api_token(user, name="A's script")
    a = new_client(a_token)
    author = await create_author(a, "Lonely Author")
    books_author = await create_author(a, "Octavia E. Butler")
    book = await create_book(a, books_author["id"], "Kindred", isbn=isbn13(7), tags=["Time Travel"])
    cover = await a.put(f"/api/books/{book['id']}/cover", files={"file": ("a.png", tiny_png(), "image/png")})
    assert cover.status_code == 200, cover.text
    imported = await a.post("/api/imports", files={"file": IMPORT_CSV})
    assert imported.status_code == 202, imported.text
    session_cookie = await signed_in(new_client(), user.email)
    [session] = (await a.get("/api/me/sessions")).json()
    [token] = (await a.get("/api/me/tokens")).json()
    return World(
        user=user,
        a=a,
        a_token=a_token,
        author=author,
        book=cover.json(),
        import_id=imported.json()["id"],
        session_cookie=session_cookie,
        session_id=session["id"],
        token_id=token["id"],
        new_client=new_client,
        tag_ids=[uuid.UUID(tag["id"]) for tag in book["tags"]],
    )


@pytest.fixture(params=["token", "session"])
async def user_b(request: pytest.FixtureRequest, new_client: Callable[..., Client]) -> Client:
    """User B, who owns nothing of A's, signed in with an API token or as a browser."""
    b = await create_user(name="User B")
    if request.param == "token":
        return new_client(await create_api_token(b))
    browser = new_client()
    await signed_in(browser, b.email)
    return browser


def routes_in(*tables: dict[str, Any]) -> list[Operation]:
    names = set().union(*tables)
    return [operation for operation in ROUTES if operation.key in names]


def ids(operation: Operation) -> str:
    return operation.key


# The table itself


def test_every_route_is_in_the_matrix() -> None:
    served = {operation.key for operation in ROUTES}
    listed = [key for table in TABLES.values() for key in table]

    twice = sorted({key for key in listed if listed.count(key) > 1})
    assert not twice, f"routes in more than one table: {twice}"
    missing = sorted(served - set(listed))
    assert not missing, f"routes the matrix does not cover; add each to one of {list(TABLES)}: {missing}"
    gone = sorted(set(listed) - served)
    assert not gone, f"routes in the matrix that the app no longer serves: {gone}"


def test_the_guards_match_the_tables() -> None:
    by_guard = {operation.key: operation.guards for operation in ROUTES}

    assert {key for key, guards in by_guard.items() if REQUIRES_SUPERUSER in guards} == set(ADMIN)
    assert {key for key in PUBLIC if by_guard[key]} == set(), "a public route carries a guard"
    unguarded = {
        key
        for key, guards in by_guard.items()
        if key not in PUBLIC and not guards & {REQUIRES_USER, REQUIRES_SUPERUSER}
    }
    assert unguarded == set(), "a route that needs someone signed in has no guard"


def test_the_openapi_document_names_a_sign_in_on_every_route_that_is_not_public(app: Litestar) -> None:
    document = app.openapi_schema.to_schema()
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiToken"] == schemes["apiToken"] | {"type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"] == schemes["sessionCookie"] | {"type": "apiKey", "in": "cookie", "name": "session"}
    either: list[dict[str, list[str]]] = [{"apiToken": []}, {"sessionCookie": []}]

    for operation in ROUTES:
        if not operation.path.startswith("/api/"):
            continue
        documented = document["paths"][operation.path][operation.method.lower()]
        expected = None if operation.key in PUBLIC else either
        assert documented.get("security") == expected, operation.key


# Anonymous callers


@pytest.mark.parametrize("operation", routes_in(PUBLIC), ids=ids)
async def test_public_routes_answer_anyone(world: World, operation: Operation) -> None:
    browser = await with_csrf(world.new_client())
    expected = PUBLIC[operation.key][1]

    response = await call(browser, operation, world)

    assert response.status_code == expected, response.text


@pytest.mark.parametrize("operation", [op for op in ROUTES if op.key not in PUBLIC], ids=ids)
@pytest.mark.parametrize("caller", ["a script", "a browser that visited", "a browser sending its CSRF token"])
async def test_anonymous_callers_get_401_and_change_nothing(world: World, operation: Operation, caller: str) -> None:
    anonymous = world.new_client()
    if caller == "a browser that visited":
        # It has the site's cookies but sends no CSRF header: still nobody is signed in, so 401 (not 403).
        assert (await anonymous.get("/api/books")).status_code == 200
    elif caller == "a browser sending its CSRF token":
        await with_csrf(anonymous)
    before = await a_rows(world)

    response = await call(anonymous, operation, world)

    assert_problem(response, 401)
    assert await a_rows(world) == before


# User B against A's records


@pytest.mark.parametrize("operation", routes_in(A_RECORDS), ids=ids)
async def test_another_user_cannot_touch_a_users_records(world: World, user_b: Client, operation: Operation) -> None:
    before = await a_rows(world)

    refused = await call(user_b, operation, world)

    assert_problem(refused, A_RECORDS[operation.key][1])
    assert await a_rows(world) == before
    for secret in world.private():
        assert secret not in refused.text
    # The very same request from A goes through, so the refusal was about who asked.
    allowed = await call(world.a, operation, world)
    assert allowed.status_code < 300, allowed.text
    if operation.method != "GET":
        assert await a_rows(world) != before, "the owner's write changed no row: the snapshot misses it"


@pytest.mark.parametrize("operation", routes_in(ADMIN), ids=ids)
async def test_ordinary_users_get_403_on_admin_routes(world: World, user_b: Client, operation: Operation) -> None:
    admin = world.new_client(await create_api_token(await create_user(name="Admin", is_superuser=True)))
    before = await a_rows(world)

    refused = await call(user_b, operation, world)

    assert_problem(refused, 403)
    assert await a_rows(world) == before
    assert_problem(await call(world.a, operation, world), 403)
    assert await a_rows(world) == before
    allowed = await call(admin, operation, world)
    assert allowed.status_code < 300, allowed.text
    if operation.method != "GET":
        assert await a_rows(world) != before, "the superuser's write changed no row: the snapshot misses it"


@pytest.mark.parametrize("operation", routes_in(CALLERS_OWN), ids=ids)
async def test_a_users_own_routes_leave_other_users_alone(world: World, user_b: Client, operation: Operation) -> None:
    before = await a_rows(world)

    response = await call(user_b, operation, world)

    assert response.status_code == CALLERS_OWN[operation.key][1], response.text
    assert await a_rows(world) == before
    for secret in world.private():
        assert secret not in response.text, f"{operation.key} showed B something of A's"


def test_the_matrix_is_built_from_the_served_app(app: Litestar) -> None:
    """The route table read at collection is the one the tests' app serves."""
    assert operations(app) == ROUTES
