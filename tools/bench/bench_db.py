# mypy: disallow-untyped-calls=False
"""The benchmark's own database: created fresh, migrated, loaded with the `tools/data` dataset.

With `DATABASE_URL` set, the database `folio_bench` is (re)created on that server; otherwise on
the embedded PostgreSQL of the benchmark's data directory (`.data-bench` by default), which this
process holds open (and so keeps running) until it exits.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bench.children import PROJECT_ROOT, run_module, tools_env
from bench.loadgen import CREATED_ISBN_PREFIX
from bench.servers import VENV_BIN, process_tree_cpu
from data.dataset import Dataset

DATABASE_NAME = "folio_bench"


@dataclass(frozen=True)
class BenchDatabase:
    url: str
    """SQLAlchemy form (`postgresql+asyncpg://`), as Folio's `DATABASE_URL` takes it."""
    postmaster_pid: int | None
    """The embedded server's main process, to measure PostgreSQL's CPU time; None for `DATABASE_URL`."""

    @property
    def dsn(self) -> str:
        """libpq form, for asyncpg."""
        return make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)

    def cpu_seconds(self) -> float:
        """CPU time of the PostgreSQL server and its backends so far (0 when not ours to watch)."""
        return 0.0 if self.postmaster_pid is None else process_tree_cpu(self.postmaster_pid)

    @property
    def watches_cpu(self) -> bool:
        return self.postmaster_pid is not None


async def _recreate(admin_dsn: str, name: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def create_database(data_dir: Path, name: str = DATABASE_NAME, server_url: str = "") -> BenchDatabase:
    """An empty database `name`, dropped first if it exists, on the server of `server_url` (default:
    `DATABASE_URL`'s, else the embedded one of `data_dir`, which must be absolute)."""
    configured = server_url or os.environ.get("DATABASE_URL", "").strip()
    if configured:
        url = make_url(configured).set(drivername="postgresql+asyncpg")
        admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
        await _recreate(admin, name)
        return BenchDatabase(url.set(database=name).render_as_string(hide_password=False), None)
    from app.lib.embedded_postgres import get_embedded_server

    server = await asyncio.to_thread(get_embedded_server, data_dir)
    maintenance = make_url(server.get_uri(database="postgres", driver="asyncpg")).set(drivername="postgresql")
    await _recreate(maintenance.render_as_string(hide_password=False), name)
    postmaster = await asyncio.to_thread(_postmaster_pid, data_dir)
    return BenchDatabase(server.get_uri(database=name, driver="asyncpg"), postmaster)


def _postmaster_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "postgres" / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if pid_file.exists() else None


def migrate(database: BenchDatabase) -> None:
    env = {**os.environ, "DATABASE_URL": database.url, "LOG_LEVEL": "WARNING"}
    subprocess.run(
        [str(VENV_BIN / "app"), "database", "upgrade", "--no-prompt"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def load_dataset(database: BenchDatabase, inputs: Path, *, authors: int, books: int, tags: int, users: int) -> Dataset:
    """Fill the migrated database with `python -m data load`; writes `inputs/dataset.json` and the wrk inputs."""
    args = ["load", "--database-url", database.url, "--out", str(inputs)]
    for option, value in (("--authors", authors), ("--books", books), ("--tags", tags), ("--users", users)):
        args += [option, str(value)]
    run_module("data", *args, env=tools_env())
    return Dataset.from_json(inputs / "dataset.json")


async def forget_created_books(database: BenchDatabase) -> int:
    """Delete the books the load scripts created, so every run starts from the same catalogue."""
    connection = await asyncpg.connect(database.dsn)
    try:
        status = await connection.execute("DELETE FROM book WHERE isbn LIKE $1", CREATED_ISBN_PREFIX + "%")
        await connection.execute("VACUUM (ANALYZE) book, book_tag")
    finally:
        await connection.close()
    return int(status.split()[-1])


async def hashed_password(database: BenchDatabase, email: str) -> str:
    connection = await asyncpg.connect(database.dsn)
    try:
        value: str = await connection.fetchval("SELECT hashed_password FROM user_account WHERE email = $1", email)
    finally:
        await connection.close()
    return value
