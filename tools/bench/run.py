# mypy: disallow-untyped-calls=False
"""The benchmark, in one command: Folio against a raw-asyncpg floor, measured in the same run.

    .venv/bin/python tools/bench/run.py [--quick] [--rounds 3] [--duration 10] [--server granian|uvicorn|both]

1. A fresh database `folio_bench` (on the embedded PostgreSQL of `--data-dir`, default `.data-bench`,
   or on the server `DATABASE_URL` names), migrated, loaded with `tools/data`'s dataset.
2. For each server (granian, uvicorn): Folio as production runs it and the floor (`floor.py`) on
   the same server, one worker each; the parity check (`parity.py`); then per workload a warm-up
   and `--rounds` wrk runs alternating Folio and the floor. Books the load scripts create are
   deleted after each run, so every run meets the same catalogue.
3. SQL statements per request, in-process (`statements.py`); on the better server: login latency
   against the raw Argon2 verify, a login storm, what request logging costs, a memory soak; the
   bulk import against `COPY` (`bulk_import.py`).
4. Writes `tools/bench/results/<time>[-label].json` and `.md` and prints the targets with PASS/FAIL.

To measure another revision of the app (say, the last commit while the work tree has changes), put
its `src` first on `PYTHONPATH`: every process of the run, and this one, then imports that app.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench import bench_db, bulk_import, login, report
from bench.bench_db import BenchDatabase
from bench.children import PROJECT_ROOT, run_json_module, run_module, tools_env
from bench.floor import STATEMENTS_PER_REQUEST
from bench.loadgen import CREATING_WORKLOADS, WORKLOAD_SCRIPTS, LoadShape, WrkRun, run_wrk
from bench.parity import check_parity
from bench.servers import SERVER_KINDS, Server, ServerKind, folio_env, start_floor, start_folio
from data.dataset import Dataset

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WORKLOADS = ("get", "list", "create", "mix", "health")
FLOOR_STATEMENTS = {
    **STATEMENTS_PER_REQUEST,
    "mix": 0.6 * STATEMENTS_PER_REQUEST["get"]
    + 0.3 * STATEMENTS_PER_REQUEST["list"]
    + 0.1 * STATEMENTS_PER_REQUEST["create"],
}
SOAK_SAMPLE_SECONDS = 5.0
STORM_CONCURRENCY = 20
RAW_VERIFIES = 30


@dataclass(frozen=True)
class Options:
    quick: bool
    rounds: int
    duration: float
    warmup: float
    servers: tuple[ServerKind, ...]
    soak_seconds: float
    import_rows: int
    login_seconds: float
    storm_seconds: float
    data_dir: Path
    label: str
    shape: LoadShape
    dataset: dict[str, int]


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 5 s, small import, no soak (a few minutes)")
    parser.add_argument("--rounds", type=int, help="Folio/floor alternations per workload (default 3; quick 1)")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (default 10; quick 5)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per server and workload (default 5; quick 2)")
    parser.add_argument("--server", choices=[*SERVER_KINDS, "both"], default="both")
    parser.add_argument(
        "--soak-seconds", type=float, help="memory soak under the mix (default 300; quick: none; 0: none)"
    )
    parser.add_argument("--import-rows", type=int, help="rows of the bulk-import file (default 10000; quick 2000)")
    parser.add_argument(
        "--login-seconds", type=float, help="seconds of logins timed one at a time (default 10; quick 4)"
    )
    parser.add_argument("--storm-seconds", type=float, help="length of the login storm (default 15; quick 8)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--books", type=int, default=20000)
    parser.add_argument("--authors", type=int, default=1000)
    parser.add_argument("--tags", type=int, default=100)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / ".data-bench")
    parser.add_argument("--label", default="", help="a word or two naming this run in the results' file name")
    arguments = parser.parse_args(argv)
    quick = arguments.quick

    def pick(value: Any, default: Any, quick_default: Any) -> Any:
        return value if value is not None else (quick_default if quick else default)

    return Options(
        quick=quick,
        rounds=pick(arguments.rounds, 3, 1),
        duration=pick(arguments.duration, 10.0, 5.0),
        warmup=pick(arguments.warmup, 5.0, 2.0),
        servers=SERVER_KINDS if arguments.server == "both" else (arguments.server,),
        soak_seconds=pick(arguments.soak_seconds, 300.0, 0.0),
        import_rows=pick(arguments.import_rows, 10000, 2000),
        login_seconds=pick(arguments.login_seconds, 10.0, 4.0),
        storm_seconds=pick(arguments.storm_seconds, 15.0, 8.0),
        data_dir=arguments.data_dir.resolve(),
        label=arguments.label,
        shape=LoadShape(threads=arguments.threads, connections=arguments.connections),
        dataset={
            "authors": arguments.authors,
            "books": arguments.books,
            "tags": arguments.tags,
            "users": arguments.users,
        },
    )


def say(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


class Benchmark:
    def __init__(self, options: Options, database: BenchDatabase, dataset: Dataset, inputs: Path) -> None:
        self.options = options
        self.database = database
        self.dataset = dataset
        self.inputs = inputs
        self.logs = options.data_dir / "logs"
        self.runs = 0

    def wrk(
        self,
        server: Server,
        workload: str,
        seconds: float,
        shape: LoadShape | None = None,
        script_env: dict[str, str] | None = None,
    ) -> WrkRun:
        self.runs += 1
        return run_wrk(
            server,
            workload,
            seconds=seconds,
            inputs=self.inputs,
            run_number=self.runs,
            shape=shape or self.options.shape,
            db_cpu=self.database.cpu_seconds if self.database.watches_cpu else None,
            script_env=script_env,
        )

    async def measured(self, server: Server, workload: str, seconds: float) -> WrkRun:
        """One wrk run; the books it created are deleted afterwards (not timed)."""
        run = await asyncio.to_thread(self.wrk, server, workload, seconds)
        if workload in CREATING_WORKLOADS:
            await bench_db.forget_created_books(self.database)
        return run

    def start_folio(self, kind: ServerKind, log_level: str = "WARNING") -> Server:
        return start_folio(
            kind,
            self.database.url,
            self.options.data_dir,
            self.logs,
            log_level=log_level,
            TRUSTED_PROXIES=login.TRUSTED_PROXY,
        )

    async def http_workloads(self, kind: ServerKind) -> tuple[dict[str, Any], dict[str, Any]]:
        say(f"{kind}: starting Folio and the floor")
        folio = self.start_folio(kind)
        try:
            floor = start_floor(kind, self.database.url, self.logs)
            try:
                parity = await check_parity(folio.url, floor.url, self.dataset)
                say(f"{kind}: parity holds over {len(parity.compared)} requests")
                results = {name: await self.alternate(folio, floor, name) for name in WORKLOADS}
            finally:
                floor.stop()
        finally:
            folio.stop()
        return results, {"compared": parity.compared}

    async def alternate(self, folio: Server, floor: Server, workload: str) -> dict[str, Any]:
        options = self.options
        for server in (folio, floor):
            await self.measured(server, workload, options.warmup)
        runs: dict[str, list[WrkRun]] = {"folio": [], "floor": []}
        for round_number in range(options.rounds):
            order = (("folio", folio), ("floor", floor))
            for side, server in order if round_number % 2 == 0 else reversed(order):
                runs[side].append(await self.measured(server, workload, options.duration))
        summary = report.workload_summary(runs["folio"], runs["floor"])
        say(
            f"{folio.kind} {workload}: Folio {summary['folio']['rps_median']:.0f} req/s, "
            f"floor {summary['floor']['rps_median']:.0f} req/s, ratio {summary['ratio']:.2f}"
        )
        return {
            "folio": [run.to_json() for run in runs["folio"]],
            "floor": [run.to_json() for run in runs["floor"]],
            "summary": summary,
        }

    def folio_child_env(self) -> dict[str, str]:
        """Folio's settings on the benchmark database, for an in-process measurement in a child."""
        return tools_env(folio_env(self.database.url, self.options.data_dir))

    def statements(self) -> dict[str, Any]:
        say("counting SQL statements per request")
        dataset = str(self.inputs / "dataset.json")
        counted: dict[str, Any] = run_json_module("bench.statements", "--dataset", dataset, env=self.folio_child_env())
        return counted

    async def login_run(self, folio: Server, seconds: float, connections: int) -> WrkRun:
        shape = LoadShape(threads=1, connections=connections, timeout_s=self.options.shape.timeout_s)
        script_env = await asyncio.to_thread(login.wrk_env, folio.url, self.dataset)
        return await asyncio.to_thread(self.wrk, folio, "login", seconds, shape, script_env)

    async def logins(self, folio: Server) -> dict[str, Any]:
        seconds = self.options.login_seconds
        say(f"logins: one at a time for {seconds:.0f} s (wrk, one connection), and the raw verify")
        await self.login_run(folio, min(2.0, self.options.warmup), connections=1)
        hashed = await bench_db.hashed_password(self.database, self.dataset.users[0].email)
        # The raw verify is timed on both sides of the logins: the machine's speed drifts over a run.
        before = await asyncio.to_thread(login.raw_verify_timings, self.dataset.password, hashed, RAW_VERIFIES)
        run = await self.login_run(folio, seconds, connections=1)
        after = await asyncio.to_thread(login.raw_verify_timings, self.dataset.password, hashed, RAW_VERIFIES)
        raw = login.verify_summary(before + after)
        folio_side = {
            "logins": run.requests,
            "errors": run.error_count,
            "median_ms": run.latency_ms["p50"],
            "p90_ms": run.latency_ms["p90"],
            "min_ms": run.latency_ms["min"],
            "max_ms": run.latency_ms["max"],
            "cpu_ms_per_login": run.cpu_ms_per_request,
            "wrk": run.to_json(),
        }
        ratio = folio_side["median_ms"] / raw["median_ms"] if run.requests else None
        return {"folio": folio_side, "raw_verify": raw, "ratio": ratio}

    async def storm(self, folio: Server) -> dict[str, Any]:
        seconds = self.options.storm_seconds
        say(f"login storm: get one book for {seconds:.0f} s alone, then with {STORM_CONCURRENCY} concurrent logins")
        await self.measured(folio, "get", self.options.warmup)
        unloaded = await self.measured(folio, "get", seconds)
        # The logins start a second before the measured gets and end a second after them.
        storm = asyncio.create_task(self.login_run(folio, seconds + 2, connections=STORM_CONCURRENCY))
        await asyncio.sleep(1.0)
        loaded = await self.measured(folio, "get", seconds)
        logins = await storm
        return {
            "concurrency": STORM_CONCURRENCY,
            "unloaded": unloaded.to_json(),
            "loaded": loaded.to_json(),
            "unloaded_p99_ms": unloaded.latency_ms["p99"],
            "loaded_p99_ms": loaded.latency_ms["p99"],
            "ratio": loaded.latency_ms["p99"] / unloaded.latency_ms["p99"],
            "logins": {"logins": logins.requests, "errors": logins.error_count, "wrk": logins.to_json()},
        }

    async def logging_cost(self, kind: ServerKind) -> dict[str, Any]:
        """Two fresh servers, alike but for `LOG_LEVEL`, alternating on get one book."""
        say("logging cost: get one book with LOG_LEVEL=INFO against WARNING")
        servers = {"warning": self.start_folio(kind), "info": self.start_folio(kind, log_level="INFO")}
        try:
            runs: dict[str, list[WrkRun]] = {"info": [], "warning": []}
            for server in servers.values():
                await self.measured(server, "get", self.options.warmup)
            for round_number in range(self.options.rounds):
                order = ["warning", "info"] if round_number % 2 == 0 else ["info", "warning"]
                for level in order:
                    runs[level].append(await self.measured(servers[level], "get", self.options.duration))
        finally:
            for server in servers.values():
                server.stop()
        info = statistics.median(run.rps for run in runs["info"])
        warning = statistics.median(run.rps for run in runs["warning"])
        return {"info_rps": info, "warning_rps": warning, "ratio": info / warning}

    async def soak(self, folio: Server) -> dict[str, Any]:
        seconds = self.options.soak_seconds
        warmup = max(30.0, seconds / 5)
        say(f"memory soak: the mix for {seconds:.0f} s, RSS every {SOAK_SAMPLE_SECONDS:.0f} s")
        samples: list[tuple[float, int]] = []
        started = time.monotonic()
        load = asyncio.create_task(self.measured(folio, "mix", seconds))
        while not load.done():
            samples.append((time.monotonic() - started, folio.rss_bytes()))
            await asyncio.sleep(SOAK_SAMPLE_SECONDS)
        run = await load
        after_warmup = [rss for at, rss in samples if at >= warmup]
        baseline = statistics.median(after_warmup[:3]) if after_warmup else samples[-1][1]
        final = statistics.median(rss for _, rss in samples[-3:])
        mib = 1024 * 1024
        return {
            "seconds": seconds,
            "warmup_seconds": warmup,
            "samples": [{"at_s": round(at, 1), "rss_mib": rss / mib} for at, rss in samples],
            "baseline_mib": baseline / mib,
            "final_mib": final / mib,
            "peak_mib": max(rss for _, rss in samples) / mib,
            "growth": final / baseline - 1,
            "requests": run.requests,
            "errors": run.error_count,
        }

    async def on_better_server(self, kind: ServerKind) -> dict[str, Any]:
        results: dict[str, Any] = {"logging": await self.logging_cost(kind)}
        folio = self.start_folio(kind)
        try:
            results["login"] = await self.logins(folio)
            results["storm"] = await self.storm(folio)
            if self.options.soak_seconds > 0:
                results["soak"] = await self.soak(folio)
        finally:
            folio.stop()
        return results

    async def bulk_import(self) -> dict[str, Any]:
        rows = self.options.import_rows
        say(f"bulk import: {rows} rows, Folio's job against COPY, {self.options.rounds} rounds")
        csv_path = str(self.options.data_dir / "import.csv")
        write = ["csv", "--rows", str(rows), "--out", csv_path]
        for option, value in (("--dataset-authors", "authors"), ("--dataset-tags", "tags")):
            write += [option, str(self.options.dataset[value])]
        await asyncio.to_thread(run_module, "data", *write, env=tools_env())
        hashed = await bench_db.hashed_password(self.database, self.dataset.users[0].email)
        owner = await bulk_import.create_import_owner(self.database.dsn, "bench-importer@example.com", hashed)
        sides: dict[str, list[dict[str, Any]]] = {"floor": [], "folio": []}
        for round_number in range(self.options.rounds):
            for side in ("floor", "folio") if round_number % 2 == 0 else ("folio", "floor"):
                args = [side, "--csv", csv_path, "--owner-id", str(owner)]
                result = await asyncio.to_thread(
                    run_json_module, "bench.bulk_import", *args, env=self.folio_child_env()
                )
                result["rows_per_s"] = result["rows"] / result["seconds"]
                sides[side].append(result)
                await bulk_import.forget_import(self.database.dsn, owner)
        folio_rate = statistics.median(result["rows_per_s"] for result in sides["folio"])
        floor_rate = statistics.median(result["rows_per_s"] for result in sides["floor"])
        return {
            "rows": rows,
            "folio": sides["folio"],
            "floor": sides["floor"],
            "folio_rows_per_s": folio_rate,
            "floor_rows_per_s": floor_rate,
            "ratio": folio_rate / floor_rate,
        }


def machine_facts(postgres_version: str) -> dict[str, Any]:
    import app

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    app_src = Path(app.__file__).resolve().parent.parent
    in_work_tree = app_src == PROJECT_ROOT / "src"
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else None,
        "postgres": postgres_version,
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--", "src", "migrations")) if in_work_tree else None,
        "app_src": str(app_src),
        "app_src_is_work_tree": in_work_tree,
        "load_average": " ".join(f"{value:.2f}" for value in os.getloadavg()),
    }


async def _server_version(database: BenchDatabase) -> str:
    import asyncpg

    connection = await asyncpg.connect(database.dsn)
    try:
        version: str = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    return version


def choose_server(http: dict[str, dict[str, Any]]) -> dict[str, Any]:
    means = {
        kind: report.geometric_mean([entry["summary"]["folio"]["rps_median"] or 0 for entry in workloads.values()])
        for kind, workloads in http.items()
    }
    ranked = sorted(means, key=lambda kind: means[kind] or 0, reverse=True)
    best, rest = means[ranked[0]], [means[kind] for kind in ranked[1:]]
    margin = best / rest[0] - 1 if rest and rest[0] and best else None
    return {"folio_rps_geomean": means, "better": ranked[0], "margin": margin}


def write_results(results: dict[str, Any], checks: list[report.Check], stamp: str, label: str) -> tuple[Path, Path]:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    name = stamp + (f"-{label}" if label else "")
    json_path = RESULTS_DIR / f"{name}.json"
    md_path = RESULTS_DIR / f"{name}.md"
    results["checks"] = [check.to_json() for check in checks]
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    md_path.write_text(report.markdown(results, checks) + "\n")
    return json_path, md_path


async def prepare(options: Options) -> tuple[BenchDatabase, Dataset, Path]:
    where = "the DATABASE_URL server" if os.environ.get("DATABASE_URL") else options.data_dir
    say(f"fresh database {bench_db.DATABASE_NAME} on {where}")
    database = await bench_db.create_database(options.data_dir)
    bench_db.migrate(database)
    inputs = options.data_dir / "inputs"
    started = time.perf_counter()
    dataset = bench_db.load_dataset(database, inputs, **options.dataset)
    say(f"dataset {dataset.counts} loaded in {time.perf_counter() - started:.1f} s")
    return database, dataset, inputs


async def run(options: Options) -> int:
    started_at = datetime.now(UTC)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    database, dataset, inputs = await prepare(options)
    bench = Benchmark(options, database, dataset, inputs)
    results: dict[str, Any] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "settings": {
            "label": options.label,
            "quick": options.quick,
            "rounds": options.rounds,
            "duration_s": options.duration,
            "warmup_s": options.warmup,
            "threads": options.shape.threads,
            "connections": options.shape.connections,
            "wrk_timeout_s": options.shape.timeout_s,
            "servers": list(options.servers),
            "dataset": dataset.counts,
            "soak_seconds": options.soak_seconds,
            "import_rows": options.import_rows,
            "workload_scripts": WORKLOAD_SCRIPTS,
        },
        "machine": await asyncio.to_thread(machine_facts, await _server_version(database)),
        "floor_statements": FLOOR_STATEMENTS,
        "http": {},
        "parity": {},
    }
    for kind in options.servers:
        results["http"][kind], results["parity"][kind] = await bench.http_workloads(kind)
    results["server_choice"] = choose_server(results["http"])
    results["statements"] = await asyncio.to_thread(bench.statements)
    results.update(await bench.on_better_server(results["server_choice"]["better"]))
    results["import"] = await bench.bulk_import()
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    checks = report.build_checks(results)
    json_path, md_path = write_results(results, checks, stamp, options.label)
    print()
    print(report.checks_table(checks))
    print()
    print(f"results: {json_path.relative_to(PROJECT_ROOT)} and {md_path.relative_to(PROJECT_ROOT)}")
    return 0


def main() -> int:
    options = parse_options()
    return asyncio.run(run(options))


if __name__ == "__main__":
    sys.exit(main())
