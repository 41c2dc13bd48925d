"""`app catalogue import|export`, run as the real CLI against the test database."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import joinedload, selectinload

from app.db import models as m
from tests.conftest import TEST_DATABASE_URL
from tests.integration.catalogue import create_author, create_book, isbn13
from tests.support.db import execute, run_db, scalar
from tests.support.processes import app_env, run_app_command

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

    from litestar import Litestar
    from litestar.testing import AsyncTestClient
    from sqlalchemy.ext.asyncio import AsyncSession

pytestmark = pytest.mark.slow


def catalogue_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_app_command(
        "catalogue",
        *args,
        env=app_env(DATABASE_URL=TEST_DATABASE_URL, DATA_DIR=str(tmp_path / "data"), LOG_LEVEL="WARNING"),
    )


async def test_import_command_prints_a_summary_and_creates_the_rows(tmp_path: Path, user: m.User) -> None:
    path = tmp_path / "books.csv"
    path.write_text(
        "title,author,isbn,publishedYear,description,tags\n"
        f"Dune,Frank Herbert,{isbn13(1)},1965,Spice.,Science Fiction|Classics\n"
        f"Dune Messiah,frank herbert,{isbn13(2)},1969,,Science Fiction\n"
        "Bad Year,Someone,,MCMLXV,,\n"
        "Children of Dune,Frank Herbert,,1976,,\n",
        encoding="utf-8",
    )

    result = catalogue_cli(tmp_path, "import", str(path), "--as", user.email.upper())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "succeeded: 4 rows, 3 created, 0 skipped, 1 failed" in result.stdout, output
    assert "line 4:" in result.stdout, output
    assert "publishedYear" in result.stdout
    assert await scalar(select(func.count()).select_from(m.Book)) == 3
    assert await scalar(select(func.count()).select_from(m.Author)) == 1
    assert set(await scalar_list(select(m.Book.created_by))) == {user.id}
    imports = await scalar_list(select(m.BookImport.status))
    assert imports == ["succeeded"], "the CLI records its import like the API does"

    again = catalogue_cli(tmp_path, "import", str(path), "--as", user.email)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "succeeded: 4 rows, 0 created, 3 skipped, 1 failed" in again.stdout
    assert await scalar(select(func.count()).select_from(m.Book)) == 3


async def test_import_command_refuses_unknown_users_and_fails_on_a_file_that_is_not_csv(
    tmp_path: Path, user: m.User
) -> None:
    path = tmp_path / "books.csv"
    path.write_text("name,writer\nDune,Frank Herbert\n", encoding="utf-8")

    unknown = catalogue_cli(tmp_path, "import", str(path), "--as", "nobody@example.com")
    assert unknown.returncode != 0
    assert "nobody@example.com" in unknown.stdout + unknown.stderr
    assert "Traceback" not in unknown.stderr

    bad = catalogue_cli(tmp_path, "import", str(path), "--as", user.email)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert bad.stdout.startswith("failed:") or "\nfailed:" in bad.stdout, bad.stdout
    assert "header row must name title and author" in bad.stdout
    assert await scalar(select(func.count()).select_from(m.Book)) == 0


async def scalar_list(statement: Any) -> list[Any]:
    async def run(session: AsyncSession) -> list[Any]:
        return list((await session.scalars(statement)).all())

    return await run_db(run)


async def catalogue_snapshot() -> set[tuple[Any, ...]]:
    async def run(session: AsyncSession) -> set[tuple[Any, ...]]:
        books = await session.scalars(select(m.Book).options(joinedload(m.Book.author), selectinload(m.Book.tags)))
        return {
            (
                book.title,
                book.author.name,
                book.isbn,
                book.published_year,
                book.description,
                frozenset(tag.name for tag in book.tags),
            )
            for book in books.unique()
        }

    return await run_db(run)


async def test_export_then_import_round_trips_the_catalogue(
    tmp_path: Path, client: AsyncTestClient[Litestar], user: m.User
) -> None:
    le_guin = await create_author(client, "Ursula K. Le Guin")
    banks = await create_author(client, "Iain M. Banks")
    await create_book(
        client,
        le_guin["id"],
        title="The Left Hand of Darkness",
        isbn=isbn13(1),
        publishedYear=1969,
        description=(
            'Genly Ai on "Gethen",\nin winter.\r\nA second line; a tab\there, '
            "a separator \u2028 and \u00e9\u00e8 \U0001f4da."
        ),
        tags=["Science Fiction", "Classics"],
    )
    await create_book(client, le_guin["id"], title="The Dispossessed", publishedYear=1974, tags=["Classics"])
    await create_book(client, banks["id"], title="Excession", isbn=isbn13(2), tags=[])
    await create_book(client, banks["id"], title='Matter | Surface Detail, "quoted"', description="x|y")
    before = await catalogue_snapshot()
    assert len(before) == 4

    export_path = tmp_path / "catalogue.jsonl"
    exported = catalogue_cli(tmp_path, "export", str(export_path))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert "exported 4 books" in exported.stdout
    lines = export_path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""
    assert len(lines) == 5
    assert all(isinstance(json.loads(line), dict) for line in lines[:-1])

    await execute(text("TRUNCATE book_tag, book, author, tag CASCADE"))
    assert await scalar(select(func.count()).select_from(m.Book)) == 0

    imported = catalogue_cli(tmp_path, "import", str(export_path), "--as", user.email)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "succeeded: 4 rows, 4 created, 0 skipped, 0 failed" in imported.stdout, imported.stdout
    assert await catalogue_snapshot() == before
