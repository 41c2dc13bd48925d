"""Book covers: upload (type from the bytes, 5 MiB limit), serve with cache headers, replace, delete."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.db import models as m
from app.lib.settings import get_settings
from tests.integration.catalogue import Client, assert_book_shape, assert_problem, create_author, create_book
from tests.support import accounts
from tests.support.db import scalar
from tests.support.images import tiny_jpeg, tiny_png, tiny_webp

UNKNOWN_ID = "01900000-0000-7000-8000-000000000000"
MAX_COVER_BYTES = 5 * 1024 * 1024


GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
    b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def covers_dir() -> Path:
    return get_settings().app.data_dir / "covers"


def cover_files(book_id: str) -> set[str]:
    """Names of the files stored for `book_id` (the covers directory persists across tests)."""
    directory = covers_dir() / book_id
    if not directory.exists():
        return set()
    return {path.name for path in directory.iterdir() if path.is_file()}


def all_files(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def upload(
    content: bytes, filename: str = "cover.png", content_type: str = "image/png", field: str = "file"
) -> dict[str, Any]:
    return {"files": {field: (filename, content, content_type)}}


@pytest.fixture
async def book(client: Client) -> dict[str, Any]:
    author = await create_author(client, "Ursula K. Le Guin")
    return await create_book(client, author["id"], "A Wizard of Earthsea")


async def stored_cover(book_id: str) -> Any:
    return await scalar(select(m.Book.cover).where(m.Book.id == book_id))


@pytest.mark.parametrize(
    ("content", "filename", "declared", "expected_type", "extension"),
    [
        (tiny_jpeg(), "cover.jpg", "image/jpeg", "image/jpeg", "jpg"),
        (tiny_png(), "cover.png", "image/png", "image/png", "png"),
        (tiny_webp(), "cover.webp", "image/webp", "image/webp", "webp"),
        # The declared type and name do not matter, only the bytes.
        (tiny_png(), "cover.txt", "application/octet-stream", "image/png", "png"),
    ],
)
async def test_upload_and_serve_cover(client, anon_client, book, content, filename, declared, expected_type, extension):
    digest = hashlib.sha256(content).hexdigest()

    response = await client.put(f"/api/books/{book['id']}/cover", **upload(content, filename, declared))

    assert response.status_code == 200, response.text
    updated = response.json()
    assert_book_shape(updated)
    assert updated["id"] == book["id"]
    assert updated["coverUrl"] == f"/api/books/{book['id']}/cover?v={digest[:16]}"
    assert cover_files(book["id"]) == {f"{digest}.{extension}"}
    assert (covers_dir() / book["id"] / f"{digest}.{extension}").read_bytes() == content

    fetched = await client.get(f"/api/books/{book['id']}")
    assert fetched.json()["coverUrl"] == updated["coverUrl"]

    # Anyone may read a cover; the versioned URL is cached for good.
    served = await anon_client.get(updated["coverUrl"])
    assert served.status_code == 200
    assert served.content == content
    assert served.headers["content-type"].split(";")[0] == expected_type
    assert served.headers["etag"] == f'"{digest}"'
    cache_control = served.headers["cache-control"]
    assert "max-age=31536000" in cache_control
    assert "immutable" in cache_control

    # Without the version (or with a stale one) the cache lifetime is short.
    for url in (f"/api/books/{book['id']}/cover", f"/api/books/{book['id']}/cover?v=0000000000000000"):
        plain = await anon_client.get(url)
        assert plain.status_code == 200
        assert plain.content == content
        assert plain.headers["etag"] == f'"{digest}"'
        assert "max-age=300" in plain.headers["cache-control"]
        assert "immutable" not in plain.headers["cache-control"]


async def test_if_none_match_answers_304(client, anon_client, book):
    content = tiny_png()
    put = await client.put(f"/api/books/{book['id']}/cover", **upload(content))
    url = put.json()["coverUrl"]
    etag = (await anon_client.get(url)).headers["etag"]

    not_modified = await anon_client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert "cache-control" in not_modified.headers

    listed = await anon_client.get(url, headers={"If-None-Match": f'"other", {etag}'})
    assert listed.status_code == 304

    stale = await anon_client.get(url, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200
    assert stale.content == content


@pytest.mark.parametrize(
    "content",
    [GIF, b"just some text, not an image at all\n", b"", b"\x89PNG", b"RIFF\x00\x00\x00\x00WAVEfmt "],
    ids=["gif", "text", "empty", "truncated-png", "riff-wave"],
)
async def test_non_image_content_is_415_and_keeps_the_cover(client, book, content):
    original = tiny_jpeg()
    first = await client.put(f"/api/books/{book['id']}/cover", **upload(original, "cover.jpg", "image/jpeg"))
    assert first.status_code == 200
    before = cover_files(book["id"])

    response = await client.put(f"/api/books/{book['id']}/cover", **upload(content, "cover.png", "image/png"))

    assert_problem(response, 415)
    assert cover_files(book["id"]) == before
    fetched = await client.get(f"/api/books/{book['id']}")
    assert fetched.json()["coverUrl"] == first.json()["coverUrl"]
    served = await client.get(f"/api/books/{book['id']}/cover")
    assert served.content == original


async def test_non_image_on_book_without_cover_is_415(client, book):
    response = await client.put(f"/api/books/{book['id']}/cover", **upload(GIF, "cover.png", "image/png"))

    assert_problem(response, 415)
    assert cover_files(book["id"]) == set()
    assert (await client.get(f"/api/books/{book['id']}")).json()["coverUrl"] is None
    assert await stored_cover(book["id"]) is None


@pytest.mark.parametrize("size", [MAX_COVER_BYTES + 1, MAX_COVER_BYTES + 1024 * 1024], ids=["just-over", "6mib"])
async def test_oversized_cover_is_413_and_leaves_nothing(client, book, size):
    content = tiny_png() + b"\x00" * (size - len(tiny_png()))
    assert len(content) == size
    before_all = all_files(covers_dir())

    response = await client.put(f"/api/books/{book['id']}/cover", **upload(content))

    assert_problem(response, 413)
    assert cover_files(book["id"]) == set()
    assert all_files(covers_dir()) <= before_all
    assert (await client.get(f"/api/books/{book['id']}")).json()["coverUrl"] is None


async def test_exactly_5_mib_is_accepted(client, book):
    content = tiny_png() + b"\x00" * (MAX_COVER_BYTES - len(tiny_png()))

    response = await client.put(f"/api/books/{book['id']}/cover", **upload(content))

    assert response.status_code == 200, response.text[:500]
    served = await client.get(response.json()["coverUrl"])
    assert served.content == content


async def test_missing_file_field_is_400(client, book):
    wrong_field = await client.put(f"/api/books/{book['id']}/cover", **upload(tiny_png(), field="image"))
    assert_problem(wrong_field, 400)

    not_multipart = await client.put(f"/api/books/{book['id']}/cover", json={"file": "x"})
    assert_problem(not_multipart, 400)

    assert cover_files(book["id"]) == set()


async def test_replacing_a_cover_removes_the_old_file(client, book):
    first_content, second_content = tiny_png(red=1), tiny_jpeg()
    first = await client.put(f"/api/books/{book['id']}/cover", **upload(first_content))
    first_name = f"{hashlib.sha256(first_content).hexdigest()}.png"
    assert cover_files(book["id"]) == {first_name}

    second = await client.put(f"/api/books/{book['id']}/cover", **upload(second_content, "c.jpg", "image/jpeg"))

    assert second.status_code == 200
    assert second.json()["coverUrl"] != first.json()["coverUrl"]
    assert cover_files(book["id"]) == {f"{hashlib.sha256(second_content).hexdigest()}.jpg"}
    served = await client.get(f"/api/books/{book['id']}/cover")
    assert served.content == second_content
    assert served.headers["content-type"].split(";")[0] == "image/jpeg"
    # The old versioned URL is no longer cached for good.
    old = await client.get(first.json()["coverUrl"])
    assert "immutable" not in old.headers["cache-control"]


async def test_uploading_the_same_image_again_keeps_it(client, book):
    content = tiny_png()
    first = await client.put(f"/api/books/{book['id']}/cover", **upload(content))
    again = await client.put(f"/api/books/{book['id']}/cover", **upload(content))

    assert again.status_code == 200
    assert again.json()["coverUrl"] == first.json()["coverUrl"]
    assert cover_files(book["id"]) == {f"{hashlib.sha256(content).hexdigest()}.png"}
    served = await client.get(f"/api/books/{book['id']}/cover")
    assert served.status_code == 200
    assert served.content == content


async def test_delete_cover_removes_the_file(client, anon_client, book):
    await client.put(f"/api/books/{book['id']}/cover", **upload(tiny_png()))
    assert cover_files(book["id"])

    response = await client.delete(f"/api/books/{book['id']}/cover")

    assert response.status_code == 204
    assert cover_files(book["id"]) == set()
    assert (await client.get(f"/api/books/{book['id']}")).json()["coverUrl"] is None
    assert_problem(await anon_client.get(f"/api/books/{book['id']}/cover"), 404)
    assert_problem(await client.delete(f"/api/books/{book['id']}/cover"), 404)


async def test_book_without_cover_is_404(client, anon_client, book):
    assert_problem(await anon_client.get(f"/api/books/{book['id']}/cover"), 404)
    assert_problem(await client.delete(f"/api/books/{book['id']}/cover"), 404)


async def test_deleting_the_book_removes_its_cover(client, book):
    await client.put(f"/api/books/{book['id']}/cover", **upload(tiny_webp(), "c.webp", "image/webp"))
    assert cover_files(book["id"])

    response = await client.delete(f"/api/books/{book['id']}")

    assert response.status_code == 204
    assert cover_files(book["id"]) == set()
    assert_problem(await client.get(f"/api/books/{book['id']}/cover"), 404)


async def test_only_the_owner_or_a_superuser_may_change_the_cover(client, admin_client, anon_client, new_client, book):
    content = tiny_png()
    other = new_client(await accounts.create_api_token(await accounts.create_user(name="Someone Else")))

    assert_problem(await other.put(f"/api/books/{book['id']}/cover", **upload(content)), 403)
    assert_problem(await anon_client.put(f"/api/books/{book['id']}/cover", **upload(content)), 401)
    assert cover_files(book["id"]) == set()

    owner_put = await client.put(f"/api/books/{book['id']}/cover", **upload(content))
    assert owner_put.status_code == 200

    assert_problem(await other.delete(f"/api/books/{book['id']}/cover"), 403)
    assert_problem(await anon_client.delete(f"/api/books/{book['id']}/cover"), 401)
    assert cover_files(book["id"]) == {f"{hashlib.sha256(content).hexdigest()}.png"}

    # Anyone, signed in or not, may read it.
    for reader in (other, anon_client, client):
        served = await reader.get(f"/api/books/{book['id']}/cover")
        assert served.status_code == 200
        assert served.content == content

    replaced = await admin_client.put(f"/api/books/{book['id']}/cover", **upload(tiny_jpeg(), "c.jpg", "image/jpeg"))
    assert replaced.status_code == 200
    assert (await admin_client.delete(f"/api/books/{book['id']}/cover")).status_code == 204
    assert cover_files(book["id"]) == set()


@pytest.mark.parametrize("method", ["get", "put", "delete"])
async def test_bad_and_unknown_ids(client, method):
    kwargs = upload(tiny_png()) if method == "put" else {}
    call = getattr(client, method)

    assert_problem(await call("/api/books/not-a-uuid/cover", **kwargs), 400)
    assert_problem(await call(f"/api/books/{UNKNOWN_ID}/cover", **kwargs), 404)
    assert cover_files(UNKNOWN_ID) == set()


async def test_path_traversal_filename_is_harmless(client, book):
    data_dir = get_settings().app.data_dir
    name = "../../etc/passwd.png"
    bases = (covers_dir() / book["id"], covers_dir(), data_dir, Path.cwd())
    targets = {(base / name).resolve() for base in bases}
    assert not any(target.exists() for target in targets)
    before = all_files(covers_dir())
    content = tiny_png(red=7)

    response = await client.put(f"/api/books/{book['id']}/cover", **upload(content, name, "image/png"))

    assert response.status_code == 200, response.text
    expected = covers_dir() / book["id"] / f"{hashlib.sha256(content).hexdigest()}.png"
    assert all_files(covers_dir()) - before == {expected}
    assert not any(target.exists() for target in targets)
    assert not list(data_dir.rglob("passwd.png"))
    cover = await stored_cover(book["id"])
    assert cover.filename == f"{book['id']}/{expected.name}"
