"""The bad-input corpus over real HTTP bytes: what no HTTP client library will send.

A real `app run` (granian) gets raw requests through a plain socket: invalid UTF-8 and NUL bytes
in the path, query and headers, broken percent-encoding, malformed request lines and headers,
and bodies whose `Content-Length` or chunked framing lies. What the app answers is a clean 4xx
problem. Framing errors are answered by the HTTP server itself before the app runs: a plain 4xx,
or the connection closed; never a 5xx, never a trace. After every case the server still answers,
and nothing was written.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from app.db import models as m
from tests.conftest import TEST_DATABASE_URL
from tests.support import accounts
from tests.support.db import scalar
from tests.support.problems import PROBLEM_JSON, assert_no_leak, assert_rejected
from tests.support.processes import app_env, start_server, wait_for_http

pytestmark = pytest.mark.slow

MIB = 1024 * 1024


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def as_httpx(self) -> httpx.Response:
        return httpx.Response(self.status, headers=self.headers, content=self.body)


@dataclass(frozen=True)
class Server:
    url: str
    host: str
    port: int


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("bad-http")
    env = app_env(DATABASE_URL=TEST_DATABASE_URL, DATA_DIR=str(root / "data"), LOG_LEVEL="WARNING")
    process, url = start_server(env, root / "logs")
    try:
        wait_for_http(url, process)
        parsed = httpx.URL(url)
        yield Server(url, parsed.host, int(parsed.port or 80))
    finally:
        code, _ = process.stop()
        assert code in {0, -signal.SIGTERM}, process.output()


@pytest.fixture
async def token() -> str:
    return await accounts.create_api_token(await accounts.create_user())


def exchange(server: Server, data: bytes, *, half_close: bool = False, timeout: float = 10.0) -> bytes:
    """Send `data` as is on a fresh connection; everything the server sends back until it closes.

    `half_close` shuts our sending side afterwards, as a client that promised more body than it sent.
    """
    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may refuse and close before it has read everything
        received = bytearray()
        while True:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            received += chunk
    return bytes(received)


def first_response(raw: bytes) -> RawResponse | None:
    """The first HTTP response in `raw` (None when the server closed without answering)."""
    if not raw:
        return None
    head, _, rest = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = bytearray()
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            body += rest[:size]
            rest = rest[size + 2 :]
        return RawResponse(status, headers, bytes(body))
    length = int(headers.get("content-length", len(rest)))
    return RawResponse(status, headers, rest[:length])


def request(method: str, target: bytes, *headers: bytes, body: bytes = b"") -> bytes:
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def post_json(body: bytes, *headers: bytes, token: str = "") -> bytes:
    auth = [b"Authorization: Bearer " + token.encode()] if token else []
    return request("POST", b"/api/authors", b"Content-Type: application/json", *auth, *headers, body=body)


def assert_answered_cleanly(
    server: Server, raw: bytes, statuses: set[int] | None = None, *, sent: bytes = b""
) -> RawResponse | None:
    """The first answer (if any) is a 4xx without leaks, a problem when the app wrote it; the server lives on."""
    response = first_response(raw)
    if response is not None:
        allowed = statuses or set(range(400, 500))
        assert response.status in allowed, (response.status, response.body[:500])
        if response.headers.get("content-type", "").startswith(PROBLEM_JSON):
            assert_rejected(response.as_httpx(), allowed, sent=sent)
        else:
            assert_no_leak(response.body.decode("utf-8", "replace"), sent)
    health = httpx.get(f"{server.url}/health", timeout=10)
    assert health.status_code == 200, health.text
    return response


async def author_count() -> int:
    return int(await scalar(select(func.count()).select_from(m.Author)))


# --- what the app answers ---------------------------------------------------------------------------

APP_ANSWERS: dict[str, tuple[bytes, set[int]]] = {
    # case: (raw request, acceptable statuses) -- paths and queries the server passes on to the app
    "percent-encoded-invalid-utf8-path": (request("GET", b"/api/books/by-slug/%FF%FE%C0%AF"), {404}),
    "invalid-percent-escapes-in-path": (request("GET", b"/api/books/by-slug/%zz%%25%"), {400, 404}),
    "percent-encoded-nul-in-path": (request("GET", b"/api/authors/%00"), {400}),
    "invalid-percent-escapes-in-query": (request("GET", b"/api/books?searchString=%zz&pageSize=%"), {200, 400}),
    "percent-encoded-invalid-utf8-query": (request("GET", b"/api/books?searchString=%FF%FE&tag=%C0%AF"), {200, 400}),
    "raw-invalid-utf8-query": (request("GET", b"/api/books?searchString=\xff\xfe\xfd"), {200, 400}),
    "raw-invalid-utf8-page-size": (request("GET", b"/api/books?pageSize=\xff"), {400}),
    "percent-encoded-nul-in-query": (request("GET", b"/api/tags?searchString=%00"), {400}),
    "raw-latin1-session-cookie": (request("GET", b"/api/books", b"Cookie: session=\xff\xfe; csrftoken=\xff"), {200}),
    "raw-latin1-bearer-token": (request("GET", b"/api/me", b"Authorization: Bearer caf\xe9"), {401}),
    "absolute-form-target": (request("GET", b"http://evil.example/api/books"), {200, 400}),
    "unknown-method": (request("BREW", b"/api/books"), {400, 404, 405}),
    # Well-formed, only unusual: the server may serve them or refuse them, never fail on them.
    "request-line-without-version": (b"GET /api/books\r\n\r\n", {200, 400}),
    "huge-header": (request("GET", b"/api/books", b"X-Big: " + b"b" * 200_000), {200, 400, 413, 431}),
    "thousands-of-headers": (request("GET", b"/api/books", *(b"X-H%d: v" % i for i in range(5000))), {200, 400, 431}),
}


@pytest.mark.parametrize("case", list(APP_ANSWERS))
def test_raw_requests_the_app_answers_get_clean_answers(server: Server, case: str) -> None:
    data, statuses = APP_ANSWERS[case]

    response = assert_answered_cleanly(server, exchange(server, data), statuses, sent=data)

    assert response is not None, "the server closed without an answer"
    if response.status == 200:
        page = json.loads(response.body)
        assert page["items"] == [], page


# --- what the HTTP server refuses before the app runs ----------------------------------------------

MALFORMED: dict[str, bytes] = {
    "raw-invalid-utf8-path": request("GET", b"/api/books/by-slug/\xff\xfe"),
    "raw-nul-in-path": request("GET", b"/api/books/by-slug/a\x00b"),
    "space-in-path": request("GET", b"/api/books/a b"),
    "tls-client-hello": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
    "garbage-request-line": b"\x00\x01\x02 \xff\xfe HTTP/1.1\r\n\r\n",
    "lowercase-version": b"GET /api/books http/1.1\r\nHost: x\r\n\r\n",
    "very-long-path": request("GET", b"/api/books/by-slug/" + b"s" * 200_000),
    "header-without-colon": request("GET", b"/api/books", b"X-Broken-Header"),
    "nul-in-header-value": request("GET", b"/api/me", b"X-Test: a\x00b"),
    "nul-in-authorization": request("GET", b"/api/me", b"Authorization: Bearer a\x00b"),
    "cr-in-header-value": request("GET", b"/api/books", b"X-Test: a\rb"),
    "invalid-header-name": request("GET", b"/api/books", b"X-\xff\x00: 1"),
    "space-before-colon": request("GET", b"/api/books", b"Host : evil.example"),
    "obsolete-line-folding": request("GET", b"/api/books", b"X-Folded: a", b" b"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_requests_are_refused_without_a_5xx(server: Server, case: str) -> None:
    data = MALFORMED[case]

    assert_answered_cleanly(server, exchange(server, data), sent=data)


# --- bodies whose framing lies ---------------------------------------------------------------------

BODY = b'{"name": "Framed"}'
CHUNKED = b"Transfer-Encoding: chunked"


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


FRAMING: dict[str, tuple[list[bytes], bytes, bool, set[int] | None]] = {
    # case: (headers, body, half-close after sending, acceptable statuses or None for any 4xx)
    "content-length-not-a-number": ([b"Content-Length: abc"], BODY, False, None),
    "negative-content-length": ([b"Content-Length: -1"], BODY, False, None),
    "two-content-lengths": ([b"Content-Length: 18", b"Content-Length: 7"], BODY, False, None),
    "content-length-beyond-int64": ([b"Content-Length: 99999999999999999999999"], BODY, False, None),
    "content-length-longer-than-the-body": ([b"Content-Length: 500"], BODY, True, None),
    "content-length-shorter-than-the-body": ([b"Content-Length: 9"], BODY, False, None),
    "declared-over-the-limit": ([b"Content-Length: %d" % (2 * MIB)], BODY, True, {413}),
    "chunked-with-a-bad-size": ([CHUNKED], b"zz\r\n" + BODY + b"\r\n0\r\n\r\n", False, None),
    "chunked-never-finished": ([CHUNKED], b'5\r\n{"nam', True, None),
    "chunked-over-the-limit": ([CHUNKED], chunk(b" " * 64 * 1024) * 20 + b"0\r\n\r\n", False, {413}),
    "unknown-transfer-encoding": ([b"Transfer-Encoding: gzip"], BODY, True, None),
    "content-length-with-a-sign": ([b"Content-Length: +18"], BODY, False, None),
}


@pytest.mark.parametrize("case", list(FRAMING))
async def test_bodies_with_lying_framing_are_refused_and_write_nothing(server: Server, token: str, case: str) -> None:
    headers, body, half_close, statuses = FRAMING[case]
    data = post_json(body, *headers, token=token)

    raw = await asyncio.to_thread(exchange, server, data, half_close=half_close)

    await asyncio.to_thread(assert_answered_cleanly, server, raw, statuses, sent=data)
    assert await author_count() == 0


async def test_a_body_framed_both_ways_is_refused_or_read_by_its_chunks(server: Server, token: str) -> None:
    """RFC 9112 (6.3): with both headers, Transfer-Encoding overrides Content-Length, or the request is refused.

    What fails here: a 5xx, a created author that is not the chunked body's, or a write on a refusal.
    A body read by its Content-Length (4 bytes, `12\r\n`) is not a JSON object, so it ends as a 4xx
    with nothing written and cannot be told from a refusal by this exchange alone.
    """
    data = post_json(chunk(BODY) + b"0\r\n\r\n", b"Content-Length: 4", CHUNKED, token=token)

    raw = await asyncio.to_thread(exchange, server, data, half_close=False)

    response = first_response(raw)
    assert response is not None
    if response.status == 201:
        assert json.loads(response.body)["name"] == "Framed"
        assert await author_count() == 1
    else:
        await asyncio.to_thread(assert_answered_cleanly, server, raw, sent=data)
        assert await author_count() == 0
