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
        return sum(self.unexpected.values()) + sum(self.transport.values())

    def latency(self) -> dict[str, float]:
        ordered = sorted(self.latencies_ms)
        return {name: percentile(ordered, share) for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}

    def keep(self, sample: str) -> None:
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(sample)


@dataclass
class Metrics:
    kinds: dict[str, KindStats] = field(default_factory=dict)
    per_server: Counter[str] = field(default_factory=Counter)
    """Requests sent to each web process (its base URL)."""
    problems: list[str] = field(default_factory=list)
    """Wrong answers that had an expected status (a body that does not match what was sent, ...)."""

    def kind(self, name: str) -> KindStats:
        return self.kinds.setdefault(name, KindStats())

    def answered(self, kind: str, status: int, elapsed_ms: float, *, expected: bool, detail: str = "") -> None:
        stats = self.kind(kind)
        stats.latencies_ms.append(elapsed_ms)
        stats.statuses[status] += 1
        if not expected:
            stats.unexpected[status] += 1
            stats.keep(f"{status} {detail}")

    def failed(self, kind: str, error: BaseException, elapsed_ms: float, detail: str = "") -> None:
        stats = self.kind(kind)
        stats.latencies_ms.append(elapsed_ms)
        name = type(error).__name__
        stats.transport[name] += 1
        stats.keep(f"{name}: {error} {detail}")

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
        return sum(sum(stats.transport.values()) for stats in self.kinds.values())

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
            "unexpected": self.unexpected,
            "per_server": dict(self.per_server),
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
        for name, stats in sorted(self.kinds.items()):
            for sample in stats.samples:
                lines.append(f"  unexpected {name}: {sample}")
        lines.extend(f"  wrong answer {problem}" for problem in self.problems[:50])
        return "\n".join(lines)
