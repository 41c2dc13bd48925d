"""Folio and the floor as real server processes: one worker, granian or uvicorn, output to a log file.

Folio runs as production runs it: `APP_ENV=production` with a real `SECRET_KEY`, one server worker
process, no job worker inside (`SAQ_IN_PROCESS=false`). Under granian that is `app run` (granian is
its server, see `litestar-granian`); under uvicorn, `uvicorn --factory app.server.asgi:create_app`.
The floor runs on the same server with the same worker count and log level.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, ClassVar, Literal

import httpx
import psutil

from bench.children import PROJECT_ROOT, tools_env

VENV_BIN = Path(sys.executable).parent
ServerKind = Literal["granian", "uvicorn"]
SERVER_KINDS: tuple[ServerKind, ...] = ("granian", "uvicorn")
STOP_TIMEOUT = 30.0


def process_tree_cpu(pid: int) -> float:
    """CPU seconds a process and all its descendants used so far, the exited ones included.

    Each live process counts its own time and its waited-for children's (`children_user` and
    `children_system`), so a PostgreSQL backend or server worker that exits mid-run still counts.
    """
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def folio_command(kind: ServerKind, port: int) -> list[str]:
    if kind == "uvicorn":
        return [*_uvicorn(port), "--factory", "app.server.asgi:create_app"]
    # One server process like the floor's (production's default, WEB_CONCURRENCY, is two).
    return [str(VENV_BIN / "app"), "run", "--wc", "1", "--host", "127.0.0.1", "--port", str(port)]


def floor_command(kind: ServerKind, port: int) -> list[str]:
    if kind == "uvicorn":
        return [*_uvicorn(port), "bench.floor:app"]
    return [*_granian(port), "bench.floor:app"]


def _uvicorn(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def _granian(port: int) -> list[str]:
    return [
        str(VENV_BIN / "granian"),
        "--interface",
        "asgi",
        "--workers",
        "1",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


def folio_env(database_url: str, data_dir: Path, *, log_level: str = "WARNING", **extra: str) -> dict[str, str]:
    """Production settings on the benchmark database; `extra` adds or overrides variables."""
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "benchmark-only-secret-" + "k" * 40),
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "SAQ_IN_PROCESS": "false",
        "LOG_LEVEL": log_level,
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def floor_env(database_url: str) -> dict[str, str]:
    return tools_env(FLOOR_DATABASE_URL=database_url, PYTHONUNBUFFERED="1")


class LoggedChild:
    """A child process in a process group of its own, its output going to a log file.

    For the dataclasses below, which give it `process`, `log_path` and `_log`.
    """

    process: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] | None
    stop_timeout: ClassVar[float] = STOP_TIMEOUT

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, characters: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:]

    def stop(self) -> None:
        """SIGTERM to the child's process group, SIGKILL if it is still there after `stop_timeout`."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None


@dataclass
class Server(LoggedChild):
    """A running server: its process group, URL and log file."""

    name: str
    kind: ServerKind
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    _log: IO[bytes] | None = field(default=None, repr=False)

    def tree(self) -> list[psutil.Process]:
        """The server process and every live descendant (granian's workers are children)."""
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the whole process tree so far (granian's workers are children)."""
        return process_tree_cpu(self.process.pid)

    def rss_bytes(self) -> int:
        total = 0
        for process in self.tree():
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total


class ServerStartError(RuntimeError):
    """A server did not come up."""


def start_server(name: str, command: list[str], env: dict[str, str], log_dir: Path, kind: ServerKind) -> Server:
    """Start `command` in its own process group, output to `log_dir/name.log`; wait until /health answers 200."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = log_path.open("ab")
    port = int(command[command.index("--port") + 1])
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server(name, kind, process, f"http://127.0.0.1:{port}", log_path, log)
    try:
        wait_until_healthy(server)
    except ServerStartError:
        server.stop()
        raise
    return server


def wait_until_healthy(server: Server, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    with httpx.Client(base_url=server.url, timeout=5.0) as client:
        while time.monotonic() < deadline:
            if not server.alive():
                msg = f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}"
                raise ServerStartError(msg)
            try:
                response = client.get("/health")
            except httpx.TransportError as exc:
                last = repr(exc)
            else:
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            time.sleep(0.2)
    msg = f"{server.name} did not answer /health with 200 within {timeout:.0f} s (last: {last}):\n{server.log_tail()}"
    raise ServerStartError(msg)


def start_folio(
    kind: ServerKind, database_url: str, data_dir: Path, log_dir: Path, *, log_level: str = "WARNING", **extra: str
) -> Server:
    port = free_port()
    env = folio_env(database_url, data_dir, log_level=log_level, PORT=str(port), **extra)
    return start_server(f"folio-{kind}-{log_level.lower()}", folio_command(kind, port), env, log_dir, kind)


def start_floor(kind: ServerKind, database_url: str, log_dir: Path) -> Server:
    return start_server(f"floor-{kind}", floor_command(kind, free_port()), floor_env(database_url), log_dir, kind)
