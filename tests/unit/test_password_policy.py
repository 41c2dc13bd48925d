"""Password policy: length limits, common passwords, the email's local part; no composition rules."""

from __future__ import annotations

import pytest

from app.domain.accounts.password_policy import (
    MAX_LENGTH,
    MIN_LENGTH,
    common_passwords,
    password_problems,
)

EMAIL = "reader@example.com"
GOOD = "correct horse battery staple"


def test_limits() -> None:
    assert MIN_LENGTH == 12
    assert MAX_LENGTH == 128


def test_a_long_uncommon_password_has_no_problems() -> None:
    assert password_problems(GOOD, EMAIL) == []


def test_no_composition_rules() -> None:
    assert password_problems("zzzzqqqqxxxxwwww", EMAIL) == []
    assert password_problems("ünïcödé päss wörd", EMAIL) == []


@pytest.mark.parametrize(
    ("length", "ok"),
    [(0, False), (1, False), (11, False), (12, True), (13, True), (127, True), (128, True), (129, False), (500, False)],
)
def test_length_boundaries(length: int, ok: bool) -> None:
    password = ("Tk9v" * 200)[:length]
    problems = password_problems(password, EMAIL)
    assert (problems == []) is ok
    if not ok:
        [problem] = problems
        bound = f"at least {MIN_LENGTH}" if length < MIN_LENGTH else f"at most {MAX_LENGTH}"
        assert problem == f"password must be {bound} characters"


def test_length_counts_characters_not_bytes() -> None:
    assert password_problems("é" * 12, EMAIL) == []
    assert password_problems("é" * 128, EMAIL) == []
    assert password_problems("é" * 129, EMAIL) == ["password must be at most 128 characters"]


@pytest.mark.parametrize("password", ["123qweasdzxc", "1qaz2wsx3edc", "qwerty123456", "leavemealone"])
def test_common_passwords_are_rejected(password: str) -> None:
    assert len(password) >= MIN_LENGTH
    assert password_problems(password, EMAIL) == ["password is too common; choose one that is harder to guess"]


@pytest.mark.parametrize("password", ["LeaveMeAlone", "LEAVEMEALONE", "QwErTy123456"])
def test_common_passwords_compare_case_insensitively(password: str) -> None:
    assert password_problems(password, EMAIL) == ["password is too common; choose one that is harder to guess"]


def test_a_short_common_password_reports_both_problems() -> None:
    problems = password_problems("password", EMAIL)
    assert problems == [
        "password must be at least 12 characters",
        "password is too common; choose one that is harder to guess",
    ]


def test_common_password_must_match_whole() -> None:
    assert password_problems("password-but-longer-and-mine", EMAIL) == []


@pytest.mark.parametrize(
    "password", ["reader-loves-books", "my READER pass 2024", "xxReaderxxxxxx", "the.reader.is.here"]
)
def test_the_email_local_part_is_rejected_case_insensitively(password: str) -> None:
    assert password_problems(password, EMAIL) == [
        "password must not contain the part of your email address before the @"
    ]


def test_local_part_rule_uses_the_whole_local_part_and_the_email_case() -> None:
    assert password_problems("Mary.Shelley-1818!", "Mary.Shelley@example.com") != []
    assert password_problems("mary-shelley-1818", "Mary.Shelley@example.com") == []
    assert password_problems("shelley frankenstein", "Mary.Shelley@example.com") == []


def test_the_domain_is_not_part_of_the_rule() -> None:
    assert password_problems("example.com is my favourite", EMAIL) == []


@pytest.mark.parametrize(("email", "password"), [("jo@x.io", "jolly good fellows"), ("a@b.co", "a perfectly fine one")])
def test_local_parts_shorter_than_three_characters_are_not_checked(email: str, password: str) -> None:
    assert password_problems(password, email) == []


def test_a_three_character_local_part_is_checked() -> None:
    assert password_problems("jolly good fellows", "jol@x.io") != []


def test_every_problem_starts_with_the_field_name() -> None:
    problems = password_problems("reader", "reader@example.com")
    assert len(problems) == 3
    assert all(problem.startswith("password ") for problem in problems)
    renamed = password_problems("reader", "reader@example.com", field="newPassword")
    assert all(problem.startswith("newPassword ") for problem in renamed)


def test_the_bundled_list() -> None:
    passwords = common_passwords()
    assert isinstance(passwords, frozenset)
    assert len(passwords) >= 10_000
    assert {"123456", "password", "qwerty", "dragon"} <= passwords
    assert all(entry == entry.lower() and entry.strip() == entry and entry for entry in passwords)
    assert not any(entry.startswith("#") for entry in passwords)
    assert common_passwords() is passwords, "loaded once"
