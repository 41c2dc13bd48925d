"""The streaming CSV / JSON Lines readers, fed the chunks a stored file may arrive in."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from app.domain.books.import_rows import ImportFileError, ImportRowError, read_rows

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


async def rows(file_format: str, *chunks: bytes) -> list[tuple[int, object]]:
    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    return [row async for row in read_rows(file_format, stream())]


async def test_crlf_split_between_chunks_is_one_line_ending() -> None:
    found = await rows("csv", b"title,author\r", b"\nA,B\r\nC,D\r", b"\nE,F\r\n")
    assert found == [
        (2, {"title": "A", "author": "B"}),
        (3, {"title": "C", "author": "D"}),
        (4, {"title": "E", "author": "F"}),
    ]


async def test_only_newlines_end_lines_not_other_unicode_line_breaks() -> None:
    csv_rows = await rows("csv", "title,author,description\nA,B,x\u2028y\x0cz\x85\nC,D,\n".encode())
    assert csv_rows == [
        (2, {"title": "A", "author": "B", "description": "x\u2028y\x0cz\x85"}),
        (3, {"title": "C", "author": "D", "description": ""}),
    ]
    jsonl_rows = await rows("jsonl", '{"title": "A", "author": "B", "description": "x\u2028y"}\n'.encode())
    assert jsonl_rows == [(1, {"title": "A", "author": "B", "description": "x\u2028y"})]


async def test_a_quote_inside_an_unquoted_value_does_not_swallow_the_next_rows() -> None:
    found = await rows("csv", b'title,author\nThe 12" Single,B\nC,D\n"multi\nline ""quoted""",E\nF,"open\n')
    assert found == [
        (2, {"title": 'The 12" Single', "author": "B"}),
        (3, {"title": "C", "author": "D"}),
        (4, {"title": 'multi\nline "quoted"', "author": "E"}),
        (6, ImportRowError("a quoted field is never closed")),
    ]


async def test_an_unclosed_quote_cannot_buffer_the_whole_file() -> None:
    body = b'title,author\n"never closed,A\n' + b"x,y\n" * 300_000
    with pytest.raises(ImportFileError, match="line 2"):
        await rows("csv", body)


@pytest.mark.parametrize("first", [b'["an", "array"]', b"42", b'"text"', b"title,author"])
async def test_jsonl_whose_first_line_is_not_an_object_is_not_jsonl(first: bytes) -> None:
    with pytest.raises(ImportFileError, match="not JSON Lines"):
        await rows("jsonl", b"\n" + first + b'\n{"title": "A", "author": "B"}\n')
