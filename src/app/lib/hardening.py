"""Hardening: security headers on every response, CORS for listed origins only, allowed hosts.

Security headers are added by a `before_send` hook rather than a middleware: Litestar runs app
middleware only for requests that match a route, while `before_send` hooks see every response the
app sends (404s for unknown paths, CORS preflights, the allowed-hosts 400, errors raised by
middleware).

- `X-Content-Type-Options: nosniff`, `Referrer-Policy: strict-origin-when-cross-origin` and
  `X-Frame-Options: DENY` everywhere.
- `Content-Security-Policy`: the API only ever answers JSON, so `default-src 'none'` forbids
  everything a browser could be tricked into running from a response. The interactive docs under
  `/schema` are an HTML page whose script (Scalar) and styles come from a CDN, with inline styles;
  there the policy only forbids framing, plugins and `<base>` rewriting (the page is Litestar's
  fixed template, with no user data in it). Every path outside `/api`, `/schema` and `/health`
  belongs to the single-page app (`app.lib.spa`): its page, scripts, styles, fonts and API calls
  come from the app's own origin only, images may also be `data:` and `blob:` URLs (cover previews),
  and nothing inline runs.
- `Strict-Transport-Security` only with `APP_ENV=production` (dev serves plain HTTP).
- `Cache-Control: no-store` on `/api` responses to an authenticated request (`scope["user"]` set)
  and on every `/api/auth/*` response (they start sessions and carry user data), unless the
  handler set its own `Cache-Control`.
- CORS responses to an `Origin` that is not granted carry no `Access-Control-*` header at all
  (Litestar adds `Access-Control-Allow-Credentials` and the allowed methods to every response).

CORS is configured only when `ALLOWED_ORIGINS` lists origins, always with credentials and the
exact origins (settings refuse `*`). Allowed hosts come from `ALLOWED_HOSTS`; an entry without a
port also matches with the port the app listens on (`PORT`), which is what a browser sends when it
talks to `app run` directly. `/health` and `/health/live` are exempt so that probes addressing the pod or
container by IP keep working.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.cors import CORSConfig
from litestar.enums import ScopeType

from app.lib.spa import is_server_path

if TYPE_CHECKING:
    from litestar.types import BeforeMessageSendHookHandler, Message, Scope

    from app.lib.settings import Settings

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
WEB_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
DOCS_PATH = "/schema"

_ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}
_CORS_HEADERS = frozenset(
    {
        b"access-control-allow-credentials",
        b"access-control-allow-headers",
        b"access-control-allow-methods",
        b"access-control-expose-headers",
    }
)
CORS_ALLOWED_HEADERS = ["Content-Type", "Authorization", "X-CSRFToken", "X-Request-ID"]
CORS_EXPOSED_HEADERS = ["Location", "Retry-After", "X-Request-ID"]
_HAS_PORT = re.compile(r":\d+$")


def cors_config(settings: Settings) -> CORSConfig | None:
    """CORS with credentials for exactly the `ALLOWED_ORIGINS`; None (no CORS at all) when there are none."""
    origins = [origin.rstrip("/") for origin in settings.auth.allowed_origins]
    if not origins:
        return None
    return CORSConfig(
        allow_origins=origins,
        allow_credentials=True,
        allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=CORS_ALLOWED_HEADERS,
        expose_headers=CORS_EXPOSED_HEADERS,
    )


def allowed_hosts_config(settings: Settings) -> AllowedHostsConfig | None:
    """The `Host` headers the app answers (400 for any other); None when `ALLOWED_HOSTS` is `*`."""
    hosts = list(settings.auth.allowed_hosts)
    if not hosts or "*" in hosts:
        return None
    with_port = [f"{host}:{settings.app.port}" for host in hosts if not _HAS_PORT.search(host)]
    return AllowedHostsConfig(
        allowed_hosts=list(dict.fromkeys([*hosts, *with_port])), exclude=["^/health(/live)?$"], www_redirect=False
    )


def _content_security_policy(path: str, content_type: str) -> str:
    if not is_server_path(path):
        return WEB_CSP
    under_docs = path == DOCS_PATH or path.startswith(DOCS_PATH + "/")
    return DOCS_CSP if under_docs and content_type.startswith("text/html") else API_CSP


def _needs_no_store(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    if path.startswith("/api/auth/"):
        return True
    return (path == "/api" or path.startswith("/api/")) and scope.get("user") is not None


def security_headers_hook(*, production: bool) -> BeforeMessageSendHookHandler:
    """The `before_send` hook adding the headers above (HSTS only when `production`).

    The response's headers are read once: every response goes through here, so no header is looked
    up by scanning the list again.
    """
    always = [(name.encode(), value.encode()) for name, value in _ALWAYS.items()]
    if production:
        always.append((b"strict-transport-security", HSTS.encode()))

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope["type"] != ScopeType.HTTP:
            return
        headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
        present = {bytes(name).lower(): bytes(value) for name, value in headers}
        if b"access-control-allow-origin" not in present and not _CORS_HEADERS.isdisjoint(present):
            headers = [(name, value) for name, value in headers if bytes(name).lower() not in _CORS_HEADERS]
        headers += [(name, value) for name, value in always if name not in present]
        if b"content-security-policy" not in present:
            content_type = present.get(b"content-type", b"").decode("latin-1")
            headers.append((b"content-security-policy", _content_security_policy(scope["path"], content_type).encode()))
        if b"cache-control" not in present and _needs_no_store(scope):
            headers.append((b"cache-control", b"no-store"))
        message["headers"] = headers

    return add_security_headers
