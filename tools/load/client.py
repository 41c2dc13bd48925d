"""One simulated client: its own connections and cookies, its requests spread over every web process.

Auth requests carry an `X-Forwarded-For` address of the client's own (the servers trust 127.0.0.1
as a proxy). A client moves to a fresh address after `AUTH_REQUESTS_PER_ADDRESS` of them, so no
address comes near the per-client limit of 30 a minute, however long the run.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Collection
from typing import Any

import httpx

from load.metrics import Metrics

AUTH_PREFIX = "/api/auth/"
AUTH_REQUESTS_PER_ADDRESS = 20
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "X-CSRFToken"
REQUEST_TIMEOUT = 30.0

_addresses = itertools.count(1)


def next_address() -> str:
    """A private address no other client of this run has used."""
    number = next(_addresses)
    return f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"


class Client:
    def __init__(
        self,
        servers: list[str],
        metrics: Metrics,
        *,
        token: str | None = None,
        offset: int = 0,
        auth_requests_per_address: int = AUTH_REQUESTS_PER_ADDRESS,
    ) -> None:
        self.servers = servers
        self.auth_requests_per_address = auth_requests_per_address
        self.metrics = metrics
        self._turn = offset
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(headers=headers, timeout=REQUEST_TIMEOUT)
        self.address = next_address()
        self._auth_requests = 0

    async def close(self) -> None:
        await self.http.aclose()

    def next_server(self) -> str:
        """Round robin: consecutive requests of one client go to different processes."""
        self._turn += 1
        return self.servers[self._turn % len(self.servers)]

    def _auth_headers(self, path: str) -> dict[str, str]:
        if not path.startswith(AUTH_PREFIX):
            return {}
        if self._auth_requests >= self.auth_requests_per_address:
            self.address, self._auth_requests = next_address(), 0
        self._auth_requests += 1
        return {"X-Forwarded-For": self.address}

    def csrf_headers(self) -> dict[str, str]:
        token = self.http.cookies.get(CSRF_COOKIE)
        return {CSRF_HEADER: token} if token else {}

    async def call(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        expect: Collection[int],
        csrf: bool = False,
        server: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response | None:
        """Send one request, recording its status and latency under `kind`; None on a transport error."""
        headers = {**self._auth_headers(path), **(self.csrf_headers() if csrf else {}), **kwargs.pop("headers", {})}
        base = server or self.next_server()
        self.metrics.per_server[base] += 1
        url = base + path
        started = time.perf_counter()
        try:
            response = await self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self.metrics.failed(kind, exc, (time.perf_counter() - started) * 1000, f"{method} {path}")
            return None
        elapsed_ms = (time.perf_counter() - started) * 1000
        expected = response.status_code in expect
        detail = "" if expected else f"{method} {url}: {response.text[:300]}"
        self.metrics.answered(kind, response.status_code, elapsed_ms, expected=expected, detail=detail)
        return response

    async def ensure_csrf_cookie(self) -> None:
        """Any safe request sets the `csrftoken` cookie; a book list does not count towards the auth limit."""
        if CSRF_COOKIE not in self.http.cookies:
            await self.call("csrf_cookie", "GET", "/api/books?pageSize=1", expect={200})
