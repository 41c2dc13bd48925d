# mypy: disallow-untyped-calls=False
"""The floor: the benchmark's requests answered by a bare ASGI app, as fast as Python reasonably goes.

No framework: a hand-written router, asyncpg (every query is prepared once per connection and
kept in asyncpg's statement cache) and msgspec. It answers the benchmarked requests with the same
JSON as Folio, so Folio's requests/s divided by the floor's tell how much of the time is Folio's own:

    GET  /api/books/{id}                     one book with its author and tags (tags by name)
    GET  /api/books?pageSize=&currentPage=   Folio's default order (newest first), {items, limit, offset, total}
    POST /api/books                          with `Authorization: Bearer`, tags matched by slug or created
    GET  /health                             a static body, identical to Folio's when all is well

Run it like Folio, on the same server, with `FLOOR_DATABASE_URL` set (a PostgreSQL URL):

    PYTHONPATH=tools granian --interface asgi --workers 1 --port 8001 bench.floor:app
    PYTHONPATH=tools uvicorn --workers 1 --no-access-log --port 8001 bench.floor:app

Slugs, ISBNs and token digests come from Folio's own functions, so the same input makes the same rows.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl
from uuid import UUID

import asyncpg
import msgspec
from uuid_utils.compat import uuid7

from app.lib.crypt import token_digest
from app.lib.services import make_slug
from app.lib.validation import clean_isbn

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000_000
MAX_BODY_BYTES = 1024 * 1024
TOKEN_USE_RECORD_INTERVAL = timedelta(minutes=5)

STATEMENTS_PER_REQUEST = {"get": 1, "list": 2, "create": 7, "create_3_new_tags": 7, "health": 0}
"""SQL statements each request runs (BEGIN and COMMIT not counted, as on Folio's side), for the report."""

HEALTH_BODY = b'{"status":"ok","database":"ok","queue":"ok"}'
NOT_FOUND_BODY = (
    b'{"type":"about:blank","title":"Not Found","status":404,"detail":"The requested resource was not found"}'
)
BAD_BOOK_ID_BODY = (
    b'{"type":"about:blank","title":"Bad Request","status":400,"detail":"bookId: Invalid UUID",'
    b'"errors":[{"field":"bookId","message":"Invalid UUID","source":"path"}]}'
)
UNKNOWN_TOKEN_BODY = (
    b'{"type":"about:blank","title":"Unauthorized","status":401,'
    b'"detail":"The API token is unknown, revoked or expired."}'
)
NOT_SIGNED_IN_BODY = (
    b'{"type":"about:blank","title":"Unauthorized","status":401,"detail":"You need to be signed in to do this."}'
)


class AuthorRef(msgspec.Struct):
    id: UUID
    name: str
    slug: str


class TagRef(msgspec.Struct):
    id: UUID
    name: str
    slug: str


class Book(msgspec.Struct, rename="camel"):
    id: UUID
    title: str
    slug: str
    isbn: str | None
    published_year: int | None
    description: str | None
    author: AuthorRef
    tags: list[TagRef]
    cover_url: str | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


class Page(msgspec.Struct):
    items: list[Book]
    limit: int
    offset: int
    total: int


class BookCreate(msgspec.Struct, rename="camel"):
    title: str
    author_id: UUID
    isbn: str | None = None
    published_year: int | None = None
    description: str | None = None
    tags: list[str] = msgspec.field(default_factory=list)


class BadRequestError(Exception):
    """Answered 400 with a problem body naming what is wrong."""


class ConflictError(Exception):
    """Answered 409."""


class ClientGoneError(Exception):
    """The client disconnected before its request body arrived: nobody to answer."""


# Folio stores "no cover" as JSON null, not SQL NULL.
BOOK_COLUMNS = """
    b.id, b.title, b.slug, b.isbn, b.published_year, b.description,
    a.id AS author_id, a.name AS author_name, a.slug AS author_slug,
    t.ids AS tag_ids, t.names AS tag_names, t.slugs AS tag_slugs,
    CASE WHEN jsonb_typeof(b.cover) = 'object' THEN left(coalesce(b.cover ->> 'checksum', ''), 16) END AS cover_version,
    b.created_by, b.created_at, b.updated_at
"""
BOOK_JOINS = """
    JOIN author a ON a.id = b.author_id
    LEFT JOIN LATERAL (
        SELECT array_agg(tag.id ORDER BY tag.name) AS ids,
               array_agg(tag.name ORDER BY tag.name) AS names,
               array_agg(tag.slug ORDER BY tag.name) AS slugs
        FROM book_tag JOIN tag ON tag.id = book_tag.tag_id
        WHERE book_tag.book_id = b.id
    ) t ON true
"""
GET_BOOK = f"SELECT {BOOK_COLUMNS} FROM book b {BOOK_JOINS} WHERE b.id = $1"
# created_at is NOT NULL, so the default order needs no NULLS clause and the book(created_at, id)
# index serves it; the page is chosen among ids alone (an index-only scan), then joined.
LIST_BOOKS = f"""
    SELECT {BOOK_COLUMNS}
    FROM (SELECT id FROM book ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2) page
    JOIN book b ON b.id = page.id {BOOK_JOINS}
    ORDER BY b.created_at DESC, b.id DESC
"""
COUNT_BOOKS = "SELECT count(*) FROM book"
TOKEN_USER = """
    SELECT t.id, t.user_id, t.last_used_at
    FROM api_token t JOIN user_account u ON u.id = t.user_id
    WHERE t.token_hash = $1 AND u.is_active AND (t.expires_at IS NULL OR t.expires_at > $2)
"""
RECORD_TOKEN_USE = "UPDATE api_token SET last_used_at = $2 WHERE id = $1"
GET_AUTHOR = "SELECT id, name, slug FROM author WHERE id = $1"
ISBN_AND_SLUG_TAKEN = """
    SELECT EXISTS (SELECT 1 FROM book WHERE isbn = $1) AS isbn_taken,
           EXISTS (SELECT 1 FROM book WHERE slug = $2) AS slug_taken
"""
INSERT_TAGS = """
    INSERT INTO tag (id, name, slug, created_at, updated_at)
    SELECT id, name, slug, $4, $4 FROM unnest($1::uuid[], $2::varchar[], $3::varchar[]) AS new(id, name, slug)
    ON CONFLICT (slug) DO NOTHING
"""
TAGS_BY_SLUG = "SELECT id, name, slug FROM tag WHERE slug = ANY($1::varchar[])"
INSERT_BOOK = """
    INSERT INTO book (id, title, slug, isbn, published_year, description, author_id, created_by, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""
INSERT_BOOK_TAGS = "INSERT INTO book_tag (book_id, tag_id) SELECT $1, unnest($2::uuid[])"


def book_from_row(row: asyncpg.Record) -> Book:
    tag_ids = row["tag_ids"] or ()
    tags = [
        TagRef(id=tag_id, name=name, slug=slug)
        for tag_id, name, slug in zip(tag_ids, row["tag_names"], row["tag_slugs"], strict=True)
    ]
    version = row["cover_version"]
    return Book(
        id=row["id"],
        title=row["title"],
        slug=row["slug"],
        isbn=row["isbn"],
        published_year=row["published_year"],
        description=row["description"],
        author=AuthorRef(id=row["author_id"], name=row["author_name"], slug=row["author_slug"]),
        tags=tags,
        cover_url=None if version is None else f"/api/books/{row['id']}/cover?v={version}",
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def database_url() -> str:
    url = os.environ.get("FLOOR_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not url:
        msg = "set FLOOR_DATABASE_URL to the benchmark database's PostgreSQL URL"
        raise RuntimeError(msg)
    scheme, _, rest = url.partition("://")
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


class Floor:
    """The ASGI application; one asyncpg pool, opened at lifespan start."""

    def __init__(self) -> None:
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            msg = "the floor opens its pool at lifespan start: serve it with lifespan on"
            raise RuntimeError(msg)
        return self._pool

    async def open(self) -> None:
        # Folio's pool: 20 connections kept open, no overflow.
        self._pool = await asyncpg.create_pool(database_url(), min_size=20, max_size=20)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.open()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        try:
            if path == "/health" and method == "GET":
                await respond(send, 200, HEALTH_BODY)
            elif path in ("/api/books", "/api/books/") and method == "GET":
                await respond(send, 200, await self.list_books(scope["query_string"]))
            elif path in ("/api/books", "/api/books/") and method == "POST":
                await self.create_book(scope, receive, send)
            elif path.startswith("/api/books/") and method == "GET" and "/" not in path[11:]:
                await self.get_book(path[11:], send)
            else:
                await respond(send, 404, NOT_FOUND_BODY, problem=True)
        except BadRequestError as exc:
            await respond(send, 400, problem_body(400, "Bad Request", str(exc)), problem=True)
        except ConflictError as exc:
            await respond(send, 409, problem_body(409, "Conflict", str(exc)), problem=True)
        except ClientGoneError:
            return

    async def get_book(self, raw_id: str, send: Send) -> None:
        try:
            book_id = UUID(raw_id)
        except ValueError:
            await respond(send, 400, BAD_BOOK_ID_BODY, problem=True)
            return
        row = await self.pool.fetchrow(GET_BOOK, book_id)
        if row is None:
            await respond(send, 404, NOT_FOUND_BODY, problem=True)
            return
        await respond(send, 200, msgspec.json.encode(book_from_row(row)))

    async def list_books(self, query_string: bytes) -> bytes:
        params = dict(parse_qsl(query_string.decode("latin-1")))
        page_size = _bounded_int(params, "pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        page = _bounded_int(params, "currentPage", 1, MAX_PAGE)
        offset = page_size * (page - 1)
        async with self.pool.acquire() as connection:
            total = await connection.fetchval(COUNT_BOOKS)
            rows = await connection.fetch(LIST_BOOKS, page_size, offset)
        return msgspec.json.encode(
            Page(items=[book_from_row(row) for row in rows], limit=page_size, offset=offset, total=total)
        )

    async def create_book(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _bearer_token(scope)
        pool = self.pool
        user_id = await _token_user(pool, token) if token is not None else None
        if user_id is None:
            body = UNKNOWN_TOKEN_BODY if token is not None else NOT_SIGNED_IN_BODY
            await respond(send, 401, body, problem=True)
            return
        try:
            data = msgspec.json.decode(await read_body(receive), type=BookCreate)
        except msgspec.DecodeError as exc:
            raise BadRequestError(str(exc)) from exc
        async with pool.acquire() as connection:
            book = await _insert_book(connection, data, user_id)
        await respond(send, 201, msgspec.json.encode(book), location=f"/api/books/{book.id}")


async def _token_user(pool: asyncpg.Pool, token: str) -> UUID | None:
    now = datetime.now(UTC)
    row = await pool.fetchrow(TOKEN_USER, token_digest(token), now)
    if row is None:
        return None
    last_used = row["last_used_at"]
    if last_used is None or now - last_used > TOKEN_USE_RECORD_INTERVAL:
        await pool.execute(RECORD_TOKEN_USE, row["id"], now)
    user_id: UUID = row["user_id"]
    return user_id


async def _insert_book(connection: asyncpg.Connection, data: BookCreate, user_id: UUID) -> Book:
    title = data.title.strip()
    if not title:
        raise BadRequestError("title must not be empty or blank")
    try:
        isbn = clean_isbn(data.isbn) if data.isbn is not None else None
    except ValueError as exc:
        raise BadRequestError(str(exc)) from exc
    by_slug: dict[str, str] = {}
    for name in (name.strip() for name in data.tags):
        by_slug.setdefault(make_slug(name, ""), name)
    by_slug.pop("", None)
    slug = make_slug(title, "book")
    now = datetime.now(UTC)
    async with connection.transaction():
        author = await connection.fetchrow(GET_AUTHOR, data.author_id)
        if author is None:
            raise BadRequestError(f"authorId: no author with id {data.author_id}")
        taken = await connection.fetchrow(ISBN_AND_SLUG_TAKEN, isbn, slug)
        if taken["isbn_taken"]:
            raise ConflictError(f"A book with isbn {isbn} already exists.")
        if taken["slug_taken"]:
            slug = f"{slug}-{secrets.token_hex(3)}"
        tags: list[TagRef] = []
        if by_slug:
            new = sorted(by_slug.items())
            await connection.execute(
                INSERT_TAGS, [uuid7() for _ in new], [name for _, name in new], [slug for slug, _ in new], now
            )
            found = {row["slug"]: row for row in await connection.fetch(TAGS_BY_SLUG, list(by_slug))}
            tags = [TagRef(id=found[s]["id"], name=found[s]["name"], slug=s) for s in by_slug]
        book_id = uuid7()
        await connection.execute(
            INSERT_BOOK,
            book_id,
            title,
            slug,
            isbn,
            data.published_year,
            data.description,
            author["id"],
            user_id,
            now,
            now,
        )
        if tags:
            await connection.execute(INSERT_BOOK_TAGS, book_id, [tag.id for tag in tags])
    return Book(
        id=book_id,
        title=title,
        slug=slug,
        isbn=isbn,
        published_year=data.published_year,
        description=data.description,
        author=AuthorRef(id=author["id"], name=author["name"], slug=author["slug"]),
        tags=tags,
        cover_url=None,
        created_by=user_id,
        created_at=now,
        updated_at=now,
    )


def _bounded_int(params: dict[str, str], name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequestError(f"{name}: Expected `int`") from None
    if not 1 <= value <= maximum:
        raise BadRequestError(f"{name}: Expected `int` between 1 and {maximum}")
    return value


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGoneError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BadRequestError("the request body is too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def problem_body(status: int, title: str, detail: str) -> bytes:
    return msgspec.json.encode({"type": "about:blank", "title": title, "status": status, "detail": detail})


async def respond(send: Send, status: int, body: bytes, *, problem: bool = False, location: str | None = None) -> None:
    headers = [
        (b"content-type", b"application/problem+json" if problem else b"application/json"),
        (b"content-length", b"%d" % len(body)),
    ]
    if location is not None:
        headers.append((b"location", location.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


app = Floor()
