"""`app catalogue ...`: import a catalogue file, or export the whole catalogue as JSON Lines.

`import` runs the same import as `POST /api/imports`, in this process, with a progress bar;
`export` writes a file that `import` accepts, so the two round-trip.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import click


async def _file_chunks(path: Path, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as handle:
        while chunk := await handle.read(size):
            yield chunk


async def _import(path: Path, email: str) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlalchemy import select

    from app.db import models as m
    from app.domain.books.imports import ImportService, run_import
    from app.lib.database import get_alchemy_config

    config = get_alchemy_config()
    async with config.get_session() as session:
        user = await session.scalar(select(m.User).where(m.User.email == email.strip().lower()))
        if user is None or not user.is_active:
            msg = f"no active user with email {email}"
            raise click.ClickException(msg)
        book_import = await ImportService(session=session).create_import(
            path.name, None, _file_chunks(path), owner_id=user.id
        )
        await session.commit()
        import_id = book_import.id

    async def counters() -> m.BookImport:
        async with config.get_session() as session:
            current = await session.get(m.BookImport, import_id)
            assert current is not None
            return current

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    ) as progress:
        task = progress.add_task(f"importing {path.name}", total=None)

        async def show_progress() -> None:
            current = await counters()
            progress.update(task, completed=current.processed, total=current.total or None)

        result = await run_import(import_id, after_batch=show_progress)
        assert result is not None
        progress.update(task, completed=result.processed, total=result.processed)
    return {
        "status": result.status,
        "processed": result.processed,
        "created": result.created,
        "skipped": result.skipped,
        "failed": result.failed,
        "errors": result.errors,
        "message": result.message,
    }


async def _export(path: Path) -> int:
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload, selectinload

    from app.db import models as m
    from app.lib.database import get_alchemy_config

    written = 0
    statement = (
        select(m.Book)
        .options(joinedload(m.Book.author), selectinload(m.Book.tags))
        .order_by(m.Book.created_at, m.Book.id)
        .execution_options(yield_per=500)
    )
    async with get_alchemy_config().get_session() as session, await anyio.open_file(path, "w") as out:
        async for book in await session.stream_scalars(statement):
            row = {
                "title": book.title,
                "author": book.author.name,
                "isbn": book.isbn,
                "publishedYear": book.published_year,
                "description": book.description,
                "tags": "|".join(tag.name for tag in book.tags),
            }
            await out.write(json.dumps(row, ensure_ascii=False) + "\n")
            written += 1
    return written


def _run(coroutine_function: Any, *args: Any) -> Any:
    from app.lib.database import get_alchemy_config

    async def main() -> Any:
        try:
            return await coroutine_function(*args)
        finally:
            await get_alchemy_config().get_engine().dispose()

    return anyio.run(main)


@click.group(name="catalogue", help="Import and export the catalogue.")
def catalogue_group() -> None:
    """Import and export the catalogue."""


@catalogue_group.command(name="import", help="Import a CSV or JSON Lines file as the given user.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "email", required=True, help="Email of the user the books are created for.")
def import_command(file: Path, email: str) -> None:
    summary = _run(_import, file, email)
    click.echo(
        f"{summary['status']}: {summary['processed']} rows, {summary['created']} created, "
        f"{summary['skipped']} skipped, {summary['failed']} failed"
    )
    for error in summary["errors"]:
        click.echo(f"  line {error['line']}: {error['message']}")
    if summary["message"]:
        click.echo(f"  {summary['message']}")
    if summary["status"] != "succeeded":
        raise SystemExit(1)


@catalogue_group.command(name="export", help="Write the whole catalogue as JSON Lines that `import` accepts.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_command(file: Path) -> None:
    written = _run(_export, file)
    click.echo(f"exported {written} books to {file}")
