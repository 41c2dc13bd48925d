"""Hardening (issue 3, item 10): security headers, CORS for listed origins only, allowed hosts, no-store
on authenticated API responses, HSTS only in production, and a generic 500.

The in-process app runs with the defaults (dev, no `ALLOWED_ORIGINS`, any host); the production
settings are checked on a real `app run` started with them.
"""

from __future__ import annotations

import secrets
import signal
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.support.accounts import TEST_PASSWORD, create_api_token
from tests.support.csrf import csrf_headers
from tests.support.processes import app_env, start_server, wait_for_http

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from app.db import models as m

STRICT_CSP_PARTS = ("default-src 'none'", "frame-ancestors 'none'")
LISTED_ORIGIN = "https://app.example.com"
FOREIGN_ORIGIN = "https://evil.example.net"
ALLOWED_HOST = "folio.example.com"
LEAK_MARKERS = ("Traceback", 'File "', "RuntimeError", "deliberately broken")


def assert_security_headers(response: httpx.Response, *, production: bool = False) -> None:
    where = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy") == "strict-origin-when-cross-origin", where
    csp = response.headers.get("content-security-policy", "")
    for part in STRICT_CSP_PARTS:
        assert part in csp, f"{where}: {csp!r}"
    if production:
        hsts = response.headers.get("strict-transport-security", "")
        assert "max-age=" in hsts, where
        assert int(hsts.split("max-age=")[1].split(";")[0]) >= 15552000, f"{where}: HSTS too short: {hsts}"
    else:
        assert "strict-transport-security" not in response.headers, f"{where}: HSTS outside production"


def assert_no_cors_grant(response: httpx.Response) -> None:
    granted = {name: value for name, value in response.headers.items() if name.lower().startswith("access-control-")}
    assert not granted, f"{response.request.method} {response.request.url.path}: CORS headers {granted}"


async def test_security_headers_on_every_kind_of_response(anon_client: AsyncTestClient[Litestar], user: m.User) -> None:
    bearer = {"Authorization": f"Bearer {await create_api_token(user)}"}
    responses = [
        await anon_client.get("/health"),
        await anon_client.get("/api/books"),
        await anon_client.get("/api/no-such-thing"),  # 404 from the router, before any middleware
        await anon_client.delete("/api/books"),  # 405
        await anon_client.get("/api/me"),  # 401
        await anon_client.post("/api/auth/login", json={"email": "a@example.com", "password": "x"}),  # 403 CSRF
        await anon_client.get("/schema/openapi.json"),
        await anon_client.get("/api/me", headers=bearer),
        await anon_client.post("/api/authors", json={"name": ""}, headers=bearer),  # 400
    ]
    assert [r.status_code for r in responses] == [200, 200, 404, 405, 401, 403, 200, 200, 400]
    for response in responses:
        assert_security_headers(response)


async def test_the_docs_page_loads_its_cdn_script_under_a_looser_policy(
    anon_client: AsyncTestClient[Litestar],
) -> None:
    page = await anon_client.get("/schema")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<script src=" in page.text, "the page loads Scalar from its CDN"
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    # Nothing that would block the CDN script, its stylesheet, inline styles or fetching the schema.
    for directive in ("default-src", "script-src", "style-src", "connect-src", "font-src", "img-src"):
        assert directive not in csp, f"{directive} would break the docs page: {csp!r}"
    assert page.headers["x-content-type-options"] == "nosniff"


async def test_authenticated_api_responses_are_not_stored(anon_client: AsyncTestClient[Litestar], user: m.User) -> None:
    # One client throughout: each test client runs the app on its own event loop.
    bearer = {"Authorization": f"Bearer {await create_api_token(user)}"}
    for path in ("/api/me", "/api/books", "/api/tags", "/api/me/tokens"):
        response = await anon_client.get(path, headers=bearer)
        assert response.status_code == 200, response.text
        assert response.headers.get("cache-control") == "no-store", path

    anonymous = await anon_client.get("/api/books")
    assert "no-store" not in anonymous.headers.get("cache-control", ""), "public reads may be cached"

    # Signed in with a session cookie: the login answer itself and what follows are not stored either.
    login = await anon_client.post(
        "/api/auth/login",
        json={"email": user.email, "password": TEST_PASSWORD},
        headers=await csrf_headers(anon_client),
    )
    assert login.status_code == 200, login.text
    assert login.headers.get("cache-control") == "no-store"
    me = await anon_client.get("/api/me")
    assert me.status_code == 200
    assert me.headers.get("cache-control") == "no-store"
    books = await anon_client.get("/api/books")
    assert books.headers.get("cache-control") == "no-store"
    assert (await anon_client.get("/health")).headers.get("cache-control") != "no-store", "only /api responses"


async def test_without_allowed_origins_there_is_no_cors_at_all(anon_client: AsyncTestClient[Litestar]) -> None:
    simple = await anon_client.get("/api/books", headers={"Origin": FOREIGN_ORIGIN})
    assert simple.status_code == 200
    assert_no_cors_grant(simple)
    preflight = await anon_client.options(
        "/api/authors",
        headers={"Origin": FOREIGN_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert_no_cors_grant(preflight)


async def test_an_unexpected_error_is_a_generic_500(
    app: Litestar, anon_client: AsyncTestClient[Litestar], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No route exists to break the app on purpose; a dependency of /health is made to fail instead."""
    from app.domain.system import controllers

    async def broken(*_: object) -> frozenset[str]:
        msg = "deliberately broken for a test"
        raise RuntimeError(msg)

    monkeypatch.setattr(controllers, "applied_revisions", broken)
    assert app.debug is False
    response = await anon_client.get("/health")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "An unexpected error occurred.",
    }
    for marker in LEAK_MARKERS:
        assert marker not in response.text
    assert_security_headers(response)


@pytest.fixture(scope="module")
def production_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = app_env(
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=TEST_DATABASE_URL,
        ALLOWED_ORIGINS=f"{LISTED_ORIGIN},https://admin.example.com",
        ALLOWED_HOSTS=f"{ALLOWED_HOST},127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    server, base_url = start_server(env, tmp_path_factory.mktemp("hardening-server"))
    try:
        wait_for_http(base_url, server)
        yield base_url
    finally:
        code, _ = server.stop()
        assert code in {0, -signal.SIGTERM}, server.output()


@pytest.mark.slow
def test_production_sends_hsts_and_the_other_headers(production_server: str) -> None:
    with httpx.Client(base_url=production_server, timeout=10) as http:
        for path in ("/health", "/api/books", "/api/no-such-thing", "/api/me"):
            assert_security_headers(http.get(path), production=True)
        assert "strict-transport-security" in http.get("/schema").headers


@pytest.mark.slow
def test_cors_grants_listed_origins_with_credentials_and_nobody_else(production_server: str) -> None:
    with httpx.Client(base_url=production_server, timeout=10) as http:
        granted = http.get("/api/books", headers={"Origin": LISTED_ORIGIN})
        assert granted.status_code == 200
        assert granted.headers.get("access-control-allow-origin") == LISTED_ORIGIN
        assert granted.headers.get("access-control-allow-credentials") == "true"
        assert "origin" in granted.headers.get("vary", "").lower()

        preflight = http.options(
            "/api/authors",
            headers={
                "Origin": LISTED_ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, x-csrftoken",
            },
        )
        assert preflight.status_code in {200, 204}, preflight.text
        assert preflight.headers.get("access-control-allow-origin") == LISTED_ORIGIN
        assert preflight.headers.get("access-control-allow-credentials") == "true"
        assert "POST" in preflight.headers.get("access-control-allow-methods", "")
        assert "x-csrftoken" in preflight.headers.get("access-control-allow-headers", "").lower()

        for origin in (FOREIGN_ORIGIN, "https://app.example.com.evil.net", "null", f"{LISTED_ORIGIN}:8443"):
            foreign = http.get("/api/books", headers={"Origin": origin})
            assert foreign.status_code == 200
            assert_no_cors_grant(foreign)
            foreign_preflight = http.options(
                "/api/authors", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
            )
            assert_no_cors_grant(foreign_preflight)
            assert foreign_preflight.status_code >= 400


@pytest.mark.slow
def test_only_allowed_hosts_are_answered(production_server: str) -> None:
    port = httpx.URL(production_server).port
    with httpx.Client(base_url=production_server, timeout=10) as http:
        refused = http.get("/api/books", headers={"Host": "evil.example.net"})
        assert refused.status_code == 400
        assert_security_headers(refused, production=True)
        assert http.get("/api/books", headers={"Host": ALLOWED_HOST}).status_code == 200
        assert http.get("/api/books", headers={"Host": f"127.0.0.1:{port}"}).status_code == 200, (
            "a listed host without a port also matches on the port the app listens on"
        )
        assert http.get("/api/books", headers={"Host": f"{ALLOWED_HOST}.evil.net"}).status_code == 400
        assert http.get("/health", headers={"Host": "10.1.2.3:8000"}).status_code == 200, "probes by IP still work"
        assert http.get("/health/live", headers={"Host": "10.1.2.3:8000"}).status_code == 200
