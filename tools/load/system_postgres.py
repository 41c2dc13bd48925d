"""A private, throwaway cluster of the system's PostgreSQL (Debian's `postgresql` package).

`initdb` and `pg_ctl` in a fresh temporary directory, on a free port of 127.0.0.1, with its unix
socket in that directory: the system-wide cluster (port 5432) is never touched. PostgreSQL refuses
to run as root, so as root every command runs as the `postgres` system user the package creates.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.servers import free_port

DEBIAN_BIN_DIRS = "/usr/lib/postgresql"
INSTALL_HINT = "run tools/install-postgresql.sh (Debian's postgresql package)"
SERVICE_USER = "postgres"
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    # Four app processes, each with its pool and (with the queue in PostgreSQL) the queue's pool, plus the tools.
    "max_connections": "200",
    "fsync": "off",  # a throwaway cluster: no power loss to survive, and a busy 2-core CI machine to spare
    "log_min_messages": "warning",
}
START_TIMEOUT = 60
INITDB_OPTIONS = ("--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")


class PostgresNotInstalledError(RuntimeError):
    """The system's PostgreSQL server binaries are missing."""


def bin_dir() -> Path:
    """The newest `/usr/lib/postgresql/<major>/bin` holding the server, else the one on the PATH."""
    root = Path(DEBIAN_BIN_DIRS)
    majors = sorted(
        (int(path.name) for path in root.glob("*") if path.name.isdigit() and (path / "bin" / "pg_ctl").exists()),
        reverse=True,
    )
    if majors:
        return root / str(majors[0]) / "bin"
    on_path = shutil.which("pg_ctl")
    if on_path is not None and shutil.which("initdb") is not None:
        return Path(on_path).parent
    msg = f"PostgreSQL's server binaries are not installed (no {DEBIAN_BIN_DIRS}/<major>/bin/pg_ctl): {INSTALL_HINT}"
    raise PostgresNotInstalledError(msg)


@dataclass
class SystemPostgres:
    root: Path
    """The temporary directory: `data/`, the unix socket and `server.log`."""
    port: int
    bin_dir: Path
    run_as: str | None
    """The system user the server runs as (when we are root), else None: ourselves."""

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy form, as Folio's `DATABASE_URL` takes it."""
        return f"postgresql+asyncpg://{SERVICE_USER}@127.0.0.1:{self.port}/{database}"

    def version(self) -> str:
        return self._run("postgres", "--version").strip()

    def _run(self, program: str, *args: str) -> str:
        command = [str(self.bin_dir / program), *args]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        done = subprocess.run(
            command, cwd=self.root, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
        )
        if done.returncode != 0:
            log = self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""
            msg = f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{log}"
            raise RuntimeError(msg)
        return done.stdout

    def initialise(self) -> None:
        """A UTF-8 cluster whose `lower()` folds every letter, as the imports' author matching needs."""
        self._run("initdb", "-D", str(self.data), "-U", SERVICE_USER, *INITDB_OPTIONS)
        settings = {**SETTINGS, "port": str(self.port), "unix_socket_directories": f"'{self.root}'"}
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-w", "-t", str(START_TIMEOUT), "start")

    def stop(self) -> None:
        """Stop the server at once (nothing in it is kept) and remove its directory."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _service_user_ids() -> tuple[int, int]:
    import pwd

    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        msg = f"running as root, and there is no {SERVICE_USER!r} user to run PostgreSQL as: {INSTALL_HINT}"
        raise PostgresNotInstalledError(msg) from None
    return entry.pw_uid, entry.pw_gid


def start_system_postgres() -> SystemPostgres:
    """A fresh cluster, started; stop() removes it."""
    binaries = bin_dir()
    root = Path(tempfile.mkdtemp(prefix="folio-pg-")).resolve()
    run_as = None
    if os.geteuid() == 0:
        uid, gid = _service_user_ids()
        os.chown(root, uid, gid)
        run_as = SERVICE_USER
    server = SystemPostgres(root, free_port(), binaries, run_as)
    try:
        server.initialise()
        server.start()
    except BaseException:
        server.stop()
        raise
    return server
