# mypy: disallow-untyped-calls=False
"""Logins: Folio's `POST /api/auth/login` latency against the bare Argon2 verify it has to do, and a storm.

One login at a time, each as a fresh browser would send it: the `csrftoken` cookie and the
`X-CSRFToken` header (fetched once with a GET), no session cookie, the right password. The per-client
limit on `/api/auth/*` (30 a minute) is met by starting Folio with `TRUSTED_PROXIES=127.0.0.1` and
giving every login its own `X-Forwarded-For` address; the per-email limit counts only failures.

The floor is the raw verify of `app.lib.crypt`'s own `CryptContext` on the same hash, timed in this
one process, one at a time, as the single server process does it.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from data.dataset import Dataset

TRUSTED_PROXY = "127.0.0.1"
LOGIN_PATH = "/api/auth/login"


def forwarded_address(number: int) -> str:
    """A distinct client address for the per-client rate limit (a header value only; nothing is sent there)."""
    return f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"


async def csrf_token(client: httpx.AsyncClient) -> str:
    response = await client.get("/api/me")
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name.strip() == "csrftoken":
            return rest.split(";", 1)[0]
    msg = "Folio set no csrftoken cookie on GET /api/me"
    raise RuntimeError(msg)


@dataclass
class Logins:
    addresses: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status != 200)

    async def one(self, client: httpx.AsyncClient, csrf: str, email: str, password: str) -> None:
        body = msgspec.json.encode({"email": email, "password": password})
        headers = {
            "Content-Type": "application/json",
            "X-CSRFToken": csrf,
            "Cookie": f"csrftoken={csrf}",
            "X-Forwarded-For": forwarded_address(next(self.addresses)),
        }
        started = time.perf_counter()
        response = await client.post(LOGIN_PATH, content=body, headers=headers)
        elapsed = time.perf_counter() - started
        client.cookies.clear()
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        if response.status_code == 200:
            self.latencies_ms.append(1000 * elapsed)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "logins": len(ordered),
            "errors": self.errors,
            "statuses": {str(status): count for status, count in self.statuses.items()},
            "median_ms": statistics.median(ordered) if ordered else None,
            "p90_ms": ordered[int(0.9 * (len(ordered) - 1))] if ordered else None,
            "min_ms": ordered[0] if ordered else None,
            "max_ms": ordered[-1] if ordered else None,
        }


async def sequential_logins(url: str, dataset: Dataset, count: int) -> dict[str, Any]:
    """`count` logins one after the other (after one unmeasured), cycling through the dataset's users."""
    logins = Logins()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        csrf = await csrf_token(client)
        await Logins().one(client, csrf, dataset.users[0].email, dataset.password)
        for number in range(count):
            user = dataset.users[number % len(dataset.users)]
            await logins.one(client, csrf, user.email, dataset.password)
    return logins.summary()


def raw_verify(password: str, hashed: str, count: int) -> dict[str, Any]:
    """The floor: `app.lib.crypt`'s context verifying the same hash, `count` times in a row (after one unmeasured)."""
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
    return {"verifies": count, "median_ms": statistics.median(timings), "min_ms": min(timings), "max_ms": max(timings)}


async def login_storm(url: str, dataset: Dataset, concurrency: int, stop: asyncio.Event) -> dict[str, Any]:
    """`concurrency` clients logging in back to back until `stop` is set."""
    logins = Logins()

    async def client_loop(number: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            csrf = await csrf_token(client)
            for attempt in itertools.count():
                if stop.is_set():
                    return
                user = dataset.users[(number + attempt * concurrency) % len(dataset.users)]
                await logins.one(client, csrf, user.email, dataset.password)

    await asyncio.gather(*(client_loop(number) for number in range(concurrency)))
    return logins.summary()
