"""`app`: the Litestar CLI with Folio's app preset (`app run`, `app database ...`, `app workers ...`)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("LITESTAR_APP", "app.server.asgi:create_app")
    from litestar.cli.main import litestar_group

    from app.lib.settings import SettingsError, get_settings

    try:
        settings = get_settings()
    except SettingsError as exc:
        sys.stderr.write(f"Folio cannot start: {exc}\n")
        sys.exit(2)
    os.environ.setdefault("LITESTAR_HOST", settings.app.host)
    os.environ.setdefault("LITESTAR_PORT", str(settings.app.port))
    # `app run` (litestar-granian) reads these when `--wc` / `--workers-kill-timeout` are not given.
    os.environ.setdefault("LITESTAR_WEB_CONCURRENCY", str(settings.app.web_concurrency))
    os.environ.setdefault("GRANIAN_WORKERS_KILL_TIMEOUT", str(settings.app.shutdown_grace_period))
    if settings.app.log_format == "json":
        os.environ.setdefault("LITESTAR_QUIET_CONSOLE", "1")  # no plain-text banners among the JSON lines
    litestar_group()


if __name__ == "__main__":
    main()
