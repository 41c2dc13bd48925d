"""Field normalisers used by request schemas' `__post_init__`; each raises `ValueError` with a message."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from app.db.models.limits import LONG_TEXT_MAX, NAME_MAX, PUBLISHED_YEAR_MIN

_ISBN_SEPARATORS = re.compile(r"[\s-]+")


def clean_name(value: str, field: str) -> str:
    """Trimmed text of 1 to NAME_MAX characters."""
    value = value.strip()
    if not value:
        msg = f"{field} must not be empty or blank"
        raise ValueError(msg)
    if len(value) > NAME_MAX:
        msg = f"{field} must be at most {NAME_MAX} characters"
        raise ValueError(msg)
    return value


def clean_long_text(value: str | None, field: str) -> str | None:
    if value is not None and len(value) > LONG_TEXT_MAX:
        msg = f"{field} must be at most {LONG_TEXT_MAX} characters"
        raise ValueError(msg)
    return value


def clean_text_without_nul(value: str, field: str) -> str:
    if "\x00" in value:
        msg = f"{field} must not contain NUL characters"
        raise ValueError(msg)
    return value


def _isbn10_is_valid(digits: str) -> bool:
    if not re.fullmatch(r"[0-9]{9}[0-9X]", digits):
        return False
    total = sum((10 - i) * (10 if ch == "X" else int(ch)) for i, ch in enumerate(digits))
    return total % 11 == 0


def _isbn13_check_digit(first12: str) -> str:
    total = sum(int(ch) * (1 if i % 2 == 0 else 3) for i, ch in enumerate(first12))
    return str((10 - total % 10) % 10)


def clean_isbn(value: str) -> str:
    """A valid ISBN-10 or ISBN-13 (hyphens and spaces allowed) as its 13 digits."""
    digits = _ISBN_SEPARATORS.sub("", value).upper()
    if len(digits) == 10:
        if not _isbn10_is_valid(digits):
            msg = "isbn is not a valid ISBN-10 (bad characters or checksum)"
            raise ValueError(msg)
        first12 = "978" + digits[:9]
        return first12 + _isbn13_check_digit(first12)
    if len(digits) == 13 and digits.isdigit():
        if _isbn13_check_digit(digits[:12]) != digits[12]:
            msg = "isbn is not a valid ISBN-13 (bad checksum)"
            raise ValueError(msg)
        return digits
    msg = "isbn must be an ISBN-10 or ISBN-13 (digits, optionally with hyphens or spaces)"
    raise ValueError(msg)


def latest_published_year() -> int:
    return datetime.now(UTC).year + 1


def clean_published_year(value: int) -> int:
    latest = latest_published_year()
    if not PUBLISHED_YEAR_MIN <= value <= latest:
        msg = f"publishedYear must be between {PUBLISHED_YEAR_MIN} and {latest}"
        raise ValueError(msg)
    return value


def clean_dob(value: date) -> date:
    if value > datetime.now(UTC).date():
        msg = "dob must not be in the future"
        raise ValueError(msg)
    return value


def clean_tag_name(value: str, field: str = "tags") -> str:
    """A tag name: trimmed, 1 to NAME_MAX characters, with letters or digits to make a slug from."""
    from app.lib.services import make_slug

    value = clean_name(clean_text_without_nul(value, field), field)
    if not make_slug(value, ""):
        msg = f"{field} must have at least one letter or digit in each tag name ({value!r} has none)"
        raise ValueError(msg)
    return value
