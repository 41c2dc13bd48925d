# mypy: disallow-untyped-calls=False
"""Logins: Folio's `POST /api/auth/login` latency against the bare Argon2 verify it has to do, and a storm.

The logins are sent by wrk (`wrk/login.lua`), like every other workload: one connection for the
latency, one at a time, each as a fresh browser would send it (the `csrftoken` cookie and the
`X-CSRFToken` header, fetched once with a GET; no session cookie; the right password), and twenty
connections for the storm. The per-client limit on `/api/auth/*` (30 a minute) is met by starting
Folio with `TRUSTED_PROXIES=127.0.0.1` and giving every login its own `X-Forwarded-For` address; the
per-email limit counts only failures.

The floor is the raw verify of `app.lib.crypt`'s own `CryptContext` on the same hash, timed in this
one process, one at a time, as the single server process does it, before and after Folio's logins.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import httpx

from data.dataset import Dataset

TRUSTED_PROXY = "127.0.0.1"


def csrf_token(url: str) -> str:
    """A `csrftoken` cookie value Folio issues (to an anonymous GET)."""
    response = httpx.get(f"{url}/api/me", timeout=30)
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name.strip() == "csrftoken":
            return rest.split(";", 1)[0]
    msg = "Folio set no csrftoken cookie on GET /api/me"
    raise RuntimeError(msg)


def wrk_env(url: str, dataset: Dataset) -> dict[str, str]:
    """What `wrk/login.lua` needs besides the dataset's inputs: the password and a CSRF token."""
    return {"BENCH_PASSWORD": dataset.password, "BENCH_CSRF": csrf_token(url)}


def raw_verify_timings(password: str, hashed: str, count: int) -> list[float]:
    """The floor: `app.lib.crypt`'s context verifying the same hash `count` times in a row (after one
    unmeasured); each one's milliseconds."""
    from app.lib.crypt import password_context

    context = password_context()
    context.verify(password, hashed)
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        if not context.verify(password, hashed):
            msg = "the dataset's password does not verify against its hash"
            raise RuntimeError(msg)
        timings.append(1000 * (time.perf_counter() - started))
    return timings


def verify_summary(timings: list[float]) -> dict[str, Any]:
    return {
        "verifies": len(timings),
        "median_ms": statistics.median(timings),
        "min_ms": min(timings),
        "max_ms": max(timings),
    }
