"""Schemathesis against a live `app run` server, with every phase: examples, coverage, fuzzing, stateful.

Each response is checked against the server's own `/schema/openapi.json`: no 5xx, a documented status,
a documented content type, a body matching the documented schema, documented headers present, invalid
input refused, no method the path lacks, nothing reachable after its DELETE, a new resource readable.
`schemathesis.toml` beside this module lists the checks switched off for an operation, each with why.

The run is made twice, once per way of signing in, each by a fresh verified user of its own:

- `bearer`: an ordinary user's API token, over every operation but `RevokeMyToken` (its stateful links
  can reach the very token the run uses). The `csrftoken` cookie and `X-CSRFToken` header are sent as
  well, without a session cookie, so `/api/auth/*` (which always wants them) is reached at all.
- `session`: a superuser's browser session (cookie plus `X-CSRFToken`, as the SPA sends it), over every
  operation that cannot end the session the run depends on: not `/api/auth/*` (sign-up and login
  replace the session, logout ends it), not `RevokeMySession`, not `UpdateUser` and `DeleteUser` (a
  superuser could deactivate or delete itself).

So every operation is tested at least once. Each run has a time budget (phases repeat until it is
spent) and a pinned seed. A failure prints schemathesis' report, with a `curl` command reproducing each
failing request (credentials included: they belong to a throwaway database dropped afterwards).
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.csrf import CSRF_COOKIE, CSRF_HEADER, csrf_headers_sync
from tests.support.databases import drop_test_database, prepare_test_database
from tests.support.live_app import LiveApp, serve_live_app
from tests.support.mailbox import wait_for_link
from tests.support.processes import app_env, run_app_command

# One server for both runs, on one xdist worker: the runs take turns rather than halving the CPU.
pytestmark = [pytest.mark.schemathesis, pytest.mark.slow, pytest.mark.xdist_group("schemathesis")]

CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = 20260501
MAX_EXAMPLES = 25
TIME_BUDGET_SECONDS = 45
"""Per run; the whole module takes about two and a half minutes on a busy two-core machine."""
PASSWORD = "schemathesis wanders the catalogue"


@dataclass(frozen=True)
class Database:
    url: str


@pytest.fixture(scope="module")
def database() -> Iterator[Database]:
    url = prepare_test_database("_schemathesis")
    yield Database(url)
    drop_test_database(url)


@pytest.fixture(scope="module")
def live_app(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    # Generated requests reach /api/auth/* thousands of times a minute; at the default limit nearly all
    # of them would get the (documented) 429 and never reach a handler. The limit has tests of its own.
    with serve_live_app(
        database.url,
        tmp_path_factory.mktemp("schemathesis"),
        name="schemathesis-server",
        AUTH_REQUESTS_PER_MINUTE="1000000",
    ) as app:
        yield app


@dataclass(frozen=True)
class Caller:
    email: str
    session: str
    csrf: str
    token: str


def sign_up_verified(app: LiveApp) -> Caller:
    """A new user, signed up, verified from the mailed link and signed in, with an API token."""
    email = f"schemathesis-{uuid.uuid4().hex[:10]}@example.com"
    with httpx.Client(base_url=app.url, timeout=30.0) as client:
        csrf = csrf_headers_sync(client)
        signed_up = client.post(
            "/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "Schemathesis"}, headers=csrf
        )
        assert signed_up.status_code == 201, signed_up.text
        link = httpx.URL(wait_for_link(app.email_dir, email, "verify-email"))
        verified = client.post("/api/auth/verify-email", json={"token": link.params["token"]}, headers=csrf)
        assert verified.status_code == 204, verified.text
        created = client.post("/api/me/tokens", json={"name": "schemathesis"}, headers=csrf)
        assert created.status_code == 201, created.text
        return Caller(email, client.cookies["session"], client.cookies[CSRF_COOKIE], created.json()["token"])


def promote(database: Database, caller: Caller) -> None:
    promoted = run_app_command("users", "promote", caller.email, env=app_env(DATABASE_URL=database.url))
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr


def bearer_arguments(caller: Caller) -> list[str]:
    return [
        *("--header", f"Authorization: Bearer {caller.token}"),
        *("--header", f"Cookie: {CSRF_COOKIE}={caller.csrf}"),
        *("--header", f"{CSRF_HEADER}: {caller.csrf}"),
        *("--exclude-operation-id", "RevokeMyToken"),
    ]


def session_arguments(caller: Caller) -> list[str]:
    return [
        *("--header", f"Cookie: session={caller.session}; {CSRF_COOKIE}={caller.csrf}"),
        *("--header", f"{CSRF_HEADER}: {caller.csrf}"),
        *("--exclude-path-regex", "^/api/auth/"),
        *("--exclude-operation-id", "RevokeMySession"),
        *("--exclude-operation-id", "UpdateUser"),
        *("--exclude-operation-id", "DeleteUser"),
        # The document offers two ways in, either one enough (`apiToken` or `sessionCookie`). Signed in
        # by the cookie, a junk `Authorization` header next to it (not a bearer token) is ignored, which
        # the check takes for accepting bad credentials. The bearer run keeps the check: there an
        # invalid token is refused.
        *("--exclude-checks", "ignored_auth"),
    ]


def run_schemathesis(app: LiveApp, arguments: list[str], workdir: Path) -> subprocess.CompletedProcess[str]:
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run"),
        f"{app.url}/schema/openapi.json",
        *("--phases", "examples,coverage,fuzzing,stateful"),
        *("--seed", str(SEED)),
        *("--max-examples", str(MAX_EXAMPLES)),
        *("--max-time", str(TIME_BUDGET_SECONDS)),
        *("--workers", "1"),
        *("--request-timeout", "30"),
        *("--output-sanitize", "false"),
        "--no-color",
        *("--report", "junit", "--report-dir", str(workdir)),
        *arguments,
    ]
    return subprocess.run(
        command,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=TIME_BUDGET_SECONDS + 120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def passed_phases(output: str) -> set[str]:
    """The phases the summary marks as run and passed (`✅ Fuzzing`); skipped ones are marked `⏭`."""
    return set(re.findall(r"^\s*✅ (\w+)\s*$", output, flags=re.MULTILINE))


@pytest.mark.parametrize("way_in", ["bearer", "session"])
def test_the_live_api_keeps_to_its_openapi_document(
    way_in: str, live_app: LiveApp, database: Database, tmp_path: Path
) -> None:
    caller = sign_up_verified(live_app)
    if way_in == "session":
        promote(database, caller)
        arguments = session_arguments(caller)
        still_signed_in = {"Cookie": f"session={caller.session}"}
    else:
        arguments = bearer_arguments(caller)
        still_signed_in = {"Authorization": f"Bearer {caller.token}"}

    result = run_schemathesis(live_app, arguments, tmp_path)

    report = result.stdout[-60_000:] + result.stderr[-5_000:]
    assert result.returncode == 0, f"schemathesis found problems ({way_in}):\n{report}"
    assert {"Coverage", "Fuzzing", "Stateful"} <= passed_phases(result.stdout), report
    # The run was signed in from start to end: a credential lost mid-run would have left it testing 401s.
    me = httpx.get(f"{live_app.url}/api/me", headers=still_signed_in, timeout=30.0)
    assert me.status_code == 200, me.text
    assert live_app.process.alive(), live_app.process.output()
