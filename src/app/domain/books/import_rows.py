"""Streaming readers for catalogue files: CSV with a header row, or JSON Lines.

Both turn an async stream of byte chunks into `(line, row)` pairs without holding the file in
memory; `line` is the 1-based line where the row starts, `row` a dict of the known columns or an
`ImportRowError` for a row that cannot be read. A file that is not CSV or JSON Lines at all raises
`ImportFileError`.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

COLUMNS = ("title", "author", "isbn", "publishedYear", "description", "tags")
REQUIRED_COLUMNS = ("title", "author")
_COLUMN_ALIASES = {"published_year": "publishedYear", "publishedyear": "publishedYear", "year": "publishedYear"}
MAX_LINE_BYTES = 1024 * 1024


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why."""


@dataclass(frozen=True)
class ImportRowError:
    message: str


Row = dict[str, Any] | ImportRowError


def detect_format(filename: str, content_type: str | None, head: bytes) -> str:
    """`csv` or `jsonl`, from the name first, then the declared type, then the first bytes."""
    name = filename.lower()
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".csv", ".txt")):
        return "csv"
    if content_type and ("json" in content_type):
        return "jsonl"
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"


async def _text_lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    """Lines (with their endings) of a UTF-8 stream; a bad encoding fails the whole file."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    async for chunk in chunks:
        try:
            pending += decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            msg = f"the file is not valid UTF-8 (byte {exc.start} of a chunk); save it as UTF-8 and try again"
            raise ImportFileError(msg) from exc
        lines = pending.splitlines(keepends=True)
        pending = lines.pop() if lines and not lines[-1].endswith(("\n", "\r")) else ""
        if len(pending) > MAX_LINE_BYTES:
            msg = f"a line is longer than {MAX_LINE_BYTES} bytes"
            raise ImportFileError(msg)
        for line in lines:
            yield line
    try:
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        msg = "the file ends in the middle of a UTF-8 character"
        raise ImportFileError(msg) from exc
    if pending:
        yield pending


def _normalise_columns(header: list[str]) -> list[str]:
    names = [_COLUMN_ALIASES.get(name.strip().lower(), name.strip()) for name in header]
    lowered = {name.lower(): name for name in COLUMNS}
    return [lowered.get(name.lower(), name) for name in names]


async def read_csv(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, Row]]:
    lines = _text_lines(chunks)
    buffer: list[str] = []
    line_number = 0
    header: list[str] | None = None

    async for text in lines:
        line_number += 1
        buffer.append(text)
        joined = "".join(buffer)
        if joined.count('"') % 2 == 1:
            continue  # a quoted field spans lines: wait for the rest of the record
        start = line_number - len(buffer) + 1
        buffer.clear()
        try:
            [fields] = list(csv.reader([joined], strict=True)) or [[]]
        except (csv.Error, ValueError) as exc:
            if header is None:
                msg = f"the header row is not valid CSV: {exc}"
                raise ImportFileError(msg) from exc
            yield start, ImportRowError(f"not valid CSV: {exc}")
            continue
        if header is None:
            header = _normalise_columns(fields)
            missing = [column for column in REQUIRED_COLUMNS if column not in header]
            if missing:
                msg = f"the header row must name {' and '.join(REQUIRED_COLUMNS)}; missing: {', '.join(missing)}"
                raise ImportFileError(msg)
            continue
        if not any(field.strip() for field in fields):
            continue
        if len(fields) != len(header):
            yield start, ImportRowError(f"expected {len(header)} columns as in the header, found {len(fields)}")
            continue
        yield start, {name: value for name, value in zip(header, fields, strict=True) if name in COLUMNS}
    if header is None:
        msg = "the file is empty: a CSV file needs a header row"
        raise ImportFileError(msg)
    if buffer:
        yield line_number - len(buffer) + 1, ImportRowError("a quoted field is never closed")


async def read_jsonl(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, Row]]:
    line_number = 0
    rows_seen = 0
    async for text in _text_lines(chunks):
        line_number += 1
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as exc:
            if rows_seen == 0 and line_number == 1:
                msg = f"the file is not JSON Lines: line 1 is not a JSON object ({exc})"
                raise ImportFileError(msg) from exc
            yield line_number, ImportRowError(f"not valid JSON: {exc}")
            continue
        rows_seen += 1
        if not isinstance(value, dict):
            yield line_number, ImportRowError("each line must be a JSON object")
            continue
        row = {_COLUMN_ALIASES.get(key, key): item for key, item in value.items()}
        yield line_number, {key: item for key, item in row.items() if key in COLUMNS}


def read_rows(file_format: str, chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, Row]]:
    return read_jsonl(chunks) if file_format == "jsonl" else read_csv(chunks)


def split_tags(value: Any) -> list[str]:
    """Tags as given: a list, or names separated by `|`."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return [name for name in str(value).split("|") if name.strip()]
