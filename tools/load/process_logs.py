"""What the web and worker processes logged (JSON lines): errors, and the jobs each worker ran."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from bench.servers import LoggedChild, Server
from load.cluster import Cluster, Worker


def _entries(process: LoggedChild) -> Iterator[dict[str, Any]]:
    for line in process.log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            yield entry


def logged_errors(cluster: Cluster) -> dict[str, dict[str, int]]:
    """Per process, its error-level log lines by event and exception (the first words of each).

    A worker logs an import job that failed and will be retried here too (an ISBN a writer took
    while the batch was being written, say): worth reading, not a failure by itself.
    """
    found: dict[str, dict[str, int]] = {}
    processes: list[Server | Worker] = [*cluster.servers, *cluster.workers]
    for process in processes:
        events: Counter[str] = Counter()
        for entry in _entries(process):
            if entry.get("level") in {"error", "critical"}:
                last = str(entry.get("exception", "")).strip().splitlines()[-1:] or [""]
                events[f"{str(entry.get('event'))[:40]} {last[0][:100]}".strip()] += 1
        found[process.name] = dict(events)
    return found


def import_jobs_per_life(cluster: Cluster) -> dict[str, dict[str, int]]:
    """Per worker process, per life (its SAQ worker id: a restart makes a new one), the import jobs it ran
    to the end, in the order of its lives."""
    lives: dict[str, dict[str, int]] = {}
    for worker in cluster.workers:
        counts = lives[worker.name] = {}
        for entry in _entries(worker):
            if "worker_id" in entry:
                counts.setdefault(entry["worker_id"], 0)
            if entry.get("event") == "job" and entry.get("function") == "import_catalogue":
                counts[entry["worker_id"]] += entry.get("status") == "complete"
    return lives


def saq_worker_ids(worker: Worker) -> set[str]:
    """The SAQ worker ids a worker process has logged so far (one per life)."""
    return {str(entry["worker_id"]) for entry in _entries(worker) if "worker_id" in entry}
