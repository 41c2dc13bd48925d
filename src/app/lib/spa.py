"""Serving the single-page app's production build (`WEB_DIST_DIR`, `web/dist` by default).

The build is served from the app's 404 exception handler, not from a route. A catch-all route
(`/{path:path}`) would match every path, so an unknown `/api/...` path would no longer get the
router's 404 problem, nor a wrong method on it a 405; an ASGI layer in front of Litestar would have
to guess which paths the router knows, and would miss the security headers of the `before_send`
hook. Litestar raises `NotFoundException` exactly when no route matches, so the 404 handler sees
only the requests left over. It answers GET and HEAD outside `/api`, `/schema` and `/health`:

- a file of the build is sent with its content type: Vite's content-hashed `/assets/` cached for a
  year (`immutable`), `.html` files revalidated every time, anything else (`/favicon.svg`) for an hour;
- a path that looks like a page of the SPA (`/`, `/books/dune`: not under `/assets/`, no `.` in its
  last segment) gets `index.html` with `Cache-Control: no-cache`, and the SPA's router takes over;
  without a build, that is a 503 problem saying `make web` builds it (the API works regardless);
- a missing file (`/assets/old-1a2b.js`, `/robots.txt`) stays the 404 problem rather than an HTML
  page a script or stylesheet tag would choke on.

Every other request gets the problem details of `app.lib.errors`, as before. Files are looked up only
for paths made of plain names (no `.` or `..` segment, no hidden file, no backslash or NUL) that
resolve inside the build, so neither `..` in any encoding nor a symbolic link reaches outside it.
The handler sees no middleware: pages get no session lookup and no `csrftoken` cookie (the SPA's
first API call sets it).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar.exceptions import ServiceUnavailableException
from litestar.response import File

from app.lib.errors import problem_details_handler

if TYPE_CHECKING:
    from litestar import Litestar, Request, Response
    from litestar.response.file import ASGIFileResponse
    from litestar.types import ExceptionHandler

SERVER_PATHS = ("/api", "/schema", "/health")
ASSETS_DIR = "assets"
INDEX = "index.html"
NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=3600"
NOT_BUILT = "The web app is not built: run `make web`. The API under /api works without it."


def is_server_path(path: str) -> bool:
    """True for the paths the API owns (`/api`, `/schema`, `/health` and below); the SPA has the rest."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in SERVER_PATHS)


def _is_plain_name(segment: str) -> bool:
    return bool(segment) and not segment.startswith(".") and "\\" not in segment and "\x00" not in segment


def _is_page(path: str) -> bool:
    segments = path.strip("/").split("/")
    if segments[0] == ASSETS_DIR or "." in segments[-1]:
        return False
    return all(not segment or _is_plain_name(segment) for segment in segments)


def _find_file(dist_dir: Path, path: str) -> Path | None:
    segments = path.removeprefix("/").split("/")
    if not all(_is_plain_name(segment) for segment in segments):
        return None
    try:
        root = dist_dir.resolve()
        found = root.joinpath(*segments).resolve()
        return found if found.is_relative_to(root) and found.is_file() else None
    except (OSError, RuntimeError, ValueError):  # a name too long, a symlink loop
        return None


def _cache_control(dist_dir: Path, file: Path) -> str:
    if file.suffix == ".html":
        return NO_CACHE
    return IMMUTABLE if file.relative_to(dist_dir.resolve()).parts[0] == ASSETS_DIR else SHORT_CACHE


class _BuildFile(File):
    """`File`, with no body for HEAD: Litestar does not tell an exception handler's response the method.

    The content type is set as a header because Litestar leaves it out of HEAD responses.
    """

    def to_asgi_response(
        self, app: Litestar | None, request: Request[Any, Any, Any], **kwargs: Any
    ) -> ASGIFileResponse:
        kwargs["is_head_response"] = request.method == "HEAD"
        return super().to_asgi_response(app, request, **kwargs)


def _send(file: Path, cache_control: str) -> Response[Any]:
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if media_type.startswith("text/"):
        media_type += "; charset=utf-8"
    headers = {"cache-control": cache_control, "content-type": media_type}
    return _BuildFile(file, filename=file.name, content_disposition_type="inline", headers=headers)


def spa_not_found_handler(dist_dir: Path) -> ExceptionHandler:
    """The handler for 404s: the build's files and pages for GET and HEAD outside the API, else a problem."""

    def not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        path = request.scope["path"]
        if request.method not in {"GET", "HEAD"} or is_server_path(path):
            return problem_details_handler(request, exc)
        file = _find_file(dist_dir, path)
        if file is not None:
            return _send(file, _cache_control(dist_dir, file))
        if not _is_page(path):
            return problem_details_handler(request, exc)
        index = dist_dir / INDEX
        if not index.is_file():
            return problem_details_handler(request, ServiceUnavailableException(detail=NOT_BUILT))
        return _send(index, NO_CACHE)

    return not_found
