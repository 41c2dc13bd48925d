"""The one check every hostile request ends with: a clean 4xx problem, nothing of the server's insides.

A marker the request itself carried (a file name ending in `.py`, a bio that says "Exception") is
not held against the answer: echoing what the client sent is no leak.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"
PROBLEM_FIELDS = ("status", "title", "detail")
LEAK_MARKERS = (
    "Traceback",
    'File "',
    ".py",
    "site-packages",
    "sqlalchemy",
    "asyncpg",
    "psycopg",
    "Exception",
    "<class '",
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "DELETE FROM",
)
EXCEPTION_CLASS = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b")
"""`UnicodeDecodeError`, `DataError`, `IntegrityError`...: a Python class name is never a message."""


def leaks(text: str, sent: bytes | str = b"") -> list[str]:
    """The markers of a stack trace, SQL, a source path or an exception class found in `text`."""
    echoed = sent.decode("utf-8", "replace") if isinstance(sent, bytes) else sent
    found = [marker for marker in LEAK_MARKERS if marker in text and marker not in echoed]
    found += [name for name in EXCEPTION_CLASS.findall(text) if name not in echoed]
    return found


def assert_no_leak(text: str, sent: bytes | str = b"") -> None:
    found = leaks(text, sent)
    assert not found, f"leaks {found}: {text[:2000]}"


def assert_rejected(
    response: httpx.Response, status: int | Collection[int] | None = None, *, sent: bytes | str = b""
) -> dict[str, Any]:
    """`response` is a 4xx (`status` when given) RFC 9457 problem whose body gives nothing away."""
    expected = {status} if isinstance(status, int) else set(status or range(400, 500))
    assert response.status_code in expected, f"{response.status_code} not in {sorted(expected)}: {response.text[:2000]}"
    assert 400 <= response.status_code < 500, response.text[:2000]
    content_type = response.headers.get("content-type", "")
    assert content_type.split(";")[0].strip() == PROBLEM_JSON, (content_type, response.text[:500])
    body = response.json()
    assert isinstance(body, dict), body
    for name in PROBLEM_FIELDS:
        assert body.get(name), f"problem without {name!r}: {body}"
    assert body["status"] == response.status_code, body
    assert isinstance(body["title"], str)
    assert isinstance(body["detail"], str)
    assert_no_leak(response.text, sent)
    return body
