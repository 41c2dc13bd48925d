# mypy: disallow-untyped-calls=False
"""The load test, in one command: a sustained mixed workload on two web processes and two workers,
then an integrity check of everything the clients were told.

    .venv/bin/python tools/load/run.py [--duration 60] [--json FILE]
    .venv/bin/python tools/load/run.py --system-postgres [--system-redis] --kill-at 0.4   # the scale-out proof

1. A fresh database (`folio_load` on the embedded PostgreSQL of `--data-dir`, default `.data-load`,
   on the server `--database-url` or `DATABASE_URL` names, or on a private cluster of the system's
   PostgreSQL with `--system-postgres`), migrated and loaded with the `tools/data` dataset; the job
   queue in it, at `--queue-url`, or on a private redis-server with `--system-redis` (`backing.py`).
2. Two `app run` processes and two `app workers run` processes on it (`cluster.py`).
3. For `--duration` seconds, clients in this process spread their requests over both web processes:
   readers, writers with API tokens and with browser sessions, logins, importers (`readers.py`,
   `writers.py`, `logins.py`, `importers.py`), and probes of sessions and auth limits across the
   processes (`across.py`). With `--kill-at`, one web process and one worker are SIGKILLed at that
   share of the duration and started again `--down-for` seconds later (`fault.py`). Then the imports
   still running are waited for.
4. The integrity check (`integrity.py`), the table of requests, errors and latencies per kind, and the
   verdict. Exit code 0 only when every answer was the expected one, no request went unanswered but
   those the killed process explains, no process died unplanned and every check holds; 1 otherwise,
   naming each problem.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.children import PROJECT_ROOT
from load import integrity
from load.across import across_processes
from load.backing import backing
from load.cluster import (
    Cluster,
    DatasetShape,
    app_env,
    describe_database,
    drop_database,
    prepare_database,
    start_cluster,
)
from load.context import RunContext
from load.fault import FaultReport, fault_env, kill_and_restart
from load.importers import Importer
from load.logins import login_client
from load.process_logs import import_jobs_per_life, logged_errors
from load.readers import reader
from load.writers import writer

DATABASE_NAME = "folio_load"


@dataclass(frozen=True)
class Options:
    duration: float
    drain: float
    readers: int
    bearer_writers: int
    session_writers: int
    logins: int
    importers: int
    import_rows: int
    worker_concurrency: int
    data_dir: Path
    database_name: str
    database_url: str
    system_postgres: bool
    queue_url: str
    system_redis: bool
    kill_at: float
    down_for: float
    keep_database: bool
    json_path: Path | None
    seed: int
    shape: DatasetShape


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--drain", type=float, default=120.0, help="seconds to wait for running imports afterwards")
    parser.add_argument("--readers", type=int, default=6)
    parser.add_argument("--bearer-writers", type=int, default=3, help="writers using API tokens")
    parser.add_argument("--session-writers", type=int, default=2, help="writers using sessions and CSRF tokens")
    parser.add_argument("--logins", type=int, default=1, help="clients signing in and out")
    parser.add_argument("--importers", type=int, default=2, help="clients uploading import files, one at a time each")
    parser.add_argument("--import-rows", type=int, default=1000, help="rows per import file")
    parser.add_argument(
        "--worker-concurrency",
        type=int,
        default=1,
        help="jobs each worker runs at once (SAQ_CONCURRENCY, default 1: a busy worker leaves the next import "
        "to the other one, so both share the imports)",
    )
    parser.add_argument("--users", type=int, default=40, help="users in the dataset (each client owns some)")
    parser.add_argument("--books", type=int, default=2000, help="books in the dataset")
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / ".data-load")
    parser.add_argument("--database-name", default=DATABASE_NAME)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", default="", help="the PostgreSQL server to run on (default: DATABASE_URL's)")
    where.add_argument(
        "--system-postgres",
        action="store_true",
        help="run on a private, throwaway cluster of the system's PostgreSQL (tools/install-postgresql.sh)",
    )
    queue = parser.add_mutually_exclusive_group()
    queue.add_argument("--queue-url", default="", help="SAQ_QUEUE_URL for every process (default: the database)")
    queue.add_argument(
        "--system-redis",
        action="store_true",
        help="put the job queue on a private, throwaway redis-server (tools/install-redis.sh)",
    )
    parser.add_argument(
        "--kill-at",
        type=float,
        default=0.0,
        help="share of --duration (0 to 1) at which web process 1 and worker 1 are SIGKILLed (default 0: never)",
    )
    parser.add_argument("--down-for", type=float, default=2.0, help="seconds until the killed processes start again")
    parser.add_argument("--keep-database", action="store_true", help="leave the database for a look afterwards")
    parser.add_argument("--json", type=Path, dest="json_path", help="also write the results here as JSON")
    parser.add_argument("--seed", type=int, default=1, help="seed of the clients' choices")
    arguments = parser.parse_args(argv)
    if not 0 <= arguments.kill_at < 1:
        parser.error("--kill-at must be at least 0 and less than 1")
    return Options(
        duration=arguments.duration,
        drain=arguments.drain,
        readers=arguments.readers,
        bearer_writers=arguments.bearer_writers,
        session_writers=arguments.session_writers,
        logins=arguments.logins,
        importers=arguments.importers,
        import_rows=arguments.import_rows,
        worker_concurrency=arguments.worker_concurrency,
        data_dir=arguments.data_dir.resolve(),
        database_name=arguments.database_name,
        database_url=arguments.database_url,
        system_postgres=arguments.system_postgres,
        queue_url=arguments.queue_url,
        system_redis=arguments.system_redis,
        kill_at=arguments.kill_at,
        down_for=arguments.down_for,
        keep_database=arguments.keep_database,
        json_path=arguments.json_path,
        seed=arguments.seed,
        shape=DatasetShape(users=arguments.users, books=arguments.books),
    )


def say(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


async def halfway(context: RunContext, seconds: float) -> None:
    """Without a fault, the probes' second half runs halfway through the load."""
    await asyncio.sleep(seconds)
    context.restarted.set()


async def run_clients(
    options: Options, context: RunContext, cluster: Cluster, fault: FaultReport | None, queue_url: str
) -> float:
    """Every client, until the deadline; then the imports still running. Returns the seconds it took."""
    users = list(context.dataset.users)
    wanted = 2 + options.session_writers + options.importers + options.bearer_writers + options.logins
    if len(users) < wanted:
        msg = f"the clients need {wanted} users of their own, the dataset has {len(users)}: raise --users"
        raise SystemExit(msg)
    lockout_user, session_user, users = users[0], users[1], users[2:]
    sessions = [users.pop(0) for _ in range(options.session_writers)]
    importers = [users.pop(0) for _ in range(options.importers)]
    bearers = [users.pop(0) for _ in range(options.bearer_writers)]
    drain_until = context.deadline + options.drain
    started = time.monotonic()
    tasks = [
        across_processes(context, session_user, lockout_user),
        *(reader(context, number) for number in range(options.readers)),
        *(writer(context, number, "bearer", user) for number, user in enumerate(bearers)),
        *(writer(context, number, "session", user) for number, user in enumerate(sessions)),
        *(login_client(context, number, users[number :: options.logins]) for number in range(options.logins)),
        *(
            Importer(context, number, user, options.import_rows, drain_until).run()
            for number, user in enumerate(importers)
        ),
        halfway(context, options.duration / 2)
        if fault is None
        else kill_and_restart(context, cluster, fault, queue_url, say, started),
    ]
    await asyncio.gather(*tasks)
    return time.monotonic() - started


def report(
    options: Options,
    context: RunContext,
    seconds: float,
    checks: list[integrity.Check],
    facts: dict[str, Any],
    dead: list[str],
    errors_logged: dict[str, dict[str, int]],
    fault: FaultReport | None,
    described: list[str],
) -> int:
    metrics = context.metrics
    print()
    print(metrics.table(options.duration))
    waited = max(0.0, seconds - options.duration)
    print(f"(then {waited:.1f} s waiting for the imports still running; requests per second count the load only)")
    print()
    for line in described:
        print(line)
    if fault is not None:
        for line in fault.lines():
            print(line)
    print(f"import jobs run to the end per worker process, per life (SAQ worker id): {facts['import_jobs_per_life']}")
    print(
        f"import jobs run more than once: {len(facts['import_jobs_run_more_than_once'])}; contended isbns: "
        f"{facts['contended_isbns']}; uploads without an answer: {facts['unanswered_uploads']}"
    )
    for name, events in errors_logged.items():
        for event, count in events.items():
            print(f"logged by {name} at error level, {count}x: {event}")
    for process in dead:
        print(f"DIED {process}")
    print("across the web processes:")
    print("\n".join(integrity.lines(context.across)))
    print("in the database and the queue:")
    print(integrity.verdict(checks))
    failures = []
    if metrics.server_errors:
        failures.append(f"{metrics.server_errors} answers were 5xx")
    if metrics.transport_errors:
        failures.append(f"{metrics.transport_errors} requests failed in transport")
    if metrics.unexpected:
        failures.append(f"{metrics.unexpected} answers had an unexpected status")
    if metrics.problems:
        failures.append(f"{len(metrics.problems)} answers did not match what was sent")
    if dead:
        failures.append(f"{len(dead)} processes died")
    failures += [f"across processes: {check.name}" for check in context.across if not check.ok]
    failures += [f"integrity: {check.name}" for check in checks if not check.ok]
    print("RESULT: " + ("PASS" if not failures else "FAIL: " + "; ".join(failures)))
    if options.json_path is not None:
        document = {
            "options": {
                "duration": options.duration,
                "import_rows": options.import_rows,
                "seed": options.seed,
                "kill_at": options.kill_at,
            },
            "backing": described,
            "metrics": metrics.to_json(options.duration),
            "seconds_with_drain": seconds,
            "fault": fault.to_json() if fault is not None else None,
            "across": integrity.to_json(context.across),
            "integrity": integrity.to_json(checks),
            "facts": facts,
            "dead": dead,
            "logged_errors": errors_logged,
            "failures": failures,
        }
        options.json_path.write_text(json.dumps(document, indent=2))
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    options.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(options.data_dir / "logs", ignore_errors=True)
    with backing(
        database_url=options.database_url,
        system_postgres=options.system_postgres,
        queue_url=options.queue_url,
        system_redis=options.system_redis,
    ) as found:
        say(f"database {options.database_name}: creating, migrating, loading the dataset")
        database, dataset = prepare_database(options.data_dir, options.database_name, options.shape, found.server_url)
        described = [describe_database(database), *found.described]
        for line in described:
            say(line)
        queue_url = found.queue_url or database.dsn
        fault = FaultReport(options.kill_at * options.duration, options.down_for) if options.kill_at else None
        scratch = Path(tempfile.mkdtemp(prefix="load-", dir=options.data_dir))
        try:
            say("starting 2 web processes and 2 workers")
            env = app_env(
                database,
                scratch / "files",
                SAQ_CONCURRENCY=str(options.worker_concurrency),
                SAQ_QUEUE_URL=found.queue_url,
                **(fault_env() if fault is not None else {}),
            )
            cluster = start_cluster(env, options.data_dir / "logs")
            try:
                say(f"web processes at {', '.join(cluster.urls)}; {options.duration:.0f} s of load")
                context = RunContext(
                    servers=cluster.urls,
                    dataset=dataset,
                    deadline=time.monotonic() + options.duration,
                    scratch=scratch,
                    seed=options.seed,
                )
                seconds = asyncio.run(run_clients(options, context, cluster, fault, queue_url))
                say(f"load done in {seconds:.1f} s; checking integrity")
                dead = cluster.dead()
                checks, facts = asyncio.run(
                    integrity.check_integrity(database.dsn, queue_url, context.ledger, len(dataset.book_ids))
                )
                facts["import_jobs_per_life"] = import_jobs_per_life(cluster)
                if fault is not None:
                    checks.append(fault.ran_again(facts["import_job_attempts"]))
                errors_logged = logged_errors(cluster)
            finally:
                cluster.stop()
            return report(options, context, seconds, checks, facts, dead, errors_logged, fault, described)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            if not options.keep_database:
                drop_database(database)


if __name__ == "__main__":
    sys.exit(main())
