"""Rate limits (API.md, "Authentication"): failed logins per email, requests per client on `/api/auth/*`.

Both counters live in PostgreSQL, so they hold across server processes: the slow tests here share
the load between two real `app run` processes on the test database.
"""

from __future__ import annotations

import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import pytest

from app.lib import rate_limit
from app.lib.auth_rate_limit import client_key
from tests.conftest import TEST_DATABASE_URL
from tests.support import db
from tests.support.accounts import TEST_PASSWORD, create_user
from tests.support.csrf import CSRF_HEADER, csrf_headers
from tests.support.processes import ManagedProcess, app_env, start_server, wait_for_http

if TYPE_CHECKING:
    from pathlib import Path

    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from app.db import models as m

LOGIN_FAILURES_PER_EMAIL = 5
LOGIN_FAILURE_WINDOW = 15 * 60
AUTH_REQUESTS_PER_MINUTE = 30
PROBLEM_JSON = "application/problem+json"


def assert_too_many_requests(response: httpx.Response, window: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    retry_after = response.headers.get("retry-after")
    assert retry_after is not None, response.headers
    assert retry_after.isdigit(), response.headers
    assert 1 <= int(retry_after) <= window
    body = response.json()
    assert body["status"] == 429
    assert body["detail"]


def _login(email: str, password: str) -> dict[str, str]:
    return {"email": email, "password": password}


async def test_sixth_login_attempt_for_an_email_is_refused_right_or_wrong(
    anon_client: AsyncTestClient[Litestar], user: m.User
) -> None:
    other = await create_user()  # before the app's requests: the pool's connections then belong to its loop
    headers = await csrf_headers(anon_client)
    for attempt in range(LOGIN_FAILURES_PER_EMAIL):
        # Case does not matter: emails are one account whatever their case.
        email = user.email.upper() if attempt % 2 else user.email
        response = await anon_client.post(
            "/api/auth/login", json=_login(email, f"wrong password {attempt}"), headers=headers
        )
        assert response.status_code == 401, f"attempt {attempt + 1}: {response.text}"

    right = await anon_client.post("/api/auth/login", json=_login(user.email, TEST_PASSWORD), headers=headers)
    assert_too_many_requests(right, LOGIN_FAILURE_WINDOW)
    me = await anon_client.get("/api/me")
    assert me.status_code == 401, "a refused login must not sign anyone in"
    wrong = await anon_client.post("/api/auth/login", json=_login(user.email, "wrong again"), headers=headers)
    assert_too_many_requests(wrong, LOGIN_FAILURE_WINDOW)

    fine = await anon_client.post("/api/auth/login", json=_login(other.email, TEST_PASSWORD), headers=headers)
    assert fine.status_code == 200, "the limit is per email: another account still signs in"


async def test_31st_auth_request_in_a_minute_from_one_client_is_refused(
    anon_client: AsyncTestClient[Litestar],
) -> None:
    headers = await csrf_headers(anon_client)
    # Every request to /api/auth/* counts, refused ones (no CSRF token) included.
    for i in range(5):
        refused = await anon_client.post("/api/auth/forgot-password", json={"email": f"nobody-{i}@example.com"})
        assert refused.status_code == 403, refused.text
    for i in range(5, AUTH_REQUESTS_PER_MINUTE):
        response = await anon_client.post(
            "/api/auth/forgot-password", json={"email": f"nobody-{i}@example.com"}, headers=headers
        )
        assert response.status_code == 202, f"request {i + 1}: {response.text}"

    limited = await anon_client.post(
        "/api/auth/forgot-password", json={"email": "nobody-31@example.com"}, headers=headers
    )
    assert_too_many_requests(limited, 60)
    login = await anon_client.post("/api/auth/login", json=_login("nobody@example.com", "whatever"), headers=headers)
    assert_too_many_requests(login, 60)

    # The test client is not a trusted proxy: a forwarded address it makes up changes nothing.
    spoofed = await anon_client.post(
        "/api/auth/forgot-password",
        json={"email": "nobody-32@example.com"},
        headers={**headers, "X-Forwarded-For": f"198.51.100.{uuid.uuid4().int % 250 + 1}"},
    )
    assert_too_many_requests(spoofed, 60)

    # Only /api/auth/* is limited.
    assert (await anon_client.get("/api/books")).status_code == 200
    assert (await anon_client.get("/health")).status_code == 200


async def test_sign_ins_count_against_their_client_whatever_refuses_them(
    anon_client: AsyncTestClient[Litestar], user: m.User
) -> None:
    """A sign-in counts its own request in its first statement; one refused before it still counts."""
    headers = await csrf_headers(anon_client)
    for _ in range(10):
        no_token = await anon_client.post("/api/auth/login", json=_login(user.email, TEST_PASSWORD))
        assert no_token.status_code == 403, no_token.text
    for _ in range(10):
        malformed = await anon_client.post("/api/auth/login", json={"email": user.email}, headers=headers)
        assert malformed.status_code == 400, malformed.text
    for i in range(AUTH_REQUESTS_PER_MINUTE - 20):
        wrong = await anon_client.post(
            "/api/auth/login", json=_login(f"nobody-{i}@example.com", "wrong"), headers=headers
        )
        assert wrong.status_code == 401, wrong.text

    right = await anon_client.post("/api/auth/login", json=_login(user.email, TEST_PASSWORD), headers=headers)
    assert_too_many_requests(right, 60)
    assert (await anon_client.get("/api/me")).status_code == 401, "a refused sign-in signs no one in"
    # Over the budget, what would have been refused otherwise is refused with the 429 too.
    assert_too_many_requests(await anon_client.post("/api/auth/login", json=_login(user.email, TEST_PASSWORD)), 60)
    assert_too_many_requests(await anon_client.post("/api/auth/login", json={"email": user.email}, headers=headers), 60)
    # Another path the router sends to the sign-in is known for one too.
    assert_too_many_requests(
        await anon_client.post("/api/auth//login/", json=_login(user.email, TEST_PASSWORD), headers=headers), 60
    )
    # Each of the 34 was counted exactly once, whichever layer answered it.
    count = await db.on_app_loop(lambda: rate_limit.current(client_key("testclient")))
    assert count is not None
    assert count.hits == AUTH_REQUESTS_PER_MINUTE + 4


@dataclass
class TwoServers:
    urls: tuple[str, str]


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoServers]:
    """Two `app run` processes on the test database. They trust 127.0.0.1 as a proxy, so every test
    can present its own client address in `X-Forwarded-For`."""
    logs: Path = tmp_path_factory.mktemp("rate-limit-servers")
    env = app_env(DATABASE_URL=TEST_DATABASE_URL, TRUSTED_PROXIES="127.0.0.1", SAQ_IN_PROCESS="false")
    servers: list[tuple[ManagedProcess, str]] = []
    try:
        for name in ("server-a", "server-b"):
            servers.append(start_server(env, logs, name=name))
        for process, url in servers:
            wait_for_http(url, process)
        yield TwoServers(urls=(servers[0][1], servers[1][1]))
    finally:
        for process, _ in servers:
            code, _ = process.stop()
            assert code in {0, -signal.SIGTERM}, process.output()


@pytest.fixture
async def server_clients(two_servers: TwoServers) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """One client per server, both presenting the same fresh client address (the proxy forwards it)."""
    forwarded = {"X-Forwarded-For": f"203.0.113.{uuid.uuid4().int % 250 + 1}, 127.0.0.1"}
    async with (
        httpx.AsyncClient(base_url=two_servers.urls[0], headers=forwarded, timeout=15) as a,
        httpx.AsyncClient(base_url=two_servers.urls[1], headers=forwarded, timeout=15) as b,
    ):
        for http in (a, b):
            await http.get("/api/books")
            http.headers[CSRF_HEADER] = http.cookies["csrftoken"]
        yield a, b


@pytest.mark.slow
async def test_sixth_login_attempt_is_refused_when_two_processes_share_the_load(
    server_clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = server_clients
    user = await create_user()
    for attempt in range(LOGIN_FAILURES_PER_EMAIL):
        http = (a, b)[attempt % 2]
        response = await http.post("/api/auth/login", json=_login(user.email, f"wrong {attempt}"))
        assert response.status_code == 401, f"attempt {attempt + 1} on {http.base_url}: {response.text}"

    assert_too_many_requests(
        await b.post("/api/auth/login", json=_login(user.email, TEST_PASSWORD)), LOGIN_FAILURE_WINDOW
    )
    assert_too_many_requests(await a.post("/api/auth/login", json=_login(user.email, "wrong")), LOGIN_FAILURE_WINDOW)
    assert_too_many_requests(
        await a.post("/api/auth/login", json=_login(user.email, TEST_PASSWORD)), LOGIN_FAILURE_WINDOW
    )


@pytest.mark.slow
async def test_auth_requests_per_client_are_counted_across_processes(
    server_clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    a, b = server_clients
    for i in range(AUTH_REQUESTS_PER_MINUTE):
        http = (a, b)[i % 2]
        response = await http.post("/api/auth/forgot-password", json={"email": f"nobody-{i}@example.com"})
        assert response.status_code == 202, f"request {i + 1} on {http.base_url}: {response.text}"

    for http in (a, b):
        assert_too_many_requests(await http.post("/api/auth/forgot-password", json={"email": "x@example.com"}), 60)

    # Another client behind the same trusted proxy has its own budget.
    other = {"X-Forwarded-For": "192.0.2.77"}
    response = await b.post("/api/auth/forgot-password", json={"email": "x@example.com"}, headers=other)
    assert response.status_code == 202, response.text
