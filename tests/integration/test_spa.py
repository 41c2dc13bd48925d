"""The single-page app's build served by the API process (issue 5, item 1): files, history fallback, caching,
its Content-Security-Policy, and the API's own 404s and 405s left as they were.

Each app here is built with `WEB_DIST_DIR` pointing at a small fake build in a temporary folder. Only
paths that need no database are requested, so the apps run without their lifespan.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import structlog
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.lib.settings import get_settings
from app.server.asgi import create_app
from tests.conftest import PROJECT_ROOT
from tests.integration.catalogue import assert_problem

INDEX_HTML = (
    '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script>'
    '<link rel="stylesheet" href="/assets/app-abc123.css"></head><body><div id="root"></div></body></html>'
)
SCRIPT = "console.log('folio');\n"
STYLESHEET = "body { margin: 0; }\n"
FAVICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"></svg>'
SECRET = "secret outside the build"
IMMUTABLE = "public, max-age=31536000, immutable"
WEB_CSP_DIRECTIVES = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}

Client = AsyncTestClient[Litestar]


def app_serving(dist: Path) -> Litestar:
    """The real app, built with `WEB_DIST_DIR=dist`; the settings are read afresh before and after."""
    previous = os.environ.get("WEB_DIST_DIR")
    logging_config = structlog.get_config()
    os.environ["WEB_DIST_DIR"] = str(dist)
    get_settings.cache_clear()
    try:
        return create_app()
    finally:
        if previous is None:
            del os.environ["WEB_DIST_DIR"]
        else:
            os.environ["WEB_DIST_DIR"] = previous
        get_settings.cache_clear()
        # Building the app configures logging anew; loggers already cached keep the processor list they
        # were made with, which `structlog.testing.capture_logs` (in other tests) must still be editing.
        structlog.configure(**logging_config)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("web")
    (root / "secret.txt").write_text(SECRET)
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX_HTML)
    (dist / "assets" / "app-abc123.js").write_text(SCRIPT)
    (dist / "assets" / "app-abc123.css").write_text(STYLESHEET)
    (dist / "favicon.svg").write_text(FAVICON)
    (dist / ".env").write_text(SECRET)
    (dist / "leak.txt").symlink_to(root / "secret.txt")
    (dist / "assets" / "leak").symlink_to(root)
    return dist


@pytest.fixture(scope="module")
def web_app(dist: Path) -> Litestar:
    return app_serving(dist)


@pytest.fixture
def web(web_app: Litestar) -> Client:
    return AsyncTestClient(app=web_app)


@pytest.fixture(scope="module")
def unbuilt_app(tmp_path_factory: pytest.TempPathFactory) -> Litestar:
    return app_serving(tmp_path_factory.mktemp("unbuilt") / "dist")


def assert_web_csp(response: Response) -> None:
    directives = {part.strip() for part in response.headers["content-security-policy"].split(";")}
    assert directives == WEB_CSP_DIRECTIVES, directives


def assert_index(response: Response) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert_web_csp(response)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_the_default_build_folder_is_web_dist_in_the_project() -> None:
    assert get_settings().app.web_dist_dir == PROJECT_ROOT / "web" / "dist"


@pytest.mark.parametrize(
    "path", ["/", "/books/some-slug", "/account", "/books/some-slug/edit", "/admin/users/", "/tags/x?page=2"]
)
async def test_pages_of_the_spa_get_index_html(web: Client, path: str) -> None:
    response = await web.get(path)

    assert_index(response)
    assert response.text == INDEX_HTML


async def test_index_html_by_name_is_not_cached_either(web: Client) -> None:
    assert_index(await web.get("/index.html"))


async def test_head_of_a_page_has_the_headers_and_no_body(web: Client) -> None:
    response = await web.head("/books/some-slug")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-length"] == str(len(INDEX_HTML))
    assert response.content == b""


@pytest.mark.parametrize(
    ("path", "body", "media_types"),
    [
        ("/assets/app-abc123.js", SCRIPT, ("text/javascript", "application/javascript")),
        ("/assets/app-abc123.css", STYLESHEET, ("text/css",)),
    ],
)
async def test_hashed_assets_are_cached_for_good(web: Client, path: str, body: str, media_types: tuple[str]) -> None:
    response = await web.get(path)

    assert response.status_code == 200
    assert response.text == body
    assert response.headers["content-type"].split(";")[0] in media_types
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["x-content-type-options"] == "nosniff"
    assert_web_csp(response)


async def test_other_files_of_the_build_are_cached_briefly(web: Client) -> None:
    response = await web.get("/favicon.svg")

    assert response.status_code == 200
    assert response.text == FAVICON
    assert response.headers["content-type"] == "image/svg+xml"
    cache_control = response.headers["cache-control"]
    assert "immutable" not in cache_control
    assert 0 < int(cache_control.split("max-age=")[1]) <= 86400


@pytest.mark.parametrize("path", ["/assets/app-old999.js", "/assets/", "/assets", "/robots.txt", "/books/x/cover.png"])
async def test_missing_files_are_404_problems_not_the_page(web: Client, path: str) -> None:
    assert_problem(await web.get(path), 404)


@pytest.mark.parametrize(
    "path",
    [
        "/assets/../../pyproject.toml",
        "/assets/../../secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/assets/%2E%2E/%2E%2E/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/assets/..%2F..%2Fsecret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/assets/..%5c..%5csecret.txt",
        "/" + "%2e%2e/" * 30 + "etc/passwd",
        "/" + "%2e%2e%2f" * 30 + "etc%2fpasswd",
        "/assets/%252e%252e/%252e%252e/secret.txt",
        "/assets//etc/passwd",
        f"/assets/{'..%2f' * 30}{PROJECT_ROOT.relative_to('/')}/pyproject.toml",
        "/leak.txt",
        "/assets/leak/secret.txt",
        "/.env",
        "/assets/app-abc123.js%00.html",
        "/" + "a" * 5000 + ".js",
    ],
)
async def test_nothing_outside_the_build_is_ever_served(web: Client, path: str) -> None:
    response = await web.get(path)

    assert_problem(response, 404)
    assert SECRET not in response.text
    assert "[project]" not in response.text
    assert "root:" not in response.text


@pytest.mark.parametrize(
    "path", ["/api/unknown", "/api/books/by-slug/x/y", "/api", "/health/x", "/schema/no/such/page"]
)
async def test_unknown_api_paths_stay_404_problems_with_the_api_policy(web: Client, path: str) -> None:
    response = await web.get(path)

    assert_problem(response, 404)
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_wrong_methods_on_api_routes_stay_405(web: Client) -> None:
    response = await web.delete("/api/books")

    assert_problem(response, 405)
    assert response.headers.get("allow")


@pytest.mark.parametrize(("method", "path"), [("POST", "/books"), ("PUT", "/account"), ("DELETE", "/"), ("POST", "/")])
async def test_only_get_and_head_reach_the_spa(web: Client, method: str, path: str) -> None:
    response = await web.request(method, path, json={})

    assert response.status_code in {404, 405}
    assert_problem(response, response.status_code)


@pytest.mark.parametrize("path", ["/", "/books/some-slug"])
async def test_without_a_build_pages_are_503_problems(unbuilt_app: Litestar, path: str) -> None:
    response = await AsyncTestClient(app=unbuilt_app).get(path)

    problem = assert_problem(response, 503)
    assert "make web" in problem["detail"]


async def test_without_a_build_the_api_still_answers(unbuilt_app: Litestar) -> None:
    client = AsyncTestClient(app=unbuilt_app)

    assert (await client.get("/schema/openapi.json")).status_code == 200
    assert_problem(await client.get("/api/unknown"), 404)
    assert_problem(await client.get("/assets/app-abc123.js"), 404)
