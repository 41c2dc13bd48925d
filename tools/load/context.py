"""What every simulated client of a run shares: the servers, the dataset, the clock, the records."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from data.dataset import Dataset
from data.isbn import isbn13
from load.integrity import Check
from load.ledger import Ledger
from load.metrics import Metrics

WRITER_ISBN_PREFIX = "977"
"""Books the writers create take ISBNs with this prefix: neither the dataset (978) nor import files (979) do."""


@dataclass
class RunContext:
    servers: list[str]
    dataset: Dataset
    deadline: float
    """`time.monotonic()` after which no client starts new work."""
    scratch: Path
    """Where the import files are written."""
    metrics: Metrics = field(default_factory=Metrics)
    ledger: Ledger = field(default_factory=Ledger)
    seed: int = 1
    contended_isbns: deque[str] = field(default_factory=deque)
    """ISBNs of files being imported, for writers to create at the same moment (one of the two must win)."""
    probed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the first half of the probes across the web processes is done: the fault waits for it,
    so that those probes see both processes up (on a busy machine they can take longer than `--kill-at`)."""
    restarted: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the killed processes are back (or halfway through a run without a fault)."""
    across: list[Check] = field(default_factory=list)
    """What the probes across the web processes found (`across.py`)."""
    _isbns: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    def rng(self, role: str, number: int) -> random.Random:
        return random.Random(f"load-{self.seed}-{role}-{number}")

    def new_isbn(self) -> str:
        return isbn13(WRITER_ISBN_PREFIX, next(self._isbns))

    def new_number(self) -> int:
        """A number no other record of this run has: titles and names stay distinct."""
        return next(self._names)
