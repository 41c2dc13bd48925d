"""Bulk catalogue imports: store the upload, then stream it into the catalogue in batches.

Each batch of rows is written in one transaction together with the import's counters and
`next_line`, the line where the next batch starts. A worker that dies mid-import therefore loses
at most the batch it was writing, and the retried job resumes at `next_line`: no row is lost or
written twice. Authors are matched by name (case-insensitively) and tags by slug, both created
when new; a row whose isbn is already in the catalogue is skipped, and so is a row without isbn
whose title the same author already has, so importing a file twice creates nothing the second time.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PureWindowsPath
from typing import Any
from uuid import UUID

import msgspec
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.types import FileObject
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException, NotFoundException
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE
from sqlalchemy import ARRAY, String, Uuid, any_, cast, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from app.db import models as m
from app.domain.books.import_rows import ImportFileError, ImportRowError, detect_format, read_rows, split_tags
from app.domain.books.schemas import clean_book_fields
from app.domain.tags.services import TagService
from app.lib import validation as v
from app.lib.database import get_alchemy_config
from app.lib.services import OneSnapshotPages, make_slug
from app.lib.storage import IMPORTS, backend, reaching

BATCH_SIZE = 500
MAX_KEPT_ERRORS = 100
MAX_IMPORT_BYTES = 50 * 1024 * 1024


class ImportRow(msgspec.Struct, rename="camel"):
    """One row, checked with the same rules as `POST /api/books` (the author given by name)."""

    title: str
    author: str
    isbn: str | None = None
    published_year: int | None = None
    description: str | None = None
    tags: list[str] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        self.author = v.clean_name(v.clean_text_without_nul(self.author, "author"), "author")
        if self.isbn is not None and not self.isbn.strip():
            self.isbn = None
        clean_book_fields(self)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _holds_lone_surrogate(value: Any) -> bool:
    """A JSON `\\ud800` escape with no partner decodes to a character no UTF-8 text (nor PostgreSQL) can hold."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    return isinstance(value, list) and any(_holds_lone_surrogate(item) for item in value)


def parse_row(raw: dict[str, Any]) -> ImportRow | ImportRowError:
    values = {key: (None if value == "" else value) for key, value in raw.items()}
    for key, value in values.items():
        if _holds_lone_surrogate(value):
            return ImportRowError(f"{key} is not valid text (a lone UTF-16 surrogate escape)")
    values["tags"] = split_tags(values.get("tags"))
    try:
        return msgspec.convert(values, ImportRow, strict=False)
    except msgspec.ValidationError as exc:
        return ImportRowError(readable_row_error(str(exc)))


_TYPE_ERROR = re.compile(r"^Expected `(?P<expected>[^`]+)`, got `(?P<got>[^`]+)` - at `\$\.(?P<field>\w+)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<field>\w+)`")
_EXPECTED = {"str": "text", "int": "a whole number", "array": "a list"}


def readable_row_error(message: str) -> str:
    """msgspec's type errors ("Expected `int | null`, got `str` - at `$.publishedYear`") in plain words."""
    if missing := _MISSING.match(message):
        return f"{missing['field']} is required"
    found = _TYPE_ERROR.match(message)
    if found is None:
        return message
    field, expected = found["field"], found["expected"]
    if found["got"] == "null" and "null" not in expected:
        return f"{field} is required"
    kind = expected.split(" | ")[0]
    return f"{field} must be {_EXPECTED.get(kind, kind)}"


@dataclass
class BatchOutcome:
    created: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


async def stream_file(file: Any) -> AsyncIterator[bytes]:
    """The stored upload as a stream of chunks (memory stays flat whatever its size)."""
    import obstore

    store = backend(IMPORTS).fs
    result = await obstore.get_async(store, file.path)
    async for chunk in result.stream(min_chunk_size=256 * 1024):
        yield bytes(chunk)


def _texts(values: Iterable[str]) -> Any:
    """`values` as one array parameter: `column = ANY(:values)` is one bind, where `IN` makes one per value."""
    return cast(list(values), ARRAY(String))


_LOCK_AUTHOR_NAMES = text(
    "SELECT pg_advisory_xact_lock(hashtext('folio-author'), hashtext(key))"
    " FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS names(key, position) ORDER BY position"
)
"""One lock per author name, taken in the (sorted) order given, all in one statement."""
_BOOK_COLUMNS = (
    "id",
    "title",
    "slug",
    "isbn",
    "published_year",
    "description",
    "author_id",
    "created_by",
    "created_at",
    "updated_at",
)


async def _copy(session: AsyncSession, table: str, columns: tuple[str, ...], records: list[tuple[Any, ...]]) -> None:
    """Append `records` to `table` with PostgreSQL's COPY, in the session's transaction.

    The fastest way rows get into PostgreSQL (asyncpg sends them in its binary format): several
    times faster than a multi-row INSERT, on both sides. The rows have been checked against the
    catalogue's unique keys beforehand; a clash with a concurrent writer fails the batch, which the
    job then retries.
    """
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table, columns=list(columns), records=records)


async def _authors_by_name(session: AsyncSession, names: list[str], owner: UUID) -> dict[str, UUID]:
    """Author ids by lower-cased name, creating the missing authors (spelt as first seen in `names`).

    A transaction-scoped advisory lock per name keeps two imports from creating the same author twice.
    """
    keys = sorted({name.lower() for name in names})
    await session.execute(_LOCK_AUTHOR_NAMES, {"keys": keys})
    found: dict[str, UUID] = {}
    rows = await session.execute(
        select(func.lower(m.Author.name), m.Author.id)
        .where(func.lower(m.Author.name) == any_(_texts(keys)))
        .order_by(m.Author.created_at)
    )
    for name, author_id in rows:
        found.setdefault(name, author_id)
    missing: dict[str, str] = {}
    for name in names:
        if name.lower() not in found:
            missing.setdefault(name.lower(), name)
    if missing:
        slugs = await _available_slugs(session, m.Author, [missing[key] for key in sorted(missing)], "author")
        now = datetime.now(UTC)
        new_rows = []
        for (key, name), slug in zip(sorted(missing.items()), slugs, strict=True):
            author_id = uuid7()
            found[key] = author_id
            new_rows.append(
                {"id": author_id, "name": name, "slug": slug, "created_by": owner, "created_at": now, "updated_at": now}
            )
        await session.execute(insert(m.Author), new_rows)
    return found


async def _available_slugs(session: AsyncSession, model: Any, values: list[str], fallback: str) -> list[str]:
    """A unique slug for each value, in one query: clashes (in the table or in the list) get a suffix."""
    wanted = [make_slug(value, fallback) for value in values]
    taken = set(await session.scalars(select(model.slug).where(model.slug == any_(_texts(set(wanted))))))
    slugs: list[str] = []
    for slug in wanted:
        candidate = slug
        while candidate in taken:
            candidate = f"{slug}-{secrets.token_hex(3)}"
        taken.add(candidate)
        slugs.append(candidate)
    return slugs


async def write_batch(import_id: UUID, batch: list[tuple[int, dict[str, Any] | ImportRowError]]) -> bool:
    """Write one batch and advance the import past it, atomically. False when it was written before."""
    outcome = BatchOutcome()
    parsed: list[tuple[int, ImportRow]] = []
    for line, raw in batch:
        row = raw if isinstance(raw, ImportRowError) else parse_row(raw)
        if isinstance(row, ImportRowError):
            outcome.failed += 1
            outcome.errors.append({"line": line, "message": row.message})
        else:
            parsed.append((line, row))
    async with get_alchemy_config().get_session() as session:
        book_import = await session.get(m.BookImport, import_id, with_for_update=True)
        if book_import is None or batch[0][0] < book_import.next_line:
            return False
        await _write_rows(session, parsed, book_import.created_by, outcome)
        book_import.processed += len(batch)
        book_import.created += outcome.created
        book_import.skipped += outcome.skipped
        book_import.failed += outcome.failed
        room = MAX_KEPT_ERRORS - len(book_import.errors)
        if room > 0 and outcome.errors:
            book_import.errors = [*book_import.errors, *outcome.errors[:room]]
        book_import.next_line = batch[-1][0] + 1
        book_import.total = max(book_import.total, book_import.processed)
        await session.commit()
    return True


async def _write_rows(
    session: AsyncSession, rows: list[tuple[int, ImportRow]], owner: UUID, outcome: BatchOutcome
) -> None:
    if not rows:
        return
    isbns = {row.isbn for _, row in rows if row.isbn}
    existing_isbns = set()
    if isbns:
        existing_isbns = set(await session.scalars(select(m.Book.isbn).where(m.Book.isbn == any_(_texts(isbns)))))
    authors = await _authors_by_name(session, [row.author for _, row in rows], owner)
    untitled = [(authors[row.author.lower()], row.title.lower()) for _, row in rows if not row.isbn]
    existing_titles: set[tuple[UUID, str]] = set()
    if untitled:
        found = await session.execute(
            select(m.Book.author_id, func.lower(m.Book.title)).where(
                m.Book.author_id == any_(cast(list({author for author, _ in untitled}), ARRAY(Uuid))),
                func.lower(m.Book.title) == any_(_texts({title for _, title in untitled})),
            )
        )
        existing_titles = {(author, title) for author, title in found}
    to_create: list[ImportRow] = []
    for _, row in rows:
        key = (authors[row.author.lower()], row.title.lower())
        if (row.isbn and row.isbn in existing_isbns) or (not row.isbn and key in existing_titles):
            outcome.skipped += 1
            continue
        if row.isbn:
            existing_isbns.add(row.isbn)
        else:
            existing_titles.add(key)
        to_create.append(row)
    if not to_create:
        return
    tags = await TagService(session=session).get_or_create_many(name for row in to_create for name in row.tags)
    tag_ids = {tag.slug: tag.id for tag in tags}
    slugs = await _available_slugs(session, m.Book, [row.title for row in to_create], "book")
    now = datetime.now(UTC)
    books: list[tuple[Any, ...]] = []
    links: list[tuple[UUID, UUID]] = []
    for row, slug in zip(to_create, slugs, strict=True):
        book_id = uuid7()
        author_id = authors[row.author.lower()]
        books.append(
            (book_id, row.title, slug, row.isbn, row.published_year, row.description, author_id, owner, now, now)
        )
        links.extend((book_id, tag_id) for tag_id in {tag_ids[make_slug(name, "")] for name in row.tags})
    await _copy(session, "book", _BOOK_COLUMNS, books)
    if links:
        await _copy(session, "book_tag", ("book_id", "tag_id"), links)
    outcome.created += len(books)


async def _set_status(import_id: UUID, status: str, **values: Any) -> m.BookImport | None:
    """Move the import to `status`; a finished one's `total` becomes the rows it really had."""
    async with get_alchemy_config().get_session() as session:
        book_import = await session.get(m.BookImport, import_id, with_for_update=True)
        if book_import is None:
            return None
        book_import.status = status
        for name, value in values.items():
            setattr(book_import, name, value)
        if status in {"succeeded", "failed"}:
            book_import.finished_at = datetime.now(UTC)
            book_import.total = book_import.processed
        await session.commit()
        return book_import


async def give_up_import(import_id: UUID, message: str) -> None:
    """Mark an import failed with `message` when its job has given up; a finished import is left as it is."""
    async with get_alchemy_config().get_session() as session:
        status = await session.scalar(select(m.BookImport.status).where(m.BookImport.id == import_id))
    if status is not None and status not in {"succeeded", "failed"}:
        await _set_status(import_id, "failed", message=message)


async def unfinished_before(moment: datetime) -> list[UUID]:
    """Imports still `queued` or `running` that were created before `moment`, oldest first."""
    statement = (
        select(m.BookImport.id)
        .where(m.BookImport.status.in_(("queued", "running")), m.BookImport.created_at < moment)
        .order_by(m.BookImport.created_at)
    )
    async with get_alchemy_config().get_session() as session:
        return list(await session.scalars(statement))


async def _count_lines(file: Any) -> int:
    lines = 0
    async for chunk in stream_file(file):
        lines += chunk.count(b"\n")
    return lines


async def run_import(
    import_id: UUID, *, after_batch: Callable[[], Awaitable[None]] | None = None
) -> m.BookImport | None:
    """Process (or resume) an import to the end; safe to call again for a finished one.

    A first, cheap pass counts the file's lines so `total` can show progress from the start; it is
    replaced by the exact row count when the import finishes.
    """
    async with get_alchemy_config().get_session() as session:
        book_import = await session.get(m.BookImport, import_id)
    if book_import is None or book_import.status in {"succeeded", "failed"}:
        return book_import
    started = book_import.started_at or datetime.now(UTC)
    estimate = book_import.total or await _count_lines(book_import.file)
    await _set_status(import_id, "running", started_at=started, total=estimate)
    resume_at = book_import.next_line
    writes = _BatchWrites(import_id, after_batch)
    try:
        batch: list[tuple[int, dict[str, Any] | ImportRowError]] = []
        async for line, row in read_rows(book_import.format, stream_file(book_import.file)):
            if line < resume_at:
                continue
            batch.append((line, row))
            if len(batch) >= BATCH_SIZE:
                await writes.start(batch)
                batch = []
        await writes.finish()
        if batch:
            await write_batch(import_id, batch)
    except ImportFileError as exc:
        await writes.finish()
        return await _set_status(import_id, "failed", message=str(exc))
    finally:
        await writes.abandon()
    return await _set_status(import_id, "succeeded")


class _BatchWrites:
    """Batches written one at a time, in order, while the next one is read and parsed.

    Writing a batch mostly waits for PostgreSQL; reading the file is Python work. Overlapping the
    two keeps both busy. `after_batch` runs once a batch is committed, before the next write starts.
    """

    def __init__(self, import_id: UUID, after_batch: Callable[[], Awaitable[None]] | None) -> None:
        self._import_id = import_id
        self._after_batch = after_batch
        self._writing: asyncio.Task[bool] | None = None

    async def start(self, batch: list[tuple[int, dict[str, Any] | ImportRowError]]) -> None:
        await self.finish()
        self._writing = asyncio.create_task(write_batch(self._import_id, batch))

    async def finish(self) -> None:
        """Wait for the batch being written (its errors are raised here), then report progress."""
        writing, self._writing = self._writing, None
        if writing is None:
            return
        await writing
        if self._after_batch is not None:
            await self._after_batch()

    async def abandon(self) -> None:
        """Stop a write still going (the import failed or was cancelled): its transaction rolls back."""
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.cancel()
            await asyncio.gather(writing, return_exceptions=True)


class ImportRepository(SQLAlchemyAsyncRepository[m.BookImport]):
    model_type = m.BookImport


class ImportService(OneSnapshotPages[m.BookImport]):
    repository_type = ImportRepository

    async def create_import(
        self, filename: str, content_type: str | None, chunks: AsyncIterator[bytes], *, owner_id: UUID
    ) -> m.BookImport:
        """Store the file (streamed, never whole in memory) and record a queued import."""
        import obstore

        filename = display_name(filename)
        head = b""
        async for chunk in chunks:
            head = chunk
            break
        file_format = detect_format(filename, content_type, head[:4096])
        import_id = uuid7()
        stem = filename.rsplit(".", 1)[0] if "." in filename.lstrip(".") else filename
        path = f"{import_id}/{make_slug(stem, 'catalogue')}.{file_format}"

        async def everything() -> AsyncIterator[bytes]:
            if head:
                yield head
            async for chunk in chunks:
                yield chunk

        files = backend(IMPORTS)
        store = files.fs
        async with reaching(files, "save"):
            await obstore.put_async(store, path, everything())
        stored = FileObject(backend=IMPORTS, filename=path, content_type="text/plain")
        try:
            return await self.create(
                {"id": import_id, "created_by": owner_id, "filename": filename, "format": file_format, "file": stored},
                auto_refresh=False,
            )
        except BaseException:
            await obstore.delete_async(store, path)
            raise

    async def visible_to(self, user: m.User, filters: list[Any]) -> tuple[list[m.BookImport], int]:
        """The user's own imports (a superuser's: everyone's), newest first."""
        conditions = [] if user.is_superuser else [m.BookImport.created_by == user.id]
        rows, total = await self.get_many_and_count(
            *filters, *conditions, order_by=[m.BookImport.created_at.desc(), m.BookImport.id.desc()]
        )
        return list(rows), total

    async def get_visible(self, import_id: UUID, user: m.User) -> m.BookImport:
        """The import, when the user owns it or is a superuser; others get a 404, not a 403."""
        book_import = await self.get_one_or_none(id=import_id)
        if book_import is None or not (user.is_superuser or book_import.created_by == user.id):
            raise NotFoundException(detail="No such import")
        return book_import


_UNSHOWABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Control characters, bidirectional overrides (`books\u202egnp.csv` shows as `booksvsc.png`) and lone surrogates."""


def display_name(filename: str | None) -> str:
    """The uploaded file's name as shown back to its owner: its last path part (`/` or `\\`), at most
    255 characters, without characters that cannot be stored or that disguise it. Never used as a path."""
    name = PureWindowsPath(_UNSHOWABLE.sub("", filename or "")).name.strip()
    return name[:255] if name not in {"", ".", ".."} else "catalogue"


async def upload_chunks(upload: UploadFile, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    """The uploaded file in chunks; 413 before the first one when the file is over 50 MiB.

    The request body limit leaves room for the multipart envelope, so the file itself is measured
    too (it is already spooled to a temporary file; nothing is read to measure it).
    """
    upload.file.seek(0, os.SEEK_END)
    length = upload.file.tell()
    upload.file.seek(0)
    if length > MAX_IMPORT_BYTES:
        raise HTTPException(
            status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            detail=f"An import file may be at most {MAX_IMPORT_BYTES // (1024 * 1024)} MiB.",
        )
    while chunk := await upload.read(size):
        yield chunk
