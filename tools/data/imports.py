"""Rows for the bulk-import workload, in the import file format (`POST /api/imports`).

Every row is valid and has an ISBN that is neither in the loaded dataset nor in a file made with
another seed, so each row of a fresh file creates a book. About half the rows name authors of the
dataset (matched by name, as the import does), the rest a smaller pool of new authors; most tags
are the dataset's, and some rows add a tag the dataset does not have.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from app.domain.books.import_rows import COLUMNS

from . import catalogue
from .isbn import import_isbns

_EXISTING_AUTHOR_SHARE = 0.5
_BOOKS_PER_NEW_AUTHOR = 5
_NEW_TAG_SHARE = 0.1
_NEW_TAGS = 10
_TAGS_PER_ROW = (1, 2, 3, 3, 4)


def import_rows(
    count: int, seed: int = 2, *, dataset_authors: int = 1000, dataset_seed: int = 1, dataset_tags: int = 100
) -> Iterator[dict[str, str]]:
    """`count` rows as CSV cells (an empty string for no value); `dataset_*` describe the loaded dataset."""
    rng = random.Random(f"import-{seed}")
    existing = catalogue.author_names(dataset_authors, dataset_seed)
    new = catalogue.author_names(max(1, count // _BOOKS_PER_NEW_AUTHOR), f"import-{seed}", exclude=existing)
    tags = catalogue.tag_names(dataset_tags + _NEW_TAGS)
    known_tags, new_tags = tags[:dataset_tags], tags[dataset_tags:]
    isbns = import_isbns(rng, count, seed)
    titles = catalogue.book_titles(rng, count)
    latest = datetime.now(UTC).year
    for title, isbn in zip(titles, isbns, strict=True):
        pool = existing if existing and rng.random() < _EXISTING_AUTHOR_SHARE else new
        row_tags = rng.sample(known_tags, min(rng.choice(_TAGS_PER_ROW), len(known_tags)))
        if rng.random() < _NEW_TAG_SHARE:
            row_tags.append(rng.choice(new_tags))
        year = catalogue.published_year(rng, latest)
        yield {
            "title": title,
            "author": rng.choice(pool),
            "isbn": isbn,
            "publishedYear": "" if year is None else str(year),
            "description": catalogue.description(rng) or "",
            "tags": "|".join(row_tags),
        }


def write_import_csv(path: Path | str, count: int, seed: int = 2, **dataset: int) -> int:
    """Write `import_rows(count, seed, **dataset)` as CSV with a header row; returns the rows written."""
    written = 0
    with Path(path).open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in import_rows(count, seed, **dataset):
            writer.writerow(row)
            written += 1
    return written


def write_import_jsonl(path: Path | str, count: int, seed: int = 2, **dataset: int) -> int:
    """The same rows as JSON Lines, typed as a JSON client sends them: a number year, a list of tags, nulls."""
    written = 0
    with Path(path).open("w", encoding="utf-8") as out:
        for row in import_rows(count, seed, **dataset):
            document = {
                "title": row["title"],
                "author": row["author"],
                "isbn": row["isbn"] or None,
                "publishedYear": int(row["publishedYear"]) if row["publishedYear"] else None,
                "description": row["description"] or None,
                "tags": row["tags"].split("|") if row["tags"] else [],
            }
            out.write(json.dumps(document, ensure_ascii=False) + "\n")
            written += 1
    return written
