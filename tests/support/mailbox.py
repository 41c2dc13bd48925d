"""The links in the emails the app wrote through its `file` backend, as a person would click them."""

from __future__ import annotations

import email
import email.policy
import re
import time
from pathlib import Path


def wait_for_link(email_dir: Path, address: str, page: str, *, after: int = 0, timeout: float = 20.0) -> str:
    """The `…/{page}?token=…` link of the newest message to `address` beyond the first `after` ones."""
    deadline = time.monotonic() + timeout
    while True:
        messages = [
            message
            for path in sorted(email_dir.glob("*.eml"))
            if (message := email.message_from_bytes(path.read_bytes(), policy=email.policy.default))["To"] == address
        ]
        for message in reversed(messages[after:]):
            body = message.get_body(preferencelist=("plain",))
            found = re.search(rf"https?://\S+/{re.escape(page)}\?token=[\w\-]+", body.get_content() if body else "")
            if found:
                return found.group(0)
        if time.monotonic() > deadline:
            msg = f"no {page} link mailed to {address} within {timeout}s ({len(messages)} messages)"
            raise AssertionError(msg)
        time.sleep(0.2)


def message_count(email_dir: Path, address: str) -> int:
    return sum(
        1
        for path in sorted(email_dir.glob("*.eml"))
        if email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["To"] == address
    )
