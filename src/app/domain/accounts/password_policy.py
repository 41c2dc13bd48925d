"""Password policy: length, not a common password, not built from the email address. No composition rules.

Problems are human-readable sentences that start with the wire field name (`password ...`), because
the error handler takes a message's leading word as the name of the offending field.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_LOCAL_PART_LENGTH = 3
"""Shorter local parts are not checked: `jo@example.com` would otherwise forbid every password containing "jo"."""

COMMON_PASSWORDS_FILE = "common_passwords.txt"
_PACKAGE = __name__.rpartition(".")[0]


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords, lower-cased; read once, on first use."""
    text = resources.files(_PACKAGE).joinpath(COMMON_PASSWORDS_FILE).read_text(encoding="utf-8")
    return frozenset(
        stripped for line in text.splitlines() if (stripped := line.strip()) and not stripped.startswith("#")
    )


def _local_part(email: str) -> str:
    return email.rpartition("@")[0] if "@" in email else email


def password_problems(password: str, email: str, *, field: str = "password") -> list[str]:
    """Every reason `password` is refused for the account `email`; an empty list means it is acceptable.

    Lengths count characters (code points), not bytes. `field` is the wire name the messages start
    with (e.g. `newPassword` for a password change).
    """
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"{field} must be at least {MIN_LENGTH} characters")
    elif len(password) > MAX_LENGTH:
        problems.append(f"{field} must be at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if lowered in common_passwords():
        problems.append(f"{field} is too common; choose one that is harder to guess")
    local_part = _local_part(email.strip()).lower()
    if len(local_part) >= MIN_LOCAL_PART_LENGTH and local_part in lowered:
        problems.append(f"{field} must not contain the part of your email address before the @")
    return problems
