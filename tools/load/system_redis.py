"""A private, throwaway `redis-server` (Debian's package): a free port of 127.0.0.1, no persistence.

The system-wide instance the package may run is never touched.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from bench.servers import free_port

INSTALL_HINT = "run tools/install-redis.sh (Debian's redis-server package)"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


class RedisNotInstalledError(RuntimeError):
    """`redis-server` is not on the PATH."""


def server_binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        msg = f"redis-server is not installed: {INSTALL_HINT}"
        raise RedisNotInstalledError(msg)
    return found


@dataclass
class SystemRedis:
    root: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def log_path(self) -> Path:
        return self.root / "redis.log"

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def version(self) -> str:
        with redis.Redis(port=self.port) as client:
            return str(client.info("server")["redis_version"])

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                msg = f"redis-server exited with {self.process.returncode}:\n{self._log_tail()}"
                raise RuntimeError(msg)
            try:
                with redis.Redis(port=self.port, socket_timeout=1) as client:
                    client.ping()
                    return
            except redis.RedisError as exc:
                last = repr(exc)
            time.sleep(0.05)
        msg = f"redis-server did not answer PING within {START_TIMEOUT:.0f} s ({last}):\n{self._log_tail()}"
        raise RuntimeError(msg)

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        """Stop the server and remove its directory (nothing in it is kept)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def start_system_redis() -> SystemRedis:
    """A fresh instance, answering PING; stop() removes it."""
    binary = server_binary()
    root = Path(tempfile.mkdtemp(prefix="folio-redis-")).resolve()
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(root)]
    command += ["--save", "", "--appendonly", "no", "--logfile", str(root / "redis.log")]
    process = subprocess.Popen(
        command, cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    server = SystemRedis(root, port, process)
    try:
        server.wait_until_ready()
    except BaseException:
        server.stop()
        raise
    return server
