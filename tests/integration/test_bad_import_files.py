"""The bad-input corpus for catalogue files: broken encodings, line endings, quoting and shapes.

Each file is uploaded through the API and imported by the real job function, as a worker runs it.
Whatever the file, the import must finish (never left `running`, never an exception out of the
job): either `succeeded` with each bad row counted and reported by its line, or `failed` with a
message a person can act on. The counters must agree with the catalogue (nothing half-written),
and no message may carry a stack trace or an exception's class name.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field

import pytest

from app.db import models as m
from app.domain.books.imports import BATCH_SIZE
from tests.integration.catalogue import Client, isbn13
from tests.integration.test_imports import count, import_file, run_job
from tests.support.problems import assert_no_leak

HEADER = "title,author,isbn,publishedYear,description,tags\n"


@dataclass(frozen=True)
class Expect:
    status: str
    message: str | None = None
    """Part of the failed import's message."""
    errors: dict[int, str] = field(default_factory=dict)
    """line -> part of that bad row's message; exactly these lines are reported."""
    created: int = 0


def jsonl(*rows: object) -> bytes:
    return b"".join((row if isinstance(row, bytes) else json.dumps(row).encode()) + b"\n" for row in rows)


GOOD = {"title": "Kindred", "author": "Octavia E. Butler"}
DEEP = b"[" * 100_000 + b"]" * 100_000

FILES: dict[str, tuple[str, bytes, Expect]] = {
    # --- encodings
    "latin1-in-a-later-row": (
        "books.csv",
        b"title,author\nKindred,Octavia E. Butler\nCaf\xe9,Jos\xe9\n",
        Expect("failed", "not valid UTF-8"),
    ),
    "utf16-with-bom": ("books.csv", "title,author\nKindred,Butler\n".encode("utf-16"), Expect("failed", "UTF-8")),
    "utf16-without-bom": (
        "books.csv",
        "title,author\nKindred,Butler\n".encode("utf-16-le"),
        Expect("failed", "UTF-16"),
    ),
    "utf16-jsonl": ("books.jsonl", json.dumps(GOOD).encode("utf-16"), Expect("failed", "UTF-8")),
    "utf8-bom-csv": (
        "books.csv",
        b"\xef\xbb\xbftitle,author\nKindred,Octavia E. Butler\n",
        Expect("succeeded", created=1),
    ),
    "utf8-bom-jsonl": ("books.jsonl", b"\xef\xbb\xbf" + jsonl(GOOD), Expect("succeeded", created=1)),
    "truncated-utf8-at-the-end": ("books.csv", b"title,author\nKindred,Octavia \xe2\x82", Expect("failed", "UTF-8")),
    "overlong-utf8": ("books.csv", b"title,author\nKindred,\xc0\xaf\n", Expect("failed", "UTF-8")),
    # --- line endings and quoting
    "mixed-line-endings": (
        "books.csv",
        b"title,author\r\nKindred,Octavia E. Butler\nDawn,Octavia E. Butler\rImago\r\nAdulthood Rites,O. Butler\r\n",
        Expect("succeeded", errors={4: "columns"}, created=3),
    ),
    "too-many-columns": (
        "books.csv",
        b"title,author\nKindred,Octavia E. Butler,extra,more\nDawn,Octavia E. Butler\n",
        Expect("succeeded", errors={2: "expected 2 columns"}, created=1),
    ),
    "too-few-columns": (
        "books.csv",
        HEADER.encode() + b"Kindred\nDawn,Octavia E. Butler,,,,\n",
        Expect("succeeded", errors={2: "expected 6 columns"}, created=1),
    ),
    "unterminated-quote-on-the-last-row": (
        "books.csv",
        b'title,author\nKindred,Octavia E. Butler\n"Dawn,Octavia E. Butler\n',
        Expect("succeeded", errors={3: "never closed"}, created=1),
    ),
    "unterminated-quote-that-swallows-the-file": (
        "books.csv",
        b'title,author\n"Kindred,Octavia E. Butler\n' + b"Dawn,Octavia E. Butler\n" * 60_000,
        Expect("failed", "line 2"),
    ),
    "unterminated-quote-in-the-header": ("books.csv", b'"title,author\nKindred,Butler\n', Expect("failed", "quote")),
    # --- shapes
    "empty-csv": ("books.csv", b"", Expect("failed", "empty")),
    "blank-lines-only": ("books.csv", b"\n\r\n  \n", Expect("failed", "header")),
    "header-only": ("books.csv", b"title,author\n", Expect("succeeded")),
    "header-only-without-newline": ("books.csv", b"title,author", Expect("succeeded")),
    "empty-jsonl": ("books.jsonl", b"", Expect("succeeded")),
    "nul-bytes-named-csv": ("books.csv", b"\x00" * 4096, Expect("failed", "NUL characters")),
    "gzip-named-csv": (
        "books.csv",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + zlib.compress(b"title,author\n" * 50),
        Expect("failed", "UTF-8"),
    ),
    "huge-single-line-csv": (
        "books.csv",
        b"title,author\n" + b"x" * (3 * 1024 * 1024),
        Expect("failed", "longer than"),
    ),
    "huge-single-line-jsonl": (
        "books.jsonl",
        b'{"title": "' + b"x" * (3 * 1024 * 1024),
        Expect("failed", "longer than"),
    ),
    "field-over-the-csv-limit": (
        "books.csv",
        b'title,author,description\nKindred,Octavia E. Butler,"' + b"d" * 200_000 + b'"\nDawn,Octavia E. Butler,\n',
        Expect("succeeded", errors={2: "larger than"}, created=1),
    ),
    "duplicate-header-columns": (
        "books.csv",
        b"title,title,author\nFirst,Second,Octavia E. Butler\n",
        Expect("succeeded", created=1),
    ),
    # --- values
    "nul-in-values": (
        "books.csv",
        HEADER.encode()
        + b"Kin\x00dred,Octavia E. Butler,,,,\nDawn,Octavia\x00,,,,\nImago,Octavia E. Butler,,,,a\x00b\n",
        Expect("succeeded", errors={2: "NUL", 3: "NUL", 4: "NUL"}),
    ),
    "huge-numbers-jsonl": (
        "books.jsonl",
        jsonl(
            GOOD,
            {**GOOD, "title": "A", "publishedYear": 10**30},
            b'{"title": "B", "author": "Octavia E. Butler", "publishedYear": 1e309}',
            b'{"title": "C", "author": "Octavia E. Butler", "publishedYear": NaN}',
            b'{"title": "D", "author": "Octavia E. Butler", "publishedYear": -Infinity}',
            {**GOOD, "title": "E", "publishedYear": 2**63},
            {**GOOD, "title": "F", "isbn": 97803064061570000},
        ),
        Expect(
            "succeeded",
            errors={2: "publishedYear", 3: "publishedYear", 4: "publishedYear", 5: "publishedYear", 6: "publishedYear"}
            | {7: "isbn"},
            created=1,
        ),
    ),
    "huge-numbers-csv": (
        "books.csv",
        HEADER.encode() + b"A,Octavia E. Butler,,1e309,,\nB,Octavia E. Butler,,99999999999999999999999,,\n"
        b"C,Octavia E. Butler,,NaN,,\n",
        Expect("succeeded", errors={2: "publishedYear", 3: "publishedYear", 4: "publishedYear"}),
    ),
    "lone-surrogates-jsonl": (
        "books.jsonl",
        jsonl(
            GOOD,
            b'{"title": "Broken \\ud800 title", "author": "Octavia E. Butler"}',
            b'{"title": "Dawn", "author": "\\udfff"}',
            b'{"title": "Imago", "author": "Octavia E. Butler", "tags": ["ok", "\\ud83d"]}',
            b'{"title": "Fine \\ud83d\\ude00", "author": "Octavia E. Butler"}',
        ),
        Expect("succeeded", errors={2: "title", 3: "author", 4: "tags"}, created=2),
    ),
    "deep-nesting-on-a-later-line": (
        "books.jsonl",
        jsonl(GOOD, DEEP, {**GOOD, "title": "Dawn", "tags": [[[["x"]]]]}),
        Expect("succeeded", errors={2: "JSON", 3: "tags"}, created=1),
    ),
    "deep-nesting-on-the-first-line": ("books.jsonl", DEEP + b"\n" + jsonl(GOOD), Expect("failed", "not JSON Lines")),
    "wrong-types-jsonl": (
        "books.jsonl",
        jsonl(
            GOOD,
            {"title": 12, "author": "Octavia E. Butler"},
            {"title": "Dawn", "author": ["Octavia E. Butler"]},
            {"title": "Imago", "author": "Octavia E. Butler", "tags": {"a": 1}},
            {"title": None, "author": "Octavia E. Butler"},
            b"{}",
            b"[]",
            b"null",
            b"\x00\x01\x02",
        ),
        Expect(
            "succeeded",
            errors={2: "title", 3: "author", 4: "tags", 5: "title", 6: "title", 7: "object", 8: "object", 9: "JSON"},
            created=1,
        ),
    ),
    "over-long-values": (
        "books.csv",
        HEADER.encode()
        + b"T" * 300
        + b",Octavia E. Butler,,,,\n"
        + b"Kindred,Octavia E. Butler,,,,"
        + b"t" * 300
        + b"\n"
        + b"Dawn,Octavia E. Butler,,,"
        + b"d" * 10_001
        + b",\n"
        + f"Imago,Octavia E. Butler,{isbn13(5)}{'9' * 50},,,\n".encode(),
        Expect("succeeded", errors={2: "title", 3: "tags", 4: "description", 5: "isbn"}),
    ),
}


@pytest.mark.parametrize("case", list(FILES))
async def test_a_bad_catalogue_file_ends_reported_never_stuck(client: Client, case: str) -> None:
    filename, content, expect = FILES[case]

    done = await import_file(client, content, filename=filename, content_type="application/octet-stream")

    assert done["status"] == expect.status, done
    assert done["finishedAt"] is not None
    assert_no_leak(json.dumps(done), content)
    if expect.message is not None:
        assert expect.message in (done["message"] or ""), done["message"]
    errors = {error["line"]: error["message"] for error in done["errors"]}
    assert sorted(errors) == sorted(expect.errors), done["errors"]
    for line, part in expect.errors.items():
        assert part in errors[line], (line, errors[line])
    assert done["failed"] == len(expect.errors)
    assert done["created"] == expect.created, done
    assert done["processed"] == done["created"] + done["skipped"] + done["failed"]
    assert await count(m.Book) == expect.created
    # A retried job (a worker that died after finishing) changes nothing.
    assert (await run_job(done["id"]))["status"] == expect.status
    assert await count(m.Book) == expect.created


async def test_a_bad_encoding_after_committed_batches_fails_without_a_half_written_batch(client: Client) -> None:
    good_rows = BATCH_SIZE + 100
    content = b"title,author,isbn\n" + b"".join(
        f"Book {i},Author {i % 5},{isbn13(2000 + i)}\n".encode() for i in range(good_rows)
    )
    content += b"Caf\xe9,Jos\xe9,\n" + b"After,The Break,\n" * 10

    done = await import_file(client, content, filename="books.csv")

    assert done["status"] == "failed", done
    assert "UTF-8" in done["message"]
    books = await count(m.Book)
    assert done["created"] == done["processed"] == books, done
    assert books in {0, BATCH_SIZE, good_rows}, "a batch is written whole or not at all"
