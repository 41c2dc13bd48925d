"""Everything the clients were told was written: the integrity check holds the database to it."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BookState:
    id: str
    title: str
    isbn: str | None
    author_id: str
    tag_slugs: tuple[str, ...]

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> BookState:
        return cls(
            id=body["id"],
            title=body["title"],
            isbn=body["isbn"],
            author_id=body["author"]["id"],
            tag_slugs=tuple(sorted(tag["slug"] for tag in body["tags"])),
        )

    def line(self) -> str:
        """The form `integrity.BOOK_LINES` gives the same book in SQL."""
        return f"{self.id}\t{self.content()}"

    def content(self) -> str:
        """The line without the id (`integrity.BOOK_CONTENT`)."""
        return "\t".join((self.title, self.isbn or "", self.author_id, ",".join(self.tag_slugs)))


@dataclass(frozen=True)
class AuthorState:
    id: str
    name: str
    bio: str | None

    def line(self) -> str:
        return f"{self.id}\t{self.content()}"

    def content(self) -> str:
        """The line without the id (`integrity.AUTHOR_CONTENT`)."""
        return "\t".join((self.name, self.bio or ""))


@dataclass(frozen=True)
class ImportedRow:
    """A row of an uploaded file, as the import must have written it (looked up by its isbn)."""

    isbn: str
    title: str
    author: str
    tag_slugs: tuple[str, ...]

    def line(self) -> str:
        return "\t".join((self.isbn, self.title, self.author.lower(), ",".join(self.tag_slugs)))


@dataclass
class ImportRecord:
    """One upload: its rows, and the import as its last poll showed it."""

    id: str
    filename: str
    rows: list[ImportedRow]
    repeat: bool = False
    """A file imported before: the import must create nothing and skip every row."""
    final: dict[str, Any] | None = None
    """The import when it reached `succeeded` or `failed`; None when the run gave up waiting."""


@dataclass(frozen=True)
class Uncertain:
    """A write whose answer never came: its record must be whole in one of `states`, or absent if it may be.

    A record is found by its id, or (for a create, whose id never came) by its title or name: those
    are unique within a run.
    """

    description: str
    table: str
    """"book" or "author"."""
    by: str
    """"id", "title" (books) or "name" (authors)."""
    key: str
    states: frozenset[str]
    """Its possible contents (`BookState.content()`, `AuthorState.content()`)."""
    may_be_absent: bool


@dataclass
class Ledger:
    books: dict[str, BookState] = field(default_factory=dict)
    """Books a client created (201) and did not delete, in the state of the last answer about them."""
    deleted_books: set[str] = field(default_factory=set)
    authors: dict[str, AuthorState] = field(default_factory=dict)
    deleted_authors: set[str] = field(default_factory=set)
    imports: list[ImportRecord] = field(default_factory=list)
    contended: dict[str, str] = field(default_factory=dict)
    """ISBNs of import rows a writer also tried to create: isbn -> "writer" (201), "import" (409) or "unknown"."""
    contended_titles: dict[str, str] = field(default_factory=dict)
    """For the "unknown" ones: the title of the book the writer sent."""
    refused_titles: list[str] = field(default_factory=list)
    """Creates the server refused (a missing CSRF token): no book may carry these titles."""
    uncertain: list[Uncertain] = field(default_factory=list)
    """Writes whose answer never came (transport errors): the database may or may not have them."""
    unlanded_isbns: list[str] = field(default_factory=list)
    """Rows of uploads that got no answer and are not among the importer's imports: none may be in the catalogue."""
    unanswered_uploads: Counter[str] = field(default_factory=Counter)
    """Uploads that got no answer, by whether they made an import ("made") or not ("not made")."""

    def created_book(self, state: BookState) -> None:
        self.books[state.id] = state

    def deleted_book(self, book_id: str) -> None:
        self.books.pop(book_id, None)
        self.deleted_books.add(book_id)

    def deleted_author(self, author_id: str) -> None:
        self.authors.pop(author_id, None)
        self.deleted_authors.add(author_id)

    def imported_rows(self) -> dict[str, ImportedRow]:
        """Rows the imports must have written themselves: every row but those a writer got in first
        (or may have: its create got no answer)."""
        return {
            row.isbn: row
            for record in self.imports
            if not record.repeat
            for row in record.rows
            if self.contended.get(row.isbn) not in {"writer", "unknown"}
        }


def checksum(lines: list[str]) -> str:
    """md5 of the lines sorted by byte value and joined with newlines (as `integrity` computes it in SQL)."""
    ordered = sorted(lines, key=lambda line: line.encode())
    return hashlib.md5("\n".join(ordered).encode(), usedforsecurity=False).hexdigest()
