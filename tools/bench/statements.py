"""SQL statements per request: each workload's request issued in-process, statements counted, not timed.

Runs in a child process of the benchmark with Folio's production settings on the benchmark
database (see `run.py`); a `before_cursor_execute` listener on the app's engine and an observer of
its driver-level reads (`app.lib.driver`) record every statement while Litestar's `AsyncTestClient`
sends the request. Each request is sent once first,
so one-off work (the API token's "last used" stamp, statement caches) is not counted.

    PYTHONPATH=tools DATABASE_URL=... APP_ENV=production SECRET_KEY=... \\
        .venv/bin/python -m bench.statements --dataset DIR/dataset.json --out statements.json

Folio's `/health` also asks the job queue, over SAQ's own connection: that query is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from data.dataset import Dataset
from data.isbn import check_digit

REPEATS = 3
STATEMENTS_ISBN_PREFIX = "975"
"""Books created here take ISBNs no dataset, import file, load script or parity check uses."""


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    from sqlalchemy import event

    from app.lib import driver
    from app.lib.database import get_alchemy_config

    engine = get_alchemy_config().get_engine().sync_engine
    statements: list[str] = []

    def add(statement: str) -> None:
        statements.append(" ".join(statement.split()))

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        add(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with driver.observing(add):
            yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _isbn() -> str:
    first12 = STATEMENTS_ISBN_PREFIX + "".join(secrets.choice("0123456789") for _ in range(9))
    return first12 + check_digit(first12)


def _create_body(dataset: Dataset, rng: random.Random, tags: list[str]) -> dict[str, Any]:
    return {
        "title": f"Statement Count {secrets.token_hex(4)}",
        "authorId": rng.choice(dataset.author_ids),
        "isbn": _isbn(),
        "publishedYear": 1999,
        "tags": tags,
    }


async def count(dataset: Dataset) -> dict[str, Any]:
    from litestar.testing import AsyncTestClient

    from app.server.asgi import create_app

    rng = random.Random(dataset.seed)
    token = {"Authorization": f"Bearer {dataset.users[0].token}"}
    pages = max(1, len(dataset.book_ids) // 20)
    requests: dict[str, Any] = {
        "get": lambda: ("GET", f"/api/books/{rng.choice(dataset.book_ids)}", {}),
        "list": lambda: ("GET", f"/api/books?pageSize=20&currentPage={rng.randint(1, pages)}", {}),
        "create": lambda: (
            "POST",
            "/api/books",
            {"json": _create_body(dataset, rng, rng.sample(dataset.tag_names, 3)), "headers": token},
        ),
        "create_3_new_tags": lambda: (
            "POST",
            "/api/books",
            {
                "json": _create_body(dataset, rng, [f"Count Tag {secrets.token_hex(4)}" for _ in range(3)]),
                "headers": token,
            },
        ),
        "health": lambda: ("GET", "/health", {}),
    }
    results: dict[str, Any] = {}
    async with AsyncTestClient(app=create_app()) as client:
        for name, make in requests.items():
            counts: list[int] = []
            example: list[str] = []
            for attempt in range(REPEATS + 1):
                method, url, options = make()
                with recorded_statements() as statements:
                    response = await client.request(method, url, **options)
                if not 200 <= response.status_code < 300:
                    msg = f"{method} {url} answered {response.status_code}: {response.text[:300]}"
                    raise RuntimeError(msg)
                if attempt > 0:
                    counts.append(len(statements))
                    example = example or statements
            results[name] = {"counts": counts, "per_request": max(counts), "statements": example}
    results["mix"] = {
        "per_request": 0.6 * results["get"]["per_request"]
        + 0.3 * results["list"]["per_request"]
        + 0.1 * results["create"]["per_request"],
        "counts": [],
        "statements": [],
    }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args()
    results = asyncio.run(count(Dataset.from_json(arguments.dataset)))
    arguments.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
