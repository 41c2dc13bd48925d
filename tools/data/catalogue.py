"""Deterministic text for a catalogue: author names, titles, tag names, descriptions, bios, dates.

Every function takes its randomness from the `random.Random` it is given (or seeds its own), so a
seed always yields the same catalogue. Slugs are made by the app's own `make_slug`, with a clash
suffix in the app's format, so they are the slugs the app would have given.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from datetime import date

from app.lib.services import make_slug

from .vocabulary import (
    DESCRIPTION_CLOSINGS,
    DESCRIPTION_MIDDLES,
    DESCRIPTION_OPENINGS,
    FIRST_NAMES,
    LAST_NAMES,
    MIDDLE_INITIALS,
    PLACES,
    PROFESSIONS,
    TAG_NAMES,
    TITLE_ADJECTIVES,
    TITLE_NOUNS,
)

_TITLE_PATTERNS = (
    "The {adjective} {noun}",
    "The {noun} of {place}",
    "The {adjective} {noun} of {place}",
    "{noun} and {other_noun}",
    "The {noun}'s {other_noun}",
    "{first}'s {noun}",
    "A {noun} in {place}",
    "Under the {adjective} {noun}",
    "Notes on the {adjective} {noun}",
)
_TITLE_ATTEMPTS = 4
_NO_DESCRIPTION = 0.15
_NO_PUBLISHED_YEAR = 0.03
_WITH_BIO = 0.5
_WITH_DOB = 0.6
_WITH_MIDDLE_INITIAL = 0.15
_SLUG_SUFFIX_BYTES = 3
_A_BEFORE_VOWEL = re.compile(r"\b([Aa]) (?=[AEIOUaeiou])")


def author_names(count: int, seed: int | str, *, exclude: Iterable[str] = ()) -> list[str]:
    """`count` distinct names (case-insensitively), none of them in `exclude`.

    The first `n` names for a seed are the same whatever `count` is, so a longer list continues a
    shorter one: `author_names(1200, s)[1000:]` are names that `author_names(1000, s)` does not have.
    """
    capacity = len(FIRST_NAMES) * len(LAST_NAMES) * (1 + len(MIDDLE_INITIALS))
    if count > capacity // 2:
        msg = f"at most {capacity // 2} distinct author names can be generated"
        raise ValueError(msg)
    rng = random.Random(f"authors-{seed}")
    seen = {name.lower() for name in exclude}
    names: list[str] = []
    while len(names) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if rng.random() < _WITH_MIDDLE_INITIAL:
            name = f"{first} {rng.choice(MIDDLE_INITIALS)}. {last}"
        else:
            name = f"{first} {last}"
        if name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


def tag_names(count: int) -> list[str]:
    """The first `count` tag names; past the vocabulary they repeat with a number ("Fiction 2")."""
    size = len(TAG_NAMES)
    return [
        TAG_NAMES[index] if index < size else f"{TAG_NAMES[index % size]} {index // size + 1}" for index in range(count)
    ]


def _two(rng: random.Random, words: tuple[str, ...]) -> tuple[str, str]:
    """Two different words (`random.sample` does the same, several times slower)."""
    first = rng.randrange(len(words))
    return words[first], words[(first + 1 + rng.randrange(len(words) - 1)) % len(words)]


def _articled(text: str) -> str:
    """`A` made `An` before a vowel ("An Engine in Lisbon")."""
    return _A_BEFORE_VOWEL.sub(r"\1n ", text)


def _title(rng: random.Random) -> str:
    noun, other_noun = _two(rng, TITLE_NOUNS)
    title = rng.choice(_TITLE_PATTERNS).format(
        adjective=rng.choice(TITLE_ADJECTIVES),
        noun=noun,
        other_noun=other_noun,
        place=rng.choice(PLACES),
        first=rng.choice(FIRST_NAMES),
    )
    return _articled(title)


def book_titles(rng: random.Random, count: int) -> list[str]:
    """Titles, nearly all distinct: a title already drawn is redrawn a few times, then kept (real
    catalogues have the odd repeated title, and the slug of the second one gets a suffix)."""
    seen: set[str] = set()
    titles: list[str] = []
    for _ in range(count):
        title = _title(rng)
        for _ in range(_TITLE_ATTEMPTS):
            if title.lower() not in seen:
                break
            title = _title(rng)
        seen.add(title.lower())
        titles.append(title)
    return titles


def unique_slugs(rng: random.Random, values: Iterable[str], fallback: str) -> list[str]:
    """The app's slug of each value; a repeat gets the app's kind of suffix (`-` and 6 hex digits)."""
    taken: set[str] = set()
    slugs: list[str] = []
    for value in values:
        base = make_slug(value, fallback)
        slug = base
        while slug in taken:
            slug = f"{base}-{rng.randbytes(_SLUG_SUFFIX_BYTES).hex()}"
        taken.add(slug)
        slugs.append(slug)
    return slugs


def description(rng: random.Random) -> str | None:
    """A blurb of two to four sentences, or None for some books."""
    if rng.random() < _NO_DESCRIPTION:
        return None
    place, other_place = _two(rng, PLACES)
    words = {
        "adjective": rng.choice(TITLE_ADJECTIVES).lower(),
        "subject": f"the {rng.choice(TITLE_NOUNS).lower()}",
        "place": place,
        "other_place": other_place,
        "person": rng.choice(FIRST_NAMES),
    }
    sentences = [rng.choice(DESCRIPTION_OPENINGS)]
    sentences += _two(rng, DESCRIPTION_MIDDLES)[: rng.randrange(3)]
    sentences.append(rng.choice(DESCRIPTION_CLOSINGS))
    text = _articled(" ".join(sentence for sentence in sentences if sentence).format(**words))
    return text[0].upper() + text[1:]


def published_year(rng: random.Random, latest: int) -> int | None:
    """Mostly recent years, some older, a few ancient (negative years are BCE); None for a few."""
    roll = rng.random()
    if roll < _NO_PUBLISHED_YEAR:
        return None
    if roll < 0.04:
        return rng.randint(-800, 1500)
    if roll < 0.25:
        return rng.randint(1800, 1949)
    if roll < 0.55:
        return rng.randint(1950, 1999)
    return rng.randint(2000, latest)


def bio(rng: random.Random, name: str) -> str | None:
    if rng.random() >= _WITH_BIO:
        return None
    place, other_place = _two(rng, PLACES)
    return (
        f"{name} is a {rng.choice(PROFESSIONS)} born in {place}. "
        f"After years in {other_place}, {name.split()[0]} now writes about the {rng.choice(TITLE_NOUNS).lower()} "
        f"and the {rng.choice(TITLE_NOUNS).lower()}."
    )


def date_of_birth(rng: random.Random) -> date | None:
    if rng.random() >= _WITH_DOB:
        return None
    return date(rng.randint(1900, 1995), rng.randint(1, 12), rng.randint(1, 28))
