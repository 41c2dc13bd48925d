"""Does an import's memory stay flat whatever the file size?

Generates two CSV catalogues (a small and a 10x larger one), imports each in this process with
`run_import` (the same code the worker runs) and reports the peak of Python allocations during
each run (tracemalloc) and their ratio. Flat means the ratio stays near 1, not near 10.

    DATA_DIR=/tmp/folio-bench .venv/bin/python tools/bench/import_memory.py [--rows 2000]

It uses the database of the current settings (the embedded one in DATA_DIR by default) and a user
it creates; run it against a scratch DATA_DIR.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import tracemalloc
import uuid
from pathlib import Path


def write_catalogue(path: Path, rows: int, seed: str) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("title,author,isbn,publishedYear,tags\n")
        for index in range(rows):
            body = f"979{abs(hash((seed, index))) % 10**9:09d}"
            check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body)) % 10) % 10
            out.write(f"Book {seed} {index},Author {index % 97},{body}{check},{1900 + index % 120},Tag {index % 13}\n")


async def measure(path: Path, owner_id: uuid.UUID) -> tuple[int, int, float]:
    from app.domain.books.cli import _file_chunks
    from app.domain.books.imports import ImportService, run_import
    from app.lib.database import get_alchemy_config

    async with get_alchemy_config().get_session() as session:
        book_import = await ImportService(session=session).create_import(
            path.name, "text/csv", _file_chunks(path), owner_id=owner_id
        )
        await session.commit()
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = asyncio.get_running_loop().time()
    result = await run_import(book_import.id)
    elapsed = asyncio.get_running_loop().time() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if result is None or result.status != "succeeded":
        raise RuntimeError(f"the import did not succeed: {result and result.message}")
    return result.created, peak, elapsed


async def main(rows: int) -> None:
    from app.db import models as m
    from app.lib.crypt import hash_password
    from app.lib.database import get_alchemy_config

    owner = m.User(
        email=f"bench-{uuid.uuid4().hex[:8]}@example.com", name="Bench", hashed_password=await hash_password("x" * 12)
    )
    async with get_alchemy_config().get_session() as session:
        session.add(owner)
        await session.commit()
    with tempfile.TemporaryDirectory() as directory:
        results = []
        for label, count in (("small", rows), ("large", rows * 10)):
            path = Path(directory) / f"{label}.csv"
            write_catalogue(path, count, uuid.uuid4().hex[:6])
            created, peak, elapsed = await measure(path, owner.id)
            results.append((label, count, created, peak, elapsed))
            print(f"{label}: {count} rows, {created} created, peak {peak / 1e6:.1f} MB, {count / elapsed:.0f} rows/s")
    ratio = results[1][3] / results[0][3]
    print(f"peak memory ratio large/small for 10x the rows: {ratio:.2f}")
    await get_alchemy_config().get_engine().dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2000)
    asyncio.run(main(parser.parse_args().rows))
