"""Which address a request is counted against: the peer, or `X-Forwarded-For` behind a trusted proxy."""

from __future__ import annotations

from typing import Any

import pytest

from app.lib.auth_rate_limit import client_address, parse_networks
from app.lib.settings import SettingsError

PROXIES = parse_networks(["10.0.0.0/8", "127.0.0.1", "::1"])


def scope(peer: str | None, *forwarded: str) -> Any:
    return {
        "type": "http",
        "client": (peer, 50000) if peer else None,
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
    }


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_address(scope("203.0.113.9", "198.51.100.1"), ()) == "203.0.113.9"


def test_an_untrusted_peer_cannot_choose_its_address() -> None:
    assert client_address(scope("203.0.113.9", "198.51.100.1"), PROXIES) == "203.0.113.9"


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("127.0.0.1", ["198.51.100.1"], "198.51.100.1"),
        ("10.1.2.3", ["198.51.100.1, 10.0.0.5"], "198.51.100.1"),
        # A client may send its own X-Forwarded-For; only the entry the trusted proxy appended counts.
        ("10.1.2.3", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),
        ("10.1.2.3", ["6.6.6.6", "198.51.100.1"], "198.51.100.1"),
        ("::1", ["2001:db8::1"], "2001:db8::1"),
        ("127.0.0.1", [], "127.0.0.1"),
        ("127.0.0.1", ["10.0.0.7"], "10.0.0.7"),
        ("127.0.0.1", ["not-an-address"], "127.0.0.1"),
        ("127.0.0.1", ["6.6.6.6, junk, 10.0.0.7"], "10.0.0.7"),
    ],
)
def test_behind_a_trusted_proxy_the_nearest_untrusted_address_counts(
    peer: str, forwarded: list[str], expected: str
) -> None:
    assert client_address(scope(peer, *forwarded), PROXIES) == expected


def test_no_peer_address() -> None:
    assert client_address(scope(None), PROXIES) == "unknown"


def test_a_bad_trusted_proxy_entry_is_refused() -> None:
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        parse_networks(["10.0.0.0/8", "proxy.internal"])
