"""`app run` as production runs it: several processes, JSON logs only, the client a trusted proxy names,
and a SIGTERM that lets in-flight requests finish. Real processes, seen from outside."""

from __future__ import annotations

import asyncio
import http.client
import json
import secrets
import signal
import socket
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import psutil
import pytest
from sqlalchemy import select

from app.db import models as m
from app.lib import rate_limit
from app.lib.auth_rate_limit import client_key
from tests.conftest import TEST_DATABASE_URL
from tests.support import accounts
from tests.support.db import on_app_loop, scalar
from tests.support.processes import ManagedProcess, app_env, start_server, wait_for_http

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.slow

PROXY = "127.0.0.1"
"""`TRUSTED_PROXIES` of the production server; the tests' other address, 127.0.0.2, is not trusted."""
UNTRUSTED_PEER = "127.0.0.2"
EXIT_WITHIN = 10.0
"""After its last in-flight request is answered, the server must be gone within this long."""


def production_env(**overrides: str | None) -> dict[str, str]:
    """Production with every other setting at its default (`LOG_FORMAT`, `WEB_CONCURRENCY`, ...)."""
    settings: dict[str, str | None] = {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": TEST_DATABASE_URL,
        "SAQ_IN_PROCESS": "false",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": None,
        "WEB_CONCURRENCY": None,
        "WEB_SHUTDOWN_GRACE_PERIOD": None,
    }
    return app_env(**{**settings, **overrides})


@dataclass
class Server:
    process: ManagedProcess
    url: str

    @property
    def port(self) -> int:
        return int(httpx.URL(self.url).port or 0)

    def workers(self) -> list[psutil.Process]:
        """Granian's worker processes: `app run` supervises one granian process, which runs the workers."""
        (granian,) = psutil.Process(self.process.pid).children()
        return granian.children()

    def log_lines(self) -> list[dict[str, Any]]:
        """Every line of stdout and stderr, parsed (a line that is not JSON fails the test)."""
        lines: list[dict[str, Any]] = []
        for raw in (self.process.stdout() + self.process.stderr()).splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                pytest.fail(f"not a JSON line: {raw!r}\n{self.process.output()}")
            assert isinstance(line, dict), raw
            lines.append(line)
        return lines

    def request_lines(self, request_ids: set[str]) -> list[dict[str, Any]]:
        return [line for line in self.log_lines() if line.get("request_id") in request_ids]


def _start(env: dict[str, str], logs: Path) -> Server:
    """`app run`, once every one of its processes has started."""
    process, url = start_server(env, logs)
    server = Server(process, url)
    try:
        wait_for_http(url, process)
        assert _until(lambda: _all_started(server), 30.0), process.output()
    except BaseException:
        process.kill()
        raise
    return server


def _all_started(server: Server) -> bool:
    """Each granian worker logs `Started worker-N` when it serves; the first answer may come before the others."""
    started = [line for line in server.log_lines() if str(line.get("event", "")).startswith("Started worker-")]
    return len(started) == len(server.workers())


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`app run` with `APP_ENV=production` and nothing else that shapes it but a trusted proxy."""
    server = _start(production_env(TRUSTED_PROXIES=PROXY), tmp_path_factory.mktemp("production-server"))
    try:
        yield server
        code, _ = server.process.stop()
        assert code == 0, server.process.output()
    finally:
        server.process.kill()


def _wait_for_lines(server: Server, request_ids: set[str], timeout: float = 10.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while len(lines := server.request_lines(request_ids)) < len(request_ids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return lines


async def test_production_serves_from_two_processes_by_default(production: Server) -> None:
    workers = production.workers()
    assert len(workers) == 2, f"APP_ENV=production starts two server processes: {workers}"

    # No keep-alive: every request is a new connection, which either process may accept. Which one
    # does is up to the kernel, so bursts are sent until both have answered (one burst, usually).
    limits = httpx.Limits(max_keepalive_connections=0)
    served_by: set[int] = set()
    async with httpx.AsyncClient(base_url=production.url, timeout=10, limits=limits) as client:
        for _ in range(10):
            request_ids = {f"spread-{uuid.uuid4().hex[:12]}" for _ in range(40)}
            answers = await asyncio.gather(
                *(client.get("/api/books", headers={"X-Request-ID": request_id}) for request_id in request_ids)
            )
            assert {answer.status_code for answer in answers} == {200}
            lines = _wait_for_lines(production, request_ids)
            assert len(lines) == len(request_ids), "one log line per request"
            served_by |= {line["pid"] for line in lines}
            if len(served_by) > 1:
                break
    assert served_by == {worker.pid for worker in workers}, "both processes answer requests"


async def test_the_client_is_the_address_a_trusted_proxy_names(production: Server) -> None:
    forwarded = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    spoofed = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    through_proxy, direct = f"proxied-{uuid.uuid4().hex[:12]}", f"direct-{uuid.uuid4().hex[:12]}"

    def post(peer: str, request_id: str, claimed: str) -> httpx.Response:
        transport = httpx.HTTPTransport(local_address=peer)
        with httpx.Client(base_url=production.url, timeout=10, transport=transport) as client:
            headers = {"X-Request-ID": request_id, "X-Forwarded-For": claimed}
            return client.post("/api/auth/forgot-password", json={"email": "x@example.com"}, headers=headers)

    # Without a CSRF token both are refused (403), and both still count towards the per-client limit.
    assert post(PROXY, through_proxy, forwarded).status_code == 403
    assert post(UNTRUSTED_PEER, direct, spoofed).status_code == 403

    clients = {line["request_id"]: line["client"] for line in _wait_for_lines(production, {through_proxy, direct})}
    assert clients == {through_proxy: forwarded, direct: UNTRUSTED_PEER}, production.process.output()

    async def counted(address: str) -> int:
        window = await rate_limit.current(client_key(address))
        return window.hits if window is not None else 0

    assert await on_app_loop(lambda: counted(forwarded)) == 1, "the rate limit counts the client the log names"
    assert await on_app_loop(lambda: counted(spoofed)) == 0, "never an address an untrusted peer made up"
    assert await on_app_loop(lambda: counted(UNTRUSTED_PEER)) >= 1


def _send_all_but_the_end(port: int, token: str, body: bytes) -> http.client.HTTPConnection:
    """A POST /api/authors whose headers and first bytes are sent, the rest of its body still to come."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("POST", "/api/authors")
    for name, value in {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
    }.items():
        connection.putheader(name, value)
    connection.endheaders(message_body=body[:-5])
    return connection


def _refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


def _until(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


async def test_sigterm_lets_an_in_flight_request_finish(tmp_path: Path) -> None:
    token = await accounts.create_api_token(await accounts.create_user())
    server = _start(production_env(WEB_CONCURRENCY="2"), tmp_path)
    try:
        name = f"Finished after SIGTERM {uuid.uuid4().hex[:8]}"
        body = json.dumps({"name": name}).encode()
        connection = _send_all_but_the_end(server.port, token, body)
        await asyncio.sleep(0.3)  # the request has reached the app, which waits for the rest of the body

        server.process.process.send_signal(signal.SIGTERM)
        assert _until(lambda: _refused(server.port), 5.0), "a stopping server takes no new connection"
        await asyncio.sleep(1.0)  # a slow client: the server waits for it
        assert server.process.alive(), "the server must not stop before its in-flight request is answered"

        connection.send(body[-5:])
        response = connection.getresponse()
        answer = json.loads(response.read())
        connection.close()
        assert response.status == 201, answer
        assert answer["name"] == name

        code = server.process.process.wait(EXIT_WITHIN)
    finally:
        server.process.kill()
    assert code == 0, server.process.output()
    assert await scalar(select(m.Author.id).where(m.Author.name == name)) is not None, "and it was committed"

    lines = server.log_lines()
    for line in lines:
        assert {"timestamp", "level", "event", "pid"} <= line.keys(), line
    stopped = [line for line in lines if line["event"] == "application stopped"]
    assert len(stopped) == 2, f"each server process stops cleanly: {stopped}"


async def test_an_in_flight_request_gets_the_grace_period_and_no_more(tmp_path: Path) -> None:
    """The development default (one process) with a short `WEB_SHUTDOWN_GRACE_PERIOD`."""
    grace = 2
    env = app_env(
        DATABASE_URL=TEST_DATABASE_URL,
        SAQ_IN_PROCESS="false",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        WEB_CONCURRENCY=None,
        WEB_SHUTDOWN_GRACE_PERIOD=str(grace),
    )
    token = await accounts.create_api_token(await accounts.create_user())
    server = _start(env, tmp_path)
    try:
        assert len(server.workers()) == 1, "one server process outside production"
        connection = _send_all_but_the_end(server.port, token, json.dumps({"name": "Never finished"}).encode())
        await asyncio.sleep(0.3)

        started = time.monotonic()
        server.process.process.send_signal(signal.SIGTERM)
        server.process.process.wait(grace + EXIT_WITHIN)
        took = time.monotonic() - started
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            connection.getresponse()
        connection.close()
    finally:
        server.process.kill()
    assert grace <= took < grace + EXIT_WITHIN, f"stopped after {took:.1f}s\n{server.process.output()}"
