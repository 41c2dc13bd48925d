"""One simulated client: its own connections and cookies, its requests spread over every web process.

Auth requests carry an `X-Forwarded-For` address of the client's own (the servers trust 127.0.0.1
as a proxy). A client moves to a fresh address after `AUTH_REQUESTS_PER_ADDRESS` of them, so no
address comes near the per-client limit of 30 a minute, however long the run.

A request that gets no answer (the process is down, or died with the request under way) is sent
again to the other process only when that is safe, a GET; any other request's outcome is unknown,
and the caller records it so (the integrity check then accepts the write whole or not at all). The
client then leaves that process alone for `QUARANTINE` seconds, as a load balancer's passive health
check would.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Collection
from typing import Any

import httpx

from load.metrics import Metrics, TransportFailure

AUTH_PREFIX = "/api/auth/"
AUTH_REQUESTS_PER_ADDRESS = 20
CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "X-CSRFToken"
REQUEST_TIMEOUT = 30.0
SAFE_METHODS = frozenset({"GET", "HEAD"})
QUARANTINE = 2.0

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
        self._quarantined: dict[str, float] = {}
        """Per process that gave no answer, `time.monotonic()` until which it is left alone."""

    async def close(self) -> None:
        await self.http.aclose()

    def next_server(self, avoiding: str | None = None) -> str:
        """Round robin over the processes not in quarantine (and not `avoiding`); over all of them if none is left."""
        now = time.monotonic()
        for _ in self.servers:
            self._turn += 1
            chosen = self.servers[self._turn % len(self.servers)]
            if chosen != avoiding and now >= self._quarantined.get(chosen, 0.0):
                return chosen
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
        """Send one request, recording its status and latency under `kind`; None when no answer came.

        `server` pins the request to one process: it is then never sent to another.
        """
        headers = {**self._auth_headers(path), **(self.csrf_headers() if csrf else {}), **kwargs.pop("headers", {})}
        base = server or self.next_server()
        retry = method in SAFE_METHODS and server is None and len(self.servers) > 1
        while True:
            self.metrics.per_server[base] += 1
            started = time.monotonic()
            try:
                response = await self.http.request(method, base + path, headers=headers, **kwargs)
            except httpx.HTTPError as exc:
                then = "retried" if retry else ("lost" if method in SAFE_METHODS else "unknown")
                failure = TransportFailure(kind, method, base, started, time.monotonic(), type(exc).__name__, then)
                self.metrics.failed(failure, f"{method} {base}{path}: {exc}")
                self._quarantined[base] = failure.ended + QUARANTINE
                if not retry:
                    return None
                retry, base = False, self.next_server(avoiding=base)
                continue
            break
        elapsed_ms = (time.monotonic() - started) * 1000
        expected = response.status_code in expect
        detail = "" if expected else f"{method} {base}{path}: {response.text[:300]}"
        self.metrics.answered(kind, base, response.status_code, elapsed_ms, expected=expected, detail=detail)
        return response

    async def ensure_csrf_cookie(self) -> None:
        """Any safe request sets the `csrftoken` cookie; a book list does not count towards the auth limit."""
        if CSRF_COOKIE not in self.http.cookies:
            await self.call("csrf_cookie", "GET", "/api/books?pageSize=1", expect={200})
