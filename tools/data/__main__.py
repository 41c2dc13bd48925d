"""Command line: load a dataset into a database, or write a bulk-import file.

    PYTHONPATH=tools .venv/bin/python -m data load [--database-url URL] [--books N ...] --out DIR
    PYTHONPATH=tools .venv/bin/python -m data csv --rows N --out FILE [--seed N]
    PYTHONPATH=tools .venv/bin/python -m data jsonl --rows N --out FILE [--seed N]

`load` uses `DATABASE_URL`, or the embedded PostgreSQL of `DATA_DIR`, when no `--database-url` is
given; the database must be migrated and empty. It writes `DIR/dataset.json` and the wrk inputs
(`DIR/book_ids.txt`, `DIR/tokens.txt`, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from .imports import write_import_csv, write_import_jsonl
from .load import DatasetLoadError, load_dataset

DATASET_FILE = "dataset.json"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    load = commands.add_parser("load", help="load a dataset into a migrated, empty database")
    load.add_argument("--database-url", help="default: DATABASE_URL, else the embedded server of DATA_DIR")
    load.add_argument("--authors", type=int, default=1000)
    load.add_argument("--books", type=int, default=20000)
    load.add_argument("--tags", type=int, default=100)
    load.add_argument("--users", type=int, default=100)
    load.add_argument("--seed", type=int, default=1)
    load.add_argument("--password", help="every user's password (default: a new random one)")
    load.add_argument("--out", type=Path, required=True, help=f"directory for {DATASET_FILE} and the wrk inputs")

    for file_format in ("csv", "jsonl"):
        writer = commands.add_parser(file_format, help=f"write a bulk-import file as {file_format}")
        writer.add_argument("--rows", type=int, required=True)
        writer.add_argument("--out", type=Path, required=True)
        writer.add_argument("--seed", type=int, default=2, help="files with different seeds share no ISBN")
        writer.add_argument("--dataset-authors", type=int, default=1000, help="authors of the loaded dataset")
        writer.add_argument("--dataset-seed", type=int, default=1, help="seed of the loaded dataset")
        writer.add_argument("--dataset-tags", type=int, default=100, help="tags of the loaded dataset")
    return parser


def _load(arguments: argparse.Namespace) -> None:
    if arguments.database_url:
        url = arguments.database_url
    else:
        from app.lib.database import get_database_url

        url = get_database_url()
    started = time.perf_counter()
    dataset = asyncio.run(
        load_dataset(
            url,
            authors=arguments.authors,
            books=arguments.books,
            tags=arguments.tags,
            users=arguments.users,
            seed=arguments.seed,
            password=arguments.password,
        )
    )
    elapsed = time.perf_counter() - started
    arguments.out.mkdir(parents=True, exist_ok=True)
    dataset.to_json(arguments.out / DATASET_FILE)
    dataset.write_lua_inputs(arguments.out)
    counts = ", ".join(f"{count} {name}" for name, count in dataset.counts.items())
    print(f"loaded {counts} in {elapsed:.2f} s; wrote {arguments.out / DATASET_FILE} and the wrk inputs")


def _write(arguments: argparse.Namespace) -> None:
    write = write_import_csv if arguments.command == "csv" else write_import_jsonl
    started = time.perf_counter()
    rows = write(
        arguments.out,
        arguments.rows,
        arguments.seed,
        dataset_authors=arguments.dataset_authors,
        dataset_seed=arguments.dataset_seed,
        dataset_tags=arguments.dataset_tags,
    )
    print(f"wrote {rows} rows to {arguments.out} in {time.perf_counter() - started:.2f} s")


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        if arguments.command == "load":
            _load(arguments)
        else:
            _write(arguments)
    except DatasetLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
