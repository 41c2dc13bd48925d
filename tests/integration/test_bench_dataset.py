"""The benchmark's dataset (`tools/data`): loaded with `COPY`, it must be a catalogue the app serves
as if it had made it itself: its slugs, its tokens and password, its tag counts, and import files
made for it import without a failed row."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import pytest
from sqlalchemy import func, select

from app.db import models as m
from app.domain.books.jobs import import_catalogue
from tests.conftest import TEST_DATABASE_URL
from tests.support.browser import log_in
from tests.support.db import on_app_loop, scalar

sys.path.append(str(Path(__file__).resolve().parents[2] / "tools"))

from data import (
    Dataset,
    DatasetLoadError,
    import_rows,
    load_dataset,
    write_import_csv,
    write_import_jsonl,
)
from data.dataset import LUA_INPUTS

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

    from tests.conftest import ClientFactory

AUTHORS, BOOKS, TAGS, USERS = 20, 200, 10, 5
SEED = 7
FILE_SIZE = {"dataset_authors": AUTHORS, "dataset_seed": SEED, "dataset_tags": TAGS}


async def load() -> Dataset:
    return await load_dataset(TEST_DATABASE_URL, authors=AUTHORS, books=BOOKS, tags=TAGS, users=USERS, seed=SEED)


@pytest.fixture
async def dataset(app_portal: BlockingPortal) -> Dataset:
    return await load()


async def everything(client: Any, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        response = await client.get(path, params={"pageSize": 100, "currentPage": page})
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        if len(items) >= body["total"]:
            return items
        page += 1


async def test_the_catalogue_is_served_with_the_slugs_authors_and_tags_it_was_given(
    dataset: Dataset, new_client: ClientFactory
) -> None:
    client = new_client()

    books = await everything(client, "/api/books")

    assert len(books) == BOOKS == len(dataset.book_ids)
    assert {book["id"]: book["slug"] for book in books} == dict(zip(dataset.book_ids, dataset.book_slugs, strict=True))
    assert {book["author"]["id"] for book in books} <= set(dataset.author_ids)
    assert all(2 <= len(book["tags"]) <= 4 for book in books)
    assert 2.5 <= dataset.book_tag_links / len(books) <= 3.5
    one = await client.get(f"/api/books/{dataset.book_ids[-1]}")
    assert one.status_code == 200, one.text
    assert one.json()["author"]["name"] in dataset.author_names
    assert {tag["name"] for tag in one.json()["tags"]} <= set(dataset.tag_names)
    for slug in dataset.book_slugs[::20]:
        by_slug = await client.get(f"/api/books/by-slug/{slug}")
        assert by_slug.status_code == 200, by_slug.text
        assert by_slug.json()["slug"] == slug


async def test_tag_book_counts_add_up_to_the_links(dataset: Dataset, new_client: ClientFactory) -> None:
    tags = await everything(new_client(), "/api/tags")

    assert sorted(tag["slug"] for tag in tags) == sorted(dataset.tag_slugs)
    assert sum(tag["bookCount"] for tag in tags) == dataset.book_tag_links
    assert await scalar(select(func.count()).select_from(m.book_tag)) == dataset.book_tag_links


async def test_every_user_has_a_working_token_and_the_shared_password(
    dataset: Dataset, new_client: ClientFactory
) -> None:
    for user in dataset.users:
        me = await new_client(user.token).get("/api/me")
        assert me.status_code == 200, me.text
        assert (me.json()["id"], me.json()["email"], me.json()["isVerified"]) == (user.id, user.email, True)

    logged_in = await log_in(new_client(), dataset.users[-1].email, dataset.password)

    assert logged_in.status_code == 200, logged_in.text


async def test_the_loader_refuses_a_database_that_is_not_empty(dataset: Dataset) -> None:
    with pytest.raises(DatasetLoadError, match="not empty"):
        await load()


async def import_file(client: Any, path: Path) -> dict[str, Any]:
    content = await anyio.Path(path).read_bytes()
    uploaded = await client.post("/api/imports", files={"file": (path.name, content)})
    assert uploaded.status_code == 202, uploaded.text
    import_id = uploaded.json()["id"]
    await on_app_loop(lambda: import_catalogue({}, import_id=import_id))  # type: ignore[typeddict-item]
    finished = await client.get(f"/api/imports/{import_id}")
    assert finished.status_code == 200, finished.text
    return dict(finished.json())


async def test_generated_import_files_import_every_row_with_known_and_new_authors(
    dataset: Dataset, new_client: ClientFactory, tmp_path: Path
) -> None:
    client = new_client(dataset.users[0].token)
    authors = {row["author"].lower() for row in [*import_rows(300, 3, **FILE_SIZE), *import_rows(100, 4, **FILE_SIZE)]}
    known = {name.lower() for name in dataset.author_names}
    assert authors & known
    assert authors - known
    assert write_import_csv(tmp_path / "books.csv", 300, 3, **FILE_SIZE) == 300
    assert write_import_jsonl(tmp_path / "books.jsonl", 100, 4, **FILE_SIZE) == 100

    from_csv = await import_file(client, tmp_path / "books.csv")
    from_jsonl = await import_file(client, tmp_path / "books.jsonl")

    for outcome, count in ((from_csv, 300), (from_jsonl, 100)):
        counts = (outcome["status"], outcome["created"], outcome["skipped"], outcome["failed"])
        assert counts == ("succeeded", count, 0, 0), outcome["errors"]
    assert await scalar(select(func.count()).select_from(m.Book)) == BOOKS + 400
    assert await scalar(select(func.count()).select_from(m.Author)) == AUTHORS + len(authors - known)


async def test_the_dataset_survives_json_and_writes_one_value_a_line(dataset: Dataset, tmp_path: Path) -> None:
    dataset.to_json(tmp_path / "dataset.json")

    assert Dataset.from_json(tmp_path / "dataset.json") == dataset
    written = dataset.write_lua_inputs(tmp_path)
    assert sorted(path.name for path in written) == sorted(LUA_INPUTS)
    assert (tmp_path / "book_ids.txt").read_text().splitlines() == list(dataset.book_ids)
    assert (tmp_path / "tokens.txt").read_text().splitlines() == [user.token for user in dataset.users]
