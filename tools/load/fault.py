"""The mid-run fault: one web process and one worker SIGKILLed at once, both started again a little later.

The worker is killed just after it started an import job, so that an import is interrupted for
certain; its job must be swept and run again, to the same end as if nothing had happened. The
killed web process comes back on its port; until it answers `/health`, whatever the clients send it
goes unanswered (`Outage`), and `client.py` decides what they do about it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from saq.utils import now

from load.cluster import Cluster, Worker, kill
from load.context import RunContext
from load.integrity import Check
from load.metrics import Outage
from load.process_logs import saq_worker_ids
from load.queue_jobs import active_imports, connected

IMPORT_JOB_HEARTBEAT = 10
"""Seconds without a committed batch after which an import's job counts as stuck and is swept (production: 120)."""
SAQ_SWEEP_INTERVAL = 1
"""How often a worker sweeps stuck jobs (production: 60)."""
IMPORT_START_WITHIN = 15.0
"""How long the fault waits for the worker to start an import job before it strikes anyway."""
JUST_STARTED_MS = 500
"""An import job younger than this has most of its work ahead (1,000 rows take 0.2-1 s, 4,000 rows
1-4 s; the scale-out test imports files of 4,000, so that the kill lands inside the import it picked)."""


def fault_env() -> dict[str, str]:
    """Settings for every process of a run with a fault: a killed worker's import is retried within seconds."""
    return {"IMPORT_JOB_HEARTBEAT": str(IMPORT_JOB_HEARTBEAT), "SAQ_SWEEP_INTERVAL": str(SAQ_SWEEP_INTERVAL)}


@dataclass
class FaultReport:
    at: float
    """Seconds into the load when it is due."""
    down_for: float
    moments: dict[str, float] = field(default_factory=dict)
    """Seconds into the load: "killed", "worker started again", "web answering again"."""
    pids: dict[str, list[int]] = field(default_factory=dict)
    """Per process name: its pid before the kill, then after."""
    worker: str = ""
    """The name of the worker killed."""
    interrupted: str | None = None
    """The import whose job the killed worker had just started (None: it started none in time)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        moments = ", ".join(f"{name} at {seconds:.1f} s" for name, seconds in self.moments.items())
        pids = "; ".join(f"{name} pid {' -> '.join(map(str, pids))}" for name, pids in self.pids.items())
        return [
            f"fault: {moments} (seconds into the load)",
            f"fault: {pids}; the import {self.worker} had just started: {self.interrupted}",
        ]

    def ran_again(self, attempts: dict[str, int]) -> Check:
        """The interrupted import's job ran again, as its attempts show (the import checks say it finished once)."""
        ran = attempts.get(self.interrupted, 0) if self.interrupted else 0
        detail = f"import {self.interrupted}: its job ran {ran} times" if self.interrupted else "no import interrupted"
        return Check(f"the import {self.worker} was running when killed ran again", ran >= 2, detail)


async def just_started_import(queue_url: str, worker: Worker, within: float) -> str | None:
    """Wait (up to `within` seconds) until `worker` has just started an import job; returns the import's id.

    The worker's SAQ id comes from its log (any line it wrote): it has one once it ran a job.
    """
    deadline = time.monotonic() + within
    async with connected(queue_url) as queue:
        while time.monotonic() < deadline:
            ids = saq_worker_ids(worker)
            for import_id, job in (await active_imports(queue)).items():
                if job.worker_id in ids and now() - job.started < JUST_STARTED_MS:
                    return import_id
            await asyncio.sleep(0.02)
    return None


async def kill_and_restart(
    context: RunContext,
    cluster: Cluster,
    report: FaultReport,
    queue_url: str,
    say: Callable[[str], None],
    started: float,
) -> None:
    """Kill web process 1 and worker 1 at `report.at` seconds into the load (or once the first probes across
    the processes are done, if later); start them again after `down_for`."""
    try:
        await asyncio.sleep(max(0.0, started + report.at - time.monotonic()))
        await context.probed.wait()
        web, worker = cluster.servers[0], cluster.workers[0]
        report.interrupted = await just_started_import(queue_url, worker, IMPORT_START_WITHIN)
        report.worker = worker.name
        report.pids = {web.name: [web.process.pid], worker.name: [worker.process.pid]}
        outage = Outage(web.url, time.monotonic())
        context.metrics.outages.append(outage)
        kill(worker, web)
        report.moments["killed"] = time.monotonic() - started
        say(f"SIGKILL {web.name} ({web.url}) and {worker.name}, which had just started import {report.interrupted}")
        await asyncio.sleep(report.down_for)
        worker = cluster.restart_worker(0)
        report.moments["worker started again"] = time.monotonic() - started
        web = await asyncio.to_thread(cluster.restart_web, 0)
        outage.up_at = time.monotonic()
        report.moments["web answering again"] = outage.up_at - started
        report.pids[web.name].append(web.process.pid)
        report.pids[worker.name].append(worker.process.pid)
        say(f"{web.name} answering again on {web.url}, {worker.name} running again")
    finally:
        context.restarted.set()
