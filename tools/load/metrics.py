"""What the clients saw, per kind of request: answers by status, unexpected ones, transport errors, latency."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MAX_SAMPLES = 5
"""Unexpected answers kept verbatim per kind, to show what went wrong."""
KIND_WIDTH = 26


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass
class KindStats:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    unexpected: Counter[int] = field(default_factory=Counter)
    transport: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def errors(self) -> int:
        """Unexpected answers and requests without one (those a killed process explains included)."""
        return sum(self.unexpected.values()) + sum(self.transport.values())

    def latency(self) -> dict[str, float]:
        ordered = sorted(self.latencies_ms)
        return {name: percentile(ordered, share) for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}

    def keep(self, sample: str) -> None:
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(sample)


@dataclass(frozen=True)
class TransportFailure:
    """A request that got no answer: the connection was refused, reset or timed out."""

    kind: str
    method: str
    server: str
    started: float
    """`time.monotonic()` when it was sent."""
    ended: float
    error: str
    then: str
    """"retried" (a GET, sent again to another process), "unknown" (a write: its outcome is unknown) or "lost"."""


@dataclass
class Outage:
    """A web process the run killed, from the kill until it answered `/health` again (monotonic times)."""

    server: str
    down_from: float
    up_at: float | None = None
    answered_since: int = 0
    """Answers the process gave once it was back."""

    def explains(self, failure: TransportFailure) -> bool:
        """The request went to this process and was under way while it was down."""
        up_at = self.up_at if self.up_at is not None else float("inf")
        return failure.server == self.server and failure.started < up_at and failure.ended >= self.down_from


@dataclass
class Metrics:
    kinds: dict[str, KindStats] = field(default_factory=dict)
    per_server: Counter[str] = field(default_factory=Counter)
    """Requests sent to each web process (its base URL)."""
    problems: list[str] = field(default_factory=list)
    """Wrong answers that had an expected status (a body that does not match what was sent, ...)."""
    transport_failures: list[TransportFailure] = field(default_factory=list)
    outages: list[Outage] = field(default_factory=list)

    def kind(self, name: str) -> KindStats:
        return self.kinds.setdefault(name, KindStats())

    def answered(
        self, kind: str, server: str, status: int, elapsed_ms: float, *, expected: bool, detail: str = ""
    ) -> None:
        for outage in self.outages:
            if outage.server == server and outage.up_at is not None:
                outage.answered_since += 1
        stats = self.kind(kind)
        stats.latencies_ms.append(elapsed_ms)
        stats.statuses[status] += 1
        if not expected:
            stats.unexpected[status] += 1
            stats.keep(f"{status} {detail}")

    def failed(self, failure: TransportFailure, detail: str = "") -> None:
        stats = self.kind(failure.kind)
        stats.latencies_ms.append((failure.ended - failure.started) * 1000)
        stats.transport[f"{failure.error}/{failure.then}"] += 1
        self.transport_failures.append(failure)
        if not self.explained(failure):
            stats.keep(f"{failure.error} ({failure.then}) {detail}")

    def explained(self, failure: TransportFailure) -> bool:
        """Whether a process the run killed on purpose accounts for the failure."""
        return any(outage.explains(failure) for outage in self.outages)

    def wrong(self, kind: str, what: str) -> None:
        self.problems.append(f"{kind}: {what}")

    @property
    def requests(self) -> int:
        return sum(stats.requests for stats in self.kinds.values())

    @property
    def server_errors(self) -> int:
        return sum(count for stats in self.kinds.values() for status, count in stats.statuses.items() if status >= 500)

    @property
    def transport_errors(self) -> int:
        """Requests without an answer that no killed process accounts for."""
        return sum(not self.explained(failure) for failure in self.transport_failures)

    def during_outages(self) -> Counter[str]:
        """Requests the killed processes left without an answer, by what the client did next."""
        return Counter(failure.then for failure in self.transport_failures if self.explained(failure))

    @property
    def unexpected(self) -> int:
        return sum(sum(stats.unexpected.values()) for stats in self.kinds.values())

    def to_json(self, seconds: float) -> dict[str, Any]:
        return {
            "seconds": seconds,
            "requests": self.requests,
            "throughput_rps": self.requests / seconds if seconds else 0.0,
            "server_errors": self.server_errors,
            "transport_errors": self.transport_errors,
            "during_outages": dict(self.during_outages()),
            "unexpected": self.unexpected,
            "per_server": dict(self.per_server),
            "answered_once_back": {outage.server: outage.answered_since for outage in self.outages},
            "problems": self.problems,
            "kinds": {
                name: {
                    "requests": stats.requests,
                    "statuses": {str(status): count for status, count in sorted(stats.statuses.items())},
                    "unexpected": {str(status): count for status, count in sorted(stats.unexpected.items())},
                    "transport": dict(stats.transport),
                    "latency_ms": stats.latency(),
                    "samples": stats.samples,
                }
                for name, stats in sorted(self.kinds.items())
            },
        }

    def table(self, seconds: float) -> str:
        header = (
            f"{'kind':<{KIND_WIDTH}}{'requests':>9}{'errors':>8}  {'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}  statuses"
        )
        lines = [header, "-" * len(header)]
        for name, stats in sorted(self.kinds.items()):
            latency = stats.latency()
            statuses = " ".join(f"{status}:{count}" for status, count in sorted(stats.statuses.items()))
            statuses += "".join(f" {kind}:{count}" for kind, count in stats.transport.items())
            lines.append(
                f"{name:<{KIND_WIDTH}}{stats.requests:>9}{stats.errors:>8}  "
                f"{latency['p50']:>8.1f}{latency['p95']:>8.1f}{latency['p99']:>8.1f}  {statuses}"
            )
        rate = self.requests / seconds if seconds else 0.0
        lines.append(
            f"{'all':<{KIND_WIDTH}}{self.requests:>9}{self.unexpected + self.transport_errors:>8}  "
            f"in {seconds:.1f} s: {rate:.1f} req/s; 5xx: {self.server_errors}, "
            f"transport errors: {self.transport_errors}"
        )
        lines.append(
            "requests per web process: " + ", ".join(f"{url} {n}" for url, n in sorted(self.per_server.items()))
        )
        if self.outages:
            during = self.during_outages()
            lines.append(
                f"left without an answer by the killed process: {during['retried']} reads (sent again to the other"
                f" process), {during['unknown']} writes (outcome unknown), {during['lost']} lost;"
                f" transport errors it does not explain: {self.transport_errors}"
            )
            lines.extend(f"answers from {outage.server} once back: {outage.answered_since}" for outage in self.outages)
        for name, stats in sorted(self.kinds.items()):
            for sample in stats.samples:
                lines.append(f"  unexpected {name}: {sample}")
        lines.extend(f"  wrong answer {problem}" for problem in self.problems[:50])
        return "\n".join(lines)
