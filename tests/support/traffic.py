"""Steady client load against a live server, every answer recorded, for the fault tests.

Readers list and fetch books and list authors; writers create authors and books and upload
one-row catalogue imports (with bearer tokens; an import queues a job), keeping the id of every
write answered 2xx so a test can look for it, and for an import's job, afterwards. A test marks
the moments that split the run into phases (`mark`), and `summary()` tells, per phase, how many
answers of each status came back and how long the slowest took.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import httpx

from app.lib.errors import PROBLEM_JSON

READ = "read"
WRITE_AUTHOR = "write-author"
WRITE_BOOK = "write-book"
WRITE_IMPORT = "write-import"
WRITES = (WRITE_AUTHOR, WRITE_BOOK, WRITE_IMPORT)


@dataclass(frozen=True)
class Outcome:
    kind: str
    started: float
    ended: float
    status: int
    """0 when the request got no HTTP answer at all (reset, timeout)."""
    detail: str
    created_id: str | None = None

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def is_problem(self) -> bool:
        return self.detail.startswith(PROBLEM_JSON)


@dataclass
class Traffic:
    """Readers and writers hitting `base_url` until `stop()`; `outcomes` grows as answers arrive."""

    base_url: str
    api_token: str
    author_id: str
    """An existing author, for the books the writers create."""
    book_id: str
    """An existing book, for the readers' single-book fetches."""
    readers: int = 3
    writers: int = 3
    timeout: float = 30.0
    outcomes: list[Outcome] = field(default_factory=list)
    marks: list[tuple[str, float]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Traffic:
        limits = httpx.Limits(max_connections=self.readers + self.writers)
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout, limits=limits)
        self._tasks = [asyncio.create_task(self._read(n)) for n in range(self.readers)]
        self._tasks += [asyncio.create_task(self._write(n)) for n in range(self.writers)]
        self.mark("load")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def mark(self, phase: str) -> float:
        """From now on, requests that start belong to `phase`."""
        at = time.monotonic()
        self.marks.append((phase, at))
        return at

    def phase_of(self, outcome: Outcome) -> str:
        phase = "before"
        for name, at in self.marks:
            if outcome.started >= at:
                phase = name
        return phase

    def created(self, kind: str) -> list[str]:
        return [o.created_id for o in self.outcomes if o.kind == kind and o.ok and o.created_id]

    def summary(self) -> str:
        """Per phase: answers by kind and status, and the slowest; for assertion messages."""
        tally: dict[str, Counter[str]] = defaultdict(Counter)
        slowest: dict[str, float] = defaultdict(float)
        for outcome in self.outcomes:
            phase = self.phase_of(outcome)
            tally[phase][f"{outcome.kind} {outcome.status}"] += 1
            slowest[phase] = max(slowest[phase], outcome.seconds)
        lines = []
        for name, _ in self.marks:
            counts = ", ".join(f"{key}: {n}" for key, n in sorted(tally[name].items()))
            lines.append(f"  {name:<12} slowest {slowest[name]:5.2f}s  {counts or 'no requests'}")
        return "answers per phase (requests counted in the phase they started in):\n" + "\n".join(lines)

    async def _send(self, kind: str, method: str, url: str, **kwargs: object) -> httpx.Response | None:
        assert self._client is not None
        started = time.monotonic()
        try:
            response = await self._client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            self.outcomes.append(Outcome(kind, started, time.monotonic(), 0, repr(exc)))
            return None
        created_id = None
        if method == "POST" and response.status_code in {201, 202}:
            created_id = str(response.json()["id"])
        detail = f"{response.headers.get('content-type', '')} {response.text[:300]}"
        self.outcomes.append(Outcome(kind, started, time.monotonic(), response.status_code, detail, created_id))
        return response

    async def _read(self, n: int) -> None:
        paths = itertools.cycle(
            [
                ("/api/books", {"pageSize": 5}),
                (f"/api/books/{self.book_id}", {}),
                ("/api/authors", {"pageSize": 5, "searchString": "fault"}),
            ]
        )
        for _ in range(n):
            next(paths)
        while not self._stop.is_set():
            path, params = next(paths)
            await self._send(READ, "GET", path, params=params)
            await asyncio.sleep(0.01)

    async def _write(self, n: int) -> None:
        headers = {"Authorization": f"Bearer {self.api_token}"}
        kinds = itertools.cycle(WRITES)
        for _ in range(n):
            next(kinds)
        while not self._stop.is_set():
            name = f"Fault {uuid.uuid4().hex[:12]}"
            kind = next(kinds)
            if kind == WRITE_AUTHOR:
                await self._send(kind, "POST", "/api/authors", json={"name": name}, headers=headers)
            elif kind == WRITE_BOOK:
                body = {"title": name, "authorId": self.author_id, "tags": ["Fault drill"]}
                await self._send(kind, "POST", "/api/books", json=body, headers=headers)
            else:
                csv = f"title,author\n{name},Fault Importer\n".encode()
                files = {"file": ("drill.csv", csv, "text/csv")}
                await self._send(kind, "POST", "/api/imports", files=files, headers=headers)
            await asyncio.sleep(0.01)
