"""The rows of every table of a benchmark dataset, ready for `COPY`, and the `Dataset` describing them.

Everything but the ids, timestamps and credentials follows from the seed. Timestamps are spread
over the past, oldest first in each table (users, then tags and authors, then books over the
last two years), and each id is a UUIDv7 made from its row's `created_at`, so ordering by id or by
`createdAt` agrees, as it does for rows the app creates.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any
from uuid import UUID

from uuid_utils.compat import uuid7

from app.domain.accounts.services import API_TOKEN_PREFIX
from app.lib.crypt import new_token, token_digest

from . import catalogue
from .dataset import Dataset, DatasetUser
from .isbn import catalogue_isbns

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_NS = 86_400 * 10**9
_TAGS_PER_BOOK = (2, 3, 3, 3, 4)
_UPDATED_LATER = 0.2
_CREATOR_SHARE = 5
"""One user in this many created the catalogue."""
_AUTHOR_POPULARITY = 0.5
_TAG_POPULARITY = 0.7
TOKEN_NAME = "bench"


@dataclass(frozen=True)
class TableRows:
    table: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class DatasetRows:
    tables: tuple[TableRows, ...]
    """In an order that satisfies the foreign keys."""
    dataset: Dataset


class _Clock:
    """Creation times in a window of the past, as nanoseconds since the epoch, and what follows from them."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now_ns = (now - _EPOCH) // timedelta(microseconds=1) * 1000

    def moments(self, count: int, days_ago_from: float, days_ago_to: float) -> list[int]:
        start = self.now_ns - int(days_ago_from * _DAY_NS)
        span = int((days_ago_from - days_ago_to) * _DAY_NS)
        return sorted(start + self.rng.randrange(span) for _ in range(count))

    def later(self, moment: int, share: float) -> int:
        """`moment`, or with probability `share` a random time between it and now (an update)."""
        if self.rng.random() >= share:
            return moment
        return moment + self.rng.randrange(max(1, self.now_ns - moment))


def _at(moment: int) -> datetime:
    return _EPOCH + timedelta(microseconds=moment // 1000)


def _id(moment: int) -> UUID:
    return uuid7(nanoseconds=moment)


def _popularity(count: int, exponent: float) -> list[float]:
    """Cumulative weights giving item `i` a share proportional to 1 / (i + 1) ** exponent."""
    return list(accumulate(1 / (rank + 1) ** exponent for rank in range(count)))


def _distinct_picks(rng: random.Random, cumulative: Sequence[float], wanted: int) -> list[int]:
    wanted = min(wanted, len(cumulative))
    picked: list[int] = []
    while len(picked) < wanted:
        for index in rng.choices(range(len(cumulative)), cum_weights=cumulative, k=wanted - len(picked)):
            if index not in picked:
                picked.append(index)
    return picked


def build_rows(
    *, authors: int, books: int, tags: int, users: int, seed: int, password: str, password_hash: str, now: datetime
) -> DatasetRows:
    if books and not authors:
        msg = "books need at least one author"
        raise ValueError(msg)
    rng = random.Random(seed)
    clock = _Clock(random.Random(f"clock-{seed}"), now)

    user_times = clock.moments(users, 1100, 1000)
    user_ids = [_id(moment) for moment in user_times]
    user_names = catalogue.author_names(users, f"users-{seed}")
    tokens = [new_token(API_TOKEN_PREFIX) for _ in range(users)]
    emails = [f"user{number}@bench.example" for number in range(1, users + 1)]
    user_rows = [
        (user_id, email, name, password_hash, True, False, True, _at(moment), _at(moment))
        for user_id, email, name, moment in zip(user_ids, emails, user_names, user_times, strict=True)
    ]
    token_rows = []
    for user_id, token, moment in zip(user_ids, tokens, user_times, strict=True):
        issued = moment + rng.randrange(1, 30 * _DAY_NS)
        token_rows.append((_id(issued), user_id, TOKEN_NAME, token_digest(token), _at(issued), _at(issued)))
    creators = user_ids[: max(1, users // _CREATOR_SHARE)] if users else [None]

    names = catalogue.tag_names(tags)
    tag_slugs = catalogue.unique_slugs(rng, names, "tag")
    tag_times = clock.moments(tags, 1000, 950)
    tag_ids = [_id(moment) for moment in tag_times]
    tag_rows = [
        (tag_id, name, slug, _at(moment), _at(moment))
        for tag_id, name, slug, moment in zip(tag_ids, names, tag_slugs, tag_times, strict=True)
    ]

    author_names = catalogue.author_names(authors, seed)
    author_slugs = catalogue.unique_slugs(rng, author_names, "author")
    author_times = clock.moments(authors, 1000, 700)
    author_ids = [_id(moment) for moment in author_times]
    author_rows = [
        (
            author_id,
            name,
            slug,
            catalogue.bio(rng, name),
            catalogue.date_of_birth(rng),
            rng.choice(creators),
            _at(moment),
            _at(clock.later(moment, _UPDATED_LATER)),
        )
        for author_id, name, slug, moment in zip(author_ids, author_names, author_slugs, author_times, strict=True)
    ]

    titles = catalogue.book_titles(rng, books)
    book_slugs = catalogue.unique_slugs(rng, titles, "book")
    isbns = catalogue_isbns(rng, books)
    book_times = clock.moments(books, 700, 1 / 24)
    book_ids = [_id(moment) for moment in book_times]
    by_popularity = rng.sample(author_ids, len(author_ids))
    book_authors = rng.choices(by_popularity, cum_weights=_popularity(authors, _AUTHOR_POPULARITY), k=books)
    book_rows = [
        (
            book_id,
            title,
            slug,
            isbn,
            catalogue.published_year(rng, now.year),
            catalogue.description(rng),
            author_id,
            rng.choice(creators),
            _at(moment),
            _at(clock.later(moment, _UPDATED_LATER)),
        )
        for book_id, title, slug, isbn, author_id, moment in zip(
            book_ids, titles, book_slugs, isbns, book_authors, book_times, strict=True
        )
    ]
    tag_weights = _popularity(tags, _TAG_POPULARITY)
    link_rows = (
        [
            (book_id, tag_ids[index])
            for book_id in book_ids
            for index in _distinct_picks(rng, tag_weights, rng.choice(_TAGS_PER_BOOK))
        ]
        if tags
        else []
    )

    tables = (
        TableRows(
            "user_account",
            (
                "id",
                "email",
                "name",
                "hashed_password",
                "is_active",
                "is_superuser",
                "is_verified",
                "created_at",
                "updated_at",
            ),
            user_rows,
        ),
        TableRows("api_token", ("id", "user_id", "name", "token_hash", "created_at", "updated_at"), token_rows),
        TableRows("tag", ("id", "name", "slug", "created_at", "updated_at"), tag_rows),
        TableRows(
            "author", ("id", "name", "slug", "bio", "dob", "created_by", "created_at", "updated_at"), author_rows
        ),
        TableRows(
            "book",
            (
                "id",
                "title",
                "slug",
                "isbn",
                "published_year",
                "description",
                "author_id",
                "created_by",
                "created_at",
                "updated_at",
            ),
            book_rows,
        ),
        TableRows("book_tag", ("book_id", "tag_id"), link_rows),
    )
    dataset = Dataset(
        seed=seed,
        password=password,
        users=tuple(
            DatasetUser(id=str(user_id), email=email, name=name, token=token)
            for user_id, email, name, token in zip(user_ids, emails, user_names, tokens, strict=True)
        ),
        author_ids=tuple(map(str, author_ids)),
        author_names=tuple(author_names),
        book_ids=tuple(map(str, book_ids)),
        book_slugs=tuple(book_slugs),
        tag_names=tuple(names),
        tag_slugs=tuple(tag_slugs),
        book_tag_links=len(link_rows),
    )
    return DatasetRows(tables, dataset)
