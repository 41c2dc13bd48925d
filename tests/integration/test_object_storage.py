"""Covers and import uploads in an S3 bucket (`STORAGE_URL=s3://...`) on a real S3-compatible server.

moto's server mode answers on a local port over plain HTTP and checks request signatures. A real
`app run` server stores there and a separate `app workers run` process reads the imports back, on a
database of their own; each keeps its own `DATA_DIR`, so nothing can pass through a local disk.
Servers whose storage is broken (no such bucket, nothing listening, a wrong secret) must answer
uploads 503 with problem details and log which storage failed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.integration.catalogue import PROBLEM_JSON, isbn13
from tests.support.accounts import TEST_PASSWORD
from tests.support.csrf import csrf_headers_sync
from tests.support.databases import drop_test_database, prepare_test_database
from tests.support.images import tiny_jpeg, tiny_png
from tests.support.processes import (
    ManagedProcess,
    app_env,
    free_port,
    run_app_command,
    start_server,
    start_worker,
    wait_for_http,
)
from tests.support.s3 import S3Server, s3_server

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("object-storage")]

BUCKET = "folio-media"
PREFIX = "tenants/acme"
BROKEN = ("no such bucket", "nothing listening", "wrong secret")
UNAVAILABLE = "File storage is unavailable; try again shortly."


@dataclass(frozen=True)
class BrokenServer:
    url: str
    process: ManagedProcess
    storage_url: str


@dataclass(frozen=True)
class Stack:
    s3: S3Server
    url: str
    """The server whose storage works."""
    broken: dict[str, BrokenServer]
    """A server per way storage can be broken."""
    worker: ManagedProcess
    token: str
    data_dirs: tuple[Path, Path]
    """The working server's and the worker's `DATA_DIR`."""

    def http(self, url: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=url or self.url, headers=headers, timeout=30)


def storage_env(s3: S3Server, **overrides: str) -> dict[str, str]:
    return {
        "STORAGE_URL": f"s3://{BUCKET}/{PREFIX}",
        "STORAGE_ENDPOINT_URL": s3.endpoint,
        "STORAGE_ACCESS_KEY_ID": s3.access_key_id,
        "STORAGE_SECRET_ACCESS_KEY": s3.secret_access_key,
        **overrides,
    }


def broken_storage(s3: S3Server, how: str) -> dict[str, str]:
    changes = {
        "no such bucket": {"STORAGE_URL": f"s3://folio-missing/{PREFIX}"},
        "nothing listening": {"STORAGE_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"},
        "wrong secret": {"STORAGE_SECRET_ACCESS_KEY": "not-the-secret"},
    }
    return storage_env(s3, **changes[how])


def sign_up(url: str) -> str:
    """A new account, signed up through the API; returns an API token of its own."""
    with httpx.Client(base_url=url, timeout=30) as browser:
        account = {"email": f"s3-{os.getpid()}@example.com", "password": TEST_PASSWORD, "name": "Bucket Tester"}
        signed_up = browser.post("/api/auth/signup", json=account, headers=csrf_headers_sync(browser))
        assert signed_up.status_code == 201, signed_up.text
        token = browser.post("/api/me/tokens", json={"name": "s3"}, headers=csrf_headers_sync(browser))
        assert token.status_code == 201, token.text
        return str(token.json()["token"])


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server(BUCKET) as server:
        yield server


@pytest.fixture(scope="module")
def stack(s3: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Every process starts at once: the working server and its worker, and one server per broken storage."""
    root = tmp_path_factory.mktemp("object-storage")
    database_url = prepare_test_database("_s3")
    no_aws_settings: dict[str, str | None] = {name: None for name in os.environ if name.startswith("AWS_")}
    base = {
        **no_aws_settings,
        "DATABASE_URL": database_url,
        "SAQ_QUEUE_URL": "",
        "SAQ_IN_PROCESS": "false",
        "SAQ_SHUTDOWN_GRACE_PERIOD": "0",
        "EMAIL_FILE_DIR": str(root / "emails"),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }
    data_dirs = (root / "web-data", root / "worker-data")
    started: list[ManagedProcess] = []
    try:
        web, url = start_server(app_env(**base, **storage_env(s3), DATA_DIR=str(data_dirs[0])), root / "logs")
        worker = start_worker(app_env(**base, **storage_env(s3), DATA_DIR=str(data_dirs[1])), root / "logs")
        started += [web, worker]
        broken: dict[str, BrokenServer] = {}
        for number, how in enumerate(BROKEN):
            env = app_env(**base, **broken_storage(s3, how), DATA_DIR=str(root / f"broken-{number}"))
            process, broken_url = start_server(env, root / "logs", name=f"broken-{number}")
            started.append(process)
            broken[how] = BrokenServer(broken_url, process, env["STORAGE_URL"])
        wait_for_http(url, web)
        for server in broken.values():
            wait_for_http(server.url, server.process, path="/health/live")
        assert worker.alive(), worker.output()
        yield Stack(s3, url, broken, worker, sign_up(url), data_dirs)
    finally:
        for process in started:
            process.kill()
        drop_test_database(database_url)


def new_book(http: httpx.Client, title: str) -> str:
    author = http.post("/api/authors", json={"name": f"Author of {title}"})
    assert author.status_code == 201, author.text
    book = http.post("/api/books", json={"title": title, "authorId": author.json()["id"]})
    assert book.status_code == 201, book.text
    return str(book.json()["id"])


def put_cover(http: httpx.Client, book_id: str, content: bytes) -> httpx.Response:
    return http.put(f"/api/books/{book_id}/cover", files={"file": ("cover", content, "application/octet-stream")})


def cover_key(book_id: str, content: bytes, extension: str) -> str:
    return f"{PREFIX}/covers/{book_id}/{hashlib.sha256(content).hexdigest()}.{extension}"


def assert_only_under_prefix(stack: Stack) -> None:
    everything = stack.s3.keys(BUCKET)
    assert everything == stack.s3.keys(BUCKET, f"{PREFIX}/"), everything
    for data_dir in stack.data_dirs:
        assert not (data_dir / "covers").exists(), "a cover was written to local disk"
        assert not (data_dir / "imports").exists(), "an import was written to local disk"


def test_a_cover_is_stored_served_replaced_and_deleted_in_the_bucket(stack: Stack) -> None:
    png, jpeg = tiny_png(red=7), tiny_jpeg()
    with stack.http() as http:
        book_id = new_book(http, "Covered in the Bucket")
        covers = f"{PREFIX}/covers/{book_id}/"

        first = put_cover(http, book_id, png)
        assert first.status_code == 200, first.text
        assert stack.s3.keys(BUCKET, covers) == {cover_key(book_id, png, "png")}
        assert stack.s3.read(BUCKET, cover_key(book_id, png, "png")) == (png, "image/png")

        served = http.get(first.json()["coverUrl"])
        assert served.status_code == 200
        assert served.content == png
        assert served.headers["content-type"].split(";")[0] == "image/png"
        assert served.headers["etag"] == f'"{hashlib.sha256(png).hexdigest()}"'
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        unversioned = http.get(f"/api/books/{book_id}/cover", headers={"If-None-Match": served.headers["etag"]})
        assert unversioned.status_code == 304
        assert unversioned.headers["cache-control"] == "public, max-age=300"

        replaced = put_cover(http, book_id, jpeg)
        assert replaced.status_code == 200, replaced.text
        assert stack.s3.keys(BUCKET, covers) == {cover_key(book_id, jpeg, "jpg")}, "the old cover is deleted"
        assert http.get(replaced.json()["coverUrl"]).content == jpeg

        removed = http.delete(f"/api/books/{book_id}/cover")
        assert removed.status_code == 204, removed.text
        assert stack.s3.keys(BUCKET, covers) == set()
        assert http.get(f"/api/books/{book_id}/cover").status_code == 404
    assert_only_under_prefix(stack)


def test_deleting_a_book_deletes_its_cover_from_the_bucket(stack: Stack) -> None:
    with stack.http() as http:
        book_id = new_book(http, "Short-Lived")
        assert put_cover(http, book_id, tiny_png(red=9)).status_code == 200
        assert stack.s3.keys(BUCKET, f"{PREFIX}/covers/{book_id}/") == {cover_key(book_id, tiny_png(red=9), "png")}

        deleted = http.delete(f"/api/books/{book_id}")
        assert deleted.status_code == 204, deleted.text
        assert stack.s3.keys(BUCKET, f"{PREFIX}/covers/{book_id}/") == set()
    assert_only_under_prefix(stack)


def catalogue_csv(rows: int) -> bytes:
    lines = ["title,author,isbn,publishedYear,description,tags"]
    lines += [f"Bucket Volume {i},Bucket Author,{isbn13(870_000 + i)},2001,From S3,from-s3" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def wait_for_import(http: httpx.Client, import_id: str, worker: ManagedProcess, within: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        current: dict[str, Any] = http.get(f"/api/imports/{import_id}").json()
        if current["status"] in {"succeeded", "failed"}:
            return current
        time.sleep(0.1)
    raise AssertionError(f"import {import_id} not finished within {within}s: {current}\n{worker.output()}")


def test_an_import_uploaded_to_the_bucket_is_imported_by_a_separate_worker(stack: Stack) -> None:
    content = catalogue_csv(3)
    with stack.http() as http:
        uploaded = http.post("/api/imports", files={"file": ("catalogue.csv", content, "text/csv")})
        assert uploaded.status_code == 202, uploaded.text
        import_id = uploaded.json()["id"]
        [key] = stack.s3.keys(BUCKET, f"{PREFIX}/imports/{import_id}/")
        assert key == f"{PREFIX}/imports/{import_id}/catalogue.csv"
        assert stack.s3.read(BUCKET, key)[0] == content

        done = wait_for_import(http, import_id, stack.worker)
        assert (done["status"], done["created"], done["failed"]) == ("succeeded", 3, 0), done
        books = http.get("/api/books", params={"tag": "from-s3"}).json()
        assert sorted(book["title"] for book in books["items"]) == [f"Bucket Volume {i}" for i in range(3)]
    assert_only_under_prefix(stack)


def log_events(server: BrokenServer) -> list[dict[str, Any]]:
    lines = (server.process.stdout() + server.process.stderr()).splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def storage_failures(server: BrokenServer) -> set[tuple[str, str, str]]:
    """(storage, location, action) of each "file storage failed" line the server logged."""
    failed = [event for event in log_events(server) if event["event"] == "file storage failed"]
    return {(event["storage"], event["location"], event["action"]) for event in failed}


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.headers["retry-after"] == "1"
    assert response.json() == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": UNAVAILABLE,
    }


def assert_nothing_unexpected(stack: Stack, server: BrokenServer) -> None:
    """No request ended in an error other than the 503, and the secret is never written out."""
    events = log_events(server)
    assert not [event for event in events if event["event"] == "unhandled error"]
    assert {event["status"] for event in events if event["event"] == "request" and event["status"] >= 500} <= {503}
    assert stack.s3.secret_access_key not in server.process.output(limit=1_000_000)


@pytest.mark.parametrize("how", BROKEN)
def test_uploads_to_broken_storage_answer_503_store_nothing_and_log_the_storage(stack: Stack, how: str) -> None:
    server = stack.broken[how]
    with stack.http() as working, stack.http(server.url) as broken:
        book_id = new_book(working, f"Never Covered ({how})")
        imports_before = working.get("/api/imports").json()["total"]

        assert_unavailable(put_cover(broken, book_id, tiny_png(red=11)))
        assert_unavailable(broken.post("/api/imports", files={"file": ("catalogue.csv", catalogue_csv(1), "text/csv")}))

        assert working.get(f"/api/books/{book_id}").json()["coverUrl"] is None
        assert working.get("/api/imports").json()["total"] == imports_before
    assert {
        ("covers", f"{server.storage_url}/covers", "save"),
        ("imports", f"{server.storage_url}/imports", "save"),
    } <= storage_failures(server)
    assert_nothing_unexpected(stack, server)


@pytest.mark.parametrize("how", BROKEN)
def test_broken_storage_answers_reads_503_and_logs_the_file_a_delete_leaves_behind(stack: Stack, how: str) -> None:
    """A removed cover is gone from the book even when its file cannot be deleted; the log says which store kept it."""
    server, png = stack.broken[how], tiny_png(red=13)
    with stack.http() as working, stack.http(server.url) as broken:
        book_id = new_book(working, f"Covered Elsewhere ({how})")
        assert put_cover(working, book_id, png).status_code == 200

        assert_unavailable(broken.get(f"/api/books/{book_id}/cover"))
        assert broken.delete(f"/api/books/{book_id}/cover").status_code == 204
        assert working.get(f"/api/books/{book_id}/cover").status_code == 404
        assert stack.s3.keys(BUCKET, f"{PREFIX}/covers/{book_id}/") == {cover_key(book_id, png, "png")}
    assert {
        ("covers", f"{server.storage_url}/covers", "read"),
        ("covers", f"{server.storage_url}/covers", "delete"),
    } <= storage_failures(server)
    assert_nothing_unexpected(stack, server)


def test_a_storage_url_that_is_not_s3_is_refused_with_a_message() -> None:
    done = run_app_command("database", "show-current-revision", env=app_env(STORAGE_URL="gs://folio-media/covers"))
    assert done.returncode == 2
    assert "Folio cannot start: STORAGE_URL must look like s3://bucket/prefix, got 'gs://folio-media/covers'" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr
