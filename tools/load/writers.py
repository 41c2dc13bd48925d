"""Writers: authors and books with tags created, read back on the other process, updated and deleted.

A writer works through an API token (`bearer`) or a browser session with its CSRF token (`session`);
it changes only what it created, so the last answer about each record is its state. Session writers
also send the odd create without the CSRF token (403, and nothing may be written), and sign out and
in again, checking the old session is gone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

from app.lib.services import make_slug
from data.dataset import DatasetUser
from load.client import Client
from load.context import RunContext
from load.ledger import AuthorState, BookState, Uncertain
from load.logins import check_session_gone, sign_in, sign_out

NEW_TAGS = tuple(f"Load Shelf {number}" for number in range(1, 13))
"""New tags every writer may name at the same moment: each must end up as one row."""
CONTENDED_SHARE = 0.5
"""How often a writer with an import's ISBN at hand creates a book with it."""


@dataclass
class Writer:
    context: RunContext
    client: Client
    rng: random.Random
    mode: str
    """"bearer" or "session": part of every request kind, so the two are reported apart."""
    user: DatasetUser
    authors: dict[str, int] = field(default_factory=dict)
    """This writer's authors and how many live books each has."""
    books: dict[str, str] = field(default_factory=dict)
    """This writer's live books and their author."""
    keep: set[str] = field(default_factory=set)
    """Books holding an import's ISBN: never deleted, or the import could write that row after all."""
    signed_out: bool = False
    """A session writer whose sign-in got no answer: it signs in again before anything else."""

    @property
    def csrf(self) -> bool:
        return self.mode == "session"

    def kind(self, action: str) -> str:
        return f"{action}:{self.mode}"

    async def step(self) -> None:
        if self.signed_out:
            await self.sign_in()
            return
        roll = self.rng.random()
        if not self.authors or roll < 0.10:
            await self.create_author()
        elif roll < 0.50 or not self.books:
            await self.create_book()
        elif roll < 0.72:
            await self.update_book()
        elif roll < 0.82:
            await self.delete_book()
        elif roll < 0.86:
            await self.update_author()
        elif roll < 0.90:
            await self.delete_author()
        elif roll < 0.95:
            await self.read_own_list()
        elif self.mode == "session" and roll < 0.975:
            await self.create_without_csrf()
        elif self.mode == "session":
            await self.sign_in_again()
        else:
            await self.create_book()

    async def create_author(self) -> None:
        number = self.context.new_number()
        body: dict[str, Any] = {"name": f"Load Author {number}", "bio": f"Written by the load test ({number})."}
        response = await self.client.call(
            self.kind("create_author"), "POST", "/api/authors", expect={201}, csrf=self.csrf, json=body
        )
        if response is None:
            state = AuthorState("", body["name"], body["bio"])
            self._uncertain_author(f"create of author {body['name']}", "name", body["name"], [state], absent=True)
            return
        if response.status_code != 201:
            return
        author = response.json()
        if author["name"] != body["name"] or author["bio"] != body["bio"]:
            self.context.metrics.wrong(self.kind("create_author"), f"sent {body}, answered {author}")
        self.authors[author["id"]] = 0
        self.context.ledger.authors[author["id"]] = AuthorState(author["id"], author["name"], author["bio"])

    def _uncertain_book(self, what: str, by: str, key: str, states: list[BookState], *, absent: bool) -> None:
        """A book write without an answer; the writer no longer relies on its author's book count or list."""
        contents = frozenset(state.content() for state in states)
        self.context.ledger.uncertain.append(Uncertain(what, "book", by, key, contents, absent))
        for state in states:
            self.authors.pop(state.author_id, None)

    def _uncertain_author(self, what: str, by: str, key: str, states: list[AuthorState], *, absent: bool) -> None:
        contents = frozenset(state.content() for state in states)
        self.context.ledger.uncertain.append(Uncertain(what, "author", by, key, contents, absent))
        self.authors.pop(key, None)

    def _tags(self) -> list[str]:
        names = self.rng.sample(self.context.dataset.tag_names, self.rng.randint(0, 3))
        if self.rng.random() < 0.3:
            names.append(self.rng.choice(NEW_TAGS))
        return names

    @staticmethod
    def _slugs(tags: list[str]) -> tuple[str, ...]:
        return tuple(sorted({make_slug(name, "") for name in tags}))

    def _check(self, action: str, sent: dict[str, Any], body: dict[str, Any]) -> None:
        """The answer must describe the book as it was sent."""
        state = BookState.from_json(body)
        expected_tags = self._slugs(sent.get("tags", []))
        problems = []
        if "title" in sent and state.title != sent["title"]:
            problems.append(f"title {state.title!r} != {sent['title']!r}")
        if "isbn" in sent and state.isbn != sent["isbn"]:
            problems.append(f"isbn {state.isbn!r} != {sent['isbn']!r}")
        if "authorId" in sent and state.author_id != sent["authorId"]:
            problems.append(f"author {state.author_id} != {sent['authorId']}")
        if "tags" in sent and state.tag_slugs != expected_tags:
            problems.append(f"tags {state.tag_slugs} != {expected_tags}")
        if problems:
            self.context.metrics.wrong(self.kind(action), f"book {state.id}: {'; '.join(problems)}")

    async def create_book(self) -> None:
        context = self.context
        number = context.new_number()
        own = self.authors and self.rng.random() < 0.6
        author_id = self.rng.choice(list(self.authors)) if own else self.rng.choice(context.dataset.author_ids)
        contended = context.contended_isbns.popleft() if context.contended_isbns else None
        if contended is not None and self.rng.random() >= CONTENDED_SHARE:
            contended = None
        isbn = contended or (context.new_isbn() if self.rng.random() < 0.9 else None)
        body: dict[str, Any] = {
            "title": f"Load Book {number} {self.rng.choice(('River', 'Night', 'Garden', 'Winter', 'Map'))}",
            "authorId": author_id,
            "isbn": isbn,
            "publishedYear": self.rng.randint(1900, 2024),
            "tags": self._tags(),
        }
        if self.rng.random() < 0.5:
            body["description"] = f"A book the load test wrote ({number})."
        expect = {201, 409} if contended else {201}
        response = await self.client.call(
            self.kind("create_book"), "POST", "/api/books", expect=expect, csrf=self.csrf, json=body
        )
        if response is None:
            sent = BookState("", body["title"], isbn, author_id, self._slugs(body["tags"]))
            self._uncertain_book(f"create of book {body['title']}", "title", body["title"], [sent], absent=True)
            if contended:
                context.ledger.contended[contended] = "unknown"
                context.ledger.contended_titles[contended] = body["title"]
            return
        if contended and response.status_code in {201, 409}:
            context.ledger.contended[contended] = "writer" if response.status_code == 201 else "import"
        if response.status_code != 201:
            return
        created = response.json()
        self._check("create_book", body, created)
        state = BookState.from_json(created)
        context.ledger.created_book(state)
        self.books[state.id] = author_id
        if author_id in self.authors:
            self.authors[author_id] += 1
        if contended:
            self.keep.add(state.id)
        await self.read_back(state)

    async def read_back(self, state: BookState) -> None:
        """Read a fresh write through the next process: it must be there, exactly as answered."""
        response = await self.client.call(self.kind("read_own_write"), "GET", f"/api/books/{state.id}", expect={200})
        if response is not None and response.status_code == 200 and BookState.from_json(response.json()) != state:
            self.context.metrics.wrong(self.kind("read_own_write"), f"wrote {state}, read {response.json()}")

    async def update_book(self) -> None:
        book_id = self.rng.choice(list(self.books))
        body: dict[str, Any] = {"title": f"Load Book {self.context.new_number()} revised"}
        if self.rng.random() < 0.7:
            body["tags"] = self._tags()
        if self.rng.random() < 0.3:
            body["publishedYear"] = self.rng.randint(1800, 2024)
        response = await self.client.call(
            self.kind("update_book"), "PATCH", f"/api/books/{book_id}", expect={200}, csrf=self.csrf, json=body
        )
        if response is None:
            before = self.context.ledger.books.pop(book_id)
            after = replace(before, title=body["title"])
            if "tags" in body:
                after = replace(after, tag_slugs=self._slugs(body["tags"]))
            self._uncertain_book(f"update of book {book_id}", "id", book_id, [before, after], absent=False)
            self.books.pop(book_id, None)
            return
        if response.status_code == 200:
            self._check("update_book", body, response.json())
            self.context.ledger.created_book(BookState.from_json(response.json()))

    async def delete_book(self) -> None:
        candidates = [book_id for book_id in self.books if book_id not in self.keep]
        if not candidates:
            return
        book_id = self.rng.choice(candidates)
        response = await self.client.call(
            self.kind("delete_book"), "DELETE", f"/api/books/{book_id}", expect={204}, csrf=self.csrf
        )
        author_id = self.books.pop(book_id)
        if response is None:
            before = self.context.ledger.books.pop(book_id)
            self._uncertain_book(f"delete of book {book_id}", "id", book_id, [before], absent=True)
            return
        if response.status_code != 204:
            self.books[book_id] = author_id
            return
        self.context.ledger.deleted_book(book_id)
        if author_id in self.authors:
            self.authors[author_id] -= 1
        await self.client.call(self.kind("read_deleted"), "GET", f"/api/books/{book_id}", expect={404})

    async def update_author(self) -> None:
        author_id = self.rng.choice(list(self.authors))
        body = {"bio": f"Revised by the load test ({self.context.new_number()})."}
        response = await self.client.call(
            self.kind("update_author"), "PATCH", f"/api/authors/{author_id}", expect={200}, csrf=self.csrf, json=body
        )
        if response is None:
            before = self.context.ledger.authors.pop(author_id)
            after = replace(before, bio=body["bio"])
            self._uncertain_author(f"update of author {author_id}", "id", author_id, [before, after], absent=False)
            return
        if response.status_code == 200:
            author = response.json()
            self.context.ledger.authors[author_id] = AuthorState(author["id"], author["name"], author["bio"])

    async def delete_author(self) -> None:
        """An author without books goes (204); one with books stays (409)."""
        author_id = self.rng.choice(list(self.authors))
        in_use = self.authors[author_id] > 0
        action = "delete_author_in_use" if in_use else "delete_author"
        response = await self.client.call(
            self.kind(action), "DELETE", f"/api/authors/{author_id}", expect={409} if in_use else {204}, csrf=self.csrf
        )
        if response is None:
            before = self.context.ledger.authors.pop(author_id)
            self._uncertain_author(f"delete of author {author_id}", "id", author_id, [before], absent=True)
            return
        if response.status_code == 204:
            self.authors.pop(author_id)
            self.context.ledger.deleted_author(author_id)

    async def read_own_list(self) -> None:
        """The books of one of this writer's authors, listed: exactly the live ones it created."""
        author_id = self.rng.choice(list(self.authors))
        params = {"authorId": author_id, "pageSize": 100}
        response = await self.client.call(self.kind("list_own"), "GET", "/api/books", expect={200}, params=params)
        if response is None or response.status_code != 200:
            return
        listed = {item["id"] for item in response.json()["items"]}
        expected = {book_id for book_id, author in self.books.items() if author == author_id}
        if listed != expected and self.authors[author_id] <= 100:
            self.context.metrics.wrong(
                self.kind("list_own"), f"author {author_id}: listed {sorted(listed)}, expected {sorted(expected)}"
            )

    async def create_without_csrf(self) -> None:
        title = f"Load Refused {self.context.new_number()}"
        body = {"title": title, "authorId": self.rng.choice(self.context.dataset.author_ids)}
        response = await self.client.call("create_without_csrf", "POST", "/api/books", expect={403}, json=body)
        if response is not None:
            self.context.ledger.refused_titles.append(title)

    async def sign_in(self) -> None:
        response = await sign_in(self.client, self.user.email, self.context.dataset.password)
        self.signed_out = response is None or response.status_code != 200

    async def sign_in_again(self) -> None:
        session = await sign_out(self.client, kind="logout")
        if session is not None:
            await check_session_gone(self.context, session)
        await self.sign_in()


async def writer(context: RunContext, number: int, mode: str, user: DatasetUser) -> None:
    rng = context.rng(f"writer-{mode}", number)
    client = Client(context.servers, context.metrics, token=user.token if mode == "bearer" else None, offset=number)
    try:
        writer = Writer(context, client, rng, mode, user)
        if mode == "session":
            await writer.sign_in()
        while context.running():
            await writer.step()
    finally:
        await client.close()
