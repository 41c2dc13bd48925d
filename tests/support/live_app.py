"""A real `app run` server, with its in-process worker, on a database of its own."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import ManagedProcess, app_env, free_port, start_server, wait_for_http


@dataclass(frozen=True)
class LiveApp:
    url: str
    email_dir: Path
    data_dir: Path
    process: ManagedProcess


@contextmanager
def serve_live_app(database_url: str, root: Path, *, name: str = "live-server", **env: str) -> Iterator[LiveApp]:
    """Serve the app on `database_url` at a free port; mail lands in `root/emails`, logs in `root/logs`.

    `env` adds or overrides settings. The server must exit cleanly on SIGTERM when the block ends.
    """
    email_dir, data_dir, logs = root / "emails", root / "data", root / "logs"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "EMAIL_BACKEND": "file",
        "EMAIL_FILE_DIR": str(email_dir),
        "APP_URL": url,
        "SAQ_IN_PROCESS": "true",
        "LOG_LEVEL": "INFO",
        **env,
    }
    process, _ = start_server(app_env(**settings), logs, name=name, port=port)
    try:
        wait_for_http(url, process)
        yield LiveApp(url=url, email_dir=email_dir, data_dir=data_dir, process=process)
    finally:
        code, _ = process.stop()
        assert code in {0, -signal.SIGTERM}, process.output()
