"""End-to-end set-up: the real app (`app run` with its in-process SAQ worker) serving the built SPA on the
test database, driven by Playwright in Debian's Chromium (Playwright's own browser download cannot
reach the internet here; `tools/install-chromium.sh` installs the package).

The server is started once per test process; tables are emptied after each test like everywhere
else. Playwright's async API runs on pytest-asyncio's loop (its sync API would start a loop of its
own, which pytest-asyncio's fixtures then cannot run beside). Screenshots of every page a failed test
had open land in `test-results/`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from pathlib import Path

import asyncpg
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from sqlalchemy.engine import make_url

from app.db.models import metadata
from tests.conftest import PROJECT_ROOT
from tests.support.databases import drop_test_database, prepare_test_database
from tests.support.live_app import LiveApp, serve_live_app

# Generous waits: CI machines are slow and busy; a passing step never waits this long.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


RESULTS = PROJECT_ROOT / "test-results"
_FAILED = pytest.StashKey[bool]()


NewContext = Callable[[], Awaitable[BrowserContext]]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # One server and one browser for all browser tests: keep them on one xdist worker.
    for item in items:
        if "tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.fixture(scope="session")
def web_dist() -> Path:
    """The production build of the SPA, built by `make web` when missing or stale."""
    built = subprocess.run(
        ["make", "--no-print-directory", "web"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, f"make web failed:\n{built.stdout[-4000:]}\n{built.stderr[-4000:]}"
    dist = PROJECT_ROOT / "web" / "dist"
    assert (dist / "index.html").is_file(), "make web left no web/dist/index.html"
    return dist


@pytest.fixture(scope="session")
def e2e_database() -> Iterator[str]:
    """A database of the browser tests' own: the live app's in-process worker must not take the jobs of
    the other tests in this process, which use the test database and workers of their own."""
    url = prepare_test_database("_e2e")
    yield url
    drop_test_database(url)


@pytest.fixture(autouse=True)
async def _empty_e2e_tables(e2e_database: str) -> AsyncIterator[None]:
    yield
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    connection = await asyncpg.connect(make_url(e2e_database).set(drivername="postgresql").render_as_string(False))
    try:
        # The live app keeps working (its worker polls, a page's last requests finish): TRUNCATE may
        # deadlock with it, and then simply goes again.
        for attempt in range(10):
            try:
                await connection.execute(f"TRUNCATE {tables} CASCADE")
                break
            except asyncpg.DeadlockDetectedError:
                if attempt == 9:
                    raise
                await asyncio.sleep(0.2)
        if await connection.fetchval("SELECT to_regclass('saq_jobs')") is not None:
            await connection.execute("DELETE FROM saq_jobs")
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def live_app(web_dist: Path, e2e_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with serve_live_app(
        e2e_database, tmp_path_factory.mktemp("e2e"), name="e2e-server", WEB_DIST_DIR=str(web_dist)
    ) as app:
        yield app


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


@pytest.fixture(scope="session")
def chromium() -> str:
    assert Path(CHROMIUM).is_file(), f"Chromium not found at {CHROMIUM}: run tools/install-chromium.sh"
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def new_context(browser: Browser, live_app: LiveApp, request: pytest.FixtureRequest) -> AsyncIterator[NewContext]:
    """Opens browser contexts (separate cookie jars) on the live app; screenshots of their pages are kept
    in `test-results/` when the test fails."""
    contexts: list[BrowserContext] = []

    async def open_context() -> BrowserContext:
        context = await browser.new_context(base_url=live_app.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context
    if request.node.stash.get(_FAILED, False):
        os.makedirs(RESULTS, exist_ok=True)
        for number, context in enumerate(contexts):
            for index, page in enumerate(context.pages):
                name = f"{request.node.name}-{number}-{index}.png"
                await page.screenshot(path=RESULTS / name, full_page=True)
    for context in contexts:
        await context.close()


@pytest.fixture
async def page(new_context: NewContext) -> Page:
    return await (await new_context()).new_page()
