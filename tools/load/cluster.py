# mypy: disallow-untyped-calls=False
"""What the load runs against: a fresh database with the `tools/data` dataset, two `app run` web
processes and two `app workers run` SAQ workers, all sharing that database (and its job queue) and
one directory of uploaded files.

The processes run with `APP_ENV=dev`: production marks cookies `Secure`, and the clients speak plain
HTTP. Auth requests reach the servers as through a reverse proxy (`TRUSTED_PROXIES=127.0.0.1`) so
that each simulated client is counted under its own `X-Forwarded-For` address; the limits
themselves keep their defaults. Workers log at INFO: a line per job they ran, which the report counts.

`kill` takes processes down with everything under them at once, as a machine or container dying
would, and `restart_web` / `restart_worker` bring one back, a web process on the port it had.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, ClassVar

import asyncpg
import psutil
from sqlalchemy.engine import make_url

from bench import bench_db
from bench.bench_db import BenchDatabase
from bench.children import PROJECT_ROOT
from bench.servers import VENV_BIN, LoggedChild, Server, ServerStartError, folio_command, free_port, start_server
from data.dataset import Dataset

TRUSTED_PROXY = "127.0.0.1"
WORKER_STOP_TIMEOUT = 30.0


@dataclass(frozen=True)
class DatasetShape:
    authors: int = 200
    books: int = 2000
    tags: int = 60
    users: int = 40


def prepare_database(
    data_dir: Path, name: str, shape: DatasetShape, server_url: str = ""
) -> tuple[BenchDatabase, Dataset]:
    """Database `name` (re)created on the server of `server_url` (`bench_db.create_database`), migrated and
    loaded with the dataset; `dataset.json` lands in `data_dir`."""
    database = asyncio.run(bench_db.create_database(data_dir, name, server_url))
    try:
        bench_db.migrate(database)
    except subprocess.CalledProcessError as exc:
        msg = f"migrating {name} failed:\n{exc.stdout}\n{exc.stderr}"
        raise SystemExit(msg) from exc
    dataset = bench_db.load_dataset(
        database, data_dir / "inputs", authors=shape.authors, books=shape.books, tags=shape.tags, users=shape.users
    )
    return database, dataset


def describe_database(database: BenchDatabase) -> str:
    """The server's version and where the database is, for the report."""

    async def version() -> str:
        connection = await asyncpg.connect(database.dsn)
        try:
            return str(await connection.fetchval("SELECT version()"))
        finally:
            await connection.close()

    url = make_url(database.url)
    where = f"{url.host}:{url.port}" if url.host else "the embedded server's unix socket"
    return f"database: {asyncio.run(version()).split(' on ')[0]}, {url.database} at {where}"


def drop_database(database: BenchDatabase) -> None:
    url = make_url(database.dsn)

    async def drop() -> None:
        connection = await asyncpg.connect(url.set(database="postgres").render_as_string(hide_password=False))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(drop())


def app_env(database: BenchDatabase, files_dir: Path, **extra: str) -> dict[str, str]:
    """One environment for every web and worker process: same database, queue and file storage."""
    env = {
        **os.environ,
        "APP_ENV": "dev",
        "DATABASE_URL": database.url,
        "SAQ_QUEUE_URL": "",
        "DATA_DIR": str(files_dir),
        "SAQ_IN_PROCESS": "false",
        # Every import has finished when the workers are stopped: nothing to wait for.
        "SAQ_SHUTDOWN_GRACE_PERIOD": "1",
        "TRUSTED_PROXIES": TRUSTED_PROXY,
        "EMAIL_BACKEND": "file",
        "EMAIL_FILE_DIR": str(files_dir / "emails"),
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
        # Four processes on one PostgreSQL (100 connections by default, shared with whatever else
        # runs on it, tests included): 10 each is plenty for this load.
        "DB_POOL_SIZE": os.environ.get("LOAD_DB_POOL_SIZE", "10"),
    }
    env.update(extra)
    return env


@dataclass
class Worker(LoggedChild):
    """An `app workers run` process; output to a log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] | None = field(default=None, repr=False)

    stop_timeout: ClassVar[float] = WORKER_STOP_TIMEOUT


def start_worker(name: str, env: dict[str, str], log_dir: Path) -> Worker:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [str(VENV_BIN / "app"), "workers", "run"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    return Worker(name, process, log_path, log)


def kill(*children: LoggedChild) -> None:
    """SIGKILL to the children and every process under them, all at once; returns once they are gone.

    A process group is not enough: `app run` starts granian in a session of its own (litestar-granian's
    supervisor), which a group kill leaves serving on the port, unsupervised.
    """
    trees: list[psutil.Process] = []
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            root = psutil.Process(child.process.pid)
            trees += [root, *root.children(recursive=True)]
    for process in trees:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signal.SIGKILL)
    for child in children:
        child.process.wait(10)
        child.stop()
    psutil.wait_procs(trees, timeout=10)


@dataclass
class Cluster:
    env: dict[str, str]
    log_dir: Path
    servers: list[Server] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)

    def restart_web(self, index: int) -> Server:
        """Web process `index` (killed) started again on its port; returns once it answers `/health`."""
        old = self.servers[index]
        port = int(old.url.rsplit(":", 1)[1])
        self.servers[index] = _start_web(old.name, port, self.env, self.log_dir)
        return self.servers[index]

    def restart_worker(self, index: int) -> Worker:
        """Worker `index` (killed) started again, its output appended to the same log."""
        self.workers[index] = start_worker(self.workers[index].name, _worker_env(self.env), self.log_dir)
        return self.workers[index]

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def dead(self) -> list[str]:
        """Names of the processes that exited, with the tail of their logs."""
        gone = [f"{s.name} (exit {s.process.returncode}):\n{s.log_tail()}" for s in self.servers if not s.alive()]
        gone += [f"{w.name} (exit {w.process.returncode}):\n{w.log_tail()}" for w in self.workers if not w.alive()]
        return gone

    def stop(self) -> None:
        """Stop every process at once (each waits for its own exit)."""
        processes: list[Server | Worker] = [*self.servers, *self.workers]
        with ThreadPoolExecutor(max(1, len(processes))) as pool:
            list(pool.map(lambda process: process.stop(), processes))


def _start_web(name: str, port: int, env: dict[str, str], log_dir: Path) -> Server:
    return start_server(name, folio_command("granian", port), {**env, "PORT": str(port)}, log_dir, "granian")


def _worker_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "LOG_LEVEL": "INFO"}


def start_cluster(env: dict[str, str], log_dir: Path, *, servers: int = 2, workers: int = 2) -> Cluster:
    """`servers` web processes (`app run`: granian, one process each, on free ports), started side by side, then
    `workers` SAQ workers; returns once every web process answers `/health`.

    The web processes come first: their `/health` answers once the queue's tables exist. Two workers
    started together on a fresh database would both create them, and one logs errors meanwhile.
    """
    cluster = Cluster(env, log_dir)
    try:
        with ThreadPoolExecutor(servers) as pool:
            starting = [
                pool.submit(_start_web, f"web-{number}", free_port(), env, log_dir) for number in range(1, servers + 1)
            ]
            for future in starting:
                try:
                    cluster.servers.append(future.result())
                except ServerStartError:
                    for other in starting:
                        if other is not future and other.exception() is None:
                            cluster.servers.append(other.result())
                    raise
        for number in range(1, workers + 1):
            cluster.workers.append(start_worker(f"worker-{number}", _worker_env(env), log_dir))
    except BaseException:
        cluster.stop()
        raise
    return cluster
