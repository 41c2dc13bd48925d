"""Valid, unique ISBN-13s.

The catalogue's books take the `978` prefix and import files the `979` prefix, so an import file
never names a book already loaded. Within `979`, the two digits after the prefix come from the
import file's seed: files made with different seeds (below 100 apart) never share an ISBN either.
"""

from __future__ import annotations

import random

CATALOGUE_PREFIX = "978"
IMPORT_PREFIX = "979"
_BODY_DIGITS = 9
_IMPORT_SERIES = 100
_IMPORT_SERIES_SIZE = 10 ** (_BODY_DIGITS - 2)


def check_digit(first12: str) -> str:
    """The ISBN-13 check digit: weights 1 and 3 alternate, the total is topped up to a multiple of 10."""
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(first12))
    return str(-total % 10)


def isbn13(prefix: str, body: int) -> str:
    first12 = f"{prefix}{body:0{_BODY_DIGITS}d}"
    return first12 + check_digit(first12)


def catalogue_isbns(rng: random.Random, count: int) -> list[str]:
    """`count` distinct ISBNs for the loaded catalogue, in random order."""
    return [isbn13(CATALOGUE_PREFIX, body) for body in rng.sample(range(10**_BODY_DIGITS), count)]


def import_isbns(rng: random.Random, count: int, seed: int) -> list[str]:
    """`count` distinct ISBNs for an import file made with `seed`; none is in the catalogue."""
    if count > _IMPORT_SERIES_SIZE:
        msg = f"an import file may have at most {_IMPORT_SERIES_SIZE} rows with distinct ISBNs"
        raise ValueError(msg)
    series = (seed % _IMPORT_SERIES) * _IMPORT_SERIES_SIZE
    return [isbn13(IMPORT_PREFIX, series + body) for body in rng.sample(range(_IMPORT_SERIES_SIZE), count)]
