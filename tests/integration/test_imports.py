"""Bulk imports through the HTTP API: upload, visibility, and the job run in-process on the real database.

The job is the real `import_catalogue` SAQ function, called here as a worker would call it
(`tests/integration/test_import_worker_kill.py` runs it in real worker processes).
"""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest
from sqlalchemy import func, select

from app.db import models as m
from app.domain.books.imports import BATCH_SIZE, MAX_IMPORT_BYTES, MAX_KEPT_ERRORS, run_import
from app.domain.books.jobs import import_catalogue
from app.lib.database import get_alchemy_config
from app.server.plugins import get_saq_plugin
from tests.integration.catalogue import (
    assert_problem,
    assert_utc_timestamp,
    create_author,
    create_tag,
    isbn13,
    next_year,
)
from tests.support import accounts
from tests.support.db import on_app_loop, scalar
from tests.support.mail import queued_jobs

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    Client = AsyncTestClient[Litestar]

IMPORT_FIELDS = {
    "id",
    "status",
    "filename",
    "total",
    "processed",
    "created",
    "skipped",
    "failed",
    "errors",
    "message",
    "createdAt",
    "startedAt",
    "finishedAt",
}
HEADER = "title,author,isbn,publishedYear,description,tags\n"


async def upload(
    client: Client, content: bytes | str, filename: str = "books.csv", content_type: str = "text/csv"
) -> dict[str, Any]:
    body = content.encode() if isinstance(content, str) else content
    response = await client.post("/api/imports", files={"file": (filename, body, content_type)})
    assert response.status_code == 202, response.text
    return response.json()


async def run_job(import_id: str) -> dict[str, Any]:
    """The SAQ job function, as a worker runs it, on the app's loop (where the pool's connections live)."""
    return await on_app_loop(lambda: import_catalogue({}, import_id=import_id))  # type: ignore[typeddict-item]


async def import_file(client: Client, content: bytes | str, **upload_args: Any) -> dict[str, Any]:
    """Upload, run the job, and return the import as `GET /api/imports/{id}` shows it."""
    created = await upload(client, content, **upload_args)
    await run_job(created["id"])
    response = await client.get(f"/api/imports/{created['id']}")
    assert response.status_code == 200, response.text
    return response.json()


async def count(model: Any) -> int:
    return int(await scalar(select(func.count()).select_from(model)))


async def all_books(client: Client) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/books", params={"pageSize": 100})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] <= 100
    return {book["title"]: book for book in page["items"]}


def tag_slugs(book: dict[str, Any]) -> set[str]:
    return {tag["slug"] for tag in book["tags"]}


# --- upload and visibility ----------------------------------------------------------------------


async def test_upload_answers_202_with_location_and_a_queued_import(client: Client) -> None:
    response = await client.post(
        "/api/imports", files={"file": ("My Books.csv", (HEADER + "Dune,Frank Herbert,,,,\n").encode(), "text/csv")}
    )

    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == IMPORT_FIELDS
    assert response.headers["location"] == f"/api/imports/{body['id']}"
    assert body["status"] == "queued"
    assert body["filename"] == "My Books.csv"
    assert (body["total"], body["processed"], body["created"], body["skipped"], body["failed"]) == (0, 0, 0, 0, 0)
    assert body["errors"] == []
    assert body["message"] is None
    assert_utc_timestamp(body["createdAt"])
    assert body["startedAt"] is None
    assert body["finishedAt"] is None

    fetched = await client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == body

    # Enqueued (after the commit) on the real queue, with the import job's own timeout and heartbeat.
    jobs = await queued_jobs("import_catalogue")
    assert [job.kwargs for job in jobs] == [{"import_id": body["id"]}]
    queue = get_saq_plugin().get_queue("default")
    job = await on_app_loop(lambda: queue.job(jobs[0].key))
    assert job is not None
    assert (job.timeout, job.heartbeat) == (3600, 120)
    assert job.retries > 1

    # Nothing is imported before a worker runs the job.
    assert await count(m.Book) == 0


async def test_anonymous_upload_is_401(anon_client: Client) -> None:
    response = await anon_client.post("/api/imports", files={"file": ("books.csv", HEADER.encode(), "text/csv")})
    assert_problem(response, 401)
    assert await count(m.BookImport) == 0
    assert await queued_jobs("import_catalogue") == []
    assert_problem(await anon_client.get("/api/imports"), 401)


async def test_imports_are_visible_to_their_owner_and_superusers_only(
    client: Client, admin_client: Client, new_client: Any
) -> None:
    first = await upload(client, HEADER, filename="first.csv")
    second = await upload(client, HEADER, filename="second.csv")
    other = new_client(await accounts.create_api_token(await accounts.create_user(name="Other")))
    theirs = await upload(other, HEADER, filename="theirs.csv")

    mine = (await client.get("/api/imports")).json()
    assert [item["id"] for item in mine["items"]] == [second["id"], first["id"]], "newest first"
    assert mine["total"] == 2
    assert {"items", "total", "limit", "offset"} <= set(mine)
    assert set(mine["items"][0]) == IMPORT_FIELDS

    paged = (await client.get("/api/imports", params={"pageSize": 1, "currentPage": 2})).json()
    assert [item["id"] for item in paged["items"]] == [first["id"]]
    assert paged["total"] == 2

    assert_problem(await client.get(f"/api/imports/{theirs['id']}"), 404)
    assert_problem(await other.get(f"/api/imports/{first['id']}"), 404)
    assert [item["id"] for item in (await other.get("/api/imports")).json()["items"]] == [theirs["id"]]
    assert_problem(await client.get("/api/imports/01900000-0000-7000-8000-000000000000"), 404)

    everything = (await admin_client.get("/api/imports")).json()
    assert [item["id"] for item in everything["items"]] == [theirs["id"], second["id"], first["id"]]
    for item in (first, theirs):
        response = await admin_client.get(f"/api/imports/{item['id']}")
        assert response.status_code == 200
        assert response.json()["id"] == item["id"]


# --- the job --------------------------------------------------------------------------------------

BAD_ISBN = isbn13(3)[:-1] + str((int(isbn13(3)[-1]) + 1) % 10)


def sample_csv() -> str:
    """Five good rows, five bad ones (lines 7-11), a quoted field over three lines and a blank line."""
    return (
        HEADER
        + f"The Dispossessed,ursula k. le guin,{isbn13(1)},1974,An ambiguous utopia.,Science Fiction|classics\n"  # 2
        + f'Consider Phlebas,Iain M. Banks,{isbn13(2)[:3]}-{isbn13(2)[3:]},1987,"A war,\nover ""three""\nlines",'
        "Science Fiction\n"  # 3-5
        + "The Left Hand of Darkness,Ursula K. Le Guin,0-441-47812-3,1969,,Classics | Gethen \n"  # 6
        + "Too,Few,Columns\n"  # 7: ragged
        + f"Bad Isbn,Someone,{BAD_ISBN},2000,,\n"  # 8
        + "Bad Year,Someone,,nineteen,,\n"  # 9
        + f"Future,Someone,,{next_year() + 1},,\n"  # 10
        + ",Someone,,2001,,\n"  # 11: no title
        + "The Player of Games,IAIN M. BANKS,,1988,,\n"  # 12
        + "\n"  # 13: blank, ignored
        + f"Excession,Iain M. Banks,{isbn13(4)},1996,,Science Fiction|Space Opera\n"  # 14
    )


async def test_csv_import_creates_rows_and_reports_bad_ones_by_line(client: Client) -> None:
    le_guin = await create_author(client, "Ursula K. Le Guin")
    classics = await create_tag(client, "Classics")

    done = await import_file(client, sample_csv())

    assert done["status"] == "succeeded", done
    assert done["message"] is None
    assert (done["processed"], done["created"], done["skipped"], done["failed"]) == (10, 5, 0, 5)
    assert done["total"] == 10
    assert_utc_timestamp(done["startedAt"])
    assert_utc_timestamp(done["finishedAt"])
    errors = {error["line"]: error["message"] for error in done["errors"]}
    assert sorted(errors) == [7, 8, 9, 10, 11], done["errors"]
    assert "column" in errors[7]
    assert "isbn" in errors[8]
    assert errors[9] == "publishedYear must be a whole number"
    assert "publishedYear" in errors[10]
    assert errors[11] == "title is required"
    assert "title" in errors[11]

    books = await all_books(client)
    assert set(books) == {
        "The Dispossessed",
        "Consider Phlebas",
        "The Left Hand of Darkness",
        "The Player of Games",
        "Excession",
    }
    # Authors: matched case-insensitively (the existing one), a new one created once, spelt as first seen.
    assert books["The Dispossessed"]["author"]["id"] == le_guin["id"]
    assert books["The Left Hand of Darkness"]["author"]["id"] == le_guin["id"]
    banks = {books[title]["author"]["id"] for title in ("Consider Phlebas", "The Player of Games", "Excession")}
    assert len(banks) == 1
    assert books["Excession"]["author"]["name"] == "Iain M. Banks"
    assert await count(m.Author) == 2, "no author for rows that failed"
    # ISBNs normalised to 13 digits (ISBN-10 converted, hyphens dropped); a row without isbn has none.
    assert books["The Left Hand of Darkness"]["isbn"] == "9780441478125"
    assert books["Consider Phlebas"]["isbn"] == isbn13(2)
    assert books["The Player of Games"]["isbn"] is None
    assert books["The Dispossessed"]["publishedYear"] == 1974
    assert books["The Dispossessed"]["description"] == "An ambiguous utopia."
    assert books["Consider Phlebas"]["description"] == 'A war,\nover "three"\nlines'
    assert books["The Left Hand of Darkness"]["description"] is None
    # Tags by slug: the existing one reused, new ones created once.
    assert tag_slugs(books["The Dispossessed"]) == {"science-fiction", "classics"}
    assert tag_slugs(books["The Left Hand of Darkness"]) == {"classics", "gethen"}
    assert tag_slugs(books["Excession"]) == {"science-fiction", "space-opera"}
    assert tag_slugs(books["The Player of Games"]) == set()
    assert {tag["id"] for tag in books["The Dispossessed"]["tags"] if tag["slug"] == "classics"} == {classics["id"]}
    assert await count(m.Tag) == 4

    # The same file again creates nothing: rows with an isbn, and rows without one, are skipped.
    again = await import_file(client, sample_csv())
    assert again["status"] == "succeeded", again
    assert (again["processed"], again["created"], again["skipped"], again["failed"]) == (10, 0, 5, 5)
    assert await count(m.Book) == 5
    assert await count(m.Author) == 2
    assert await count(m.Tag) == 4


async def test_jsonl_import(client: Client) -> None:
    lines = [
        json.dumps(
            {
                "title": "Kindred",
                "author": "Octavia E. Butler",
                "isbn": isbn13(10),
                "publishedYear": 1979,
                "tags": "Science Fiction|Time Travel",
                "description": "Dana \u2028 and Rufus",
            }
        ),
        json.dumps({"title": "Dawn", "author": "octavia e. butler", "published_year": "1987", "tags": ["Xenogenesis"]}),
        '{"title": "Broken", ',
        "",
        '["not", "an", "object"]',
        json.dumps({"author": "No Title"}),
        json.dumps({"title": "Parable of the Sower", "author": "Octavia E. Butler", "isbn": "bad"}),
        json.dumps({"title": "Fledgling", "author": "OCTAVIA E. BUTLER", "unknownKey": 1}),
    ]
    done = await import_file(
        client, "\n".join(lines) + "\n", filename="catalogue.ndjson", content_type="application/x-ndjson"
    )

    assert done["status"] == "succeeded", done
    assert (done["processed"], done["created"], done["skipped"], done["failed"]) == (7, 3, 0, 4)
    errors = {error["line"]: error["message"] for error in done["errors"]}
    assert sorted(errors) == [3, 5, 6, 7], done["errors"]
    assert "JSON" in errors[3]
    assert "object" in errors[5]
    assert errors[6] == "title is required"
    assert "isbn" in errors[7]

    books = await all_books(client)
    assert set(books) == {"Kindred", "Dawn", "Fledgling"}
    assert len({book["author"]["id"] for book in books.values()}) == 1
    assert books["Kindred"]["author"]["name"] == "Octavia E. Butler"
    assert books["Kindred"]["description"] == "Dana \u2028 and Rufus"
    assert books["Kindred"]["isbn"] == isbn13(10)
    assert tag_slugs(books["Kindred"]) == {"science-fiction", "time-travel"}
    assert books["Dawn"]["publishedYear"] == 1987
    assert tag_slugs(books["Dawn"]) == {"xenogenesis"}

    again = await import_file(client, "\n".join(lines) + "\n", filename="catalogue.jsonl")
    assert (again["created"], again["skipped"], again["failed"]) == (0, 3, 4)
    assert await count(m.Book) == 3


async def test_only_the_first_hundred_errors_are_kept(client: Client) -> None:
    rows = [f"Good {i},Author {i % 3},{isbn13(100 + i)},,,\n" for i in range(10)]
    rows += [f"Bad {i},Author,,not-a-year,,\n" for i in range(150)]
    done = await import_file(client, HEADER + "".join(rows))

    assert done["status"] == "succeeded"
    assert (done["processed"], done["created"], done["failed"]) == (160, 10, 150)
    assert len(done["errors"]) == MAX_KEPT_ERRORS
    assert [error["line"] for error in done["errors"]] == list(range(12, 12 + MAX_KEPT_ERRORS))


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        ("latin1.csv", "title,author\nCaf\u00e9,Jos\u00e9\n".encode("latin-1"), "UTF-8"),
        ("columns.csv", b"name,writer,isbn\nDune,Frank Herbert,\n", "header row must name title and author"),
        ("no-author.csv", b"title,isbn\nDune,\n", "missing: author"),
        ("empty.csv", b"", "empty"),
        ("garbage.bin", random.Random(7).randbytes(64 * 1024), "UTF-8"),
        ("cover.csv", PNG, "UTF-8"),
        ("array.jsonl", json.dumps([{"title": "Dune", "author": "Frank Herbert"}]).encode(), "not JSON Lines"),
        ("csv.jsonl", b"title,author\nDune,Frank Herbert\n", "not JSON Lines"),
    ],
)
async def test_a_file_that_is_not_csv_or_jsonl_fails_with_a_clear_message(
    client: Client, filename: str, content: bytes, expected: str
) -> None:
    done = await import_file(client, content, filename=filename, content_type="application/octet-stream")

    assert done["status"] == "failed", done
    assert expected in (done["message"] or ""), done["message"]
    assert done["created"] == 0
    assert_utc_timestamp(done["finishedAt"])
    assert await count(m.Book) == 0
    # Running the job again (a retry) leaves a finished import alone.
    assert (await run_job(done["id"]))["status"] == "failed"


async def test_upload_over_50_mib_is_413(client: Client) -> None:
    # Just over the whole request limit: refused while the body streams in.
    over_request = b"x" * (MAX_IMPORT_BYTES + 128 * 1024)
    response = await client.post("/api/imports", files={"file": ("big.csv", over_request, "text/csv")})
    assert_problem(response, 413)
    # A file one byte over 50 MiB (the multipart envelope is small): still too large.
    response = await client.post(
        "/api/imports", files={"file": ("big.csv", over_request[: MAX_IMPORT_BYTES + 1], "text/csv")}
    )
    assert_problem(response, 413)
    assert await count(m.BookImport) == 0
    assert await queued_jobs("import_catalogue") == []


async def test_progress_is_committed_batch_by_batch(client: Client) -> None:
    rows = 1200
    content = HEADER + "".join(f"Book {i},Author {i % 7},{isbn13(1000 + i)},2001,,Tag {i % 3}\n" for i in range(rows))
    created = await upload(client, content)
    import_id = UUID(created["id"])
    seen: list[tuple[str, int, int, int, int]] = []

    async def after_batch() -> None:
        # A fresh session sees only what is committed: the counters and the rows go in together.
        async with get_alchemy_config().get_session() as session:
            current = await session.get(m.BookImport, import_id)
            assert current is not None
            books = await session.scalar(select(func.count()).select_from(m.Book))
            seen.append((current.status, current.total, current.processed, current.created, int(books or 0)))

    await on_app_loop(lambda: run_import(import_id, after_batch=after_batch))

    assert [entry[2] for entry in seen] == [BATCH_SIZE, 2 * BATCH_SIZE]
    for status, total, processed, made, books in seen:
        assert status == "running"
        assert total >= rows, "total is estimated before the first batch"
        assert made == processed == books
    done = (await client.get(f"/api/imports/{import_id}")).json()
    assert done["status"] == "succeeded"
    assert (done["total"], done["processed"], done["created"]) == (rows, rows, rows)
    assert await count(m.Book) == rows
