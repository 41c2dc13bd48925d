"""The bad-input corpus for JSON bodies, query strings, paths and headers, sent in-process.

Every JSON-taking route gets every hostile body: too big, nested too deep, the wrong media type,
invalid UTF-8, NUL characters in each of its text fields and numbers no field can hold. Each
answer must be a clean 4xx problem (`tests.support.problems`) and must leave the database as it
was. `test_errors.py` holds the first, per-field cases (and unknown fields, with
`test_mass_assignment.py`); this module sweeps the attacks across every route.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from app.db import models as m
from tests.integration.catalogue import Client, create_author, create_book, create_tag, isbn13
from tests.support import accounts
from tests.support.browser import with_csrf
from tests.support.db import scalar, scalars
from tests.support.hostile import MIB, deep_array, deep_object, json_with, multipart, multipart_headers
from tests.support.problems import assert_rejected

UNKNOWN_ID = "01900000-0000-7000-8000-000000000000"
JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class JsonRoute:
    method: str
    path: str
    body: dict[str, Any]
    caller: str = "user"
    """`user` (API token), `admin` (a superuser's token) or `anon` (no credentials, CSRF token sent)."""
    numbers: tuple[str, ...] = ()
    """Fields that hold integers or booleans."""
    texts: tuple[str, ...] = ()
    """The text fields a NUL is tried in (by default every string of `body`)."""

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def text_fields(self) -> tuple[str, ...]:
        return self.texts or tuple(name for name, value in self.body.items() if isinstance(value, str))


ROUTES = [
    JsonRoute("POST", "/api/authors", {"name": "N", "bio": "B", "dob": "1970-01-01"}),
    JsonRoute("PATCH", "/api/authors/{author}", {"name": "N", "bio": "B"}),
    JsonRoute(
        "POST",
        "/api/books",
        {"title": "T", "authorId": "{author}", "isbn": isbn13(42), "publishedYear": 2000, "description": "D"},
        numbers=("publishedYear",),
        texts=("title", "isbn", "description"),
    ),
    JsonRoute(
        "PATCH", "/api/books/{book}", {"title": "T", "publishedYear": 2001, "tags": ["x"]}, numbers=("publishedYear",)
    ),
    JsonRoute("POST", "/api/tags", {"name": "N"}),
    JsonRoute("PATCH", "/api/tags/{tag}", {"name": "N"}, caller="admin"),
    JsonRoute(
        "POST",
        "/api/auth/signup",
        {"email": "new@example.com", "password": "quiet lanterns by the sea", "name": "N"},
        caller="anon",
        texts=("email", "name"),
    ),
    JsonRoute("POST", "/api/auth/login", {"email": "{email}", "password": accounts.TEST_PASSWORD}, caller="anon"),
    JsonRoute("POST", "/api/auth/forgot-password", {"email": "{email}"}, caller="anon"),
    JsonRoute(
        "POST", "/api/auth/reset-password", {"token": "t", "password": "quiet lanterns by the sea"}, caller="anon"
    ),
    JsonRoute("POST", "/api/auth/verify-email", {"token": "t"}, caller="anon"),
    JsonRoute("PATCH", "/api/me", {"name": "N"}),
    JsonRoute(
        "POST",
        "/api/me/password",
        {"currentPassword": accounts.TEST_PASSWORD, "newPassword": "quiet lanterns by the sea"},
    ),
    JsonRoute("POST", "/api/me/tokens", {"name": "N", "expiresInDays": 30}, numbers=("expiresInDays",)),
    JsonRoute(
        "PATCH",
        "/api/users/{victim}",
        {"name": "N", "isActive": True, "isSuperuser": False},
        caller="admin",
        numbers=("isActive", "isSuperuser"),
    ),
]


@dataclass
class World:
    """The records the routes' paths name, and a caller for each kind of route."""

    ids: dict[str, str]
    callers: dict[str, Client]

    def path(self, route: JsonRoute) -> str:
        return route.path.format(**self.ids)

    def body(self, route: JsonRoute) -> dict[str, Any]:
        return {
            name: value.format(**self.ids) if isinstance(value, str) and "{" in value else value
            for name, value in route.body.items()
        }

    async def send(self, route: JsonRoute, content: bytes, headers: dict[str, str] | None = None) -> Any:
        caller = self.callers[route.caller]
        return await caller.request(route.method, self.path(route), content=content, headers=headers or JSON)


@pytest.fixture
async def world(user: m.User, client: Client, admin_client: Client, new_client: Any) -> World:
    author = await create_author(client, "Octavia E. Butler")
    book = await create_book(client, author["id"], "Kindred", tags=["Classics"])
    tag = await create_tag(client, "Time Travel")
    victim = await accounts.create_user(name="Victim")
    anon = await with_csrf(new_client())
    ids = {"author": author["id"], "book": book["id"], "tag": tag["id"], "victim": str(victim.id), "email": user.email}
    return World(ids, {"user": client, "admin": admin_client, "anon": anon})


async def snapshot() -> dict[str, Any]:
    """What a rejected request must not change: every author, book, tag, token and user, as text."""
    rows = {
        "authors": func.concat(m.Author.name, "|", m.Author.bio, "|", m.Author.dob),
        "books": func.concat(m.Book.title, "|", m.Book.isbn, "|", m.Book.published_year, "|", m.Book.description),
        "tags": func.concat(m.Tag.name, "|", m.Tag.slug),
        "tokens": func.concat(m.ApiToken.name, "|", m.ApiToken.expires_at),
        "users": func.concat(
            m.User.email, "|", m.User.name, "|", m.User.is_active, m.User.is_superuser, "|", m.User.hashed_password
        ),
    }
    return {name: sorted(await scalars(select(expression))) for name, expression in rows.items()}


async def count(model: Any) -> int:
    return int(await scalar(select(func.count()).select_from(model)))


# --- bodies ----------------------------------------------------------------------------------------


def hostile_bodies(route: JsonRoute, body: dict[str, Any]) -> dict[str, tuple[bytes, dict[str, str], int | set[int]]]:
    """case -> (content, headers, expected status) for one route."""
    form = urlencode({name: str(value) for name, value in body.items()}).encode()
    first_text = route.text_fields[0]
    cases: dict[str, tuple[bytes, dict[str, str], int | set[int]]] = {
        "oversized": (json.dumps({**body, "padding": "p" * MIB}).encode(), JSON, 413),
        "deep-array": (deep_array(), JSON, 400),
        "deep-object": (deep_object(), JSON, 400),
        "deep-array-in-field": (json_with(body, first_text, deep_array()), JSON, 400),
        "deep-object-in-field": (json_with(body, first_text, deep_object()), JSON, 400),
        "form-urlencoded": (form, {"content-type": "application/x-www-form-urlencoded"}, {400, 415}),
        "multipart": (
            multipart(json.dumps(body).encode(), filename=None, content_type=b"application/json"),
            multipart_headers(),
            {400, 415},
        ),
        "multipart-without-boundary": (json.dumps(body).encode(), {"content-type": "multipart/form-data"}, {400, 415}),
        "json-declared-latin1": (
            json.dumps({**body, first_text: "Caf\u00e9"}, ensure_ascii=False).encode("latin-1"),
            {"content-type": "application/json; charset=latin-1"},
            {400, 415},
        ),
        "invalid-utf8": (json_with(body, first_text, b'"caf\xe9\xff"'), JSON, 400),
        "overlong-utf8": (json_with(body, first_text, b'"\xc0\xaf\xc0\xae"'), JSON, 400),
        "utf16-body": (json.dumps(body).encode("utf-16"), JSON, 400),
        "lone-surrogate": (json_with(body, first_text, b'"a\\ud800b"'), JSON, 400),
        "raw-nul-in-body": (json.dumps(body).encode()[:-1] + b"\x00}", JSON, 400),
        "trailing-garbage": (json.dumps(body).encode() + b" {}", JSON, 400),
        "nan-literal": (json_with(body, first_text, b"NaN"), JSON, 400),
        "infinity-literal": (json_with(body, first_text, b"-Infinity"), JSON, 400),
    }
    for name in route.text_fields:
        cases[f"nul-in-{name}"] = (json_with(body, name, b'"a\\u0000b"'), JSON, _nul_status(route, name))
        cases[f"number-in-{name}"] = (json_with(body, name, b"1e309"), JSON, 400)
    for name in route.numbers:
        for label, raw in NUMBERS.items():
            cases[f"{label}-in-{name}"] = (json_with(body, name, raw), JSON, 400)
    return cases


NUMBERS = {
    "int64-overflow": str(2**63).encode(),
    "uint64-overflow": str(2**64 + 1).encode(),
    "negative-overflow": str(-(2**64)).encode(),
    "hundred-digits": b"9" * 100,
    "float-overflow": b"1e309",
    "negative-float-overflow": b"-1e309",
    "nan": b"NaN",
    "infinity": b"Infinity",
    "text": b'"twelve"',
    "object": b'{"value": 12}',
}


def _nul_status(route: JsonRoute, name: str) -> int | set[int]:
    """A NUL is refused as malformed (400); a login with one is a failed login like any other (401)."""
    if route.id == "POST /api/auth/login":
        return {400, 401}
    return 400


def all_cases() -> list[Any]:
    params = []
    for route in ROUTES:
        for case in hostile_bodies(route, route.body):
            params.append(pytest.param(route, case, id=f"{route.id}-{case}"))
    return params


@pytest.mark.parametrize(("route", "case"), all_cases())
async def test_hostile_json_body_is_a_clean_4xx_and_changes_nothing(world: World, route: JsonRoute, case: str) -> None:
    content, headers, status = hostile_bodies(route, world.body(route))[case]
    before = await snapshot()

    response = await world.send(route, content, headers)

    assert_rejected(response, status)
    assert await snapshot() == before


# --- query strings ---------------------------------------------------------------------------------

LISTS = {
    "authors": ("/api/authors", "user"),
    "books": ("/api/books", "user"),
    "tags": ("/api/tags", "user"),
    "users": ("/api/users", "admin"),
    "imports": ("/api/imports", "user"),
}
BAD_PAGE_SIZES = ["0", "-1", "101", str(2**63), "NaN", "Infinity", "1e9", "0x10", "1_0", "", "10\x00"]
BAD_CURRENT_PAGES = ["0", "-1", "-9223372036854775808", str(2**64), "NaN", "1.5", "", "\x00", "10000001"]


@pytest.mark.parametrize("value", BAD_PAGE_SIZES)
@pytest.mark.parametrize("resource", ["users", "imports"])
async def test_bad_page_size_on_users_and_imports_is_400(world: World, resource: str, value: str) -> None:
    path, caller = LISTS[resource]

    problem = assert_rejected(await world.callers[caller].get(path, params={"pageSize": value}), 400, sent=value)

    assert "pageSize" in {error["field"] for error in problem["errors"]}


@pytest.mark.parametrize("value", BAD_CURRENT_PAGES)
@pytest.mark.parametrize("resource", list(LISTS))
async def test_bad_current_page_on_every_list_is_400(world: World, resource: str, value: str) -> None:
    path, caller = LISTS[resource]

    problem = assert_rejected(await world.callers[caller].get(path, params={"currentPage": value}), 400, sent=value)

    assert "currentPage" in {error["field"] for error in problem["errors"]}


@pytest.mark.parametrize("resource", list(LISTS))
async def test_the_last_page_that_may_be_asked_for_is_empty_not_an_error(world: World, resource: str) -> None:
    path, caller = LISTS[resource]

    response = await world.callers[caller].get(path, params={"currentPage": "10000000", "pageSize": "100"})

    assert response.status_code == 200, response.text
    assert response.json()["items"] == []
    assert response.json()["offset"] == 999_999_900


@pytest.mark.parametrize("resource", list(LISTS))
async def test_undocumented_limit_and_offset_are_ignored(world: World, resource: str) -> None:
    path, caller = LISTS[resource]

    response = await world.callers[caller].get(path, params={"limit": "-5", "offset": str(2**70), "page": "x"})

    assert response.status_code == 200, response.text
    assert (response.json()["limit"], response.json()["offset"]) == (20, 0)


QUERY_ATTACKS = {
    # case: (list, raw query string, acceptable statuses)
    "nul-in-users-search": ("users", "searchString=a%00b", {400}),
    "nul-in-order-by": ("books", "orderBy=title%00", {400}),
    "nul-in-sort-order": ("authors", "sortOrder=asc%00", {400}),
    "nul-in-author-filter": ("books", "authorId=%00", {400}),
    "invalid-utf8-search": ("books", "searchString=%FF%FE", {200, 400}),
    "overlong-utf8-search": ("authors", "searchString=%C0%AF", {200, 400}),
    "truncated-utf8-tag": ("books", "tag=%E2%82", {200, 400}),
    "invalid-percent-escape": ("tags", "searchString=%zz%", {200, 400}),
    "lone-percent": ("books", "searchString=%", {200, 400}),
    "invalid-utf8-page-size": ("books", "pageSize=%FF", {400}),
    "fullwidth-digits": ("books", "pageSize=%EF%BC%91%EF%BC%90", {200, 400}),
    "repeated-page-size": ("books", "pageSize=10&pageSize=1000", {200, 400}),
    "long-search": ("books", "searchString=" + "a" * 20_000, {200, 400}),
    "long-tag": ("books", "tag=" + "t" * 20_000, {400}),
    "like-wildcards": ("authors", "searchString=%25%5F%5C", {200}),
    "sql-in-order-by": ("books", "orderBy=title;DROP%20TABLE%20book", {400}),
    "sql-in-search": ("books", "searchString=%27%20OR%201%3D1--", {200}),
}


@pytest.mark.parametrize("case", list(QUERY_ATTACKS))
async def test_hostile_query_strings_are_answered_cleanly(world: World, case: str) -> None:
    resource, query, statuses = QUERY_ATTACKS[case]
    path, caller = LISTS[resource]
    books_before = await count(m.Book)

    response = await world.callers[caller].get(f"{path}?{query}")

    if response.status_code == 200:
        page = response.json()
        assert page["items"] == [] or case == "repeated-page-size", page
        assert response.status_code in statuses
    else:
        assert_rejected(response, statuses, sent=query)
    assert await count(m.Book) == books_before


# --- paths -----------------------------------------------------------------------------------------

HOSTILE_PATHS = {
    "invalid-utf8-slug": ("/api/books/by-slug/%FF%FE", {404}),
    "overlong-utf8-slug": ("/api/authors/by-slug/%C0%AE%C0%AE", {404}),
    "encoded-traversal-slug": ("/api/books/by-slug/..%2F..%2Fetc%2Fpasswd", {404}),
    "long-slug": ("/api/books/by-slug/" + "s" * 50_000, {400, 404, 414}),
    "encoded-traversal-route": ("/api/books/%2e%2e/%2e%2e/health", {400, 404}),
    "fullwidth-digits-id": ("/api/books/\uff11\uff12\uff13", {400}),
    "invalid-utf8-id": ("/api/authors/%FF", {400}),
    "nul-in-import-id": ("/api/imports/%00", {400}),
    "nul-in-user-id": ("/api/users/%00", {400}),
    "nul-in-token-id": ("/api/me/tokens/%00", {400, 405}),
    "nul-in-cover-id": ("/api/books/%00/cover", {400}),
    "uuid-with-braces": ("/api/tags/{01900000-0000-7000-8000-000000000000}", {400, 404}),
}


@pytest.mark.parametrize("case", list(HOSTILE_PATHS))
async def test_hostile_paths_are_clean_4xx(world: World, case: str) -> None:
    path, statuses = HOSTILE_PATHS[case]
    caller = world.callers["admin"]

    assert_rejected(await caller.get(path), statuses, sent=path)


# --- headers ---------------------------------------------------------------------------------------

HOSTILE_HEADERS: dict[str, tuple[dict[str, str | bytes], set[int]]] = {
    "nul-in-bearer-token": ({"authorization": "Bearer folio_\x00"}, {401}),
    "huge-bearer-token": ({"authorization": "Bearer " + "t" * 60_000}, {401}),
    "bearer-without-token": ({"authorization": "Bearer"}, {401}),
    "basic-auth": ({"authorization": "Basic YWRtaW46YWRtaW4="}, {401}),
    "latin1-bearer-token": ({"authorization": b"Bearer caf\xe9"}, {401}),
    "nul-in-session-cookie": ({"cookie": "session=a\x00b"}, {401}),
    "percent-nul-session-cookie": ({"cookie": "session=a%00b"}, {401}),
    "latin1-session-cookie": ({"cookie": b"session=\xff\xfe"}, {401}),
    "huge-session-cookie": ({"cookie": "session=" + "s" * 60_000}, {401}),
    "sql-in-session-cookie": ({"cookie": "session=x' OR '1'='1"}, {401}),
}


@pytest.mark.parametrize("case", list(HOSTILE_HEADERS))
async def test_hostile_credentials_are_401_on_private_routes(world: World, new_client: Any, case: str) -> None:
    headers, statuses = HOSTILE_HEADERS[case]
    anon = new_client()

    assert_rejected(await anon.get("/api/me", headers=headers), statuses, sent=repr(headers))


@pytest.mark.parametrize("case", [case for case in HOSTILE_HEADERS if "cookie" in case])
async def test_a_garbled_session_cookie_does_not_break_public_reads(world: World, new_client: Any, case: str) -> None:
    headers, _ = HOSTILE_HEADERS[case]
    anon = new_client()

    response = await anon.get(f"/api/books/{world.ids['book']}", headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["id"] == world.ids["book"]


@pytest.mark.parametrize(
    "headers",
    [
        {"x-csrftoken": "\x00"},
        {"x-csrftoken": "t" * 60_000},
        {"x-csrftoken": b"\xff"},
        {"cookie": "csrftoken=\x00", "x-csrftoken": "\x00"},
    ],
    ids=["nul", "huge", "latin1", "nul-cookie-and-header"],
)
async def test_hostile_csrf_tokens_are_403(world: World, new_client: Any, headers: dict[str, Any]) -> None:
    anon = new_client()
    before = await snapshot()

    response = await anon.post(
        "/api/auth/login", json={"email": world.ids["email"], "password": accounts.TEST_PASSWORD}, headers=headers
    )

    assert_rejected(response, 403, sent=repr(headers))
    assert await snapshot() == before


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=\x00",
        "application/json; charset=utf-7",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "b" * 5000,
        "\x00",
        "*/*",
        "application/json, text/html",
    ],
    ids=["nul-charset", "utf7-charset", "empty-boundary", "huge-boundary", "nul", "wildcard", "list"],
)
async def test_hostile_content_types_are_clean(world: World, content_type: str) -> None:
    before = await snapshot()

    response = await world.callers["user"].post(
        "/api/authors", content=b'{"name": "Ursula"}', headers={"content-type": content_type}
    )

    if response.status_code == 201:
        assert content_type.startswith("application/json"), response.text
    else:
        assert_rejected(response, sent=content_type)
        assert await snapshot() == before
