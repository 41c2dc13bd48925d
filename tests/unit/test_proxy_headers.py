"""Which client and scheme a request has: the peer's, or what a trusted proxy says in `X-Forwarded-*`."""

from __future__ import annotations

from typing import Any

import pytest

from app.lib.proxy_headers import apply_proxy_headers, client_address, parse_networks
from app.lib.settings import SettingsError

PROXIES = parse_networks(["10.0.0.0/8", "127.0.0.1", "::1"])


def scope(peer: str | None, *forwarded: str, proto: tuple[str, ...] = (), kind: str = "http") -> Any:
    return {
        "type": kind,
        "scheme": "ws" if kind == "websocket" else "http",
        "client": (peer, 50000) if peer else None,
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded]
        + [(b"x-forwarded-proto", value.encode()) for value in proto],
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


def test_a_trusted_proxy_sets_the_client_and_scheme_the_app_sees() -> None:
    request = scope("10.1.2.3", "198.51.100.1", proto=("https",))
    apply_proxy_headers(request, PROXIES)
    assert request["client"] == ("198.51.100.1", 0)
    assert request["scheme"] == "https"


def test_the_nearest_proxys_scheme_counts() -> None:
    request = scope("10.1.2.3", proto=("https, http",))
    apply_proxy_headers(request, PROXIES)
    assert request["scheme"] == "http"
    assert request["client"] == ("10.1.2.3", 50000), "no forwarded address: the peer stays as it is"


def test_an_untrusted_peer_changes_nothing() -> None:
    request = scope("203.0.113.9", "198.51.100.1", proto=("https",))
    apply_proxy_headers(request, PROXIES)
    assert request["client"] == ("203.0.113.9", 50000)
    assert request["scheme"] == "http"


def test_without_trusted_proxies_nothing_is_rewritten() -> None:
    request = scope("127.0.0.1", "198.51.100.1", proto=("https",))
    apply_proxy_headers(request, ())
    assert request["client"] == ("127.0.0.1", 50000)
    assert request["scheme"] == "http"


@pytest.mark.parametrize("proto", ["ftp", "", "javascript"])
def test_an_unknown_forwarded_scheme_is_ignored(proto: str) -> None:
    request = scope("127.0.0.1", proto=(proto,))
    apply_proxy_headers(request, PROXIES)
    assert request["scheme"] == "http"


def test_a_websocket_behind_a_tls_proxy_is_wss() -> None:
    request = scope("127.0.0.1", "198.51.100.1", proto=("https",), kind="websocket")
    apply_proxy_headers(request, PROXIES)
    assert request["scheme"] == "wss"
    assert request["client"] == ("198.51.100.1", 0)
