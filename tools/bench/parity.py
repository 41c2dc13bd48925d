"""Before any timing: Folio and the floor must answer the benchmarked requests with the same bytes.

Reads are compared byte for byte (status, content type and body): `/health`, a sample of books,
several pages of the list (the last one and one past the end included) and the error answers for
an unknown id, a malformed id and an unknown token. Creating a book is compared field for field,
leaving out only `id`, `createdAt` and `updatedAt`: the same body is posted to one server, that book
is deleted through Folio's API, and the same body is posted to the other; once with Folio first and
once with the floor first, each time naming a tag that does not exist yet. The book the floor wrote
is then read back through Folio, byte for byte against the floor's own answer.

    .venv/bin/python tools/bench/parity.py --folio http://127.0.0.1:8000 --floor http://127.0.0.1:8001 \\
        --dataset build/bench-data/dataset.json

Exits non-zero, listing every difference, when anything differs.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from data.dataset import Dataset
from data.isbn import check_digit

CREATED_FIELDS_THAT_DIFFER = frozenset({"id", "createdAt", "updatedAt"})
PARITY_ISBN_PREFIX = "976"
"""Books created here take ISBNs no dataset, import file or load script uses."""


class ParityError(AssertionError):
    """Folio and the floor answered differently."""


@dataclass
class ParityReport:
    compared: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)

    def check(self, name: str, problems: list[str]) -> None:
        self.compared.append(name)
        self.differences.extend(f"{name}: {problem}" for problem in problems)


def json_differences(folio: Any, floor: Any, path: str = "$", ignore: frozenset[str] = frozenset()) -> list[str]:
    """Every path where two decoded JSON documents differ (keys in `ignore` are skipped at any depth)."""
    if isinstance(folio, dict) and isinstance(floor, dict):
        problems = []
        if list(folio) != list(floor):
            problems.append(f"{path}: keys {list(folio)} (Folio) vs {list(floor)} (floor)")
        for key in folio.keys() & floor.keys():
            if key not in ignore:
                problems += json_differences(folio[key], floor[key], f"{path}.{key}", ignore)
        return problems
    if isinstance(folio, list) and isinstance(floor, list):
        if len(folio) != len(floor):
            return [f"{path}: {len(folio)} items (Folio) vs {len(floor)} (floor)"]
        return [
            problem
            for index, (left, right) in enumerate(zip(folio, floor, strict=True))
            for problem in json_differences(left, right, f"{path}[{index}]", ignore)
        ]
    if folio != floor or type(folio) is not type(floor):
        return [f"{path}: {folio!r} (Folio) vs {floor!r} (floor)"]
    return []


def response_differences(folio: httpx.Response, floor: httpx.Response) -> list[str]:
    problems = []
    if folio.status_code != floor.status_code:
        problems.append(f"status {folio.status_code} (Folio) vs {floor.status_code} (floor)")
    if folio.headers.get("content-type") != floor.headers.get("content-type"):
        problems.append(
            f"content-type {folio.headers.get('content-type')} (Folio) vs {floor.headers.get('content-type')} (floor)"
        )
    if folio.content != floor.content:
        try:
            detail = json_differences(folio.json(), floor.json()) or ["same JSON, different bytes"]
        except ValueError:
            detail = [f"bodies differ: {folio.content[:200]!r} vs {floor.content[:200]!r}"]
        problems += detail
    return problems


def parity_isbn() -> str:
    first12 = PARITY_ISBN_PREFIX + "".join(secrets.choice("0123456789") for _ in range(9))
    return first12 + check_digit(first12)


class Parity:
    def __init__(self, folio: httpx.AsyncClient, floor: httpx.AsyncClient, dataset: Dataset, samples: int) -> None:
        self.folio = folio
        self.floor = floor
        self.dataset = dataset
        self.samples = samples
        self.report = ParityReport()
        self.rng = random.Random(dataset.seed)

    async def same_bytes(self, name: str, method: str, url: str, **options: Any) -> None:
        folio = await self.folio.request(method, url, **options)
        floor = await self.floor.request(method, url, **options)
        self.report.check(name, response_differences(folio, floor))

    async def reads(self) -> None:
        await self.same_bytes("GET /health", "GET", "/health")
        books = self.dataset.book_ids
        for book_id in [books[0], books[-1], *self.rng.sample(books, min(self.samples, len(books)))]:
            await self.same_bytes(f"GET /api/books/{book_id}", "GET", f"/api/books/{book_id}")
        pages = max(1, -(-len(books) // 20))
        for page in sorted({1, 2, pages // 2, pages, pages + 1, *self.rng.sample(range(1, pages + 1), 3)}):
            url = f"/api/books?pageSize=20&currentPage={page}"
            await self.same_bytes(f"GET {url}", "GET", url)
        await self.same_bytes("GET /api/books?pageSize=20", "GET", "/api/books?pageSize=20")

    async def errors(self) -> None:
        unknown = "01900000-0000-7000-8000-000000000000"
        await self.same_bytes("GET an unknown book", "GET", f"/api/books/{unknown}")
        await self.same_bytes("GET a malformed id", "GET", "/api/books/not-a-uuid")
        body = self.create_body(["Fiction"])
        headers = {"Authorization": "Bearer folio_unknown"}
        await self.same_bytes("POST with an unknown token", "POST", "/api/books", json=body, headers=headers)

    def create_body(self, tags: list[str]) -> dict[str, Any]:
        return {
            "title": f"Parity Check {secrets.token_hex(4)}",
            "authorId": self.rng.choice(self.dataset.author_ids),
            "isbn": parity_isbn(),
            "publishedYear": self.rng.randint(1900, 2024),
            "description": "Written by the benchmark's parity check.",
            "tags": tags,
        }

    async def creates(self) -> None:
        token = self.dataset.users[0].token
        headers = {"Authorization": f"Bearer {token}"}
        for first, second in ((self.folio, self.floor), (self.floor, self.folio)):
            new_tag = f"Parity Tag {secrets.token_hex(3)}"
            known = self.rng.sample(self.dataset.tag_names, 2)
            body = self.create_body([f"  {known[0].upper()} ", new_tag, known[1], known[0]])
            name = "POST /api/books " + ("Folio first" if first is self.folio else "floor first")
            one = await first.post("/api/books", json=body, headers=headers)
            if one.status_code != 201:
                self.report.check(name, [f"the first server answered {one.status_code}: {one.text[:300]}"])
                continue
            deleted = await self.folio.delete(f"/api/books/{one.json()['id']}", headers=headers)
            if deleted.status_code != 204:
                self.report.check(name, [f"deleting the first book answered {deleted.status_code}"])
                continue
            two = await second.post("/api/books", json=body, headers=headers)
            folio, floor = (one, two) if first is self.folio else (two, one)
            self.report.check(name, created_differences(folio, floor))
            if floor.status_code == 201:
                await self.same_bytes(f"GET the book the floor created ({name})", "GET", floor.headers["location"])

    async def run(self) -> ParityReport:
        await self.reads()
        await self.errors()
        await self.creates()
        return self.report


def created_differences(folio: httpx.Response, floor: httpx.Response) -> list[str]:
    if folio.status_code != 201 or floor.status_code != 201:
        return [f"status {folio.status_code} (Folio) vs {floor.status_code} (floor): {floor.text[:300]}"]
    problems = json_differences(folio.json(), floor.json(), ignore=CREATED_FIELDS_THAT_DIFFER)
    for response, server in ((folio, "Folio"), (floor, "floor")):
        if response.headers.get("location") != f"/api/books/{response.json()['id']}":
            problems.append(f"{server}'s Location is {response.headers.get('location')!r}")
    if folio.headers.get("content-type") != floor.headers.get("content-type"):
        problems.append(f"content-type {folio.headers.get('content-type')} vs {floor.headers.get('content-type')}")
    return problems


async def check_parity(folio_url: str, floor_url: str, dataset: Dataset, *, samples: int = 20) -> ParityReport:
    """Compare the two servers; raises `ParityError` listing every difference."""
    async with (
        httpx.AsyncClient(base_url=folio_url, timeout=30) as folio,
        httpx.AsyncClient(base_url=floor_url, timeout=30) as floor,
    ):
        report = await Parity(folio, floor, dataset, samples).run()
    if report.differences:
        listed = "\n  ".join(report.differences)
        msg = f"Folio and the floor differ ({len(report.differences)} differences):\n  {listed}"
        raise ParityError(msg)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folio", required=True, help="Folio's base URL")
    parser.add_argument("--floor", required=True, help="the floor's base URL")
    parser.add_argument("--dataset", type=Path, required=True, help="dataset.json written by `python -m data load`")
    parser.add_argument("--samples", type=int, default=20, help="random books to compare")
    arguments = parser.parse_args()
    try:
        report = asyncio.run(
            check_parity(
                arguments.folio, arguments.floor, Dataset.from_json(arguments.dataset), samples=arguments.samples
            )
        )
    except ParityError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"parity: {len(report.compared)} requests compared, no difference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
