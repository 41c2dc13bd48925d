"""The bad-input corpus for uploads: covers and catalogue files with hostile names, lying images,
broken multipart bodies and the wrong media types.

Every refusal is a clean 4xx problem, leaves no file anywhere under the data directory and no
row behind; every upload that is accepted is stored under a name the server made (a digest, or
the import's id and a slug), never under the name the client sent. The data directory is shared
by every test process, so each upload carries a UUID and files are found by their content.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.db import models as m
from app.lib.settings import get_settings
from tests.integration.catalogue import Client, create_author, create_book
from tests.support.db import scalar
from tests.support.hostile import (
    HONEST_IMAGES_WITH_WRONG_LABELS,
    HOSTILE_FILENAMES,
    LYING_IMAGES,
    MIB,
    marked,
    marked_png,
    multipart,
    multipart_headers,
    png_bomb_header,
)
from tests.support.mail import queued_jobs
from tests.support.problems import assert_rejected

SAFE_IMPORT_PATH = re.compile(r"^[0-9a-f-]{36}/[a-z0-9]+(?:[-_][a-z0-9]+)*\.(?:csv|jsonl)$")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def data_dir() -> Path:
    return get_settings().app.data_dir.resolve()


def files_holding(content: bytes) -> set[Path]:
    """Every file under the data directory whose bytes are exactly `content`."""
    found = set()
    for path in data_dir().rglob("*"):
        with contextlib.suppress(OSError):  # another test process may remove a file meanwhile
            if path.is_file() and path.stat().st_size == len(content) and path.read_bytes() == content:
                found.add(path)
    return found


def cover_files(book_id: str) -> list[Path]:
    """What is stored for `book_id`: its directory is this test's alone."""
    directory = data_dir() / "covers" / book_id
    return sorted(directory.iterdir()) if directory.exists() else []


def unique_csv() -> bytes:
    return f"title,author\nKindred {uuid.uuid4().hex},Octavia E. Butler\n".encode()


def escape_targets(name: bytes) -> set[Path]:
    """Where a server that used the client's file name as a path could have written."""
    text = name.decode("utf-8", "replace").replace("\x00", "")
    bases = [data_dir(), data_dir() / "covers", data_dir() / "imports", data_dir() / "covers" / "x", Path.cwd()]
    targets = set()
    for base in bases:
        try:
            targets.add((base / text).resolve())
        except (OSError, ValueError):
            continue
    return {target for target in targets if not target.is_relative_to(data_dir())}


def existing(paths: set[Path]) -> set[Path]:
    found = set()
    for path in paths:
        try:
            if path.exists():
                found.add(path)
        except OSError:  # a name too long for the file system cannot have been written either
            continue
    return found


@pytest.fixture
async def book(client: Client) -> dict[str, Any]:
    author = await create_author(client, "Octavia E. Butler")
    return await create_book(client, author["id"], "Kindred")


async def put_cover(client: Client, book_id: str, body: bytes, headers: dict[str, str] | None = None) -> Any:
    return await client.put(f"/api/books/{book_id}/cover", content=body, headers=headers or multipart_headers())


async def stored_cover(book_id: str) -> Any:
    return await scalar(select(m.Book.cover).where(m.Book.id == book_id))


async def import_rows() -> int:
    return int(await scalar(select(func.count()).select_from(m.BookImport)))


# --- covers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(LYING_IMAGES))
async def test_an_image_that_lies_about_its_type_is_415_and_leaves_nothing(
    client: Client, book: Any, case: str
) -> None:
    lie, filename, declared = LYING_IMAGES[case]
    content = marked(lie)

    response = await put_cover(client, book["id"], multipart(content, filename=filename, content_type=declared))

    assert_rejected(response, 415)
    assert files_holding(content) == set()
    assert cover_files(book["id"]) == []
    assert await stored_cover(book["id"]) is None
    assert (await client.get(f"/api/books/{book['id']}")).json()["coverUrl"] is None


@pytest.mark.parametrize(
    ("width", "height"), [(100_000, 100_000), (2**31 - 1, 1), (1, 2**31 - 1), (30_000, 30_000)], ids=str
)
async def test_a_decompression_bomb_png_is_413_and_leaves_nothing(
    client: Client, book: Any, width: int, height: int
) -> None:
    content = marked(png_bomb_header(width, height))

    response = await put_cover(client, book["id"], multipart(content, filename=b"bomb.png"))

    assert_rejected(response, 413)
    assert files_holding(content) == set()
    assert cover_files(book["id"]) == []
    assert await stored_cover(book["id"]) is None


@pytest.mark.parametrize("case", list(HONEST_IMAGES_WITH_WRONG_LABELS))
async def test_a_real_image_with_a_wrong_name_or_type_is_stored_as_what_it_is(
    client: Client, anon_client: Client, book: Any, case: str
) -> None:
    content, filename, declared, actual = HONEST_IMAGES_WITH_WRONG_LABELS[case]
    extension = {"image/jpeg": "jpg", "image/png": "png"}[actual]

    response = await put_cover(client, book["id"], multipart(content, filename=filename, content_type=declared))

    assert response.status_code == 200, response.text
    stored = data_dir() / "covers" / book["id"] / f"{hashlib.sha256(content).hexdigest()}.{extension}"
    assert stored.read_bytes() == content
    served = await anon_client.get(f"/api/books/{book['id']}/cover")
    assert served.headers["content-type"].split(";")[0] == actual
    assert served.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("case", list(HOSTILE_FILENAMES))
async def test_a_hostile_cover_file_name_is_never_used_as_a_path(client: Client, book: Any, case: str) -> None:
    name = HOSTILE_FILENAMES[case]
    content = marked_png()
    targets = escape_targets(name)
    existing_targets = existing(targets)

    response = await put_cover(client, book["id"], multipart(content, filename=name, content_type=b"image/png"))

    if response.status_code == 200:
        expected = data_dir() / "covers" / book["id"] / f"{hashlib.sha256(content).hexdigest()}.png"
        assert files_holding(content) == {expected}
        assert (await stored_cover(book["id"])).filename == f"{book['id']}/{expected.name}"
    else:
        assert_rejected(response, 400, sent=name)
        assert files_holding(content) == set()
    assert existing(targets) == existing_targets


def broken_multipart(case: str, content: bytes, name: bytes) -> tuple[bytes, dict[str, str]]:
    """The body and headers of upload `case`, carrying `content` under file name `name` where it has one."""
    return {
        "json-body": (b'{"file": "iVBORw0KGgo="}', {"content-type": "application/json"}),
        "form-urlencoded": (b"file=%89PNG", {"content-type": "application/x-www-form-urlencoded"}),
        "no-boundary": (multipart(content, filename=name), {"content-type": "multipart/form-data"}),
        "wrong-boundary": (multipart(content, filename=name), multipart_headers("another-boundary")),
        "unterminated": (multipart(content, filename=name, close=False), multipart_headers()),
        "file-as-a-text-field": (multipart(b"plain words", filename=None), multipart_headers()),
        "binary-text-field": (multipart(content, filename=None), multipart_headers()),
        "empty-file-name": (multipart(content, filename=b""), multipart_headers()),
        "two-files": (
            multipart(content, filename=name, close=False) + b"\r\n" + multipart(marked(content), filename=name),
            multipart_headers(),
        ),
        "other-field-only": (multipart(content, filename=name, field=b"image"), multipart_headers()),
        "empty-body": (b"", multipart_headers()),
        "boundary-only": (b"--hostile-boundary-7f3a--\r\n", multipart_headers()),
        "header-without-colon": (
            b"--hostile-boundary-7f3a\r\nContent-Disposition form-data\r\n\r\nx\r\n--hostile-boundary-7f3a--\r\n",
            multipart_headers(),
        ),
        "huge-part-header": (multipart(content, filename=b"c" * 20_000 + name), multipart_headers()),
        "thousands-of-parts": (
            b"".join(multipart(b"x", filename=None, field=b"f%d" % i, close=False) + b"\r\n" for i in range(2000))
            + b"--hostile-boundary-7f3a--\r\n",
            multipart_headers(),
        ),
    }[case]


BROKEN_CASES = [
    "json-body",
    "form-urlencoded",
    "no-boundary",
    "wrong-boundary",
    "unterminated",
    "file-as-a-text-field",
    "binary-text-field",
    "empty-file-name",
    "two-files",
    "other-field-only",
    "empty-body",
    "boundary-only",
    "header-without-colon",
    "huge-part-header",
    "thousands-of-parts",
]


@pytest.mark.parametrize("case", BROKEN_CASES)
async def test_a_broken_cover_upload_is_a_clean_4xx_and_leaves_nothing(client: Client, book: Any, case: str) -> None:
    content = marked_png()
    body, headers = broken_multipart(case, content, b"cover.png")

    response = await put_cover(client, book["id"], body, headers)

    problem = assert_rejected(response, {400, 413, 415})
    assert "Unsupported type" not in problem["detail"], problem
    assert files_holding(content) == set()
    assert cover_files(book["id"]) == []
    assert await stored_cover(book["id"]) is None


@pytest.mark.parametrize("case", BROKEN_CASES)
async def test_a_broken_import_upload_is_a_clean_4xx_and_queues_nothing(client: Client, case: str) -> None:
    content = unique_csv()
    body, headers = broken_multipart(case, content, b"books.csv")

    response = await client.post("/api/imports", content=body, headers=headers)

    problem = assert_rejected(response, {400, 413, 415})
    assert "Unsupported type" not in problem["detail"], problem
    assert files_holding(content) == set()
    assert await import_rows() == 0
    assert await queued_jobs("import_catalogue") == []


async def test_an_oversized_cover_with_a_lying_declared_type_is_413(client: Client, book: Any) -> None:
    content = marked(b"\xff\xd8\xff" + b"\x00" * (6 * MIB))
    body = multipart(content, filename=b"c.jpg", content_type=b"image/jpeg")

    assert_rejected(await put_cover(client, book["id"], body), 413)
    assert files_holding(content) == set()
    assert cover_files(book["id"]) == []


# --- import uploads -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(HOSTILE_FILENAMES))
async def test_a_hostile_import_file_name_is_never_used_as_a_path(client: Client, case: str) -> None:
    name = HOSTILE_FILENAMES[case]
    targets = escape_targets(name)
    existing_targets = existing(targets)
    content = unique_csv()

    response = await client.post(
        "/api/imports", content=multipart(content, filename=name, content_type=b"text/csv"), headers=multipart_headers()
    )

    if response.status_code == 202:
        created = response.json()
        assert not CONTROL_CHARACTERS.search(created["filename"]), created["filename"]
        assert "/" not in created["filename"]
        assert 1 <= len(created["filename"]) <= 255
        book_import = await scalar(select(m.BookImport).where(m.BookImport.id == created["id"]))
        assert SAFE_IMPORT_PATH.match(book_import.file.path), book_import.file.path
        assert book_import.file.path.startswith(f"{created['id']}/")
        assert files_holding(content) == {data_dir() / "imports" / book_import.file.path}
    else:
        assert_rejected(response, 400, sent=name)
        assert files_holding(content) == set()
        assert await import_rows() == 0
    assert existing(targets) == existing_targets
