# mypy: disallow-untyped-calls=False
"""Bulk import: Folio's import job against a floor that loads the same rows with asyncpg `COPY`.

Both take the same CSV file (`tools/data`'s `write_import_csv`) and create the same rows: authors
matched by name (case-insensitively) or created, tags matched by slug or created, books with unique
slugs, their tag links. Folio's side is the job function itself (`run_import`, as the worker runs it;
the upload is stored first and not timed); the floor reads the file and writes everything in one
transaction with `COPY`. Each runs in a child process of the benchmark with Folio's settings:

    PYTHONPATH=tools DATABASE_URL=... .venv/bin/python -m bench.bulk_import folio --csv F --owner-id ID --out J
    PYTHONPATH=tools DATABASE_URL=... .venv/bin/python -m bench.bulk_import floor --csv F --owner-id ID --out J

`forget_import` deletes what either created, so the next run starts from the same catalogue.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy.engine import make_url
from uuid_utils.compat import uuid7


def _dsn() -> str:
    url = make_url(os.environ["DATABASE_URL"])
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _file_chunks(path: Path, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(size):
            yield chunk


async def folio_import(csv_path: Path, owner_id: UUID) -> dict[str, Any]:
    """Store the file as `POST /api/imports` does, then time the job function on it."""
    from app.domain.books.imports import ImportService, run_import
    from app.lib.database import get_alchemy_config

    async with get_alchemy_config().get_session() as session:
        book_import = await ImportService(session=session).create_import(
            csv_path.name, "text/csv", _file_chunks(csv_path), owner_id=owner_id
        )
        await session.commit()
    started = time.perf_counter()
    result = await run_import(book_import.id)
    seconds = time.perf_counter() - started
    await get_alchemy_config().get_engine().dispose()
    if result is None or result.status != "succeeded":
        msg = f"the import did not succeed: {result and result.message}"
        raise RuntimeError(msg)
    return {"rows": result.processed, "created": result.created, "failed": result.failed, "seconds": seconds}


@dataclass
class Row:
    title: str
    author: str
    isbn: str | None
    published_year: int | None
    description: str | None
    tags: list[str] = field(default_factory=list)


def read_rows(path: Path) -> list[Row]:
    from app.lib.validation import clean_isbn

    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for raw in csv.DictReader(handle):
            isbn = raw.get("isbn", "").strip()
            year = raw.get("publishedYear", "").strip()
            rows.append(
                Row(
                    title=raw["title"].strip(),
                    author=raw["author"].strip(),
                    isbn=clean_isbn(isbn) if isbn else None,
                    published_year=int(year) if year else None,
                    description=raw.get("description") or None,
                    tags=[name.strip() for name in (raw.get("tags") or "").split("|") if name.strip()],
                )
            )
    return rows


async def _unique_slugs(connection: asyncpg.Connection, table: str, values: list[str], fallback: str) -> list[str]:
    from app.lib.services import make_slug

    wanted = [make_slug(value, fallback) for value in values]
    found = await connection.fetch(f"SELECT slug FROM {table} WHERE slug = ANY($1::varchar[])", list(set(wanted)))
    taken = {row["slug"] for row in found}
    slugs = []
    for slug in wanted:
        candidate = slug
        while candidate in taken:
            candidate = f"{slug}-{secrets.token_hex(3)}"
        taken.add(candidate)
        slugs.append(candidate)
    return slugs


async def _author_ids(
    connection: asyncpg.Connection, rows: list[Row], owner_id: UUID, now: datetime
) -> dict[str, UUID]:
    keys = sorted({row.author.lower() for row in rows})
    found = await connection.fetch(
        "SELECT DISTINCT ON (lower(name)) lower(name) AS key, id FROM author"
        " WHERE lower(name) = ANY($1::text[]) ORDER BY lower(name), created_at",
        keys,
    )
    ids = {row["key"]: row["id"] for row in found}
    missing: dict[str, str] = {}
    for row in rows:
        if row.author.lower() not in ids:
            missing.setdefault(row.author.lower(), row.author)
    names = [missing[key] for key in sorted(missing)]
    slugs = await _unique_slugs(connection, "author", names, "author")
    records = []
    for name, slug in zip(names, slugs, strict=True):
        author_id = uuid7()
        ids[name.lower()] = author_id
        records.append((author_id, name, slug, owner_id, now, now))
    columns = ["id", "name", "slug", "created_by", "created_at", "updated_at"]
    await connection.copy_records_to_table("author", records=records, columns=columns)
    return ids


async def _tag_ids(connection: asyncpg.Connection, rows: list[Row], now: datetime) -> dict[str, UUID]:
    from app.lib.services import make_slug

    names: dict[str, str] = {}
    for row in rows:
        for name in row.tags:
            names.setdefault(make_slug(name, ""), name)
    found = await connection.fetch("SELECT slug, id FROM tag WHERE slug = ANY($1::varchar[])", list(names))
    ids = {row["slug"]: row["id"] for row in found}
    records = []
    for slug, name in sorted(names.items()):
        if slug not in ids:
            ids[slug] = uuid7()
            records.append((ids[slug], name, slug, now, now))
    await connection.copy_records_to_table(
        "tag", records=records, columns=["id", "name", "slug", "created_at", "updated_at"]
    )
    return ids


async def copy_import(csv_path: Path, owner_id: UUID) -> dict[str, Any]:
    """The floor: parse the file, then write the new authors, tags, books and links with `COPY`, in one transaction."""
    from app.lib.services import make_slug

    started = time.perf_counter()
    rows = read_rows(csv_path)
    now = datetime.now(UTC)
    connection = await asyncpg.connect(_dsn())
    try:
        async with connection.transaction():
            isbns = [row.isbn for row in rows if row.isbn]
            known = {
                record["isbn"]
                for record in await connection.fetch("SELECT isbn FROM book WHERE isbn = ANY($1::varchar[])", isbns)
            }
            new_rows = [row for row in rows if not (row.isbn and row.isbn in known)]
            authors = await _author_ids(connection, new_rows, owner_id, now)
            tags = await _tag_ids(connection, new_rows, now)
            slugs = await _unique_slugs(connection, "book", [row.title for row in new_rows], "book")
            books, links = [], []
            for row, slug in zip(new_rows, slugs, strict=True):
                book_id = uuid7()
                author_id = authors[row.author.lower()]
                books.append(
                    (
                        book_id,
                        row.title,
                        slug,
                        row.isbn,
                        row.published_year,
                        row.description,
                        author_id,
                        owner_id,
                        now,
                        now,
                    )
                )
                links += [(book_id, tag_id) for tag_id in {tags[make_slug(name, "")] for name in row.tags}]
            book_columns = ["id", "title", "slug", "isbn", "published_year", "description", "author_id", "created_by"]
            await connection.copy_records_to_table(
                "book", records=books, columns=[*book_columns, "created_at", "updated_at"]
            )
            await connection.copy_records_to_table("book_tag", records=links, columns=["book_id", "tag_id"])
    finally:
        await connection.close()
    seconds = time.perf_counter() - started
    return {"rows": len(rows), "created": len(books), "failed": 0, "seconds": seconds}


async def create_import_owner(dsn: str, email: str, hashed_password: str) -> UUID:
    """A user of its own owns the imported rows, so `forget_import` can find exactly those."""
    connection = await asyncpg.connect(dsn)
    try:
        now = datetime.now(UTC)
        owner_id: UUID = await connection.fetchval(
            "INSERT INTO user_account (id, email, name, hashed_password, is_active, is_superuser, is_verified,"
            " created_at, updated_at) VALUES ($1, $2, 'Benchmark Importer', $3, true, false, true, $4, $4)"
            " ON CONFLICT (email) DO UPDATE SET updated_at = excluded.updated_at RETURNING id",
            uuid7(),
            email,
            hashed_password,
            now,
        )
    finally:
        await connection.close()
    return owner_id


async def forget_import(dsn: str, owner_id: UUID) -> None:
    """Delete the books and authors `owner_id` created, and the unused tags made since `owner_id` was."""
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.execute("DELETE FROM book WHERE created_by = $1", owner_id)
            await connection.execute("DELETE FROM author WHERE created_by = $1", owner_id)
            await connection.execute(
                "DELETE FROM tag WHERE created_at > (SELECT created_at FROM user_account WHERE id = $1)"
                " AND NOT EXISTS (SELECT 1 FROM book_tag WHERE book_tag.tag_id = tag.id)",
                owner_id,
            )
        await connection.execute("VACUUM (ANALYZE) book, book_tag, author, tag")
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("side", choices=["folio", "floor"])
    parser.add_argument("--csv", type=Path, required=True)
    parser.add_argument("--owner-id", type=UUID, required=True)
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args()
    run = folio_import if arguments.side == "folio" else copy_import
    result = asyncio.run(run(arguments.csv, arguments.owner_id))
    arguments.out.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
