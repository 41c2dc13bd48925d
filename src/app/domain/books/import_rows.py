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
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

COLUMNS = ("title", "author", "isbn", "publishedYear", "description", "tags")
REQUIRED_COLUMNS = ("title", "author")
_COLUMN_ALIASES = {"published_year": "publishedYear", "publishedyear": "publishedYear", "year": "publishedYear"}
MAX_LINE_BYTES = 1024 * 1024
_LINE_END = re.compile(r"\r\n|\r|\n")


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
    """Lines (with their endings) of a UTF-8 stream; a bad encoding fails the whole file.

    Only `\n`, `\r\n` and `\r` end a line (not the other characters `str.splitlines` breaks at, such
    as U+2028 or form feed, which may appear inside a value), and a `\r\n` split between two chunks
    is one line ending.
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    async for chunk in chunks:
        try:
            pending += decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            msg = f"the file is not valid UTF-8 (byte {exc.start} of a chunk); save it as UTF-8 and try again"
            raise ImportFileError(msg) from exc
        start = 0
        for match in _LINE_END.finditer(pending):
            if match.end() == len(pending) and match.group() == "\r":
                break  # the `\n` of a `\r\n` may start the next chunk
            yield pending[start : match.end()]
            start = match.end()
        pending = pending[start:]
        if len(pending) > MAX_LINE_BYTES:
            msg = f"a line is longer than {MAX_LINE_BYTES} bytes"
            raise ImportFileError(msg)
    try:
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        msg = "the file ends in the middle of a UTF-8 character"
        raise ImportFileError(msg) from exc
    start = 0
    for match in _LINE_END.finditer(pending):
        yield pending[start : match.end()]
        start = match.end()
    if pending[start:]:
        yield pending[start:]


def _normalise_columns(header: list[str]) -> list[str]:
    names = [_COLUMN_ALIASES.get(name.strip().lower(), name.strip()) for name in header]
    lowered = {name.lower(): name for name in COLUMNS}
    return [lowered.get(name.lower(), name) for name in names]


def _ends_in_quoted_field(line: str, *, in_quotes: bool) -> bool:
    """Whether a CSV record continues past `line` (it ends inside a quoted field).

    As the `csv` module reads it: a quote opens a quoted field only at the start of a field, so
    `12" single` is a plain value; inside a quoted field `""` is an escaped quote.
    """
    field_start = not in_quotes
    index = 0
    length = len(line)
    while index < length:
        char = line[index]
        if in_quotes:
            if char == '"':
                if index + 1 < length and line[index + 1] == '"':
                    index += 1
                else:
                    in_quotes = False
        elif char == '"' and field_start:
            in_quotes = True
        field_start = not in_quotes and char == ","
        index += 1
    return in_quotes


async def read_csv(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, Row]]:
    lines = _text_lines(chunks)
    buffer: list[str] = []
    line_number = 0
    header: list[str] | None = None

    in_quotes = False
    buffered = 0
    async for text in lines:
        line_number += 1
        buffer.append(text)
        in_quotes = _ends_in_quoted_field(text, in_quotes=in_quotes)
        if in_quotes:
            buffered += len(text)
            if buffered > MAX_LINE_BYTES:
                msg = (
                    f"the record starting at line {line_number - len(buffer) + 1} is longer than "
                    f"{MAX_LINE_BYTES} bytes (a quoted field that is never closed?)"
                )
                raise ImportFileError(msg)
            continue  # a quoted field spans lines: wait for the rest of the record
        joined = "".join(buffer)
        start = line_number - len(buffer) + 1
        buffer.clear()
        buffered = 0
        try:
            [fields] = list(csv.reader([joined], strict=True)) or [[]]
        except (csv.Error, ValueError) as exc:
            if header is None:
                msg = f"the header row is not valid CSV: {exc}"
                raise ImportFileError(msg) from exc
            yield start, ImportRowError(f"not valid CSV: {exc}")
            continue
        if header is None:
            if "\x00" in joined:
                msg = "the header row holds NUL characters: the file is UTF-16 or binary; save it as UTF-8 text"
                raise ImportFileError(msg)
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
        msg = (
            "the header row opens a quoted field that is never closed"
            if buffer
            else "the file is empty: a CSV file needs a header row"
        )
        raise ImportFileError(msg)
    if buffer:
        yield line_number - len(buffer) + 1, ImportRowError("a quoted field is never closed")


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool) or value is None:
        return "literal"
    return "number"


async def read_jsonl(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, Row]]:
    """JSON Lines: one object per line. A first (non-blank) line that is not a JSON object means
    the file is not JSON Lines at all (a JSON array, CSV, ...); a later bad line is a bad row."""
    line_number = 0
    rows_seen = 0
    async for text in _text_lines(chunks):
        line_number += 1
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except (ValueError, RecursionError) as exc:
            if rows_seen == 0:
                msg = f"the file is not JSON Lines: line {line_number} is not a JSON object ({exc})"
                raise ImportFileError(msg) from exc
            yield line_number, ImportRowError(f"not valid JSON: {exc}")
            continue
        if not isinstance(value, dict):
            if rows_seen == 0:
                msg = (
                    f"the file is not JSON Lines: line {line_number} is a JSON {_json_kind(value)}, "
                    "not an object (one object per line)"
                )
                raise ImportFileError(msg)
            yield line_number, ImportRowError("each line must be a JSON object")
            continue
        rows_seen += 1
        row = {_COLUMN_ALIASES.get(key, key): item for key, item in value.items()}
        yield line_number, {key: item for key, item in row.items() if key in COLUMNS}


def read_rows(file_format: str, chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, Row]]:
    return read_jsonl(chunks) if file_format == "jsonl" else read_csv(chunks)


def split_tags(value: Any) -> Any:
    """Tags as given: a list, or names separated by `|`; numbers become text, anything else is left as is."""
    if value is None:
        return []
    if isinstance(value, str):
        return [name for name in value.split("|") if name.strip()]
    if isinstance(value, int | float):
        return [str(value)]
    if isinstance(value, list):
        return [str(item) if isinstance(item, int | float) else item for item in value]
    return value  # neither text nor a list: the row's check reports it
