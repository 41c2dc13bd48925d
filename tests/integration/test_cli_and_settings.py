"""Start-up settings, request ids and JSON logs, seen from outside the way an operator sees them."""

from __future__ import annotations

import json
import re
import secrets
import signal
import subprocess
import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from app.lib.settings import DEFAULT_SECRET_KEY
from tests.conftest import TEST_DATABASE_URL
from tests.support.processes import APP_COMMAND, PROJECT_ROOT, app_env, start_server, wait_for_http

if TYPE_CHECKING:
    from pathlib import Path

    from litestar import Litestar
    from litestar.testing import AsyncTestClient

GENERATED_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def refused_starts(env_by_case: dict[str, dict[str, str | None]]) -> dict[str, tuple[int, str, str]]:
    """`app run` with each case's settings, side by side: each one's exit code, stdout and stderr."""
    processes = {
        case: subprocess.Popen(
            [*APP_COMMAND, "run", "--port", "1"],
            cwd=PROJECT_ROOT,
            env=app_env(DATABASE_URL=TEST_DATABASE_URL, **env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for case, env in env_by_case.items()
    }
    outcomes: dict[str, tuple[int, str, str]] = {}
    for case, process in processes.items():
        try:
            stdout, stderr = process.communicate(timeout=60)
        finally:
            process.kill()
        outcomes[case] = (process.returncode, stdout, stderr)
    return outcomes


@pytest.mark.slow
def test_production_refuses_to_start_without_a_real_secret_key() -> None:
    cases: dict[str, str | None] = {"unset": None, "empty": "", "default": DEFAULT_SECRET_KEY}
    for case, (returncode, stdout, stderr) in refused_starts(
        {case: {"APP_ENV": "production", "SECRET_KEY": secret} for case, secret in cases.items()}
    ).items():
        assert returncode != 0, f"SECRET_KEY {case}: started anyway\n{stdout}\n{stderr}"
        assert "SECRET_KEY" in stderr, f"SECRET_KEY {case}: no clear message\n{stderr}"
        assert "APP_ENV=production" in stderr, stderr
        assert "Traceback" not in stderr, f"SECRET_KEY {case}: a stack trace instead of a message\n{stderr}"


@pytest.mark.slow
def test_bad_server_process_settings_are_refused_with_a_message() -> None:
    cases = {"WEB_CONCURRENCY": "0", "WEB_SHUTDOWN_GRACE_PERIOD": "soon"}
    for name, (returncode, stdout, stderr) in refused_starts(
        {name: {name: value} for name, value in cases.items()}
    ).items():
        assert returncode == 2, f"{name}={cases[name]}: started anyway\n{stdout}\n{stderr}"
        assert f"Folio cannot start: {name} must be" in stderr, stderr


async def test_request_id_is_echoed_or_generated(client: AsyncTestClient[Litestar]) -> None:
    given = f"client-{uuid.uuid4().hex[:8]}"
    echoed = await client.get("/health", headers={"X-Request-ID": given})
    assert echoed.headers["x-request-id"] == given

    generated = await client.get("/health")
    assert GENERATED_REQUEST_ID.match(generated.headers["x-request-id"]), generated.headers
    again = await client.get("/health")
    assert again.headers["x-request-id"] != generated.headers["x-request-id"]

    unsafe = await client.get("/health", headers={"X-Request-ID": "x" * 500})
    assert GENERATED_REQUEST_ID.match(unsafe.headers["x-request-id"]), "an unsafe id must be replaced, not echoed"

    problem = await client.get(f"/api/authors/{uuid.uuid4()}", headers={"X-Request-ID": given})
    assert problem.status_code == 404
    assert problem.headers["x-request-id"] == given, "error responses carry the id too"

    unknown_route = await client.get("/api/no/such/route", headers={"X-Request-ID": given})
    assert unknown_route.status_code == 404
    assert unknown_route.headers["x-request-id"] == given, "so do responses made before any route is found"

    bad_token = await client.get("/api/me", headers={"X-Request-ID": given, "Authorization": "Bearer folio_nope"})
    assert bad_token.status_code == 401
    assert bad_token.headers["x-request-id"] == given, "and errors raised by middleware"


@pytest.mark.slow
def test_json_logs_one_line_per_request(tmp_path: Path) -> None:
    env = app_env(
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        DATABASE_URL=TEST_DATABASE_URL,
    )
    server, base_url = start_server(env, tmp_path)
    try:
        wait_for_http(base_url, server)
        request_id = f"json-log-{uuid.uuid4().hex[:8]}"
        response = httpx.get(f"{base_url}/api/books", headers={"X-Request-ID": request_id}, timeout=10)
        assert response.status_code == 200, response.text
        ours = _wait_for_log_lines(server.stderr_path, request_id)
    finally:
        code, _ = server.stop(signal.SIGTERM)
    assert code in {0, -signal.SIGTERM}, server.output()

    assert len(ours) == 1, f"expected one log line for the request, got {ours}"
    line = ours[0]
    assert line["event"] == "request"
    assert line["method"] == "GET"
    assert line["path"] == "/api/books"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], int | float)
    assert line["duration_ms"] >= 0
    assert line["level"] == "info"
    assert "timestamp" in line

    not_json = [raw for raw in server.stderr().splitlines() if raw.strip() and not _is_json_object(raw)]
    assert not not_json, f"with LOG_FORMAT=json every log line must be JSON; these are not: {not_json[:5]}"


def _is_json_object(raw: str) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except ValueError:
        return False


def _wait_for_log_lines(path: Path, request_id: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The parsed log lines carrying `request_id`, once at least one has been written."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [json.loads(raw) for raw in path.read_text().splitlines() if request_id in raw and _is_json_object(raw)]
        if lines or time.monotonic() > deadline:
            time.sleep(0.2)  # a duplicate line, if there is one, would come right after
            return [json.loads(raw) for raw in path.read_text().splitlines() if request_id in raw]
        time.sleep(0.05)
