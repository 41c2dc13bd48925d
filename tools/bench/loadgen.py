"""wrk runs: one workload against one server, with the server's CPU time measured around it.

wrk is a separate, compiled process (Debian's `wrk`); its Lua script writes a JSON summary
(`wrk/common.lua`), so nothing here parses wrk's text output.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

from bench.servers import Server

WRK_DIR = Path(__file__).resolve().parent / "wrk"
WORKLOAD_SCRIPTS = {
    "get": "get_book.lua",
    "list": "list_books.lua",
    "create": "create_book.lua",
    "mix": "mix.lua",
    "health": "health.lua",
    "login": "login.lua",
}
CREATING_WORKLOADS = frozenset({"create", "mix"})
CREATED_ISBN_PREFIX = "977"
"""The books the load scripts create have ISBNs starting with this; neither the dataset nor import files use it."""


@dataclass(frozen=True)
class LoadShape:
    threads: int = 2
    connections: int = 32
    timeout_s: float = 10.0


@dataclass
class WrkRun:
    server: str
    workload: str
    requests: int
    duration_s: float
    rps: float
    errors: dict[str, int]
    statuses: dict[str, int]
    latency_ms: dict[str, float]
    cpu_s: float
    """CPU time (user + system) the server's process tree used during the run."""
    db_cpu_s: float | None
    """CPU time of PostgreSQL's processes during the run, when the benchmark started that server."""
    wrk_cpu_s: float
    other_cpu_s: float
    """CPU time the rest of the machine used during the run (other processes, steal): how noisy the run was."""
    capacity_s: float
    """The run's length times the number of CPUs."""

    @property
    def error_count(self) -> int:
        wrk_errors = sum(self.errors.get(kind, 0) for kind in ("connect", "read", "write", "timeout"))
        return wrk_errors + self.errors.get("non_2xx", 0)

    @property
    def cpu_ms_per_request(self) -> float | None:
        return 1000 * self.cpu_s / self.requests if self.requests else None

    @property
    def others_share(self) -> float:
        return self.other_cpu_s / self.capacity_s if self.capacity_s else 0.0

    @property
    def db_cpu_ms_per_request(self) -> float | None:
        if self.db_cpu_s is None or not self.requests:
            return None
        return 1000 * self.db_cpu_s / self.requests

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "error_count": self.error_count,
            "cpu_ms_per_request": self.cpu_ms_per_request,
            "db_cpu_ms_per_request": self.db_cpu_ms_per_request,
            "others_share": self.others_share,
        }


class WrkError(RuntimeError):
    """wrk exited with an error or wrote no summary."""


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        msg = "wrk is not installed: `apt-get install wrk` (Debian's package)"
        raise WrkError(msg)
    return found


def run_wrk(
    server: Server,
    workload: str,
    *,
    seconds: float,
    inputs: Path,
    run_number: int,
    shape: LoadShape,
    db_cpu: Callable[[], float] | None = None,
    script_env: Mapping[str, str] | None = None,
) -> WrkRun:
    """Run one workload for `seconds`; `db_cpu` is a callable giving PostgreSQL's CPU seconds so far.

    `script_env` adds variables the workload's script reads (see `wrk/common.lua`).
    """
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as scratch:
        summary_path = Path(scratch) / "summary.json"
        env = {
            **os.environ,
            "BENCH_INPUTS": str(inputs),
            "BENCH_SUMMARY": str(summary_path),
            "BENCH_RUN": str(run_number),
            "BENCH_ISBN_PREFIX": CREATED_ISBN_PREFIX,
            **(script_env or {}),
        }
        command = [
            wrk_path(),
            f"-t{shape.threads}",
            f"-c{shape.connections}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={shape.timeout_s:g}s",
            "-s",
            str(WRK_DIR / WORKLOAD_SCRIPTS[workload]),
            server.url,
        ]
        before = CpuSnapshot.take(server, db_cpu)
        finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        after = CpuSnapshot.take(server, db_cpu)
        if finished.returncode != 0 or not summary_path.exists():
            msg = f"wrk failed ({finished.returncode}) for {workload} on {server.name}:\n{finished.stderr[-2000:]}"
            raise WrkError(msg)
        summary = json.loads(summary_path.read_text())
    return WrkRun(
        server=server.name,
        workload=workload,
        requests=int(summary["requests"]),
        duration_s=float(summary["duration_s"]),
        rps=float(summary["rps"]),
        errors={kind: int(count) for kind, count in summary["errors"].items()},
        statuses={str(status): int(count) for status, count in summary["statuses"].items()},
        latency_ms={name: float(value) for name, value in summary["latency_ms"].items()},
        cpu_s=after.server - before.server,
        # Clock-tick rounding over PostgreSQL's ~40 processes can make a tiny delta negative.
        db_cpu_s=None if db_cpu is None else max(0.0, after.database - before.database),
        wrk_cpu_s=after.children - before.children,
        other_cpu_s=max(0.0, after.others() - before.others()),
        capacity_s=float(summary["duration_s"]) * (os.cpu_count() or 1),
    )


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds so far: the machine's busy time, and the parts of it the benchmark knows about."""

    machine_busy: float
    server: float
    database: float
    children: float
    """This process's finished children (wrk)."""
    own: float

    @classmethod
    def take(cls, server: Server, db_cpu: Callable[[], float] | None) -> CpuSnapshot:
        times = psutil.cpu_times()
        busy = sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal"))
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = psutil.Process().cpu_times()
        return cls(
            machine_busy=busy,
            server=server.cpu_seconds(),
            database=db_cpu() if db_cpu else 0.0,
            children=children.ru_utime + children.ru_stime,
            own=own.user + own.system,
        )

    def others(self) -> float:
        return self.machine_busy - self.server - self.database - self.children - self.own
