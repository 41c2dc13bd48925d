"""Importers: upload CSV and JSON Lines files made by `tools/data`, poll each import until it finishes.

Every file made with a new seed has ISBNs no other file, the dataset or a writer has, so each of its
rows must create a book, except the few ISBNs handed to the writers as the upload is accepted (the
writer's create and the import race for them: exactly one of the two may win). Now and then a file
already imported is uploaded again: that import must create nothing and skip every row.

An upload that gets no answer is looked for among the importer's own imports: if it is there, it
is followed like any other; if not, the same file is uploaded again after a pause (none of its rows
may reach the catalogue meanwhile, nor ever, if the run ends first).
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
UNANSWERED_PAUSE = 1.0
"""Seconds an importer waits after an upload that made no import, before it sends the file again."""

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
        self.known: set[str] = set()
        """Ids of this importer's imports so far."""
        self.unlanded: tuple[Path, list[ImportedRow]] | None = None
        """A new file whose upload got no answer and made no import: the next one to send."""

    async def run(self) -> None:
        try:
            while self.context.running():
                await self.import_one()
        finally:
            await self.client.close()
            if self.unlanded is not None:
                self.context.ledger.unlanded_isbns.extend(row.isbn for row in self.unlanded[1])

    async def next_file(self) -> tuple[Path, list[ImportedRow], bool] | None:
        """The file that has not landed yet, else a new one or, now and then, one imported before (True)."""
        if self.unlanded is not None:
            return (*self.unlanded, False)
        repeat = bool(self.done) and self.rng.random() < REPEAT_SHARE
        seed = FIRST_SEED if repeat else next(_seeds)
        if seed > LAST_SEED:
            if not self.done:  # every seed taken, and nothing of this importer's own to import again yet
                return None
            repeat = True
        if repeat:
            path, rows = self.rng.choice(self.done)
        else:
            path, rows = await asyncio.to_thread(write_file, self.context, self.rows, seed)
        return path, rows, repeat

    async def import_one(self) -> None:
        chosen = await self.next_file()
        if chosen is None:
            await asyncio.sleep(POLL_INTERVAL)
            return
        path, rows, repeat = chosen
        self.unlanded = None
        record = await self.upload(path, rows, repeat=repeat)
        if record is None:
            return
        self.known.add(record.id)
        record.final = await self.wait(record.id)
        if record.final is not None and record.final["status"] == "succeeded" and not repeat:
            self.done.append((path, rows))

    async def upload(self, path: Path, rows: list[ImportedRow], *, repeat: bool) -> ImportRecord | None:
        content_type = "text/csv" if path.suffix == ".csv" else "application/x-ndjson"
        files = {"file": (path.name, await asyncio.to_thread(path.read_bytes), content_type)}
        response = await self.client.call("upload_import", "POST", "/api/imports", expect={202}, files=files)
        if response is None:
            return await self.find_unanswered(path, rows, repeat=repeat)
        if response.status_code != 202:
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

    async def find_unanswered(self, path: Path, rows: list[ImportedRow], *, repeat: bool) -> ImportRecord | None:
        """The import an upload without an answer made, if it made one (the newest of this user's imports)."""
        response = await self.client.call(
            "find_unanswered_upload", "GET", "/api/imports", expect={200}, params={"pageSize": 5}
        )
        if response is None or response.status_code != 200:
            self.context.metrics.wrong("upload_import", f"no way to tell whether an upload of {path.name} landed")
            return None
        new = [item for item in response.json()["items"] if item["id"] not in self.known]
        if len(new) > 1 or (new and new[0]["filename"] != path.name):
            self.context.metrics.wrong("upload_import", f"imports nobody uploaded: {new}")
            return None
        if not new:
            self.context.ledger.unanswered_uploads["not made"] += 1
            if not repeat:
                self.unlanded = (path, rows)
            await asyncio.sleep(UNANSWERED_PAUSE)
            return None
        self.context.ledger.unanswered_uploads["made"] += 1
        record = ImportRecord(new[0]["id"], path.name, rows, repeat=repeat)
        self.context.ledger.imports.append(record)
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
