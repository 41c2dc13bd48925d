"""Importers: upload CSV and JSON Lines files made by `tools/data`, poll each import until it finishes.

Every file made with a new seed has ISBNs no other file, the dataset or a writer has, so each of its
rows must create a book, except the few ISBNs handed to the writers as the upload is accepted (the
writer's create and the import race for them: exactly one of the two may win). Now and then a file
already imported is uploaded again: that import must create nothing and skip every row.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Any

from app.lib.services import make_slug
from data.dataset import DatasetUser
from data.imports import import_rows, write_import_csv, write_import_jsonl
from load.client import Client
from load.context import RunContext
from load.ledger import ImportedRow, ImportRecord

FIRST_SEED = 2
LAST_SEED = 99
"""Import files made with seeds less than 100 apart share no ISBN (`data.isbn`)."""
CONTENDED_PER_FILE = 2
REPEAT_SHARE = 0.2
POLL_INTERVAL = 0.25
FINISHED = ("succeeded", "failed")

_seeds = itertools.count(FIRST_SEED)


def expected_rows(context: RunContext, rows: int, seed: int) -> list[ImportedRow]:
    return [
        ImportedRow(
            isbn=row["isbn"],
            title=row["title"],
            author=row["author"],
            tag_slugs=tuple(sorted({make_slug(name, "") for name in row["tags"].split("|") if name})),
        )
        for row in import_rows(rows, seed, **dataset_shape(context))
    ]


def dataset_shape(context: RunContext) -> dict[str, int]:
    dataset = context.dataset
    return {
        "dataset_authors": len(dataset.author_ids),
        "dataset_seed": dataset.seed,
        "dataset_tags": len(dataset.tag_names),
    }


def write_file(context: RunContext, rows: int, seed: int) -> tuple[Path, list[ImportedRow]]:
    """A new import file (CSV for odd seeds, JSON Lines for even ones) and the rows it holds."""
    if seed % 2:
        path = context.scratch / f"catalogue-{seed}.csv"
        write_import_csv(path, rows, seed, **dataset_shape(context))
    else:
        path = context.scratch / f"catalogue-{seed}.jsonl"
        write_import_jsonl(path, rows, seed, **dataset_shape(context))
    return path, expected_rows(context, rows, seed)


class Importer:
    def __init__(self, context: RunContext, number: int, user: DatasetUser, rows: int, drain_until: float) -> None:
        self.context = context
        self.rng = context.rng("importer", number)
        self.client = Client(context.servers, context.metrics, token=user.token, offset=number)
        self.rows = rows
        self.drain_until = drain_until
        self.done: list[tuple[Path, list[ImportedRow]]] = []

    async def run(self) -> None:
        try:
            while self.context.running():
                await self.import_one()
        finally:
            await self.client.close()

    async def import_one(self) -> None:
        repeat = bool(self.done) and self.rng.random() < REPEAT_SHARE
        seed = FIRST_SEED if repeat else next(_seeds)
        if seed > LAST_SEED:
            if not self.done:  # every seed taken, and nothing of this importer's own to import again yet
                await asyncio.sleep(POLL_INTERVAL)
                return
            repeat = True
        if repeat:
            path, rows = self.rng.choice(self.done)
        else:
            path, rows = await asyncio.to_thread(write_file, self.context, self.rows, seed)
        record = await self.upload(path, rows, repeat=repeat)
        if record is None:
            return
        record.final = await self.wait(record.id)
        if record.final is not None and record.final["status"] == "succeeded" and not repeat:
            self.done.append((path, rows))

    async def upload(self, path: Path, rows: list[ImportedRow], *, repeat: bool) -> ImportRecord | None:
        content_type = "text/csv" if path.suffix == ".csv" else "application/x-ndjson"
        files = {"file": (path.name, await asyncio.to_thread(path.read_bytes), content_type)}
        response = await self.client.call("upload_import", "POST", "/api/imports", expect={202}, files=files)
        if response is None or response.status_code != 202:
            if response is None:
                self.context.ledger.uncertain.append(f"upload of {path.name}")
            return None
        body: dict[str, Any] = response.json()
        if response.headers.get("Location", "").rstrip("/").split("/")[-1] != body["id"]:
            self.context.metrics.wrong(
                "upload_import", f"Location {response.headers.get('Location')!r} for {body['id']}"
            )
        record = ImportRecord(body["id"], path.name, rows, repeat=repeat)
        self.context.ledger.imports.append(record)
        if not repeat:
            for row in self.rng.sample(rows, min(CONTENDED_PER_FILE, len(rows))):
                self.context.contended_isbns.append(row.isbn)
        return record

    async def wait(self, import_id: str) -> dict[str, Any] | None:
        """Poll (through both processes, in turn) until the import finishes; None if it does not in time."""
        while time.monotonic() < self.drain_until:
            response = await self.client.call("poll_import", "GET", f"/api/imports/{import_id}", expect={200})
            if response is not None and response.status_code == 200:
                body: dict[str, Any] = response.json()
                if body["status"] in FINISHED:
                    return body
            await asyncio.sleep(POLL_INTERVAL)
        return None
