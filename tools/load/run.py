# mypy: disallow-untyped-calls=False
"""The load test, in one command: a sustained mixed workload on two web processes and two workers,
then an integrity check of everything the clients were told.

    .venv/bin/python tools/load/run.py [--duration 60] [--json FILE]

1. A fresh database (`folio_load` on the embedded PostgreSQL of `--data-dir`, default `.data-load`,
   or on the server `DATABASE_URL` names), migrated and loaded with the `tools/data` dataset.
2. Two `app run` processes and two `app workers run` processes on it (`cluster.py`).
3. For `--duration` seconds, clients in this process spread their requests over both web processes:
   readers, writers with API tokens and with browser sessions, logins, importers (`readers.py`,
   `writers.py`, `logins.py`, `importers.py`). Then the imports still running are waited for.
4. The integrity check (`integrity.py`), the table of requests, errors and latencies per kind, and the
   verdict. Exit code 0 only when every answer was the expected one, no process died and every
   integrity check holds; 1 otherwise, naming each problem.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench.children import PROJECT_ROOT
from bench.servers import Server
from load import integrity
from load.cluster import Cluster, DatasetShape, Worker, app_env, drop_database, prepare_database, start_cluster
from load.context import RunContext
from load.importers import Importer
from load.logins import client_limit_probe, lockout_probe, login_client
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
    parser.add_argument("--keep-database", action="store_true", help="leave the database for a look afterwards")
    parser.add_argument("--json", type=Path, dest="json_path", help="also write the results here as JSON")
    parser.add_argument("--seed", type=int, default=1, help="seed of the clients' choices")
    arguments = parser.parse_args(argv)
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
        keep_database=arguments.keep_database,
        json_path=arguments.json_path,
        seed=arguments.seed,
        shape=DatasetShape(users=arguments.users, books=arguments.books),
    )


def say(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


async def run_clients(options: Options, context: RunContext) -> float:
    """Every client, until the deadline; then the imports still running. Returns the seconds it took."""
    users = list(context.dataset.users)
    wanted = 1 + options.session_writers + options.importers + options.bearer_writers + options.logins
    if len(users) < wanted:
        msg = f"the clients need {wanted} users of their own, the dataset has {len(users)}: raise --users"
        raise SystemExit(msg)
    lockout_user, users = users[0], users[1:]
    sessions = [users.pop(0) for _ in range(options.session_writers)]
    importers = [users.pop(0) for _ in range(options.importers)]
    bearers = [users.pop(0) for _ in range(options.bearer_writers)]
    drain_until = context.deadline + options.drain
    started = time.monotonic()
    tasks = [
        lockout_probe(context, lockout_user),
        client_limit_probe(context),
        *(reader(context, number) for number in range(options.readers)),
        *(writer(context, number, "bearer", user) for number, user in enumerate(bearers)),
        *(writer(context, number, "session", user) for number, user in enumerate(sessions)),
        *(login_client(context, number, users[number :: options.logins]) for number in range(options.logins)),
        *(
            Importer(context, number, user, options.import_rows, drain_until).run()
            for number, user in enumerate(importers)
        ),
    ]
    await asyncio.gather(*tasks)
    return time.monotonic() - started


def logged_errors(cluster: Cluster) -> dict[str, dict[str, int]]:
    """Per process, its error-level log lines by event and exception (the first words of each).

    A worker logs an import job that failed and will be retried here too (an ISBN a writer took
    while the batch was being written, say): worth reading, not a failure by itself.
    """
    found: dict[str, dict[str, int]] = {}
    processes: list[Server | Worker] = [*cluster.servers, *cluster.workers]
    for process in processes:
        events: Counter[str] = Counter()
        for line in process.log_path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("level") in {"error", "critical"}:
                last = str(entry.get("exception", "")).strip().splitlines()[-1:] or [""]
                events[f"{str(entry.get('event'))[:40]} {last[0][:100]}".strip()] += 1
        found[process.name] = dict(events)
    return found


def report(
    options: Options,
    context: RunContext,
    seconds: float,
    checks: list[integrity.Check],
    facts: dict[str, Any],
    dead: list[str],
    errors_logged: dict[str, dict[str, int]],
) -> int:
    metrics = context.metrics
    print()
    print(metrics.table(options.duration))
    waited = max(0.0, seconds - options.duration)
    print(f"(then {waited:.1f} s waiting for the imports still running; requests per second count the load only)")
    print()
    print(f"import jobs per worker: {facts['import_jobs_per_worker']}; contended isbns: {facts['contended_isbns']}")
    for name, events in errors_logged.items():
        for event, count in events.items():
            print(f"logged by {name} at error level, {count}x: {event}")
    for process in dead:
        print(f"DIED {process}")
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
    failures += [f"integrity: {check.name}" for check in checks if not check.ok]
    print("RESULT: " + ("PASS" if not failures else "FAIL: " + "; ".join(failures)))
    if options.json_path is not None:
        document = {
            "options": {"duration": options.duration, "import_rows": options.import_rows, "seed": options.seed},
            "metrics": metrics.to_json(options.duration),
            "seconds_with_drain": seconds,
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
    say(f"database {options.database_name}: creating, migrating, loading the dataset")
    database, dataset = prepare_database(options.data_dir, options.database_name, options.shape)
    scratch = Path(tempfile.mkdtemp(prefix="load-", dir=options.data_dir))
    try:
        say("starting 2 web processes and 2 workers")
        cluster = start_cluster(
            app_env(database, scratch / "files", SAQ_CONCURRENCY=str(options.worker_concurrency)),
            options.data_dir / "logs",
        )
        try:
            say(f"web processes at {', '.join(cluster.urls)}; {options.duration:.0f} s of load")
            context = RunContext(
                servers=cluster.urls,
                dataset=dataset,
                deadline=time.monotonic() + options.duration,
                scratch=scratch,
                seed=options.seed,
            )
            seconds = asyncio.run(run_clients(options, context))
            say(f"load done in {seconds:.1f} s; checking integrity")
            dead = cluster.dead()
            checks, facts = asyncio.run(integrity.check_integrity(database.dsn, context.ledger, len(dataset.book_ids)))
            errors_logged = logged_errors(cluster)
        finally:
            cluster.stop()
        return report(options, context, seconds, checks, facts, dead, errors_logged)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if not options.keep_database:
            drop_database(database)


if __name__ == "__main__":
    sys.exit(main())
