"""What a loaded dataset holds, for the benchmark's load scripts and floor: ids, slugs, credentials.

`to_json`/`from_json` keep it between processes; `write_lua_inputs` writes plain files, one value
a line, that a wrk Lua script reads with `io.lines`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

LUA_INPUTS = (
    "book_ids.txt",
    "book_slugs.txt",
    "author_ids.txt",
    "tag_names.txt",
    "tag_slugs.txt",
    "tokens.txt",
    "emails.txt",
)


@dataclass(frozen=True)
class DatasetUser:
    id: str
    email: str
    name: str
    token: str
    """The API token in plain text (`folio_…`); the database holds only its digest."""


@dataclass(frozen=True)
class Dataset:
    seed: int
    password: str
    """Every user's password."""
    users: tuple[DatasetUser, ...]
    author_ids: tuple[str, ...]
    author_names: tuple[str, ...]
    book_ids: tuple[str, ...]
    """In order of creation, oldest first."""
    book_slugs: tuple[str, ...]
    """`book_slugs[i]` is the slug of `book_ids[i]`."""
    tag_names: tuple[str, ...]
    tag_slugs: tuple[str, ...]
    book_tag_links: int
    """Rows in `book_tag`: the sum of every tag's `bookCount`."""

    @property
    def counts(self) -> dict[str, int]:
        return {
            "authors": len(self.author_ids),
            "books": len(self.book_ids),
            "tags": len(self.tag_names),
            "users": len(self.users),
            "bookTags": self.book_tag_links,
        }

    def to_json(self, path: Path | str) -> None:
        document = {**asdict(self), "counts": self.counts}
        Path(path).write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def from_json(cls, path: Path | str) -> Dataset:
        document: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            seed=int(document["seed"]),
            password=str(document["password"]),
            users=tuple(DatasetUser(**user) for user in document["users"]),
            author_ids=tuple(document["author_ids"]),
            author_names=tuple(document["author_names"]),
            book_ids=tuple(document["book_ids"]),
            book_slugs=tuple(document["book_slugs"]),
            tag_names=tuple(document["tag_names"]),
            tag_slugs=tuple(document["tag_slugs"]),
            book_tag_links=int(document["book_tag_links"]),
        )

    def write_lua_inputs(self, directory: Path | str) -> list[Path]:
        """Write the files named in `LUA_INPUTS` into `directory`; returns their paths."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        columns = {
            "book_ids.txt": self.book_ids,
            "book_slugs.txt": self.book_slugs,
            "author_ids.txt": self.author_ids,
            "tag_names.txt": self.tag_names,
            "tag_slugs.txt": self.tag_slugs,
            "tokens.txt": tuple(user.token for user in self.users),
            "emails.txt": tuple(user.email for user in self.users),
        }
        written = []
        for name in LUA_INPUTS:
            path = folder / name
            path.write_text("".join(f"{value}\n" for value in columns[name]), encoding="utf-8")
            written.append(path)
        return written
