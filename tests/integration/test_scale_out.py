"""The scale-out proof (issue 8): Folio's production shape on one machine, with a fault in the middle.

Each run: a private cluster of the system's PostgreSQL (Debian's package, `tools/install-postgresql.sh`)
and, for the Redis run, a private redis-server as the job queue (`tools/install-redis.sh`); two `app
run` web processes and two `app workers run` workers, separate OS processes; `tools/load/run.py`
spreads 40 s of mixed load over both web processes, SIGKILLs web process 1 and worker 1 (while each
worker runs an import) at 30% of it and starts them again 2 s later. Reads the killed process left
unanswered are sent to the other one; writes it left unanswered must be in the database whole or not
at all; everything the clients were told must be there; every import must finish exactly once, the
interrupted one included; sessions and auth limits must hold across the processes and the restart.
Without the system's PostgreSQL or redis-server the test fails, naming the script that installs it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.load_runs import run_load
from tests.support.processes import PROJECT_ROOT

sys.path.append(str(PROJECT_ROOT / "tools"))

from load.backing import backing

pytestmark = [pytest.mark.scaleout, pytest.mark.slow, pytest.mark.xdist_group("scaleout")]

LOAD_SECONDS = 40
IMPORT_ROWS = 4000
KILL_AT = 0.3
"""A web process takes 5-15 s to start again on a busy 2-core machine: early enough that it serves again."""
RUN_TIMEOUT = 300.0
"""A passing run takes about a minute; this only stops a hung one."""


def run_proof(tmp_path: Path, server_url: str, queue_url: str) -> tuple[dict[str, Any], str, int]:
    arguments = [
        *("--duration", str(LOAD_SECONDS)),
        *("--drain", "60"),
        *("--kill-at", str(KILL_AT)),
        *("--importers", "3"),
        # Files big enough that an import takes seconds: the kill lands while the import it picked runs
        # (a 1,000-row file could finish in the moment between picking it and the SIGKILL).
        *("--import-rows", str(IMPORT_ROWS)),
        *("--database-url", server_url),
        *(("--queue-url", queue_url) if queue_url else ()),
    ]
    return run_load(tmp_path, arguments, RUN_TIMEOUT)


@pytest.mark.parametrize("queue", ["postgres", "redis"])
def test_two_web_and_two_worker_processes_lose_nothing_when_one_of_each_is_killed(queue: str, tmp_path: Path) -> None:
    with backing(system_postgres=True, system_redis=queue == "redis") as found:
        result, output, returncode = run_proof(tmp_path, found.server_url, found.queue_url)

    database, queue_line = result["backing"]
    assert database.startswith("database: PostgreSQL"), output
    assert "Debian" in database, output  # the system's package, not the embedded server
    in_database = "queue: SAQ's tables in the run's database"
    assert queue_line == (f"queue: {found.queue_url}" if queue == "redis" else in_database), output
    metrics, fault, facts = result["metrics"], result["fault"], result["facts"]
    assert metrics["requests"] > 1000, output
    assert metrics["server_errors"] == 0, output
    assert metrics["transport_errors"] == 0, output  # none but those the killed process explains
    assert metrics["unexpected"] == 0, output
    assert metrics["problems"] == [], output
    assert result["dead"] == [], output

    # Both web processes served, the killed one again once it was back; the clients felt the kill.
    per_server = metrics["per_server"]
    assert len(per_server) == 2, output
    assert min(per_server.values()) > metrics["requests"] // 10, output
    answered_once_back = metrics["answered_once_back"].values()
    assert len(answered_once_back) == 1, output
    assert min(answered_once_back) > 0, output
    assert metrics["during_outages"].get("retried", 0) > 0, output

    # Killed mid-run and started again.
    assert list(fault["moments"]) == ["killed", "worker started again", "web answering again"], output
    assert all(len(set(pids)) == 2 for pids in fault["pids"].values()), output
    assert fault["interrupted"] is not None, output  # worker 1 had just started an import

    # Both workers ran imports; the interrupted import ran again ("... ran again" among the checks) and
    # finished with every row exactly once ("imports finished and counted").
    lives = facts["import_jobs_per_life"]
    assert sorted(lives) == ["worker-1", "worker-2"], output
    assert all(sum(per_life.values()) > 0 for per_life in lives.values()), output

    across = {check["name"]: check["ok"] for check in result["across"]}
    assert len(across) == 7, output
    assert all(across.values()), output
    assert [check for check in result["integrity"] if not check["ok"]] == [], output
    assert result["failures"] == [], output
    assert returncode == 0, output
