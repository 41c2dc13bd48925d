# mypy: disallow-untyped-calls=False
"""CPU time per request inside one process, without a server or a network: where a request's time goes.

Drives ASGI apps directly, one request at a time, and reports the CPU microseconds each request
costs (process time, so PostgreSQL's work in its own processes is not counted): Folio, the floor,
and a bare Litestar app that answers the same get with the floor's query (`bench.bare`), which is
the least any Litestar app can spend. `--profile NAME` prints cProfile's top functions for one.

    PYTHONPATH=tools .venv/bin/python -m bench.inprocess --database-url postgresql+asyncpg://…/folio_bench

The database must hold the benchmark dataset: `tools/bench/run.py` leaves `folio_bench` behind on
its embedded PostgreSQL, which `--data-dir .data-bench` starts and uses instead of a URL. The create
(`POST /api/books` with a bearer token, a new title and three new tags each time) needs the dataset's
tokens: `--dataset`, by default `inputs/dataset.json` of `--data-dir`. The books and tags it creates are
deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import json
import os
import pstats
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from data.dataset import Dataset
from data.isbn import isbn13

Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


INPROCESS_ISBN_PREFIX = "974"
"""Books created here take ISBNs no dataset, import file, load script or other check uses."""
CREATED_TAG_PREFIX = "In-process Tag "


@dataclass(frozen=True)
class Request:
    name: str
    method: str
    path: str
    query: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: Callable[[], bytes] | None = None
    """A new body for every request."""


def create_request(dataset: Dataset) -> Request:
    """`POST /api/books` as the benchmark's create sends it, but with three new tags each time."""
    serial = itertools.count()
    authors = itertools.cycle(dataset.author_ids)

    def body() -> bytes:
        n = next(serial)
        tags = [f"{CREATED_TAG_PREFIX}{n} {k}" for k in range(3)]
        book = {
            "title": f"In-process Volume {n}",
            "authorId": next(authors),
            "isbn": isbn13(INPROCESS_ISBN_PREFIX, n),
            "publishedYear": 1999,
            "tags": tags,
        }
        return json.dumps(book).encode()

    headers = ((b"content-type", b"application/json"), (b"authorization", f"Bearer {dataset.users[0].token}".encode()))
    return Request("create", "POST", "/api/books", headers=headers, body=body)


async def delete_created(dsn: str) -> None:
    """Remove the books and tags `create_request` made (a run cut short left some too)."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("DELETE FROM book WHERE isbn LIKE $1", INPROCESS_ISBN_PREFIX + "%")
        await connection.execute("DELETE FROM tag WHERE name LIKE $1", CREATED_TAG_PREFIX + "%")
        await connection.execute("VACUUM (ANALYZE) book, book_tag, tag")
    finally:
        await connection.close()


async def call(app: ASGIApp, request: Request) -> int:
    """Send `request` to `app`; its status."""
    body = request.body() if request.body is not None else b""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": request.path,
        "raw_path": request.path.encode(),
        "root_path": "",
        "query_string": request.query,
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"user-agent", b"inprocess"),
            (b"accept", b"*/*"),
            (b"content-length", b"%d" % len(body)),
            *request.headers,
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
        "extensions": {},
    }
    status = 0
    sent_request = False

    async def receive() -> Message:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


class Lifespan:
    """Runs an app's lifespan startup on entry and its shutdown on exit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ASGIApp:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self._task = asyncio.ensure_future(self.app(scope, self._inbox.get, self._outbox.put))
        await self._inbox.put({"type": "lifespan.startup"})
        answer = await self._outbox.get()
        if answer["type"] != "lifespan.startup.complete":
            raise RuntimeError(answer)
        return self.app

    async def __aexit__(self, *_: object) -> None:
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._outbox.get()
        if self._task is not None:
            await self._task


async def cpu_per_request(app: ASGIApp, request: Request, count: int) -> float:
    """Median over five runs of `count` sequential requests: CPU microseconds per request."""
    for _ in range(max(count // 5, 50)):
        status = await call(app, request)
        if status >= 400:
            msg = f"{request.name}: {request.method} {request.path} answered {status}"
            raise RuntimeError(msg)
    samples = []
    for _ in range(5):
        started = time.process_time()
        for _ in range(count):
            await call(app, request)
        samples.append((time.process_time() - started) / count * 1e6)
    return sorted(samples)[2]


async def profile(app: ASGIApp, request: Request, count: int, top: int, sort: str = "tottime") -> None:
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(count):
        await call(app, request)
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stdout).sort_stats(sort).print_stats(top)


async def sample_ids(dsn: str) -> tuple[str, str]:
    connection = await asyncpg.connect(dsn)
    try:
        book = await connection.fetchval("SELECT id FROM book ORDER BY created_at LIMIT 1 OFFSET 100")
        author = await connection.fetchval("SELECT id FROM author ORDER BY created_at LIMIT 1 OFFSET 10")
    finally:
        await connection.close()
    return str(book), str(author)


def make_apps(database_url: str) -> dict[str, Any]:
    os.environ.setdefault("APP_ENV", "production")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-" + "k" * 40)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DATABASE_URL"] = database_url
    os.environ["SAQ_IN_PROCESS"] = "false"
    os.environ["FLOOR_DATABASE_URL"] = database_url
    from app.lib.settings import get_settings
    from app.server.asgi import create_app

    get_settings.cache_clear()  # read before DATABASE_URL was known
    from bench.bare import app as bare
    from bench.floor import app as floor

    return {"folio": create_app(), "bare-litestar": bare, "floor": floor}


def bench_dataset(options: argparse.Namespace) -> Dataset | None:
    path = options.dataset or (options.data_dir / "inputs" / "dataset.json" if options.data_dir else None)
    return Dataset.from_json(path) if path is not None and path.exists() else None


def bench_database_url(options: argparse.Namespace) -> str:
    if options.database_url:
        return str(options.database_url)
    from app.lib.embedded_postgres import get_embedded_server
    from bench.bench_db import DATABASE_NAME

    server = get_embedded_server(options.data_dir.resolve())
    return str(server.get_uri(database=DATABASE_NAME, driver="asyncpg"))


async def run(options: argparse.Namespace) -> None:
    database_url = bench_database_url(options)
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    book_id, _ = await sample_ids(dsn)
    requests = [
        Request("health", "GET", "/health"),
        Request("get", "GET", f"/api/books/{book_id}"),
        Request("list", "GET", "/api/books", b"pageSize=20&currentPage=3"),
    ]
    dataset = bench_dataset(options)
    if dataset is not None:
        requests.append(create_request(dataset))
    else:
        print("no dataset (--dataset): the create is left out", file=sys.stderr)
    apps = make_apps(database_url)
    rows: dict[str, dict[str, float]] = {}
    app: ASGIApp
    await delete_created(dsn)
    try:
        for name, app in apps.items():
            async with Lifespan(app):
                for request in requests:
                    if name == "bare-litestar" and request.name in {"list", "create"}:
                        continue
                    rows.setdefault(request.name, {})[name] = await cpu_per_request(app, request, options.count)
                if options.profile == name:
                    target = next(r for r in requests if r.name == options.profile_request)
                    await profile(app, target, options.count, options.top, options.sort)
    finally:
        await delete_created(dsn)
    names = list(apps)
    print(f"{'request':<8}" + "".join(f"{n:>15}" for n in names) + "   CPU µs per request (median of 5)")
    for request_name, by_app in rows.items():
        cells = "".join(f"{by_app[n]:>15.0f}" if n in by_app else f"{'—':>15}" for n in names)
        print(f"{request_name:<8}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--database-url", help="the benchmark database (SQLAlchemy or libpq URL)")
    where.add_argument("--data-dir", type=Path, help="the benchmark's embedded PostgreSQL (e.g. .data-bench)")
    parser.add_argument("--dataset", type=Path, help="the dataset's JSON (default: inputs/dataset.json of --data-dir)")
    parser.add_argument("--count", type=int, default=1000, help="requests per sample")
    parser.add_argument("--profile", choices=["folio", "bare-litestar", "floor"])
    parser.add_argument("--profile-request", default="get", choices=["health", "get", "list", "create"])
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    options = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(run(options))


if __name__ == "__main__":
    main()
